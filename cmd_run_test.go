//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// runPayload is what a test reads of a notification of jobnotify run.
type runPayload struct {
	Status string `json:"status"`
	ID     string `json:"id"`
	Stage  string `json:"stage"`
	Run    struct {
		ID         string  `json:"id"`
		Command    string  `json:"command"`
		ExitCode   *int    `json:"exit_code"`
		DurationMS *int64  `json:"duration_ms"`
		Signal     string  `json:"signal"`
		LogTail    *string `json:"log_tail"`
	} `json:"run"`
}

func runPayloads(t testing.TB, reqs []received) []runPayload {
	t.Helper()
	var out []runPayload
	for _, r := range reqs {
		var p runPayload
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("body: %v\n%s", err, r.Body)
		}
		if p.ID != r.Header.Get("Idempotency-Key") {
			t.Errorf("id %q, Idempotency-Key %q", p.ID, r.Header.Get("Idempotency-Key"))
		}
		out = append(out, p)
	}
	return out
}

// runConfig sends to url, with quick retries; extra lines go before
// the [retry] table.
func runConfig(url string, extra ...string) string {
	return fmt.Sprintf("url = %q\n", url) + strings.Join(append(extra, ""), "\n") + fastRetry(2)
}

// TestRunPair: the start, the command with its output on jobnotify's
// streams, then the outcome, sharing one run id; the exit status is the
// command's.
func TestRunPair(t *testing.T) {
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{config: runConfig(srv.URL), env: jenkinsEnv(t)},
		"run", "--tail", "5", "-f", "stage=deploy", "--", "/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3")
	wantCode(t, r, 3)
	if r.stdout != "to-stdout\n" {
		t.Errorf("stdout: got %q, want the command's alone", r.stdout)
	}
	wantStderr(t, r, "to-stderr\n")
	p := runPayloads(t, wantRequests(t, srv, 2))
	start, end := p[0], p[1]
	if start.Status != "STARTED" || end.Status != "FAILURE" {
		t.Fatalf("statuses: %q then %q", start.Status, end.Status)
	}
	if start.Run.ID == "" || start.Run.ID != end.Run.ID || start.ID == end.ID {
		t.Errorf("run ids %q and %q, notification ids %q and %q: want one run id, two notification ids", start.Run.ID, end.Run.ID, start.ID, end.ID)
	}
	if start.Run.ExitCode != nil || start.Run.LogTail != nil || start.Run.DurationMS != nil {
		t.Errorf("the start says how the command ended: %+v", start.Run)
	}
	if start.Run.Command != "sh" || end.Run.Command != "sh" || start.Stage != "deploy" || end.Stage != "deploy" {
		t.Errorf("command %q, %q; stage %q, %q", start.Run.Command, end.Run.Command, start.Stage, end.Stage)
	}
	if end.Run.ExitCode == nil || *end.Run.ExitCode != 3 || end.Run.DurationMS == nil || *end.Run.DurationMS < 0 || end.Run.Signal != "" {
		t.Errorf("outcome: %+v", end.Run)
	}
	if end.Run.LogTail == nil || !strings.Contains(*end.Run.LogTail, "to-stdout") || !strings.Contains(*end.Run.LogTail, "to-stderr") {
		t.Errorf("log_tail: %v", end.Run.LogTail)
	}
}

// TestRunExitStatus: 0, 3 and death by a signal pass through, as a shell
// reports them.
func TestRunExitStatus(t *testing.T) {
	for _, tc := range []struct {
		script, status, signal string
		code                   int
	}{
		{"exit 0", "SUCCESS", "", 0},
		{"exit 3", "FAILURE", "", 3},
		{"kill -SEGV $$", "FAILURE", "SIGSEGV", 128 + int(syscall.SIGSEGV)},
		{"kill -KILL $$", "FAILURE", "SIGKILL", 137},
		{"kill -TERM $$", "ABORTED", "SIGTERM", 143},
	} {
		t.Run(tc.script, func(t *testing.T) {
			srv := newRecorder(t)
			r := jobnotify(t, runOpts{config: runConfig(srv.URL)}, "run", "--", "/bin/sh", "-c", tc.script)
			wantCode(t, r, tc.code)
			end := runPayloads(t, wantRequests(t, srv, 2))[1]
			if end.Status != tc.status || end.Run.Signal != tc.signal || end.Run.ExitCode == nil || *end.Run.ExitCode != tc.code {
				t.Errorf("outcome %s, signal %q, exit_code %v; want %s, %q, %d", end.Status, end.Run.Signal, end.Run.ExitCode, tc.status, tc.signal, tc.code)
			}
		})
	}
}

