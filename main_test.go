package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
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
	"syscall"
	"testing"
)

// binary is the jobnotify binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jobnotify-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "jobnotify")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building jobnotify:", err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
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

func TestMethods(t *testing.T) {
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "post"} {
		t.Run(m, func(t *testing.T) {
			srv := newRecorder(t)
			r := jobnotify(t, runOpts{env: jenkinsEnv(t)}, "send", "-X", m, "--url", srv.URL+"/hook?keep=me", "--status", "SUCCESS", "-f", "stage=deploy")
			wantCode(t, r, 0)
			req := wantRequests(t, srv, 1)[0]
			if want := strings.ToUpper(m); req.Method != want {
				t.Errorf("method: got %s, want %s", req.Method, want)
			}
			if got := req.URL.Query().Get("keep"); got != "me" {
				t.Errorf("the URL's own parameter keep: got %q, want me", got)
			}
			if req.Method == "GET" {
				q := req.URL.Query()
				for k, want := range map[string]string{"job.name": "team/app", "build.number": "42", "status": "SUCCESS", "stage": "deploy"} {
					if got := q.Get(k); got != want {
						t.Errorf("query %s: got %q, want %q", k, got, want)
					}
				}
				if len(req.Body) != 0 || req.Header.Get("Content-Type") != "" {
					t.Errorf("GET sent a body (%d bytes) or Content-Type %q", len(req.Body), req.Header.Get("Content-Type"))
				}
				return
			}
			if ct := req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", ct)
			}
			p := decode(t, req.Body)
			if p["status"] != "SUCCESS" || p["stage"] != "deploy" || p["id"] != req.Header.Get("Idempotency-Key") {
				t.Errorf("payload status/stage/id: got %v/%v/%v, Idempotency-Key %q", p["status"], p["stage"], p["id"], req.Header.Get("Idempotency-Key"))
			}
			if ua := req.Header.Get("User-Agent"); !strings.HasPrefix(ua, "jobnotify/") {
				t.Errorf("User-Agent: got %q, want jobnotify/VERSION", ua)
			}
		})
	}
}

