package main

// End-to-end tests of `jobnotify listen`: one binary listens on
// 127.0.0.1:0, another sends to it, and the tests read what the first
// printed. They synchronise on output lines, never on sleeps: a send that
// has exited has had its answer, and listen prints a request's block
// before it answers.

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	listenToken   = "listen-canary-token-5678" // behind ${NOTIFY_TOKEN} in the sender's env only
	listenTimeout = 20 * time.Second
)

var (
	listenKeyA    = "whsec_" + base64.StdEncoding.EncodeToString([]byte("listen-e2e-signing-key-AAAAAAAA"))
	listenKeyB    = "whsec_" + base64.StdEncoding.EncodeToString([]byte("listen-e2e-signing-key-BBBBBBBB"))
	listenAddrRE  = regexp.MustCompile(`listening on http://([^/ ]+)/ \(Ctrl-C to stop\)`)
	listenBlockRE = regexp.MustCompile(`(?m)^--- (\d+) (\S+) (\S+) \(from [^)]+\) -> (\d+)(?: \(([^)]*)\))?$`)
)

// listenSigning is a [signing] table for a scheme whose secret comes from
// ${LISTEN_SECRET}.
func listenSigning(scheme string) string {
	return fmt.Sprintf("[signing]\nscheme = %q\nsecret = \"${LISTEN_SECRET}\"\n", scheme)
}

// listener is a running `jobnotify listen`.
type listener struct {
	cmd  *exec.Cmd
	addr string // host:port it bound

	mu       sync.Mutex
	stdout   []string
	stderr   []string
	errLines chan string
	done     chan struct{} // closed when both pipes are at EOF
}

// startListen starts `jobnotify listen --addr 127.0.0.1:0 ARGS…` and
// returns once it has printed the address it listens on. It is killed,
// if still running, when the test ends.
func startListen(t *testing.T, o runOpts, args ...string) *listener {
	t.Helper()
	cmd := command(t, o, append([]string{"listen", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := startPiped(t, cmd)
	l := &listener{cmd: cmd, errLines: make(chan string, 100), done: make(chan struct{})}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-l.done
			cmd.Wait()
		}
	})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			l.mu.Lock()
			l.stdout = append(l.stdout, sc.Text())
			l.mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		defer close(l.errLines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			l.mu.Lock()
			l.stderr = append(l.stderr, sc.Text())
			l.mu.Unlock()
			select {
			case l.errLines <- sc.Text():
			default:
			}
		}
	}()
	go func() { wg.Wait(); close(l.done) }()

	timeout := time.After(listenTimeout)
	for {
		select {
		case line, ok := <-l.errLines:
			if !ok {
				<-l.done
				cmd.Wait()
				t.Fatalf("listen exited before it listened (%v)\nstderr: %s", cmd.ProcessState, l.output(&l.stderr))
			}
			if m := listenAddrRE.FindStringSubmatch(line); m != nil {
				l.addr = m[1]
				if !strings.HasPrefix(l.addr, "127.0.0.1:") || strings.HasSuffix(l.addr, ":0") {
					t.Fatalf("listen bound %s, want 127.0.0.1 and a port of its own", l.addr)
				}
				return l
			}
		case <-timeout:
			t.Fatalf("listen printed no address within %v\nstderr: %s", listenTimeout, l.output(&l.stderr))
		}
	}
}

func (l *listener) output(lines *[]string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(*lines, "\n")
}

func (l *listener) url(path string) string { return "http://" + l.addr + path }

// stop sends sig and returns what listen printed and its exit code.
func (l *listener) stop(t *testing.T, sig syscall.Signal) result {
	t.Helper()
	if err := l.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.done:
	case <-time.After(listenTimeout):
		t.Fatalf("listen still running %v after %v", listenTimeout, sig)
	}
	err := l.cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("listen was killed by %v instead of stopping: %v", ws.Signal(), err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	stdout := l.output(&l.stdout)
	if stdout != "" {
		stdout += "\n"
	}
	return result{stdout, l.output(&l.stderr), code}
}

// block is one request as listen printed it.
type block struct {
	n                  string
	method, path, code string
	note               string
	text               string // the whole block
}

func blocks(stdout string) []block {
	var out []block
	idx := listenBlockRE.FindAllStringSubmatchIndex(stdout, -1)
	for i, m := range idx {
		end := len(stdout)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		b := block{n: stdout[m[2]:m[3]], method: stdout[m[4]:m[5]], path: stdout[m[6]:m[7]], code: stdout[m[8]:m[9]], text: stdout[m[0]:end]}
		if m[10] >= 0 {
			b.note = stdout[m[10]:m[11]]
		}
		out = append(out, b)
	}
	return out
}