// TestRunSendsNoArguments: the command's arguments may hold secrets;
// only the program's name is sent.
func TestRunSendsNoArguments(t *testing.T) {
	const canary = "canary-argument-1234"
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{config: runConfig(srv.URL)}, "run", "--tail", "3", "--", "/bin/sh", "-c", "exit 0", canary)
	wantCode(t, r, 0)
	for _, req := range wantRequests(t, srv, 2) {
		var h bytes.Buffer
		req.Header.Write(&h)
		if all := req.URL.String() + h.String() + string(req.Body); strings.Contains(all, canary) || strings.Contains(all, base64.StdEncoding.EncodeToString([]byte(canary))) {
			t.Errorf("a request holds the argument:\n%s", all)
		}
	}
	if strings.Contains(r.stderr, canary) {
		t.Errorf("stderr holds the argument: %s", r.stderr)
	}
}

// TestRunTailRedacts: what the command prints of a secret — a config
// ${VAR}'s, a secret-named variable's, a credentials() binding's — is ***
// in the tail, in every form it is printed in.
func TestRunTailRedacts(t *testing.T) {
	secrets := map[string]string{
		"NOTIFY_TOKEN":     "canary-env-token-1234",      // the config's ${NOTIFY_TOKEN}
		"DEPLOY_API_TOKEN": "canary-deploy-token-5678",   // withCredentials([string(variable: 'DEPLOY_API_TOKEN', …)])
		"REGISTRY":         "robot:canary-registry-pass", // credentials('registry'): REGISTRY, REGISTRY_USR, REGISTRY_PSW
		"REGISTRY_USR":     "robot",
		"REGISTRY_PSW":     "canary-registry-pass",
	}
	var env []string
	for k, v := range secrets {
		env = append(env, k+"="+v)
	}
	srv := newRecorder(t)
	script := `for v in "$NOTIFY_TOKEN" "$DEPLOY_API_TOKEN" "$REGISTRY" "$REGISTRY_PSW"; do
		echo "plain: $v"; printf '%s' "$v" | base64; printf 'colour: \033[31m%s\033[0m\n' "$v"; done; echo the end`
	r := jobnotify(t, runOpts{config: runConfig(srv.URL, tokenHeaders), env: append(env, "PATH="+os.Getenv("PATH"))}, "run", "--tail", "50", "--", "/bin/sh", "-c", script)
	wantCode(t, r, 0)
	end := runPayloads(t, wantRequests(t, srv, 2))[1]
	if end.Run.LogTail == nil || !strings.Contains(*end.Run.LogTail, "plain: ***") || !strings.Contains(*end.Run.LogTail, "the end") {
		t.Fatalf("log_tail: %v", end.Run.LogTail)
	}
	for _, req := range srv.requests() {
		for name, v := range secrets {
			if name == "REGISTRY_USR" {
				continue // a user name, too short to be redacted
			}
			for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
				if strings.Contains(string(req.Body), form) {
					t.Errorf("the notification holds %s's value (%q):\n%s", name, form, req.Body)
				}
			}
		}
	}
	if !strings.Contains(r.stdout, "plain: canary-deploy-token-5678") {
		t.Errorf("the command's own output is not passed through unchanged: %s", r.stdout)
	}
}

// TestRunTailText: binary output is escaped, a progress bar drawn with
// carriage returns leaves its last state, and --tail N keeps N lines.
func TestRunTailText(t *testing.T) {
	srv := newRecorder(t)
	script := `i=0; while [ $i -lt 100 ]; do echo line $i; i=$((i+1)); done
		printf 'bin \001\377 end\n'; printf '10%%\r50%%\r100%%\n'; printf 'no newline'`
	r := jobnotify(t, runOpts{config: runConfig(srv.URL)}, "run", "--tail", "4", "--", "/bin/sh", "-c", script)
	wantCode(t, r, 0)
	end := runPayloads(t, wantRequests(t, srv, 2))[1]
	want := "line 99\nbin \\x01\\xff end\n100%\nno newline"
	if end.Run.LogTail == nil || *end.Run.LogTail != want {
		t.Errorf("log_tail: got %q, want %q", deref(end.Run.LogTail), want)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}

// TestRunHugeOutput: hundreds of MiB stream through with memory bounded,
// and the tail is still the end.
func TestRunHugeOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 300 MiB")
	}
	srv := newRecorder(t)
	cmd := command(t, runOpts{config: runConfig(srv.URL)}, "run", "--tail", "2", "--", "/bin/sh", "-c", "head -c 314572800 /dev/zero | tr '\\0' 'y' | fold -w 1000; echo; echo last")
	cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
	var errb bytes.Buffer
	count := &countWriter{}
	cmd.Stdout, cmd.Stderr = count, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if want := int64(314572800 + 314572800/1000 + 1 + 5); count.n != want {
		t.Errorf("stdout: %d bytes, want %d", count.n, want)
	}
	wantPeakRSS(t, cmd.ProcessState, 64<<10)
	end := runPayloads(t, wantRequests(t, srv, 2))[1]
	if tail := deref(end.Run.LogTail); !strings.HasSuffix(tail, "\nlast") || len(tail) > 16<<10 {
		t.Errorf("log_tail: %d bytes, ending %q", len(tail), tail[max(0, len(tail)-20):])
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// TestRunReceiverDown: a receiver that is down, or slow, never holds up
// the command, and never changes its exit status.
func TestRunReceiverDown(t *testing.T) {
	t.Run("down", func(t *testing.T) {
		marker := filepath.Join(t.TempDir(), "ran")
		r := jobnotify(t, runOpts{config: runConfig(deadURL(t))}, "run", "--", "/bin/sh", "-c", "echo yes > "+marker+"; exit 4")
		wantCode(t, r, 4)
		if _, err := os.Stat(marker); err != nil {
			t.Errorf("the command did not run: %v", err)
		}
		wantStderr(t, r, "warning: STARTED notification", "warning: FAILURE notification", "connection refused", "the exit status is the command's")
	})
	t.Run("slow", func(t *testing.T) {
		// The start is answered only once the command has run: the
		// command writes to a FIFO the receiver reads.
		fifo := mkfifo(t, "ran.fifo")
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			f, err := os.Open(fifo)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			if string(b) != "ran\n" {
				t.Errorf("the FIFO said %q", b)
			}
		}, status(200))
		r := jobnotify(t, runOpts{config: runConfig(srv.URL, `timeout = "60s"`)}, "run", "--", "/bin/sh", "-c", "echo ran > "+fifo)
		wantCode(t, r, 0)
		p := runPayloads(t, wantRequests(t, srv, 2))
		if p[0].Status != "STARTED" || p[1].Status != "SUCCESS" {
			t.Errorf("statuses %q, %q: the outcome must follow the start", p[0].Status, p[1].Status)
		}
	})
}