func TestBodySources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "body.json")
	if err := os.WriteFile(file, []byte(`{"from": "file", "n": 7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  map[string]any
	}{
		{"json", []string{"--body", `{"from": "flag", "nested": {"a": 1}}`}, "", map[string]any{"from": "flag", "nested": map[string]any{"a": float64(1)}}},
		{"file", []string{"--body", "@" + file}, "", map[string]any{"from": "file", "n": float64(7)}},
		{"stdin", []string{"--body", "-"}, `{"from": "stdin"}`, map[string]any{"from": "stdin"}},
		{"text", []string{"-b", "Deploy to prod failed"}, "", map[string]any{"message": "Deploy to prod failed"}},
		{"text from stdin", []string{"-b", "-"}, "hello\n", map[string]any{"message": "hello"}},
		{"field overrides body", []string{"-b", `{"from": "flag"}`, "-f", "from=field", "-f", "n:=3", "-f", "a.b=c"}, "",
			map[string]any{"from": "field", "n": float64(3), "a": map[string]any{"b": "c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t)
			r := jobnotify(t, runOpts{stdin: tt.stdin}, append([]string{"send", "--url", srv.URL}, tt.args...)...)
			wantCode(t, r, 0)
			p := decode(t, wantRequests(t, srv, 1)[0].Body)
			for k, want := range tt.want {
				if got, _ := json.Marshal(p[k]); string(got) != mustJSON(t, want) {
					t.Errorf("%s: got %s, want %s", k, got, mustJSON(t, want))
				}
			}
		})
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBadInput: every kind of bad input exits 2, sends nothing, and names
// the culprit.
func TestBadInput(t *testing.T) {
	srv := newRecorder(t)
	goodConfig := fmt.Sprintf("url = %q\n", srv.URL)
	tests := []struct {
		name   string
		opts   runOpts
		args   []string
		want   []string // in stderr
		absent string   // must not appear in stderr
	}{
		{name: "unknown key", opts: runOpts{config: goodConfig + "\n[heders]\nAuthorization = \"Bearer x\"\n"}, want: []string{"heders", ":3", "headers"}},
		{name: "unknown nested key", opts: runOpts{config: goodConfig + "[retry]\nattemps = 3\n"}, want: []string{"retry.attemps", ":3"}},
		{name: "bad toml", opts: runOpts{config: goodConfig + "method = \n"}, want: []string{":2:"}},
		{name: "bad duration", opts: runOpts{config: goodConfig + "timeout = \"ten\"\n"}, want: []string{"timeout", "ten"}},
		{name: "bad method in config", opts: runOpts{config: goodConfig + "method = \"FETCH\"\n"}, want: []string{"method", ":2", "FETCH"}},
		{name: "bad method flag", args: []string{"-X", "FETCH"}, want: []string{"--method", "FETCH"}},
		{name: "bad format", args: []string{"--format", "xml"}, want: []string{"--format", "xml"}},
		{name: "relative url", args: []string{"--url", "/hook"}, want: []string{"--url", "absolute"}},
		{name: "ftp url", args: []string{"--url", "ftp://127.0.0.1/x"}, want: []string{"--url", "http"}},
		{name: "no endpoint", opts: runOpts{config: "method = \"PUT\"\n"}, want: []string{"no endpoint"}},
		{name: "unset variable", opts: runOpts{config: goodConfig + "[headers]\nAuthorization = \"Bearer ${NOTIFY_TOKEN}\"\n"}, want: []string{"NOTIFY_TOKEN", "headers.Authorization", ":3"}},
		{name: "header with newline from variable", opts: runOpts{
			config: goodConfig + "[headers]\nX-Token = \"${TOK}\"\n", env: []string{"TOK=canary-crlf-secret\r\nX-Evil: 1"}},
			want: []string{"X-Token", "control character"}, absent: "canary-crlf-secret"},
		{name: "header with newline from flag", args: []string{"-H", "X-Api-Key: canary-flag-secret\nX-Evil: 1"}, want: []string{"X-Api-Key", "control character"}, absent: "canary-flag-secret"},
		{name: "header without colon", args: []string{"-H", "X-Foo"}, want: []string{"--header"}},
		{name: "bad header name", args: []string{"-H", "X Foo: y"}, want: []string{"X Foo"}},
		{name: "bad field", args: []string{"-f", "novalue"}, want: []string{"--field", "novalue"}},
		{name: "bad raw field", args: []string{"-f", "n:={oops"}, want: []string{"--field", "n"}},
		{name: "bad body json", args: []string{"-b", "{\n  \"a\": 1,\n  oops\n}"}, want: []string{"--body", "line 3, column 3"}},
		{name: "body array", args: []string{"-b", "[1,2]"}, want: []string{"--body", "array"}},
		{name: "body file missing", args: []string{"-b", "@/nonexistent/body.json"}, want: []string{"/nonexistent/body.json"}},
		{name: "config missing", args: []string{"--config", "/nonexistent/jobnotify.toml"}, want: []string{"/nonexistent/jobnotify.toml"}},
		{name: "unknown target", opts: runOpts{config: goodConfig + "[targets.chat]\nurl = \"http://127.0.0.1:1/x\"\n"}, args: []string{"--target", "chaat"}, want: []string{"chaat", "chat"}},
		{name: "bad output", args: []string{"-o", "yaml"}, want: []string{"--output"}},
		{name: "bad attempts", args: []string{"--attempts", "0"}, want: []string{"--attempts"}},
		{name: "bad id", args: []string{"--id", "a\nb"}, want: []string{"--id"}},
		{name: "unknown flag", args: []string{"--bogus"}, want: []string{"bogus"}},
		{name: "verbose and quiet", args: []string{"-v", "-q"}, want: []string{"--verbose", "--quiet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"send"}
			if tt.opts.config == "" && !contains(tt.args, "--url") {
				args = append(args, "--url", srv.URL)
			}
			r := jobnotify(t, tt.opts, append(args, tt.args...)...)
			wantCode(t, r, 2)
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not name %q", r.stderr, w)
				}
			}
			if tt.absent != "" && strings.Contains(r.stderr+r.stdout, tt.absent) {
				t.Errorf("output echoes the secret value: %q", r.stderr)
			}
		})
	}
	wantRequests(t, srv, 0)
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

func TestRetryThenSuccess(t *testing.T) {
	srv := newRecorder(t, status(503), status(503), status(200))
	r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL) + fast}, "send", "-s", "SUCCESS")
	wantCode(t, r, 0)
	reqs := wantRequests(t, srv, 3)
	for i, req := range reqs[1:] {
		if !bytes.Equal(req.Body, reqs[0].Body) {
			t.Errorf("attempt %d body differs from the first", i+2)
		}
		if got, want := req.Header.Get("Idempotency-Key"), reqs[0].Header.Get("Idempotency-Key"); got != want || got == "" {
			t.Errorf("attempt %d Idempotency-Key: got %q, want %q", i+2, got, want)
		}
	}
	for _, want := range []string{"attempt 1/4: 503 Service Unavailable; retrying in", "attempt 2/4: 503", "-> 200 OK (3 attempts"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestRetriedStatuses(t *testing.T) {
	for _, code := range []int{408, 429, 500, 502, 503, 504} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := newRecorder(t, status(code), status(204))
			r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL) + fast}, "send")
			wantCode(t, r, 0)
			wantRequests(t, srv, 2)
		})
	}
}

func TestNotRetried(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 409, 422, 501} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(code)
				io.WriteString(w, "bad \x1b[31mthing\x1b[0m\r\n[Pipeline] fake")
			})
			r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL) + fast}, "send")
			wantCode(t, r, 1)
			wantRequests(t, srv, 1)
			want := fmt.Sprintf("delivery failed after 1 attempt: %d %s: bad \\x1b[31mthing\\x1b[0m\\r\\n[Pipeline] fake", code, http.StatusText(code))
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr: got %q, want it to contain %q", r.stderr, want)
			}
		})
	}
}

func TestAttemptsExhausted(t *testing.T) {
	srv := newRecorder(t, status(503))
	r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL) + fast}, "send", "--attempts", "3")
	wantCode(t, r, 1)
	wantRequests(t, srv, 3)
	if !strings.Contains(r.stderr, "delivery failed after 3 attempts: 503 Service Unavailable") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

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

func TestConnectionRefused(t *testing.T) {
	r := jobnotify(t, runOpts{config: fast}, "send", "--url", deadURL(t), "--attempts", "2")
	wantCode(t, r, 1)
	for _, want := range []string{"attempt 1/2: connection refused; retrying", "delivery failed after 2 attempts: connection refused"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "canary-query-token") {
		t.Errorf("stderr shows the query: %s", r.stderr)
	}
}

func TestHangUpThenSuccess(t *testing.T) {
	srv := newRecorder(t, hangUp, status(200))
	r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL) + fast}, "send")
	wantCode(t, r, 0)
	wantRequests(t, srv, 2)
	if !strings.Contains(r.stderr, "attempt 1/4: server closed the connection without a response; retrying") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

func TestPerAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, status(200))
	defer close(release)
	r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\ntimeout = \"200ms\"\n", srv.URL) + fast}, "send")
	wantCode(t, r, 0)
	wantRequests(t, srv, 2)
	if !strings.Contains(r.stderr, "attempt 1/4: timeout: no response within 200ms") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Run("honoured", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
		}, status(200))
		r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n[retry]\nmin_wait = \"10ms\"\nmax_wait = \"5s\"\n", srv.URL)}, "send")
		wantCode(t, r, 0)
		wantRequests(t, srv, 2)
		if !strings.Contains(r.stderr, "attempt 1/4: 429 Too Many Requests; retrying in 1s") {
			t.Errorf("stderr: %s", r.stderr)
		}
	})
	t.Run("too long", func(t *testing.T) {
		srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(503)
		})
		r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL) + fast}, "send")
		wantCode(t, r, 1)
		wantRequests(t, srv, 1)
		if !strings.Contains(r.stderr, "Retry-After 1h0m0s, more than retry.max_wait 50ms") {
			t.Errorf("stderr: %s", r.stderr)
		}
	})
}

func TestRedirects(t *testing.T) {
	other := newRecorder(t)
	tests := []struct {
		name     string
		code     int
		location func(self string) string
		wantExit int
		wantSelf int // requests the first server sees
		wantMsg  string
	}{
		{"307 same host", 307, func(self string) string { return self + "/moved" }, 0, 2, "-> 200 OK"},
		{"308 same host", 308, func(self string) string { return "/moved" }, 0, 2, "-> 200 OK"},
		{"302 refused", 302, func(self string) string { return self + "/moved?token=canary-redirect" }, 1, 1, "302 Found: redirect to " + "%SELF%/moved not followed"},
		{"303 refused", 303, func(self string) string { return "/moved" }, 1, 1, "303 See Other: redirect to"},
		{"307 other host", 307, func(string) string { return other.URL + "/x" }, 1, 1, "redirect to " + other.URL + "/x not followed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *recorder
			srv = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", tt.location(srv.URL))
				w.WriteHeader(tt.code)
			}, status(200))
			r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n[headers]\nAuthorization = \"Bearer canary-redirect-token\"\n", srv.URL+"/hook") + fast}, "send", "-b", `{"x": 1}`)
			wantCode(t, r, tt.wantExit)
			reqs := wantRequests(t, srv, tt.wantSelf)
			if tt.wantSelf == 2 {
				if reqs[1].Method != "POST" || !bytes.Equal(reqs[1].Body, reqs[0].Body) || reqs[1].Header.Get("Authorization") != "Bearer canary-redirect-token" {
					t.Errorf("followed redirect: got %s with body %q and Authorization %q, want the same POST", reqs[1].Method, reqs[1].Body, reqs[1].Header.Get("Authorization"))
				}
			}
			if want := strings.ReplaceAll(tt.wantMsg, "%SELF%", srv.URL); !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
			if strings.Contains(r.stderr, "canary-redirect") {
				t.Errorf("stderr shows a secret: %s", r.stderr)
			}
		})
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the other host got %d requests, want 0", n)
	}
}

// signalAfter starts cmd, reads its stderr up to a line containing want,
// then sends sig. It returns the lines read and the rest of stderr, read
// to the end; the caller waits for cmd.
func signalAfter(t testing.TB, cmd *exec.Cmd, want string, sig syscall.Signal) (lines []string, rest []byte) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
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

func TestPrecedence(t *testing.T) {
	srv := newRecorder(t)
	cfg := fmt.Sprintf("url = %q\nmethod = \"PUT\"\n[fields]\nfrom = \"config\"\n[targets.t]\nmethod = \"PATCH\"\n", srv.URL+"/top")
	tests := []struct {
		name   string
		env    []string
		args   []string
		method string
	}{
		{"config", nil, nil, "PUT"},
		{"target", nil, []string{"--target", "t"}, "PATCH"},
		{"target from env", []string{"JOBNOTIFY_TARGET=t"}, nil, "PATCH"},
		{"env over target", []string{"JOBNOTIFY_METHOD=DELETE"}, []string{"--target", "t"}, "DELETE"},
		{"flag over env", []string{"JOBNOTIFY_METHOD=DELETE"}, []string{"--target", "t", "-X", "POST"}, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.requests())
			r := jobnotify(t, runOpts{config: cfg, env: tt.env}, append([]string{"send"}, tt.args...)...)
			wantCode(t, r, 0)
			reqs := wantRequests(t, srv, before+1)
			if got := reqs[before].Method; got != tt.method {
				t.Errorf("method: got %s, want %s", got, tt.method)
			}
		})
	}
	t.Run("url and status from env", func(t *testing.T) {
		other := newRecorder(t)
		r := jobnotify(t, runOpts{config: cfg, env: []string{"JOBNOTIFY_URL=" + other.URL, "JOBNOTIFY_STATUS=FAILURE"}}, "send")
		wantCode(t, r, 0)
		p := decode(t, wantRequests(t, other, 1)[0].Body)
		if p["status"] != "FAILURE" || p["from"] != "config" {
			t.Errorf("status/from: got %v/%v, want FAILURE/config", p["status"], p["from"])
		}
	})
}

func TestTargets(t *testing.T) {
	main, chat := newRecorder(t), newRecorder(t)
	cfg := fmt.Sprintf(`url = %q
[headers]
Authorization = "Bearer ${MAIN_TOKEN}"
[fields]
team = "platform"
[targets.chat]
url = "%s/hooks/${CHAT_HOOK_ID}"
[targets.chat.fields]
channel = "builds"
`, main.URL, chat.URL)
	env := []string{"MAIN_TOKEN=canary-main-token", "CHAT_HOOK_ID=canary-hook-id"}
	r := jobnotify(t, runOpts{config: cfg, env: env}, "send", "--target", "chat")
	wantCode(t, r, 0)
	req := wantRequests(t, chat, 1)[0]
	wantRequests(t, main, 0)
	if req.URL.Path != "/hooks/canary-hook-id" {
		t.Errorf("path: got %s", req.URL.Path)
	}
	p := decode(t, req.Body)
	if p["team"] != "platform" || p["channel"] != "builds" {
		t.Errorf("fields: got team=%v channel=%v", p["team"], p["channel"])
	}
	if strings.Contains(r.stderr, "canary-hook-id") {
		t.Errorf("stderr shows the expanded hook id: %s", r.stderr)
	}

	// The chat target is on another host:port than the top-level URL, so
	// the top-level Authorization header must not travel there.
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization sent to the chat target: %q", got)
	}
	if !strings.Contains(r.stderr, "not sending config header(s) Authorization") {
		t.Errorf("stderr does not warn about the dropped header: %s", r.stderr)
	}

	r = jobnotify(t, runOpts{config: cfg, env: env}, "send")
	wantCode(t, r, 0)
	if got := wantRequests(t, main, 1)[0].Header.Get("Authorization"); got != "Bearer canary-main-token" {
		t.Errorf("Authorization to the top-level URL: got %q", got)
	}
}

func TestLargeBody(t *testing.T) {
	blob := strings.Repeat("0123456789abcdef", 5<<20/16) // 5 MiB
	file := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(file, []byte(`{"blob": "`+blob+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := newRecorder(t, status(503), status(200))
	r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL) + fast}, "send", "-b", "@"+file)
	wantCode(t, r, 0)
	reqs := wantRequests(t, srv, 2)
	if !bytes.Equal(reqs[0].Body, reqs[1].Body) {
		t.Error("the two attempts sent different bodies")
	}
	if got := decode(t, reqs[1].Body)["blob"]; got != blob {
		t.Errorf("blob: got %d bytes, want %d identical bytes", len(fmt.Sprint(got)), len(blob))
	}
}

