//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hangLimit bounds how long a test waits for a process that should
// already have stopped. It is a failure bound for a hang, not a timing
// assertion: a working binary exits well within it.
const hangLimit = 10 * time.Second

// waitBounded reads the rest of cmd's stderr and waits for cmd, killing
// it and failing the test when it has not exited within hangLimit.
func waitBounded(t testing.TB, cmd *exec.Cmd, stderr io.Reader) (code int, rest string) {
	t.Helper()
	done := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(stderr) // to the end first: Wait closes the pipe
		cmd.Wait()
		done <- string(b)
	}()
	select {
	case rest = <-done:
		return cmd.ProcessState.ExitCode(), rest
	case <-time.After(hangLimit):
		cmd.Process.Kill()
		t.Fatalf("still running %s after it should have stopped; stderr: %s", hangLimit, <-done)
		return 0, ""
	}
}

func mkfifo(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSignalWhileReadingBody: SIGTERM stops a send whose --body @FILE
// never ends: a FIFO no writer ever opens (the open itself blocks), or
// /dev/stdin on a pipe that never closes. Exit 143, nothing sent.
//
// -v prints the config line before the body is read: once it is out, the
// signal handler is in place and the body is being (or about to be)
// read, and nothing after that ends without the signal.
func TestSignalWhileReadingBody(t *testing.T) {
	for _, tt := range []struct {
		name string
		body func(t *testing.T, cmd *exec.Cmd) string
	}{
		{"FIFO with no writer", func(t *testing.T, _ *exec.Cmd) string { return "@" + mkfifo(t, "body.fifo") }},
		{"/dev/stdin on an open pipe", func(t *testing.T, cmd *exec.Cmd) string {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { pw.Close() })
			cmd.Stdin = pr
			t.Cleanup(func() { pr.Close() })
			return "@/dev/stdin"
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t)
			cmd := command(t, runOpts{}, "-v", "send", "--url", srv.URL)
			cmd.Args = append(cmd.Args, "--body", tt.body(t, cmd))
			stderr := startPiped(t, cmd)
			br := bufio.NewReader(stderr)
			first, err := br.ReadString('\n')
			if !strings.Contains(first, "config: ") {
				t.Fatalf("first line of stderr: got %q, %v, want the config line", first, err)
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			code, rest := waitBounded(t, cmd, br)
			if code != 143 {
				t.Fatalf("exit code: got %d, want 143\nstderr: %s%s", code, first, rest)
			}
			wantStderr(t, result{stderr: rest}, "--body @", "interrupted: received terminated")
			wantRequests(t, srv, 0)
		})
	}
}

// TestSignalWhileReadingConfig: SIGTERM stops a send whose config file is
// a FIFO that a writer holds open and never writes to — also under soft
// fail, which never hides an abort. The test is that writer: its
// non-blocking open fails (ENXIO) until jobnotify has the FIFO open for
// reading, so once it succeeds jobnotify is reading it.
func TestSignalWhileReadingConfig(t *testing.T) {
	for _, env := range [][]string{nil, {"JOBNOTIFY_SOFT_FAIL=true"}} {
		t.Run(fmt.Sprint(env), func(t *testing.T) {
			srv := newRecorder(t)
			fifo := mkfifo(t, "config.toml")
			cmd := command(t, runOpts{env: env}, "--config", fifo, "send", "--url", srv.URL)
			stderr := startPiped(t, cmd)
			deadline := time.Now().Add(hangLimit)
			for {
				fd, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
				if err == nil {
					defer syscall.Close(fd)
					break
				}
				if !errors.Is(err, syscall.ENXIO) || time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("opening the FIFO to write: %v", err)
				}
				time.Sleep(time.Millisecond) // poll: jobnotify has not opened it yet
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			code, rest := waitBounded(t, cmd, stderr)
			if code != 143 {
				t.Fatalf("exit code: got %d, want 143\nstderr: %s", code, rest)
			}
			wantStderr(t, result{stderr: rest}, fifo+": interrupted: received terminated")
			wantRequests(t, srv, 0)
		})
	}
}

// TestBodyDevZero: a --body file that never ends is read to max_body's
// default and no further: exit 2, nothing sent.
func TestBodyDevZero(t *testing.T) {
	srv := newRecorder(t)
	cmd := command(t, runOpts{}, "send", "--url", srv.URL, "--body", "@/dev/zero")
	stderr := startPiped(t, cmd)
	code, errs := waitBounded(t, cmd, stderr)
	r := result{stderr: errs, code: code}
	wantCode(t, r, 2)
	wantStderr(t, r, "jobnotify: --body @/dev/zero: larger than 16MiB, the most max_body allows (set max_body in the config file to send more)")
	wantRequests(t, srv, 0)
}

// TestFilesThatAreNotRegular: a template or CA file that is a FIFO or a
// device is refused at once, naming the key; nothing is sent.
func TestFilesThatAreNotRegular(t *testing.T) {
	fifo := mkfifo(t, "x.fifo")
	for _, tt := range []struct{ name, keys, where, what string }{
		{"FIFO template", "format = \"template\"\ntemplate_file = %q\n", "template_file", "a named pipe (FIFO)"},
		{"FIFO CA", "[tls]\nca_file = %q\n", "tls.ca_file", "a named pipe (FIFO)"},
		{"device CA", "[tls]\nca_file = \"/dev/zero\"\n%.0s", "tls.ca_file", "a device"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t)
			cfg := fmt.Sprintf("url = %q\n", srv.URL) + fmt.Sprintf(tt.keys, fifo)
			cmd := command(t, runOpts{config: cfg}, "send")
			stderr := startPiped(t, cmd)
			code, errs := waitBounded(t, cmd, stderr)
			r := result{stderr: errs, code: code}
			wantCode(t, r, 2)
			wantStderr(t, r, ": "+tt.where+": ", "is "+tt.what+", not a regular file")
			wantRequests(t, srv, 0)
		})
	}
}
