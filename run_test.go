package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// runInProcess calls run as main does, with the environment and streams
// given here rather than the process's.
func runInProcess(t testing.TB, environ []string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), nil, append([]string{"jobnotify"}, args...), environ, strings.NewReader(""), &out, &errb)
	return result{out.String(), errb.String(), code}
}

// targetsConfig has two targets, told apart by their method and spool.
func targetsConfig(t testing.TB, url string) string {
	dir := t.TempDir()
	return writeConfig(t, dir, fmt.Sprintf(`url = %q
[targets.a]
method = "PUT"
[targets.b]
method = "PATCH"
[targets.b.spool]
dir = %q
`, url, filepath.Join(dir, "spool-b")), 0o600)
}

// TestGlobalFlagBeatsEnv: a --target on the command line wins over
// $JOBNOTIFY_TARGET whether it stands before the command's name or after
// it, for every command that takes a target. (A copy of the global flags
// on each command once read the variable too, and the command's copy was
// looked at first: --target b before "send" went to a.)
func TestGlobalFlagBeatsEnv(t *testing.T) {
	srv := newRecorder(t)
	cfg := targetsConfig(t, srv.URL+"/hook")
	env := []string{"HOME=" + t.TempDir(), "JOBNOTIFY_TARGET=a"}
	positions := map[string]func(cmd string) []string{
		"before": func(cmd string) []string { return []string{"--config", cfg, "--target", "b", cmd} },
		"after":  func(cmd string) []string { return []string{"--config", cfg, cmd, "--target", "b"} },
	}
	for pos, args := range positions {
		t.Run("validate/"+pos, func(t *testing.T) {
			r := jobnotify(t, runOpts{env: env[1:]}, args("validate")...)
			wantCode(t, r, 0)
			var got struct{ Target, Method string }
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("%v in %s", err, r.stdout)
			}
			if got.Target != "b" || got.Method != "PATCH" {
				t.Errorf("got target %q method %q, want b and PATCH", got.Target, got.Method)
			}
		})
		t.Run("flush/"+pos, func(t *testing.T) {
			// Only b has a spool: with a, flush would be exit 2.
			wantCode(t, jobnotify(t, runOpts{env: env[1:]}, args("flush")...), 0)
		})
		t.Run("send/"+pos, func(t *testing.T) {
			before := len(srv.requests())
			wantCode(t, jobnotify(t, runOpts{env: env[1:]}, args("send")...), 0)
			if got := wantRequests(t, srv, before+1)[before].Method; got != "PATCH" {
				t.Errorf("method: got %s, want PATCH (target b)", got)
			}
		})
	}
	// run reads the variables from the environment it is given, not from
	// the process's (which has no JOBNOTIFY_TARGET here).
	t.Run("env alone, in process", func(t *testing.T) {
		r := runInProcess(t, env, "--config", cfg, "flush")
		wantCode(t, r, 2)
		if !strings.Contains(r.stderr, "spool.dir: not set") {
			t.Errorf("stderr: got %q, want the error of target a, which has no spool", r.stderr)
		}
		r = runInProcess(t, env, "--config", cfg, "validate")
		if wantCode(t, r, 0); !strings.Contains(r.stdout, `"target": "a"`) {
			t.Errorf("validate: got %s, want target a", r.stdout)
		}
	})
}

// TestLogBackOwnLines: jobnotify's own lines are kept up to the window's
// size, newest last, and removed where they are last, also between two
// writes of one line of the command's.
func TestLogBackOwnLines(t *testing.T) {
	l := &logBack{}
	line := strings.Repeat("x", 1023) + "\n"
	for range 100 {
		l.wrote(line)
	}
	l.wrote("jobnotify: the last\n")
	if l.ownSize > tailWindow || l.own[len(l.own)-1] != "jobnotify: the last\n" || len(l.own) < 60 {
		t.Errorf("%d lines, %d bytes kept", len(l.own), l.ownSize)
	}
	for _, tc := range []struct{ in, line, want string }{
		{"a\njobnotify: x\nb\n", "jobnotify: x\n", "a\nb\n"},
		{"token=cana" + "jobnotify: x\n" + "ry\n", "jobnotify: x\n", "token=canary\n"}, // between two writes
		{"jobnotify: x\nb jobnotify: x\n", "jobnotify: x\n", "jobnotify: x\nb "},       // the last one
		{"jobnotify: x", "jobnotify: x", ""},
	} {
		if got := string(removeLine([]byte(tc.in), tc.line)); got != tc.want {
			t.Errorf("removeLine(%q, %q) = %q, want %q", tc.in, tc.line, got, tc.want)
		}
	}
}
