package input

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		limit   int64
		want    string
		tooBig  bool
		notHere bool
	}{
		{name: "shorter than the limit", path: write("a", "hello"), limit: 10, want: "hello"},
		{name: "exactly the limit", path: write("b", "0123456789"), limit: 10, want: "0123456789"},
		{name: "one byte over", path: write("c", "0123456789x"), limit: 10, tooBig: true},
		{name: "empty", path: write("d", ""), limit: 10, want: ""},
		{name: "missing", path: filepath.Join(dir, "missing"), limit: 10, notHere: true},
		// A large file goes into a buffer of its own (huge pages on Linux).
		{name: "large", path: write("e", large), limit: int64(len(large)), want: large},
		{name: "large, one byte over", path: write("f", large+"x"), limit: int64(len(large)), tooBig: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadFile(context.Background(), tt.path, tt.limit)
			var tl *TooLargeError
			switch {
			case tt.tooBig:
				if !errors.As(err, &tl) || tl.Limit != tt.limit || tt.limit == 10 && err.Error() != "larger than 10B" {
					t.Fatalf("got %q, %v, want a *TooLargeError of %d", got, err, tt.limit)
				}
			case tt.notHere:
				if !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), dir) {
					t.Fatalf("got %v, want not-exist without the path", err)
				}
			case err != nil || got != tt.want:
				t.Fatalf("got %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

// large is a text larger than hugeMin, not a whole number of pages.
var large = strings.Repeat("0123456789abcdef", hugeMin/16+1000) + "end"

// A file that grows after its size was read is read whole, past the
// buffer that size asked for, up to the limit.
func TestReadGrownFile(t *testing.T) {
	larger := large + strings.Repeat("more", hugeMin/8)
	for _, tt := range []struct {
		text   string
		stated int64
	}{
		{"hello, and then some more", 8},
		{large, 1 << 20},            // a heap buffer outgrown
		{larger, int64(len(large))}, // one of its own (huge pages on Linux), outgrown
	} {
		r := &staleSize{strings.NewReader(tt.text), tt.stated}
		got, err := readAll(r, int64(len(tt.text)))
		if err != nil || got != tt.text {
			t.Errorf("%d bytes, stated as %d: read %d bytes (%v)", len(tt.text), tt.stated, len(got), err)
		}
		r = &staleSize{strings.NewReader(tt.text), tt.stated}
		if _, err := readAll(r, int64(len(tt.text)-1)); !errors.As(err, new(*TooLargeError)) {
			t.Errorf("%d bytes, one over the limit: %v, want a *TooLargeError", len(tt.text), err)
		}
	}
}

// staleSize is a regular file whose Stat gives a size it has outgrown.
type staleSize struct {
	*strings.Reader
	size int64
}

func (s *staleSize) Stat() (fs.FileInfo, error) { return staleInfo{s.size}, nil }

type staleInfo struct{ size int64 }

func (i staleInfo) Name() string       { return "grown" }
func (i staleInfo) Size() int64        { return i.size }
func (i staleInfo) Mode() fs.FileMode  { return 0o644 }
func (i staleInfo) ModTime() time.Time { return time.Time{} }
func (i staleInfo) IsDir() bool        { return false }
func (i staleInfo) Sys() any           { return nil }

// TestReadLimitUnknownSize: a reader of no known size is read to one byte
// past the limit, and no further.
func TestReadLimitUnknownSize(t *testing.T) {
	r := &counting{r: strings.NewReader(strings.Repeat("z", 1<<20))}
	_, err := Read(context.Background(), r, 1000)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1000 {
		t.Fatalf("got %v, want a *TooLargeError of 1000", err)
	}
	if r.n != 1001 {
		t.Errorf("read %d bytes, want 1001", r.n)
	}
	got, err := Read(context.Background(), strings.NewReader("ok"), 2)
	if err != nil || got != "ok" {
		t.Errorf("got %q, %v, want ok", got, err)
	}
}

type counting struct {
	r io.Reader
	n int
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestReadInterrupted: a read that never ends returns when the context is
// cancelled, with its cause.
func TestReadInterrupted(t *testing.T) {
	cause := errors.New("received terminated")
	pr, pw := io.Pipe() // never written to
	defer pw.Close()
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Read(ctx, pr, 1<<20)
		done <- err
	}()
	cancel(cause)
	if err := <-done; !errors.Is(err, cause) || !strings.HasPrefix(err.Error(), "interrupted: ") {
		t.Fatalf("got %v, want interrupted: %v", err, cause)
	}

	// Already cancelled: nothing is read at all.
	r := &counting{r: strings.NewReader("text")}
	if _, err := Read(ctx, r, 10); !errors.Is(err, cause) || r.n != 0 {
		t.Errorf("got %v after reading %d bytes, want the cause and nothing read", err, r.n)
	}
}

func TestUTF8(t *testing.T) {
	le := func(s string) string { // s in UTF-16LE, ASCII only
		var b strings.Builder
		for i := range len(s) {
			b.WriteByte(s[i])
			b.WriteByte(0)
		}
		return b.String()
	}
	be := func(s string) string { return "\x00" + strings.TrimSuffix(le(s), "\x00") }
	tests := []struct {
		name, text, want string
		utf16            string // the encoding named; "" for none
	}{
		{name: "plain", text: `{"a": 1}`, want: `{"a": 1}`},
		{name: "empty", text: "", want: ""},
		{name: "one byte", text: "x", want: "x"},
		{name: "UTF-8 BOM", text: "\ufeff{\"a\": 1}\r\n", want: "{\"a\": 1}\r\n"},
		{name: "only a BOM", text: "\ufeff", want: ""},
		{name: "BOM later is kept", text: "a\ufeff", want: "a\ufeff"},
		{name: "not UTF-8 but not UTF-16", text: "caf\xe9", want: "caf\xe9"},
		{name: "UTF-16LE BOM", text: "\xff\xfe" + le(`{"a": 1}`), want: `{"a": 1}`},
		{name: "UTF-16BE BOM", text: "\xfe\xff" + be(`{"a": 1}`), want: `{"a": 1}`},
		{name: "UTF-16LE BOM, beyond ASCII", text: "\xff\xfe" + utf16LE("déployé → 🚀\r\n"), want: "déployé → 🚀\r\n"},
		{name: "UTF-16 BOM alone", text: "\xff\xfe", want: ""},
		{name: "UTF-16LE BOM, a lone surrogate", text: "\xff\xfe" + "\x3d\xd8" + le("x"), want: "\ufffdx"},
		{name: "UTF-16LE without BOM", text: le(`{"a": 1}`), utf16: "UTF-16 (little-endian) without a byte order mark"},
		{name: "UTF-16BE without BOM", text: be("hello"), utf16: "UTF-16 (big-endian) without a byte order mark"},
		{name: "one UTF-16LE character", text: le("7"), utf16: "UTF-16 (little-endian) without a byte order mark"},
		{name: "a NUL alone is not UTF-16", text: "ab\x00cd", want: "ab\x00cd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UTF8(tt.text)
			if tt.utf16 != "" {
				var ue *UTF16Error
				if !errors.As(err, &ue) || err.Error() != tt.utf16 {
					t.Fatalf("got %q, %v; want a *UTF16Error %q", got, err, tt.utf16)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if got, err := UTF8("\xff\xfe" + le("ab") + "c"); err == nil || !strings.Contains(err.Error(), "half a character") {
		t.Errorf("odd UTF-16: got %q, %v; want an error", got, err)
	}
}

// utf16LE is s in UTF-16, little-endian, without a byte order mark.
func utf16LE(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return string(b)
}