func TestManyVariables(t *testing.T) {
	env := jenkinsEnv(t)
	for i := range 3000 {
		env = append(env, fmt.Sprintf("DEPLOY_VAR_%04d=value-%d", i, i))
	}
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{env: env, config: fmt.Sprintf("url = %q\n[env]\ninclude = [\"DEPLOY_*\"]\n", srv.URL)}, "send")
	wantCode(t, r, 0)
	penv := decode(t, wantRequests(t, srv, 1)[0].Body)["env"].(map[string]any)
	for _, k := range []string{"DEPLOY_VAR_0000", "DEPLOY_VAR_2999", "DEPLOY_ENV", "BUILD_NUMBER"} {
		if _, ok := penv[k]; !ok {
			t.Errorf("env lacks %s", k)
		}
	}
	if _, ok := penv["DEPLOY_API_KEY"]; ok {
		t.Error("env has DEPLOY_API_KEY: an include glob let a secret through")
	}
	if n := len(penv); n < 3000 {
		t.Errorf("env has %d variables, want at least 3000", n)
	}
}

func TestOutputJSONAndSoftFail(t *testing.T) {
	ok := newRecorder(t)
	r := jobnotify(t, runOpts{}, "send", "--url", ok.URL, "-o", "json", "--id", "fixed-id")
	wantCode(t, r, 0)
	var res map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v: %q", err, r.stdout)
	}
	if res["delivered"] != true || res["status_code"] != float64(200) || res["attempts"] != float64(1) || res["id"] != "fixed-id" {
		t.Errorf("result: got %v", res)
	}

	bad := newRecorder(t, status(500))
	r = jobnotify(t, runOpts{config: fast}, "send", "--url", bad.URL, "--attempts", "2", "--soft-fail", "-o", "json")
	wantCode(t, r, 0)
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v: %q", err, r.stdout)
	}
	if res["delivered"] != false || res["error_class"] != "status" || res["attempts"] != float64(2) {
		t.Errorf("result: got %v", res)
	}
	if !strings.Contains(r.stderr, "warning: delivery failed after 2 attempts") {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = jobnotify(t, runOpts{env: []string{"JOBNOTIFY_SOFT_FAIL=true"}, config: fast}, "send", "--url", bad.URL, "--attempts", "1")
	wantCode(t, r, 0)
}

