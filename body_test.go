package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
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

// TestBodyUTF16: a --body file or stdin in UTF-16 with its byte order
// mark (what Windows PowerShell 5 writes with > or Out-File) is sent as
// UTF-8; without the mark it is an input error naming the encoding, and
// nothing is sent.
func TestBodyUTF16(t *testing.T) {
	srv := newRecorder(t)
	cfg := fmt.Sprintf("url = %q\n", srv.URL)
	utf16 := func(s string, bigEndian bool) string {
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			if bigEndian {
				b = append(b, byte(u>>8), byte(u))
			} else {
				b = append(b, byte(u), byte(u>>8))
			}
		}
		return string(b)
	}
	const body = "{\"status\": \"déployé 🚀\"}\r\n"
	dir := t.TempDir()
	for _, tt := range []struct {
		name, text, want string // want: stderr; "" for sent
	}{
		{"little-endian with BOM", "\xff\xfe" + utf16(body, false), ""},
		{"big-endian with BOM", "\xfe\xff" + utf16(body, true), ""},
		{"little-endian without BOM", utf16(body, false), "UTF-16 (little-endian) without a byte order mark; save it as UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "f.json")
			if err := os.WriteFile(p, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			before := len(srv.requests())
			r := jobnotify(t, runOpts{config: cfg}, "send", "-b", "@"+p)
			r2 := jobnotify(t, runOpts{config: cfg, stdin: tt.text}, "send", "-b", "-")
			if tt.want != "" {
				wantCode(t, r, 2)
				if got, want := r.stderr, "jobnotify: --body @"+p+": the file is "+tt.want+"\n"; got != want {
					t.Errorf("stderr: got %q, want %q", got, want)
				}
				wantCode(t, r2, 2)
				wantStderr(t, r2, "jobnotify: --body - (stdin): the input is UTF-16")
				if n := len(srv.requests()); n != before {
					t.Errorf("%d requests sent, want none", n-before)
				}
				return
			}
			wantCode(t, r, 0)
			wantCode(t, r2, 0)
			reqs := srv.requests()[before:]
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			for _, req := range reqs {
				if got := decode(t, req.Body)["status"]; got != "déployé 🚀" {
					t.Errorf("sent status %q, want it decoded from UTF-16", got)
				}
			}
		})
	}
}