// TestRunRefusesBadInput: usage and config errors are exit 2 before the
// command starts, with nothing sent.
func TestRunRefusesBadInput(t *testing.T) {
	srv := newRecorder(t)
	good := runConfig(srv.URL)
	for _, tc := range []struct {
		name   string
		config string
		args   []string
		want   string
	}{
		{"no command", good, nil, "no command given after --"},
		{"unknown key", runConfig(srv.URL, "heders = 1"), nil, `unknown key "heders"`},
		{"bad tail", good, []string{"--tail", "-1"}, "--tail: -1"},
		{"bad grace", good, []string{"--grace", "soon"}, `--grace: "soon"`},
		{"idempotency key", good, []string{"-H", "Idempotency-Key: mine"}, "run sends two"},
		{"bad field", good, []string{"-f", "=x"}, "--field"},
		{"run reserved", good, []string{"-f", "run.id=x"}, "run object"},
		{"a template a success cannot execute", runConfig(srv.URL, `format = "template"`, `template = '{"x": {{ if eq .status "SUCCESS" }}{{ slice "abc" 5 }}{{ end }}1 }'`), nil, "slice"},
		{"a template the start cannot execute", runConfig(srv.URL, `format = "template"`, `template = '{"failed": {{ if gt .run.exit_code 0 }}true{{ else }}false{{ end }} }'`), nil, "error calling gt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "ran")
			args := append([]string{"run"}, tc.args...)
			if tc.name != "no command" {
				args = append(args, "--", "/bin/sh", "-c", "echo > "+marker)
			}
			r := jobnotify(t, runOpts{config: tc.config}, args...)
			wantCode(t, r, 2)
			wantStderr(t, r, tc.want)
			if _, err := os.Stat(marker); err == nil {
				t.Error("the command ran")
			}
		})
	}
	wantRequests(t, srv, 0)
}

// TestRunSoftFailRunsTheCommand: with soft fail, a config error at send
// time leaves the build alone: the command runs, without notifications.
func TestRunSoftFailRunsTheCommand(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	r := jobnotify(t, runOpts{config: "url = \"http://127.0.0.1:9/${UNSET_VAR}\"\nsoft_fail = true\n"}, "run", "--", "/bin/sh", "-c", "echo > "+marker+"; exit 5")
	wantCode(t, r, 5)
	wantStderr(t, r, "UNSET_VAR", "running sh without notifications (soft fail)")
	if _, err := os.Stat(marker); err != nil {
		t.Error("the command did not run")
	}
}

// TestRunNotStarted: a command that is not there is 127, one that cannot
// be run 126, as a shell says; nothing is sent.
func TestRunNotStarted(t *testing.T) {
	srv := newRecorder(t)
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script.sh")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(dir, "for-another-system")
	if err := os.WriteFile(binary, []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00(exit 0)\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		command string
		code    int
		want    string
	}{
		{filepath.Join(dir, "missing"), 127, "no such file or directory"},
		{"no-such-command-jobnotify", 127, "command not found"},
		{notExec, 126, "permission denied"},
		{binary, 126, "exec format error"}, // not a script: never run by sh
	} {
		r := jobnotify(t, runOpts{config: runConfig(srv.URL), env: []string{"PATH=" + dir}}, "run", "--", tc.command)
		wantCode(t, r, tc.code)
		wantStderr(t, r, tc.want, "nothing was sent")
	}
	wantRequests(t, srv, 0)
}

