package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// binary is the jobnotify binary built once for the end-to-end tests.
var binary string

// TestMain serves two kinds of test. Started by go test, it builds the
// binary for the end-to-end tests, then runs every test; testscript.Main
// also puts a "jobnotify" command on the scripts' PATH (see script_test.go).
// Started by a script as "jobnotify", the test binary is the program
// itself: testscript.Main runs main, and never builds or runs a test.
func TestMain(m *testing.M) {
	testscript.Main(buildFirst{m}, map[string]func(){"jobnotify": main})
}

// buildFirst builds the binary before running the tests, and removes it
// after. It runs only in the test process, never in a script's jobnotify.
type buildFirst struct{ m *testing.M }

func (b buildFirst) Run() int {
	dir, err := os.MkdirTemp("", "jobnotify-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "jobnotify")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building jobnotify:", err)
		return 2
	}
	return b.m.Run()
}

// received is one request as the server saw it.
type received struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
}

// recorder is an HTTP server on 127.0.0.1 that records every request and
// answers from a script: reply i answers request i, the last one repeats,
// and no script means 200.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []received
	script []http.HandlerFunc
	got    chan struct{} // receives once per request, after it is recorded
}

func newRecorder(t testing.TB, script ...http.HandlerFunc) *recorder {
	t.Helper()
	r := &recorder{script: script, got: make(chan struct{}, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	n := len(r.reqs)
	r.reqs = append(r.reqs, received{req.Method, req.URL, req.Header.Clone(), body})
	var h http.HandlerFunc
	if len(r.script) > 0 {
		h = r.script[min(n, len(r.script)-1)]
	}
	r.mu.Unlock()
	r.got <- struct{}{}
	if h == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	h(w, req)
}

func (r *recorder) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.reqs...)
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// hangUp closes the connection without answering.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	c, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		c.Close()
	}
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

type runOpts struct {
	env    []string // K=V added to a minimal environment
	stdin  string
	config string // TOML written to a file passed as --config
}

// jobnotify runs the binary with a minimal environment: HOME is an empty
// temporary directory, so no config is found unless the test gives one.
func jobnotify(t testing.TB, o runOpts, args ...string) result {
	t.Helper()
	cmd := command(t, o, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running jobnotify: %v", err)
	}
	return result{out.String(), errb.String(), code}
}

func command(t testing.TB, o runOpts, args ...string) *exec.Cmd {
	t.Helper()
	home := t.TempDir()
	if o.config != "" {
		p := filepath.Join(home, "jobnotify.toml")
		if err := os.WriteFile(p, []byte(o.config), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--config", p}, args...)
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"HOME=" + home}, o.env...)
	cmd.Stdin = strings.NewReader(o.stdin)
	return cmd
}

func wantCode(t testing.TB, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code: got %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
}

func wantRequests(t testing.TB, srv *recorder, n int) []received {
	t.Helper()
	reqs := srv.requests()
	if len(reqs) != n {
		t.Fatalf("requests: got %d, want %d", len(reqs), n)
	}
	return reqs
}

func decode(t testing.TB, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%.300s", err, body)
	}
	return m
}

func jenkinsEnv(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/jenkins.env")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// fast makes retries quick for tests.
var fast = "[retry]\nmin_wait = \"10ms\"\nmax_wait = \"50ms\"\nmax_time = \"20s\"\n"

func deadURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/hook?token=canary-query-token"
}

// tokenEnv sets the canary behind ${NOTIFY_TOKEN}; tokenHeaders uses it.
var tokenEnv = []string{"NOTIFY_TOKEN=canary-env-token-1234"}

const tokenHeaders = "[headers]\nAuthorization = \"Bearer ${NOTIFY_TOKEN}\"\n"

// fastRetry is `fast` with a number of attempts.
func fastRetry(attempts int) string {
	return fmt.Sprintf("[retry]\nattempts = %d\nmin_wait = \"10ms\"\nmax_wait = \"50ms\"\nmax_time = \"20s\"\n", attempts)
}

func noLeaks(t testing.TB, r result) {
	t.Helper()
	if found := leaks(r.stdout + r.stderr); len(found) > 0 {
		t.Errorf("output leaks %q\nstdout: %s\nstderr: %s", found, r.stdout, r.stderr)
	}
}

func wantStderr(t testing.TB, r result, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
}

// wantToken checks that every request carried the expanded canary token.
func wantToken(t testing.TB, reqs []received) {
	t.Helper()
	for i, req := range reqs {
		if got := req.Header.Get("Authorization"); got != "Bearer canary-env-token-1234" {
			t.Errorf("request %d Authorization: got %q, want the expanded token", i+1, got)
		}
	}
}

// wantSameDelivery checks that every attempt carried the first one's id
// and body, byte for byte.
func wantSameDelivery(t testing.TB, reqs []received) {
	t.Helper()
	id := reqs[0].Header.Get("Idempotency-Key")
	if id == "" {
		t.Fatal("no Idempotency-Key")
	}
	for i, req := range reqs[1:] {
		if got := req.Header.Get("Idempotency-Key"); got != id {
			t.Errorf("attempt %d Idempotency-Key: got %q, want %q", i+2, got, id)
		}
		if !bytes.Equal(req.Body, reqs[0].Body) {
			t.Errorf("attempt %d body differs from the first (%d vs %d bytes)", i+2, len(req.Body), len(reqs[0].Body))
		}
	}
}

// writeConfig writes a config file and sets its mode with chmod, so the
// umask does not decide it.
func writeConfig(t testing.TB, dir, text string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// runCmd runs a prepared command and also returns its process state.
func runCmd(t testing.TB, cmd *exec.Cmd) (result, *os.ProcessState) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running jobnotify: %v", err)
	}
	return result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}, cmd.ProcessState
}

// jobnotifyConfig runs the binary with --config path.
func jobnotifyConfig(t testing.TB, path string, env []string, args ...string) result {
	t.Helper()
	r, _ := runCmd(t, command(t, runOpts{env: env}, append([]string{"--config", path}, args...)...))
	return r
}

// startPiped starts cmd and returns its stderr, to read as it runs.
func startPiped(t testing.TB, cmd *exec.Cmd) io.Reader {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return stderr
}

// reset forgets the requests received so far.
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = nil
	for len(r.got) > 0 {
		<-r.got
	}
}