func TestQuietAndVerbose(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Reply", "yes")
		io.WriteString(w, `{"ok": true}`)
	})
	r := jobnotify(t, runOpts{}, "send", "--url", srv.URL, "-q")
	wantCode(t, r, 0)
	if r.stderr != "" || r.stdout != "" {
		t.Errorf("--quiet printed: stdout %q stderr %q", r.stdout, r.stderr)
	}
	r = jobnotify(t, runOpts{}, "--verbose", "send", "--url", srv.URL)
	wantCode(t, r, 0)
	for _, want := range []string{"> POST " + srv.URL, "> Idempotency-Key: ", "< 200 OK", "< X-Reply: yes", `< {"ok": true}`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("--verbose stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestDryRun(t *testing.T) {
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{}, "send", "--dry-run", "--url", srv.URL+"/hook", "--status", "SUCCESS", "--field", "stage=build", "-H", "Authorization: Bearer canary-dry-token")
	wantCode(t, r, 0)
	wantRequests(t, srv, 0)
	for _, want := range []string{"POST " + srv.URL + "/hook\n", "Authorization: ***\n", "Content-Type: application/json\n", `"stage":"build"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "canary-dry-token") {
		t.Error("dry run shows the token")
	}
}

// TestREADMEQuickStart runs the README's first command as written.
func TestREADMEQuickStart(t *testing.T) {
	r := jobnotify(t, runOpts{}, "send", "--dry-run", "--url", "https://api.example.com/pipeline/status", "--status", "SUCCESS", "--field", "stage=build")
	wantCode(t, r, 0)
	if !strings.HasPrefix(r.stdout, "POST https://api.example.com/pipeline/status\n") {
		t.Errorf("dry run: %s", r.stdout)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := jobnotify(t, runOpts{}, args...)
		wantCode(t, r, 0)
		if !strings.HasPrefix(r.stdout, "jobnotify version ") {
			t.Errorf("%v: got %q", args, r.stdout)
		}
	}
}

// canaries are planted secrets; none may appear in any output, raw or encoded.
var canaries = []string{
	"canary-env-token-1234", "canary-literal-apikey", "canary-flag-secret", "canary-url-password",
	"canary-query-secret", "ghp_canaryGithubToken0123456789", "canary-aws-secret-access-key",
	"gh-canary-userinfo-token", "canary-deploy-api-key", "canary-deploy-hook-id",
}

func leaks(out string) []string {
	var found []string
	for _, c := range canaries {
		for _, form := range []string{c, base64.StdEncoding.EncodeToString([]byte(c)), base64.RawURLEncoding.EncodeToString([]byte(c)), url.QueryEscape(c)} {
			if strings.Contains(out, form) {
				found = append(found, form)
			}
		}
	}
	return found
}

func TestCanarySecrets(t *testing.T) {
	echo := func(code int) http.HandlerFunc {
		// A server that echoes back everything it got, as some do in errors.
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			r.Header.Write(w)
			fmt.Fprintf(w, "%s %s", r.URL, base64.StdEncoding.EncodeToString([]byte(r.Header.Get("X-Api-Key"))))
		}
	}
	okSrv, failSrv := newRecorder(t, echo(200)), newRecorder(t, echo(400))
	cfgFor := func(srv *recorder) string {
		u, _ := url.Parse(srv.URL)
		return fmt.Sprintf(`url = "http://deploy:canary-url-password@%s/hook?token=canary-query-secret"
[headers]
Authorization = "Bearer ${NOTIFY_TOKEN}"
X-Api-Key = "canary-literal-apikey"
X-Hook-Id = "${DEPLOY_HOOK}"
[env]
include = ["DEPLOY_*", "*"]
`, u.Host)
	}
	// DEPLOY_HOOK matches the include glob and is not secret-named: only
	// its use in a ${VAR} keeps it out of the payload.
	env := append(jenkinsEnv(t), "NOTIFY_TOKEN=canary-env-token-1234", "DEPLOY_HOOK=canary-deploy-hook-id")
	flagHeader := []string{"-H", "X-Auth-Token: canary-flag-secret"}
	runs := []struct {
		name string
		srv  *recorder
		args []string
		code int
	}{
		{"send", okSrv, append([]string{"send", "-s", "SUCCESS"}, flagHeader...), 0},
		{"send verbose", okSrv, append([]string{"--verbose", "send"}, flagHeader...), 0},
		{"send failure", failSrv, append([]string{"send", "-v"}, flagHeader...), 1},
		{"send json", failSrv, append([]string{"send", "-o", "json"}, flagHeader...), 1},
		{"dry run", okSrv, append([]string{"send", "--dry-run", "-X", "GET"}, flagHeader...), 0},
		{"validate", okSrv, []string{"validate"}, 0},
		{"env", okSrv, []string{"env"}, 0},
	}
	for _, tt := range runs {
		t.Run(tt.name, func(t *testing.T) {
			r := jobnotify(t, runOpts{config: cfgFor(tt.srv), env: env}, tt.args...)
			wantCode(t, r, tt.code)
			if found := leaks(r.stdout + r.stderr); len(found) > 0 {
				t.Errorf("output leaks %q:\nstdout: %s\nstderr: %s", found, r.stdout, r.stderr)
			}
		})
	}
	// What the endpoint received: the configured headers, and no
	// secret-named variable or userinfo in the payload.
	req := okSrv.requests()[0]
	if req.Header.Get("Authorization") != "Bearer canary-env-token-1234" || req.Header.Get("X-Api-Key") != "canary-literal-apikey" {
		t.Errorf("configured headers not sent: %v", req.Header)
	}
	penv := decode(t, req.Body)["env"].(map[string]any)
	for _, k := range []string{"GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "SSH_PRIVATE_KEY", "DEPLOY_API_KEY", "NOTIFY_TOKEN", "DEPLOY_HOOK"} {
		if _, ok := penv[k]; ok {
			t.Errorf("payload env has %s", k)
		}
	}
	if strings.Contains(string(req.Body), "canary") {
		t.Errorf("payload carries a canary: %s", req.Body)
	}
}

// TestProxy: HTTP_PROXY is honoured. The made-up host is only ever seen by
// the proxy, a recorder on 127.0.0.1, so nothing resolves it.
func TestProxy(t *testing.T) {
	proxy := newRecorder(t)
	r := jobnotify(t, runOpts{env: []string{"HTTP_PROXY=" + proxy.URL}}, "send", "--url", "http://notify.invalid/hook", "-s", "SUCCESS")
	wantCode(t, r, 0)
	req := wantRequests(t, proxy, 1)[0]
	if req.URL.Host != "notify.invalid" || req.URL.Path != "/hook" {
		t.Errorf("proxy saw %s, want http://notify.invalid/hook", req.URL)
	}
	if p := decode(t, req.Body); p["status"] != "SUCCESS" {
		t.Errorf("status through the proxy: got %v", p["status"])
	}

	// NO_PROXY names the host, so the request goes direct, to the
	// recorder's own 127.0.0.1 address, and the proxy sees nothing more.
	direct := newRecorder(t)
	u, _ := url.Parse(direct.URL)
	r = jobnotify(t, runOpts{env: []string{"HTTP_PROXY=" + proxy.URL, "NO_PROXY=127.0.0.1"}}, "send", "--url", "http://"+u.Host+"/x")
	wantCode(t, r, 0)
	wantRequests(t, direct, 1)
	wantRequests(t, proxy, 1)
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