// startRun starts jobnotify run in a process group of its own, as
// Jenkins starts a step, with a command that prints "ready PID" and then
// waits for a signal, which it reports on stdout. It returns the
// command's pid once it is ready, and stdout's other lines.
func startRun(t *testing.T, cmd *exec.Cmd) (pid int, lines <-chan string) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 100)
	sc := bufio.NewScanner(out)
	for {
		if !sc.Scan() {
			t.Fatalf("no ready line: %v", sc.Err())
		}
		if rest, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
			if pid, err = strconv.Atoi(rest); err != nil {
				t.Fatalf("ready line %q", sc.Text())
			}
			break
		}
		ch <- sc.Text() // a line before it, for the caller
	}
	go func() {
		defer close(ch)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return pid, ch
}

// waitsForTERM reports SIGTERM on stdout and exits 5.
const waitsForTERM = `trap 'echo got TERM; exit 5' TERM; echo ready $$; while :; do sleep 0.05; done`

// TestRunAbort: SIGTERM or SIGINT to jobnotify goes on to the command;
// the ABORTED notification is delivered and leaves the spool; exit 143
// or 130.
func TestRunAbort(t *testing.T) {
	for _, tc := range []struct {
		sig     syscall.Signal
		spooled bool
	}{{syscall.SIGTERM, true}, {syscall.SIGINT, true}, {syscall.SIGTERM, false}} {
		sig := tc.sig
		name := signalName(sig)
		if !tc.spooled {
			name += " without a spool"
		}
		t.Run(name, func(t *testing.T) {
			srv := newRecorder(t)
			spool := filepath.Join(t.TempDir(), "spool")
			cfg := runConfig(srv.URL)
			if tc.spooled {
				cfg = runConfig(srv.URL, fmt.Sprintf("[spool]\ndir = %q", spool))
			}
			script := strings.ReplaceAll(waitsForTERM, "TERM", strings.TrimPrefix(signalName(sig), "SIG"))
			cmd := command(t, runOpts{config: cfg}, "run", "--tail", "5", "--", "/bin/sh", "-c", script)
			cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
			var errb bytes.Buffer
			cmd.Stderr = &errb
			_, lines := startRun(t, cmd)
			if err := cmd.Process.Signal(sig); err != nil { // jobnotify alone
				t.Fatal(err)
			}
			var got []string
			for l := range lines {
				got = append(got, l)
			}
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != 128+int(sig) {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, 128+int(sig), errb.String())
			}
			if want := "got " + strings.TrimPrefix(signalName(sig), "SIG"); !contains(got, want) {
				t.Errorf("the command did not get the signal: its output %q", got)
			}
			p := runPayloads(t, wantRequests(t, srv, 2))
			if p[1].Status != "ABORTED" || p[1].Run.Signal != signalName(sig) || p[1].Run.ExitCode != nil {
				t.Errorf("outcome %s, signal %q, exit_code %v", p[1].Status, p[1].Run.Signal, p[1].Run.ExitCode)
			}
			if files := notifications(t, spool); len(files) != 0 {
				t.Errorf("delivered, but still in the spool: %v", files)
			}
		})
	}
}

// TestRunJenkinsAbort imitates Jenkins aborting a build: SIGTERM to every
// process of the step (jobnotify's group and the command's), and SIGKILL
// to all of them a few seconds later, with a receiver that does not
// answer. The ABORTED notification is never lost: it is in the spool.
func TestRunJenkinsAbort(t *testing.T) {
	for _, tc := range []struct {
		name string
		kill func(killAll func(syscall.Signal), gotAbort <-chan struct{})
	}{
		// SIGKILL as soon as the ABORTED request reaches the receiver:
		// mid-delivery.
		{"killed mid-delivery", func(killAll func(syscall.Signal), gotAbort <-chan struct{}) {
			<-gotAbort
			killAll(syscall.SIGKILL)
		}},
		// Jenkins' own timing: SIGKILL 5 s after SIGTERM
		// (SoftKillWaitSeconds), whatever jobnotify is doing.
		{"SIGKILL after 5s", func(killAll func(syscall.Signal), _ <-chan struct{}) {
			time.Sleep(5 * time.Second) // Jenkins' schedule, not a wait for a server
			killAll(syscall.SIGKILL)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gotAbort := make(chan struct{})
			var once sync.Once
			srv := newRecorder(t, status(200), func(w http.ResponseWriter, r *http.Request) {
				once.Do(func() { close(gotAbort) })
				<-r.Context().Done() // never answers
			})
			spool := filepath.Join(t.TempDir(), "spool")
			cfg := runConfig(srv.URL, `timeout = "60s"`, fmt.Sprintf("[spool]\ndir = %q", spool))
			cmd := command(t, runOpts{config: cfg, env: tokenEnv}, "run", "--", "/bin/sh", "-c", waitsForTERM)
			cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
			var errb bytes.Buffer
			cmd.Stderr = &errb
			child, lines := startRun(t, cmd)
			go func() {
				for range lines {
				}
			}()
			<-srv.got // the start is delivered
			killAll := func(sig syscall.Signal) {
				syscall.Kill(-cmd.Process.Pid, sig)
				syscall.Kill(-child, sig)
			}
			killAll(syscall.SIGTERM)
			tc.kill(killAll, gotAbort)
			cmd.Wait()
			reqs := srv.requests()
			if len(reqs) != 2 {
				t.Fatalf("requests: %d, want the start and the ABORTED attempt\nstderr: %s", len(reqs), errb.String())
			}
			files := notifications(t, spool)
			if len(files) != 1 {
				t.Fatalf("spool: %v, want the ABORTED notification\nstderr: %s", files, errb.String())
			}
			f := wantSpooled(t, spool)
			if f.rec.ID != reqs[1].Header.Get("Idempotency-Key") || !bytes.Contains(f.rec.Body, []byte(`"status":"ABORTED"`)) {
				t.Errorf("spooled %s: %s", f.rec.ID, f.rec.Body)
			}
		})
	}
}

