//go:build !urfave_cli_no_docs

package main

import (
	"io"
	"os"
	"strings"
	"testing"
)

// TestManPage keeps docs/jobnotify.1 in step with the flags and commands.
// The man page is generated here rather than by a command of the binary,
// so the binary does not link a Markdown renderer on every invocation.
// Refresh it with: go test -run TestManPage -update .
func TestManPage(t *testing.T) {
	a := newApp(nil, nil, io.Discard, io.Discard)
	got, err := a.cli().ToManWithSection(1)
	if err != nil {
		t.Fatal(err)
	}
	const path = "docs/jobnotify.1"
	if *update { // the flag is declared in script_test.go
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with: go test -run TestManPage -update .)", err)
	}
	if got != string(want) {
		t.Errorf("%s is out of date: run go test -run TestManPage -update . and review the diff", path)
	}
	for _, cmd := range []string{"send", "flush", "listen", "validate", "env", "completion", "version"} {
		if !strings.Contains(got, cmd) {
			t.Errorf("the man page does not mention %s", cmd)
		}
	}
}