func wantBlocks(t testing.TB, r result, n int) []block {
	t.Helper()
	bs := blocks(r.stdout)
	if len(bs) != n {
		t.Fatalf("listen printed %d requests, want %d\nstdout:\n%s", len(bs), n, r.stdout)
	}
	return bs
}

func wantIn(t testing.TB, what, text string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(text, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, text)
		}
	}
}

// senderConfig is a sender's config: a token header from ${NOTIFY_TOKEN}
// and what else is given.
func senderConfig(l *listener, extra ...string) string {
	// The header belongs to listen's origin: config headers go only there.
	return fmt.Sprintf("url = %q\n", l.url("/")) + "[headers]\nAuthorization = \"Bearer ${NOTIFY_TOKEN}\"\n" + strings.Join(extra, "")
}

func TestListenShowsASend(t *testing.T) {
	for _, tt := range []struct {
		scheme, secret, sigHeader string
	}{
		{"standard-webhooks", listenKeyA, "Webhook-Signature: ***\n"},
		{"hmac-sha256", "listen-hub-secret-1", "X-Hub-Signature-256: ***\n"},
	} {
		t.Run(tt.scheme, func(t *testing.T) {
			// listen's environment lacks the token: it hides it by the
			// header's name, not because its redactor knows the value.
			l := startListen(t, runOpts{config: listenSigning(tt.scheme), env: []string{"LISTEN_SECRET=" + tt.secret}})
			send := jobnotify(t, runOpts{
				config: senderConfig(l, listenSigning(tt.scheme)),
				env:    []string{"NOTIFY_TOKEN=" + listenToken, "LISTEN_SECRET=" + tt.secret},
			}, "send", "--url", l.url("/hook?build=42"), "--id", "listen-e2e-id-1", "-s", "SUCCESS",
				"--body", `{"message":"hello from the test"}`, "-f", "stage=deploy", "-f", "ansi=\x1b[31mred")
			wantCode(t, send, 0)
			r := l.stop(t, syscall.SIGINT)
			wantCode(t, r, 0)
			b := wantBlocks(t, r, 1)[0]
			if b.n != "1" || b.method != "POST" || b.path != "/hook" || b.code != "200" || b.note != "" {
				t.Errorf("first line: got %q %s %s -> %s (%s), want 1 POST /hook -> 200", b.n, b.method, b.path, b.code, b.note)
			}
			wantIn(t, "listen's output", b.text,
				"Authorization: ***\n",
				tt.sigHeader,
				"Content-Type: application/json\n",
				"Idempotency-Key: listen-e2e-id-1\n",
				"User-Agent: jobnotify/",
				"query:\n  build=42\n",
				"signature: valid\n",
				"\n  \"ansi\": \"\\u001b[31mred\",\n", // JSON's \u001b, never a raw ESC
				"\n  \"id\": \"listen-e2e-id-1\",\n",
				"\n  \"message\": \"hello from the test\",\n",
				"\n  \"stage\": \"deploy\",\n",
				"\n  \"status\": \"SUCCESS\",\n",
				"\n}\n",
			)
			for _, secret := range []string{listenToken, base64.StdEncoding.EncodeToString([]byte(listenToken)), tt.secret} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("listen printed the secret %q\nstdout: %s\nstderr: %s", secret, r.stdout, r.stderr)
				}
			}
			if strings.ContainsRune(r.stdout, '\x1b') {
				t.Errorf("listen printed a raw escape character:\n%q", r.stdout)
			}
		})
	}
}

func TestListenBadSignature(t *testing.T) {
	l := startListen(t, runOpts{config: listenSigning("standard-webhooks"), env: []string{"LISTEN_SECRET=" + listenKeyA}})
	sender := func(cfg, secret string) runOpts {
		return runOpts{config: cfg, env: []string{"NOTIFY_TOKEN=" + listenToken, "LISTEN_SECRET=" + secret}}
	}
	// Signed with another secret, then not signed at all, then signed with
	// both the old and the new secret (rotation): listen knows only the
	// first. An invalid signature is answered 401, so the sender sees it
	// refused (and does not retry it).
	for _, bad := range []result{
		jobnotify(t, sender(senderConfig(l, listenSigning("standard-webhooks")), listenKeyB), "send", "--url", l.url("/other-key")),
		jobnotify(t, sender(senderConfig(l), ""), "send", "--url", l.url("/unsigned")),
	} {
		wantCode(t, bad, 1)
		wantIn(t, "send's stderr", bad.stderr, "after 1 attempt: 401 Unauthorized")
	}
	wantCode(t, jobnotify(t, sender(senderConfig(l, listenSigning("standard-webhooks")), listenKeyB+" "+listenKeyA), "send", "--url", l.url("/rotated")), 0)
	r := l.stop(t, syscall.SIGTERM)
	wantCode(t, r, 0)
	bs := wantBlocks(t, r, 3)
	for i, want := range []struct{ path, sig, code string }{
		{"/other-key", "signature: INVALID (no signature matches)\n", "401"},
		{"/unsigned", "signature: INVALID (missing webhook-id, webhook-timestamp and webhook-signature headers)\n", "401"},
		{"/rotated", "signature: valid\n", "200"},
	} {
		if bs[i].path != want.path || bs[i].code != want.code {
			t.Errorf("request %d: got %s -> %s, want %s -> %s", i+1, bs[i].path, bs[i].code, want.path, want.code)
		}
		wantIn(t, "request "+want.path, bs[i].text, want.sig)
	}
	if strings.Contains(r.stdout, listenToken) {
		t.Errorf("listen printed the token:\n%s", r.stdout)
	}
}