// TestRunAbortBeforeTheStartIsAnswered: the ABORTED notification, saved
// to the spool at the signal, is this process's to deliver. The flush on
// send that follows the start's delivery, answered only once ABORTED is
// saved, leaves it alone: it would try it within the start's second, and
// ABORTED would then be tried again, the budget spent twice.
func TestRunAbortBeforeTheStartIsAnswered(t *testing.T) {
	t.Parallel()
	saved := make(chan struct{})
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-saved:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	}, func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	})
	spool := filepath.Join(t.TempDir(), "spool")
	cfg := runConfig(srv.URL, `timeout = "60s"`, fmt.Sprintf("[spool]\ndir = %q", spool))
	cmd := command(t, runOpts{config: cfg}, "run", "--", "/bin/sh", "-c", waitsForTERM)
	cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	_, lines := startRun(t, cmd)
	go func() {
		for range lines {
		}
	}()
	<-srv.got // the start is on its way, not answered
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		errb.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "saved to the spool:") && !isClosed(saved) {
			close(saved)
		}
	}
	cmd.Wait()
	if reqs := srv.requests(); len(reqs) != 2 {
		t.Fatalf("requests: %d, want the start and one ABORTED attempt\nstderr: %s", len(reqs), errb.String())
	}
	if files := notifications(t, spool); len(files) != 1 {
		t.Fatalf("spool: %v, want the ABORTED notification\nstderr: %s", files, errb.String())
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// TestRunClosedStdout: a reader that goes away (| head -1) ends the
// command as it would without jobnotify, and jobnotify lives to send
// the outcome.
func TestRunClosedStdout(t *testing.T) {
	srv := newRecorder(t)
	cmd := command(t, runOpts{config: runConfig(srv.URL)}, "run", "--tail", "5", "--", "/bin/sh", "-c", "while :; do echo y; done")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "y\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	out.Close()
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGPIPE) {
		t.Errorf("exit %d (%v), want the command's death by SIGPIPE\nstderr: %s", code, cmd.ProcessState, errb.String())
	}
	p := runPayloads(t, wantRequests(t, srv, 2))
	if p[1].Status != "FAILURE" || p[1].Run.Signal != "SIGPIPE" {
		t.Errorf("outcome %s, signal %q", p[1].Status, p[1].Run.Signal)
	}
}

