package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMaxBody: a --body longer than max_body, from a file, stdin or the
// command line, is an input error naming where it came from, the limit
// and max_body, and nothing is sent; a body of exactly max_body is sent.
func TestMaxBody(t *testing.T) {
	srv := newRecorder(t)
	cfg := fmt.Sprintf("url = %q\nmax_body = \"1KiB\"\n", srv.URL)
	dir := t.TempDir()
	body := func(n int) string { // a JSON object of n bytes
		return `{"m":"` + strings.Repeat("x", n-len(`{"m":""}`)) + `"}`
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	over, exact := write("over.json", body(1025)), write("exact.json", body(1024))

	for _, tt := range []struct {
		name  string
		stdin string
		arg   string
		where string
	}{
		{name: "file", arg: "@" + over, where: "--body @" + over},
		{name: "stdin", stdin: body(1025), arg: "-", where: "--body - (stdin)"},
		{name: "command line", arg: body(1025), where: "--body"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := jobnotify(t, runOpts{config: cfg, stdin: tt.stdin}, "send", "-b", tt.arg)
			wantCode(t, r, 2)
			wantStderr(t, r, "jobnotify: "+tt.where+": larger than 1KiB, the most max_body allows")
			wantRequests(t, srv, 0)
		})
	}

	r := jobnotify(t, runOpts{config: cfg}, "send", "-b", "@"+exact)
	wantCode(t, r, 0)
	if got := decode(t, wantRequests(t, srv, 1)[0].Body)["m"]; len(got.(string)) != 1024-len(`{"m":""}`) {
		t.Errorf("sent a message of %d bytes", len(got.(string)))
	}
}

// TestBodyUTF16: a --body file or stdin in UTF-16 (what Windows
// PowerShell 5 writes with > or Out-File), with or without its byte order
// mark, is an input error naming the encoding; nothing is sent.
func TestBodyUTF16(t *testing.T) {
	srv := newRecorder(t)
	cfg := fmt.Sprintf("url = %q\n", srv.URL)
	utf16 := func(s string, bigEndian bool) string { // s is ASCII
		var b strings.Builder
		for i := range len(s) {
			if bigEndian {
				b.WriteByte(0)
			}
			b.WriteByte(s[i])
			if !bigEndian {
				b.WriteByte(0)
			}
		}
		return b.String()
	}
	const body = "{\"status\": \"ok\"}\r\n"
	dir := t.TempDir()
	for _, tt := range []struct {
		name, text, want string
	}{
		{"little-endian with BOM", "\xff\xfe" + utf16(body, false), "the file is UTF-16 (little-endian); save it as UTF-8"},
		{"big-endian with BOM", "\xfe\xff" + utf16(body, true), "the file is UTF-16 (big-endian); save it as UTF-8"},
		{"little-endian without BOM", utf16(body, false), "the file is UTF-16 (little-endian); save it as UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "f.json")
			if err := os.WriteFile(p, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			r := jobnotify(t, runOpts{config: cfg}, "send", "-b", "@"+p)
			wantCode(t, r, 2)
			if got, want := r.stderr, "jobnotify: --body @"+p+": "+tt.want+"\n"; got != want {
				t.Errorf("stderr: got %q, want %q", got, want)
			}
			r = jobnotify(t, runOpts{config: cfg, stdin: tt.text}, "send", "-b", "-")
			wantCode(t, r, 2)
			wantStderr(t, r, "jobnotify: --body - (stdin): the input is UTF-16")
		})
	}
	wantRequests(t, srv, 0)
}