func TestListenFailCausesRetries(t *testing.T) {
	l := startListen(t, runOpts{}, "--fail", "2")
	retry := "[retry]\nattempts = 4\nmin_wait = \"10ms\"\nmax_wait = \"50ms\"\nmax_time = \"20s\"\n"
	send := jobnotify(t, runOpts{config: senderConfig(l, retry), env: []string{"NOTIFY_TOKEN=" + listenToken}},
		"send", "--url", l.url("/hook"), "-s", "FAILURE")
	wantCode(t, send, 0)
	wantIn(t, "send's stderr", send.stderr,
		"attempt 1/4: 503 Service Unavailable; retrying in",
		"attempt 2/4: 503 Service Unavailable; retrying in",
		"-> 200 OK (3 attempts,",
	)
	r := l.stop(t, syscall.SIGINT)
	wantCode(t, r, 0)
	bs := wantBlocks(t, r, 3)
	for i, want := range []struct{ code, note string }{
		{"503", "failing on purpose: 1 of 2"},
		{"503", "failing on purpose: 2 of 2"},
		{"200", ""},
	} {
		if bs[i].n != fmt.Sprint(i+1) || bs[i].code != want.code || bs[i].note != want.note {
			t.Errorf("request %d: got --- %s -> %s (%s), want --- %d -> %s (%s)", i+1, bs[i].n, bs[i].code, bs[i].note, i+1, want.code, want.note)
		}
	}
	// One delivery: the same Idempotency-Key every time.
	key := regexp.MustCompile(`(?m)^Idempotency-Key: (.+)$`)
	first := key.FindStringSubmatch(bs[0].text)
	if first == nil {
		t.Fatalf("no Idempotency-Key in:\n%s", bs[0].text)
	}
	for _, b := range bs[1:] {
		if m := key.FindStringSubmatch(b.text); m == nil || m[1] != first[1] {
			t.Errorf("request %s: Idempotency-Key %v, want %s", b.n, m, first[1])
		}
	}
}

func TestListenStatus(t *testing.T) {
	l := startListen(t, runOpts{}, "--status", "404")
	send := jobnotify(t, runOpts{}, "send", "--url", l.url("/missing"))
	wantCode(t, send, 1)
	wantIn(t, "send's stderr", send.stderr, "404 Not Found")
	r := l.stop(t, syscall.SIGINT)
	if b := wantBlocks(t, r, 1)[0]; b.code != "404" {
		t.Errorf("answer: got %s, want 404", b.code)
	}
}

// TestListenSignals checks that SIGINT and SIGTERM, the way to stop
// listen, stop it cleanly: exit 0, nothing printed but the address.
func TestListenSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			l := startListen(t, runOpts{})
			r := l.stop(t, sig)
			wantCode(t, r, 0)
			if r.stdout != "" {
				t.Errorf("stdout: got %q, want nothing", r.stdout)
			}
			if lines := strings.Split(r.stderr, "\n"); len(lines) != 1 {
				t.Errorf("stderr: got %q, want only the listening line", r.stderr)
			}
		})
	}
}

func TestListenBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--status", "42"}, "jobnotify: --status: 42 is not an HTTP status code from 200 to 599\n"},
		{[]string{"--status", "99"}, "jobnotify: --status: 99 is not an HTTP status code from 200 to 599\n"},
		{[]string{"--fail", "-1"}, "jobnotify: --fail: -1: want 0 or more requests\n"},
		{[]string{"--addr", "nowhere"}, "jobnotify: --addr: address \"nowhere\": want HOST:PORT"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := jobnotify(t, runOpts{}, append([]string{"listen"}, tt.args...)...)
			wantCode(t, r, 2)
			wantIn(t, "stderr", r.stderr, tt.want)
			if strings.Contains(r.stderr, "listening on") {
				t.Errorf("stderr: got %q, want no listening line", r.stderr)
			}
		})
	}
}
