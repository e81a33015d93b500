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
