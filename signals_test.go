package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/urfave/cli/v2"
)

// signalAfter starts cmd, reads its stderr up to a line containing want,
// then sends sig. It returns the lines read and the rest of stderr, read
// to the end; the caller waits for cmd.
func signalAfter(t testing.TB, cmd *exec.Cmd, want string, sig syscall.Signal) (lines []string, rest []byte) {
	t.Helper()
	stderr := startPiped(t, cmd)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), want) {
			break
		}
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	rest, _ = io.ReadAll(stderr)
	return lines, rest
}

// TestSignals: SIGTERM or SIGINT during a retry wait stops at once with
// 143 or 130. The wait is a minute long, so only the signal can end it.
func TestSignals(t *testing.T) {
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			srv := newRecorder(t, status(503))
			cfg := fmt.Sprintf("url = %q\n[retry]\nmin_wait = \"60s\"\nmax_wait = \"60s\"\nmax_time = \"5m\"\n", srv.URL)
			cmd := command(t, runOpts{config: cfg}, "send")
			lines, rest := signalAfter(t, cmd, "retrying in", tt.sig)
			err := cmd.Wait()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != tt.code {
				t.Fatalf("exit: got %v, want code %d\nstderr: %s%s", err, tt.code, strings.Join(lines, "\n"), rest)
			}
			if !strings.Contains(string(rest), "interrupted") {
				t.Errorf("stderr after the signal: got %q, want it to say interrupted", rest)
			}
			wantRequests(t, srv, 1)
		})
	}
}

// TestSignalMidRequest: SIGTERM while the server has not answered yet.
func TestSignalMidRequest(t *testing.T) {
	release := make(chan struct{})
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	cmd := command(t, runOpts{}, "send", "--url", srv.URL, "--timeout", "5m")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-srv.got // the request is in the server's hands
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 143 {
		t.Fatalf("exit: got %v, want 143\nstderr: %s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("stderr: %s", errb.String())
	}
}

// TestSignalSavesToSpool: SIGTERM mid-wait or mid-request exits 143
// and keeps the notification.
func TestSignalSavesToSpool(t *testing.T) {
	t.Run("during a wait", func(t *testing.T) {
		srv := newRecorder(t, status(503))
		spool := filepath.Join(t.TempDir(), "spool")
		cfg := fmt.Sprintf("url = %q\n[retry]\nmin_wait = \"60s\"\nmax_wait = \"60s\"\nmax_time = \"5m\"\n[spool]\ndir = %q\n", srv.URL, spool) + tokenHeaders
		cmd := command(t, runOpts{config: cfg, env: tokenEnv}, "send", "-s", "ABORTED")
		lines, rest := signalAfter(t, cmd, "retrying in", syscall.SIGTERM)
		cmd.Wait()
		all := strings.Join(lines, "\n") + "\n" + string(rest)
		if code := cmd.ProcessState.ExitCode(); code != 143 {
			t.Fatalf("exit code: got %d, want 143\nstderr: %s", code, all)
		}
		req := wantRequests(t, srv, 1)[0]
		f := wantSpooled(t, spool)
		if f.rec.ID != req.Header.Get("Idempotency-Key") || !bytes.Equal(f.rec.Body, req.Body) || f.rec.Method != "POST" {
			t.Errorf("spooled id %q method %q body %d bytes; sent id %q body %d bytes", f.rec.ID, f.rec.Method, len(f.rec.Body), req.Header.Get("Idempotency-Key"), len(req.Body))
		}
		if !strings.Contains(all, "saved to the spool") {
			t.Errorf("stderr does not say it saved the notification:\n%s", all)
		}
		noLeaks(t, result{stderr: all})
	})
	t.Run("during a request", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		spool := filepath.Join(t.TempDir(), "spool")
		cfg := fmt.Sprintf("url = %q\ntimeout = \"60s\"\n[retry]\nmax_time = \"5m\"\n[spool]\ndir = %q\n", srv.URL, spool) + tokenHeaders
		cmd := command(t, runOpts{config: cfg, env: tokenEnv}, "send", "--id", "sigterm-mid-request")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		<-srv.got // the request is in the server's hands
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != 143 {
			t.Fatalf("exit code: got %d, want 143\nstderr: %s", code, errb.String())
		}
		req := wantRequests(t, srv, 1)[0]
		f := wantSpooled(t, spool)
		if f.rec.ID != "sigterm-mid-request" || !bytes.Equal(f.rec.Body, req.Body) {
			t.Errorf("spooled id %q body %d bytes; sent body %d bytes", f.rec.ID, len(f.rec.Body), len(req.Body))
		}
		noLeaks(t, result{stderr: errb.String()})
	})
}

// TestSignalWhileReadingStdin: SIGTERM stops a send still waiting for
// --body - on a pipe that never closes; nothing is sent.
func TestSignalWhileReadingStdin(t *testing.T) {
	srv := newRecorder(t)
	cmd := command(t, runOpts{}, "send", "--url", srv.URL, "-b", "-")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	cmd.Stdin = pr
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	// -v prints the config line first: once it is out, stdin is being read.
	cmd.Args = append(cmd.Args[:1], append([]string{"-v"}, cmd.Args[1:]...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	buf := make([]byte, 1)
	if _, err := stderr.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 143 {
		t.Fatalf("exit: got %v, want 143; stderr: %s%s", err, buf, rest)
	}
	wantRequests(t, srv, 0)
}

// TestCommandsWaitForSignals: every command, and spool's subcommand,
// first waits until signals are caught (signal.Notify runs beside the
// parsing, see signalContext), so that none reads, starts or sends
// anything a signal would not stop.
func TestCommandsWaitForSignals(t *testing.T) {
	a := newApp(nil, strings.NewReader(""), io.Discard, io.Discard)
	type waited struct{}
	a.watching = func() { panic(waited{}) }
	app := a.cli()
	cmds := append([]*cli.Command{{Name: "jobnotify", Action: app.Action}}, app.Commands...)
	for _, cmd := range app.Commands {
		cmds = append(cmds, cmd.Subcommands...)
	}
	for _, cmd := range cmds {
		func() {
			defer func() {
				if _, ok := recover().(waited); !ok {
					t.Errorf("%s: its action did not wait for signals first", cmd.Name)
				}
			}()
			_ = cmd.Action(cli.NewContext(app, nil, nil))
		}()
	}
}