// TestRunGraceKillsTheGroup: the signal reaches everything the command
// started, and what ignores it is killed when --grace has passed. Reading
// stdout to its end shows that nothing that held it is left.
func TestRunGraceKillsTheGroup(t *testing.T) {
	srv := newRecorder(t)
	// The grandchild first: a signal ignored when a shell starts cannot
	// be trapped in it.
	script := `/bin/sh -c 'trap "echo grandchild got TERM" TERM; echo grandchild ready; while :; do sleep 0.05; done' &
		trap '' TERM; echo ready $$; while :; do wait; done`
	cmd := command(t, runOpts{config: runConfig(srv.URL)}, "run", "--grace", "300ms", "--", "/bin/sh", "-c", script)
	cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
	var errb bytes.Buffer
	cmd.Stderr = &errb
	_, lines := startRun(t, cmd)
	for l := range lines {
		if l == "grandchild ready" {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var got []string
	done := make(chan struct{})
	go func() {
		for l := range lines { // to EOF: every holder of stdout is gone
			got = append(got, l)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // a guard against a hang, not a measure
		t.Fatal("a process the command started still holds stdout: the group was not killed")
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Errorf("exit %d, want 143\nstderr: %s", code, errb.String())
	}
	if !contains(got, "grandchild got TERM") {
		t.Errorf("the signal did not reach the command's group: %q", got)
	}
}

// TestRunDryRun: both requests are printed, nothing is sent, and the
// command runs, its status kept.
func TestRunDryRun(t *testing.T) {
	r := jobnotify(t, runOpts{}, "run", "--dry-run", "--url", deadURL(t), "--", "/bin/sh", "-c", "echo ran; exit 3")
	wantCode(t, r, 3)
	for _, want := range []string{`"status":"STARTED"`, `"status":"FAILURE"`, "ran\n", "canary-query-token=***"} {
		if !strings.Contains(r.stdout, want) && !strings.Contains(r.stdout, strings.Replace(want, "canary-query-token=", "token=", 1)) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	noLeaks(t, r)
}

// TestRunScriptWithoutShebang: a script with no #! line runs under sh,
// as a shell runs it.
func TestRunScriptWithoutShebang(t *testing.T) {
	srv := newRecorder(t)
	script := filepath.Join(t.TempDir(), "deploy")
	if err := os.WriteFile(script, []byte("echo from the script; exit 4\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := jobnotify(t, runOpts{config: runConfig(srv.URL)}, "run", "--", script)
	wantCode(t, r, 4)
	if r.stdout != "from the script\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	if p := runPayloads(t, wantRequests(t, srv, 2)); p[1].Run.Command != "deploy" {
		t.Errorf("command %q, want the script's name", p[1].Run.Command)
	}
}

// TestRunDurationIsTheCommands: a process the command leaves running,
// holding its output, does not count in duration_ms (the command exits
// at once; the drain that follows is 2 s).
func TestRunDurationIsTheCommands(t *testing.T) {
	srv := newRecorder(t)
	pidfile := filepath.Join(t.TempDir(), "pid")
	r := jobnotify(t, runOpts{config: runConfig(srv.URL), env: []string{"PATH=" + os.Getenv("PATH")}}, "run", "--tail", "3", "--", "/bin/sh", "-c", "sleep 5 & echo $! > "+pidfile+"; echo left it running")
	if b, err := os.ReadFile(pidfile); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	wantCode(t, r, 0)
	end := runPayloads(t, wantRequests(t, srv, 2))[1]
	if end.Run.DurationMS == nil || *end.Run.DurationMS >= outputDrain.Milliseconds() {
		t.Errorf("duration_ms %v: it counts the output's drain", end.Run.DurationMS)
	}
	if deref(end.Run.LogTail) != "left it running" {
		t.Errorf("log_tail %q", deref(end.Run.LogTail))
	}
}

// TestRunOneLogFile: stdout and stderr that are one file (a Jenkins
// step's log, 2>&1) keep their lines' order through --tail.
func TestRunOneLogFile(t *testing.T) {
	srv := newRecorder(t)
	log, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := command(t, runOpts{config: runConfig(srv.URL)}, "-q", "run", "--tail", "5", "--", "/bin/sh", "-c", `i=0; while [ $i -lt 300 ]; do echo out $i; echo err $i >&2; i=$((i+1)); done`)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(log.Name())
	var want strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&want, "out %d\nerr %d\n", i, i)
	}
	if string(b) != want.String() {
		t.Errorf("the log's lines are out of order:\n%.300s", b)
	}
}

// TestRunTailFromTheLog: when stdout and stderr are one log file, as a
// Jenkins step's are, the command writes the log itself (no pipe in
// between) and the tail is read back from it: the command's lines only,
// not what the log held before, redacted, cut to the window's last
// whole lines when the output is larger.
func TestRunTailFromTheLog(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the log is read back through /proc/self/fd on Linux; elsewhere --tail uses pipes")
	}
	srv := newRecorder(t)
	log, err := os.OpenFile(filepath.Join(t.TempDir(), "jenkins-log.txt"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	if _, err := log.WriteString("an earlier step: not the command's\n"); err != nil {
		t.Fatal(err)
	}
	script := `[ -f /proc/self/fd/1 ] && [ ! -p /proc/self/fd/2 ] && echo "the command writes the log itself"
		i=0; while [ $i -lt 2000 ]; do echo "line $i of some seventy bytes of build output, to fill the window"; i=$((i+1)); done
		echo "token: $DEPLOY_API_TOKEN"; echo "failed" >&2; printf 'no newline'; exit 3`
	cmd := command(t, runOpts{config: runConfig(srv.URL), env: []string{"PATH=" + os.Getenv("PATH"), "DEPLOY_API_TOKEN=canary-log-token-4321"}},
		"-q", "run", "--tail", "4", "--", "/bin/sh", "-c", script)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 3 {
		t.Fatalf("%v, want exit 3", err)
	}
	end := runPayloads(t, wantRequests(t, srv, 2))[1]
	want := "line 1999 of some seventy bytes of build output, to fill the window\ntoken: ***\nfailed\nno newline"
	if got := deref(end.Run.LogTail); got != want {
		t.Errorf("log_tail: got %q, want %q", got, want)
	}
	b, _ := os.ReadFile(log.Name())
	if !bytes.Contains(b, []byte("the command writes the log itself\n")) {
		t.Errorf("the command's output went through a pipe, not to the log itself:\n%.200s", b)
	}
	if !bytes.Contains(b, []byte("token: canary-log-token-4321")) {
		t.Errorf("the log is not the command's output unchanged")
	}

	// A second run into the same log: its tail is its own output alone.
	// (The first ended without a line break: in the log the second's
	// first line would be the end of the first's last, and go.)
	log.WriteString("\n")
	srv.reset()
	// jobnotify's own lines (not -q: the start's, here, which the tail
	// is read after) go to the log too, but not into the tail.
	cmd = command(t, runOpts{config: runConfig(srv.URL), env: []string{"PATH=" + os.Getenv("PATH")}}, "run", "--tail", "10000", "--", "/bin/sh", "-c", "echo one; echo two >&2")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if tail := deref(runPayloads(t, wantRequests(t, srv, 2))[1].Run.LogTail); tail != "one\ntwo" {
		t.Errorf("log_tail of the second run: %q", tail)
	}
	if b, _ := os.ReadFile(log.Name()); !bytes.Contains(b, []byte("jobnotify: STARTED: POST")) {
		t.Errorf("jobnotify's own line is not in the log:\n%s", b[max(0, len(b)-300):])
	}
}

// TestRunTailFromTheLogCutsASecret: the window read back from the log
// starts inside a line that holds a secret, and jobnotify's own line,
// after it in the window, is left out of the tail: the partial first line
// still goes, so no end of the secret is sent.
func TestRunTailFromTheLogCutsASecret(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the log is read back through /proc/self/fd on Linux")
	}
	// The start is refused (a line of known length) once the command has
	// printed the secret, so that jobnotify's line about it comes after.
	printed := mkfifo(t, "printed")
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		os.ReadFile(printed)
		w.WriteHeader(http.StatusBadRequest)
	}, status(200))
	own := "jobnotify: warning: STARTED notification: POST " + srv.URL + ": delivery failed after 1 attempt: 400 Bad Request (the exit status is the command's)\n"
	log, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	// The window is the last 64 KiB of what follows the start: a line of
	// 28 bytes with the secret, jobnotify's line, a run of carriage
	// returns (a progress bar, to Tail nothing) and "\ndone\n". The run's
	// length places the window's start 5 characters into the secret.
	crs := 11 + 65536 - 28 - len(own) - 6
	script := `printf 'token=%s\n' "$DEPLOY_API_TOKEN"; echo > "$0"
		head -c "$1" /dev/zero | tr '\0' '\r'; printf '\ndone\n'; exit 1`
	cmd := command(t, runOpts{config: runConfig(srv.URL), env: []string{"PATH=" + os.Getenv("PATH"), "DEPLOY_API_TOKEN=canary-log-token-4321"}},
		"run", "--tail", "5", "--", "/bin/sh", "-c", script, printed, strconv.Itoa(crs))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Run()
	if b, _ := os.ReadFile(log.Name()); !bytes.Contains(b, []byte(own)) {
		t.Fatalf("jobnotify's line is not %q:\n%q", own, b[max(0, len(b)-400):])
	}
	tail := deref(runPayloads(t, wantRequests(t, srv, 2))[1].Run.LogTail)
	if tail != "\ndone" {
		t.Errorf("log_tail %q, want %q", tail, "\ndone")
	}
}

// TestRunTailFromATruncatedLog: a log truncated while the command runs,
// and grown back past where it started, has a line, maybe a secret,
// across that point: it is not in the tail, in part.
func TestRunTailFromATruncatedLog(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the log is read back through /proc/self/fd on Linux")
	}
	srv := newRecorder(t)
	log, err := os.OpenFile(filepath.Join(t.TempDir(), "log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	log.WriteString(strings.Repeat("an earlier step's line\n", 50)[:999] + "\n") // the command starts at 1000
	script := `: > "$0"; head -c 990 /dev/zero | tr '\0' x; printf 'token=%s\ndone\n' "$DEPLOY_API_TOKEN"`
	cmd := command(t, runOpts{config: runConfig(srv.URL), env: []string{"PATH=" + os.Getenv("PATH"), "DEPLOY_API_TOKEN=canary-log-token-4321"}},
		"-q", "run", "--tail", "5", "--", "/bin/sh", "-c", script, log.Name())
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if tail := deref(runPayloads(t, wantRequests(t, srv, 2))[1].Run.LogTail); tail != "done" {
		t.Errorf("log_tail %q, want %q", tail, "done")
	}
}

// TestRunDryRunTail: a dry run's requests, printed into the log, are not
// the command's output.
func TestRunDryRunTail(t *testing.T) {
	log, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := command(t, runOpts{config: runConfig("http://127.0.0.1:9/hook")}, "run", "--dry-run", "--tail", "5", "--", "/bin/sh", "-c", "echo one; echo two")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(log.Name()); !bytes.Contains(b, []byte(`"log_tail":"one\ntwo"`)) {
		t.Errorf("the outcome's log_tail is not the command's two lines:\n%s", b)
	}
}

// TestRunStalledReader: a reader of stdout that stops reading does not
// hold jobnotify past an abort.
func TestRunStalledReader(t *testing.T) {
	srv := newRecorder(t)
	// A command that writes until it is killed, after --grace: whatever
	// the pipes hold, they fill.
	cmd := command(t, runOpts{config: runConfig(srv.URL), env: []string{"PATH=" + os.Getenv("PATH")}}, "run", "--tail", "3", "--grace", "100ms", "--", "/bin/sh", "-c", "trap '' TERM; exec yes")
	// stdout: a FIFO held open for reading here, and never read.
	fifo := mkfifo(t, "stdout.fifo")
	holder, err := syscall.Open(fifo, syscall.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(holder)
	w, err := syscall.Open(fifo, syscall.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := os.NewFile(uintptr(w), fifo)
	defer out.Close()
	cmd.Stdout = out
	stderr := startPiped(t, cmd)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "STARTED: POST") {
	}
	cmd.Process.Signal(syscall.SIGTERM)
	go io.Copy(io.Discard, stderr)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // a guard against a hang, not a measure
		cmd.Process.Kill()
		t.Fatal("jobnotify hangs on a stdout nobody reads")
	}
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Errorf("exit %d, want 143", code)
	}
}

// TestRunBrokenStderr: jobnotify's last line going nowhere does not
// change its exit status.
func TestRunBrokenStderr(t *testing.T) {
	srv := newRecorder(t)
	cmd := command(t, runOpts{config: runConfig(srv.URL)}, "run", "--", "/bin/sh", "-c", "echo ready 0; exec sleep 10")
	cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	_, lines := startRun(t, cmd)
	errPipe.Close() // jobnotify's stderr: a pipe with no reader
	<-srv.got       // the start is delivered
	cmd.Process.Signal(syscall.SIGTERM)
	for range lines {
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Errorf("exit %d (%v), want 143", code, cmd.ProcessState)
	}
}

// TestRunTargets: run sends each notification to every target its on
// takes, with the same ids; a problem with one target stops the command
// from running at all.
func TestRunTargets(t *testing.T) {
	a, b := newRecorder(t), newRecorder(t)
	cfg := multiConfig("", [2]string{"a", fmt.Sprintf("url = %q", a.URL)},
		[2]string{"b", fmt.Sprintf("url = %q\nformat = \"slack\"\non = [\"failure\"]", b.URL)})
	r := jobnotify(t, runOpts{config: cfg}, "run", "--target", "a,b", "--tail", "2", "--", "/bin/sh", "-c", "echo boom; exit 3")
	wantCode(t, r, 3)
	wantStderr(t, r, "jobnotify: a: STARTED: POST "+a.URL+" -> 200 OK", "jobnotify: b: STARTED: not sent: STARTED is none of on = [failure] (",
		"jobnotify: a: FAILURE: POST ", "jobnotify: b: FAILURE: POST ")
	ra, rb := a.requests(), b.requests()
	if len(ra) != 2 || len(rb) != 1 {
		t.Fatalf("requests %d and %d, want the pair and the failure alone\nstderr: %s", len(ra), len(rb), r.stderr)
	}
	if ra[1].Header.Get("Idempotency-Key") != rb[0].Header.Get("Idempotency-Key") {
		t.Errorf("the outcome's ids differ: %q, %q", ra[1].Header.Get("Idempotency-Key"), rb[0].Header.Get("Idempotency-Key"))
	}
	if !strings.Contains(string(rb[0].Body), "boom") || !strings.Contains(string(rb[0].Body), `"blocks"`) {
		t.Errorf("b's outcome: %s", rb[0].Body)
	}

	marker := filepath.Join(t.TempDir(), "ran")
	for _, problem := range []string{
		"[targets.b.headers]\nAuthorization = \"Bearer ${NO_SUCH_TOKEN}\"",
		"[targets.b.tls]\nca_file = \"no-such-ca.pem\"",
	} {
		bad := multiConfig("", [2]string{"a", fmt.Sprintf("url = %q", a.URL)},
			[2]string{"b", fmt.Sprintf("url = %q\n%s", b.URL, problem)})
		r = jobnotify(t, runOpts{config: bad}, "run", "--target", "a,b", "--", "/bin/sh", "-c", "touch "+marker)
		wantCode(t, r, 2)
		wantStderr(t, r, "target b: ")
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("%s: the command ran", problem)
		}
		if len(a.requests()) != 2 || len(b.requests()) != 1 {
			t.Errorf("%s: something was sent: %d, %d", problem, len(a.requests()), len(b.requests()))
		}
	}
}
