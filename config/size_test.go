package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jobnotify/jobnotify/internal/input"
)

func TestMaxBody(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want int64  // 0: an error
		err  string // a substring of the error
	}{
		{name: "default", src: ``, want: 16 << 20},
		{name: "bytes as an integer", src: `max_body = 1000`, want: 1000},
		{name: "bytes as a string", src: `max_body = "1000"`, want: 1000},
		{name: "B", src: `max_body = "1000B"`, want: 1000},
		{name: "KiB", src: `max_body = "512KiB"`, want: 512 << 10},
		{name: "MiB with a space", src: `max_body = "64 MiB"`, want: 64 << 20},
		{name: "GiB", src: `max_body = "1GiB"`, want: 1 << 30},
		{name: "decimal unit", src: `max_body = "16MB"`, err: `max_body: invalid size "16MB"`},
		{name: "lower case", src: `max_body = "16mib"`, err: `invalid size "16mib"`},
		{name: "fraction", src: `max_body = "1.5MiB"`, err: `invalid size "1.5MiB"`},
		{name: "unit alone", src: `max_body = "MiB"`, err: `invalid size "MiB"`},
		{name: "negative", src: `max_body = -1`, err: "size -1: want at least 1 byte"},
		{name: "zero", src: `max_body = "0KiB"`, err: `size "0KiB": want at least 1 byte`},
		{name: "overflowing", src: `max_body = "9999999999GiB"`, err: `size "9999999999GiB" is too large`},
		{name: "a float", src: `max_body = 1.5`, err: `want a size such as "16MiB" or a number of bytes, got a float`},
		{name: "in a target", src: "[targets.big]\nmax_body = \"32MiB\"", want: 16 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("c.toml", []byte("url = \"https://api.example.com/\"\n"+tt.src+"\n"), testVersion)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "c.toml:2") {
					t.Fatalf("got %v, want an error at c.toml:2 containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s, err := Resolve(f, "", Overrides{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.MaxBody != tt.want {
				t.Errorf("got %d, want %d", s.MaxBody, tt.want)
			}
		})
	}
	f, err := Parse("c.toml", []byte("url = \"https://api.example.com/\"\n[targets.big]\nmax_body = \"32MiB\"\n"), testVersion)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Resolve(f, "big", Overrides{}, nil); err != nil || s.MaxBody != 32<<20 {
		t.Errorf("target big: got %v, %v, want 32 MiB", s, err)
	}
}

// TestLoadTooLarge: a config file longer than any config is refused
// without being read to its end.
func TestLoadTooLarge(t *testing.T) {
	path := writeConfig(t, "url = \"https://api.example.com/\"\n"+strings.Repeat("# padding\n", maxFileSize/10))
	_, err := Load(context.Background(), path, testVersion)
	var tl *input.TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("got %v, want a *input.TooLargeError", err)
	}
	checkErr(t, err, []string{path, "larger than 1MiB", "a config file is never that long"}, nil)
}

// TestFilesMustBeRegular: a file the config names to be read that is a
// directory (or a FIFO or a device: see the end-to-end tests) is an
// error naming the key; a missing one is left to the reader.
func TestFilesMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	pem := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(pem, []byte("not read here"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"template_file", "tls.ca_file", "tls.cert_file", "tls.key_file"} {
		t.Run(key, func(t *testing.T) {
			table, name, _ := strings.Cut(key, ".")
			src := "url = \"https://api.example.com/\"\nformat = \"template\"\n" + key + " = \"sub\"\n"
			if name != "" {
				src = "url = \"https://api.example.com/\"\n[" + table + "]\n" + name + " = \"sub\"\n"
				switch name { // the two go together; the other is a regular file
				case "cert_file":
					src += "key_file = \"../ca.pem\"\n"
				case "key_file":
					src += "cert_file = \"../ca.pem\"\n"
				}
			}
			path := writeFile(t, filepath.Join(dir, key, "config.toml"), src)
			if err := os.Mkdir(filepath.Join(dir, key, "sub"), 0o700); err != nil {
				t.Fatal(err)
			}
			f, err := Load(context.Background(), path, testVersion)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Resolve(f, "", Overrides{}, nil)
			checkErr(t, err, []string{path + ":3: " + key, "sub is a directory, not a regular file"}, nil)
		})
	}
	f, err := Parse(filepath.Join(dir, "c.toml"), []byte("url = \"https://api.example.com/\"\n[tls]\nca_file = \"ca.pem\"\ncert_file = \"missing.pem\"\nkey_file = \"missing-key.pem\"\n"), testVersion)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve(f, "", Overrides{}, nil); err != nil {
		t.Errorf("a regular file and a missing one: got %v, want no error here", err)
	}
}
