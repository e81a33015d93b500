package main

// End-to-end tests of issue 3, "Delivery you can trust": byte-level
// faults, Retry-After, max_time, signals, huge and hostile responses,
// proxies, TLS, signing, the spool and config file permissions. Every
// server is on 127.0.0.1 and nothing resolves a name: a made-up host is
// only ever seen by a proxy that is one of ours.

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

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

// rawServer is a TCP server on 127.0.0.1 that hands each connection,
// numbered from 0, to a handler free to misbehave at the byte level.
// Handlers that wait must also stop when done is closed.
type rawServer struct {
	ln     net.Listener
	URL    string
	done   chan struct{}
	handle func(s *rawServer, n int, c *net.TCPConn, br *bufio.Reader)
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
	reqs   []received
}

func newRawServer(t testing.TB, handle func(s *rawServer, n int, c *net.TCPConn, br *bufio.Reader)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, URL: "http://" + ln.Addr().String(), done: make(chan struct{}), handle: handle}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *rawServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		n := len(s.conns)
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.handle(s, n, c.(*net.TCPConn), bufio.NewReader(c))
		}()
	}
}

func (s *rawServer) close() {
	close(s.done)
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *rawServer) record(r received) {
	s.mu.Lock()
	s.reqs = append(s.reqs, r)
	s.mu.Unlock()
}

// readRequest reads one whole request and records it.
func (s *rawServer) readRequest(br *bufio.Reader) (received, error) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return received{}, err
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return received{}, err
	}
	r := received{req.Method, req.URL, req.Header, body}
	s.record(r)
	return r, nil
}

func (s *rawServer) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.reqs...)
}

func (s *rawServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

const ok200 = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

// answerOK reads a request and answers 200.
func answerOK(s *rawServer, c *net.TCPConn, br *bufio.Reader) {
	if _, err := s.readRequest(br); err == nil {
		io.WriteString(c, ok200)
	}
}

// TestReliabRawFaults: a first connection that fails at the byte level is
// retried, and the retry carries the same id and the same bytes.
func TestReliabRawFaults(t *testing.T) {
	blob := strings.Repeat("0123456789abcdef", 4<<20/16) // 4 MiB
	file := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(file, []byte(`{"blob": "`+blob+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		first  func(s *rawServer, c *net.TCPConn, br *bufio.Reader)
		prefix bool // the first attempt's body was only partly read
		want   string
	}{
		{
			name: "reset mid-body",
			first: func(s *rawServer, c *net.TCPConn, br *bufio.Reader) {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				part := make([]byte, 64<<10)
				n, _ := io.ReadFull(req.Body, part)
				s.record(received{req.Method, req.URL, req.Header, part[:n]})
				c.SetLinger(0) // close sends RST
				c.Close()
			},
			prefix: true,
			want:   "attempt 1/4: ",
		},
		{
			name: "EOF without a response",
			first: func(s *rawServer, c *net.TCPConn, br *bufio.Reader) {
				s.readRequest(br)
			},
			want: "attempt 1/4: server closed the connection without a response; retrying",
		},
		{
			name: "garbage instead of HTTP",
			first: func(s *rawServer, c *net.TCPConn, br *bufio.Reader) {
				if _, err := s.readRequest(br); err == nil {
					io.WriteString(c, "HELLO\r\n\r\n")
				}
			},
			want: `malformed HTTP response "HELLO"; retrying`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, func(s *rawServer, n int, c *net.TCPConn, br *bufio.Reader) {
				if n == 0 {
					tt.first(s, c, br)
					return
				}
				answerOK(s, c, br)
			})
			cfg := fmt.Sprintf("url = %q\n", srv.URL+"/hook") + fast + tokenHeaders
			r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send", "-b", "@"+file)
			wantCode(t, r, 0)
			if n := srv.connections(); n != 2 {
				t.Errorf("connections: got %d, want 2", n)
			}
			reqs := srv.requests()
			if len(reqs) != 2 {
				t.Fatalf("requests: got %d, want 2", len(reqs))
			}
			wantToken(t, reqs)
			if tt.prefix {
				if reqs[0].Header.Get("Idempotency-Key") != reqs[1].Header.Get("Idempotency-Key") ||
					reqs[0].Header.Get("Content-Length") != reqs[1].Header.Get("Content-Length") ||
					!bytes.HasPrefix(reqs[1].Body, reqs[0].Body) {
					t.Errorf("the retry is not the same request: Idempotency-Key %q/%q, Content-Length %q/%q",
						reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key"),
						reqs[0].Header.Get("Content-Length"), reqs[1].Header.Get("Content-Length"))
				}
			} else {
				wantSameDelivery(t, reqs)
			}
			p := decode(t, reqs[1].Body)
			if p["blob"] != blob || p["id"] != reqs[1].Header.Get("Idempotency-Key") {
				t.Errorf("the delivered body is not the 4 MiB payload with its id")
			}
			wantStderr(t, r, tt.want, "-> 200 OK (2 attempts")
			noLeaks(t, r)
		})
	}
}

// TestReliabNeverAnswers: a server that accepts and reads but never
// answers costs one per-attempt timeout per attempt.
func TestReliabNeverAnswers(t *testing.T) {
	srv := newRawServer(t, func(s *rawServer, n int, c *net.TCPConn, br *bufio.Reader) {
		if _, err := s.readRequest(br); err == nil {
			<-s.done
		}
	})
	cfg := fmt.Sprintf("url = %q\ntimeout = \"300ms\"\n", srv.URL) + fastRetry(2) + tokenHeaders
	r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send")
	wantCode(t, r, 1)
	reqs := srv.requests()
	if len(reqs) != 2 {
		t.Fatalf("requests: got %d, want 2", len(reqs))
	}
	wantSameDelivery(t, reqs)
	wantStderr(t, r, "attempt 1/2: timeout", "delivery failed after 2 attempts: timeout")
	noLeaks(t, r)
}

// trickle answers with status and then a body of one byte a second: only
// the per-attempt timeout can end reading it.
func trickle(status string) func(s *rawServer, n int, c *net.TCPConn, br *bufio.Reader) {
	return func(s *rawServer, n int, c *net.TCPConn, br *bufio.Reader) {
		if _, err := s.readRequest(br); err != nil {
			return
		}
		if _, err := io.WriteString(c, "HTTP/1.1 "+status+"\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n"); err != nil {
			return
		}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	}
}

func TestReliabTrickledBody(t *testing.T) {
	t.Run("500", func(t *testing.T) {
		srv := newRawServer(t, trickle("500 Internal Server Error"))
		cfg := fmt.Sprintf("url = %q\ntimeout = \"300ms\"\n", srv.URL) + fastRetry(2) + tokenHeaders
		r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send")
		wantCode(t, r, 1)
		reqs := srv.requests()
		if len(reqs) != 2 {
			t.Fatalf("requests: got %d, want 2", len(reqs))
		}
		wantSameDelivery(t, reqs)
		wantStderr(t, r, "attempt 1/2: 500 Internal Server Error; retrying", "delivery failed after 2 attempts: 500 Internal Server Error")
		noLeaks(t, r)
	})
	t.Run("200", func(t *testing.T) {
		srv := newRawServer(t, trickle("200 OK"))
		cfg := fmt.Sprintf("url = %q\ntimeout = \"300ms\"\n", srv.URL) + fastRetry(2) + tokenHeaders
		r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send")
		wantCode(t, r, 0)
		if n := len(srv.requests()); n != 1 {
			t.Errorf("requests: got %d, want 1", n)
		}
		wantStderr(t, r, "-> 200 OK (1 attempt")
		noLeaks(t, r)
	})
}

// TestReliabTruncatedSuccess: a 200 whose body ends early was delivered.
func TestReliabTruncatedSuccess(t *testing.T) {
	srv := newRawServer(t, func(s *rawServer, n int, c *net.TCPConn, br *bufio.Reader) {
		if _, err := s.readRequest(br); err == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"ok\":")
		}
	})
	cfg := fmt.Sprintf("url = %q\n", srv.URL) + fast + tokenHeaders
	r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send")
	wantCode(t, r, 0)
	if n := len(srv.requests()); n != 1 {
		t.Errorf("requests: got %d, want 1", n)
	}
	noLeaks(t, r)
}

func TestReliabRetryAfter(t *testing.T) {
	retryAfter := func(code int, value func() string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", value())
			w.WriteHeader(code)
		}
	}
	fixed := func(v string) func() string { return func() string { return v } }
	date := func(d time.Duration) func() string {
		return func() string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
	}
	retry := func(minWait, maxWait, maxTime string) string {
		return fmt.Sprintf("[retry]\nmin_wait = %q\nmax_wait = %q\nmax_time = %q\n", minWait, maxWait, maxTime)
	}
	tests := []struct {
		name  string
		code  int
		value func() string
		retry string
		exit  int
		reqs  int
		want  []string
	}{
		{"seconds", 503, fixed("1"), retry("10ms", "5s", "20s"), 0, 2, []string{"attempt 1/4: 503 Service Unavailable; retrying in 1s"}},
		{"http date", 429, date(2 * time.Second), retry("10ms", "10s", "20s"), 0, 2, []string{"attempt 1/4: 429 Too Many Requests; retrying in"}},
		{"http date in the past", 503, date(-time.Hour), retry("10ms", "50ms", "20s"), 0, 2, []string{"retrying in 10ms"}},
		{"zero waits min_wait", 503, fixed("0"), retry("200ms", "5s", "20s"), 0, 2, []string{"retrying in 200ms"}},
		{"garbage falls back to backoff", 503, fixed("soon, maybe"), retry("10ms", "50ms", "20s"), 0, 2, []string{"attempt 1/4: 503 Service Unavailable; retrying in"}},
		{"too long", 503, fixed("3600"), retry("10ms", "5s", "20s"), 1, 1, []string{"Retry-After 1h0m0s, more than retry.max_wait 5s"}},
		{"too long as a date", 429, date(time.Hour), retry("10ms", "5s", "20s"), 1, 1, []string{"Retry-After", "retry.max_wait 5s"}},
		{"longer than what is left of max_time", 503, fixed("5"), retry("10ms", "10s", "2s"), 1, 1, []string{"Retry-After 5s", "max_time"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, retryAfter(tt.code, tt.value), status(200))
			cfg := fmt.Sprintf("url = %q\n", srv.URL) + tt.retry + tokenHeaders
			r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send")
			wantCode(t, r, tt.exit)
			reqs := wantRequests(t, srv, tt.reqs)
			wantSameDelivery(t, reqs)
			wantStderr(t, r, tt.want...)
			noLeaks(t, r)
		})
	}
}

// TestReliabMaxTimeMidAttempt: max_time ends an attempt that the
// per-attempt timeout (a minute) would let run on.
func TestReliabMaxTimeMidAttempt(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	cfg := fmt.Sprintf("url = %q\ntimeout = \"60s\"\n[retry]\nmin_wait = \"10ms\"\nmax_wait = \"50ms\"\nmax_time = \"500ms\"\n", srv.URL) + tokenHeaders
	r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send")
	wantCode(t, r, 1)
	wantRequests(t, srv, 1)
	wantStderr(t, r, "max_time")
	noLeaks(t, r)
}

// spooled is a spool file as the test reads it, independently of notify.
type spooled struct {
	path string
	raw  []byte
	mode os.FileMode
	rec  struct {
		Version   int    `json:"version"`
		Target    string `json:"target"`
		Method    string `json:"method"`
		ID        string `json:"id"`
		Attempts  int    `json:"attempts"`
		LastError string `json:"last_error"`
		Query     string `json:"query"`
		Body      []byte `json:"body"`
	}
}

// spoolFiles returns the notifications in dir (not dot files), checking
// the directory is 0700.
func spoolFiles(t testing.TB, dir string) []spooled {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("spool: %v", err)
	}
	if m := fi.Mode().Perm(); m != 0o700 {
		t.Errorf("spool dir mode: got %04o, want 0700", m)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []spooled
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		s := spooled{path: filepath.Join(dir, e.Name())}
		if s.raw, err = os.ReadFile(s.path); err != nil {
			t.Fatal(err)
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		s.mode = info.Mode().Perm()
		_ = json.Unmarshal(s.raw, &s.rec) // foreign files stay zero
		out = append(out, s)
	}
	return out
}

// wantSpooled checks that dir holds exactly one notification, 0600, with
// no header value or secret in it, and returns it.
func wantSpooled(t testing.TB, dir string) spooled {
	t.Helper()
	files := spoolFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("spool files: got %d, want 1", len(files))
	}
	f := files[0]
	if f.mode != 0o600 {
		t.Errorf("spool file mode: got %04o, want 0600", f.mode)
	}
	for _, bad := range append(leaks(string(f.raw)), "canary-query-token", "Bearer") {
		if strings.Contains(string(f.raw), bad) {
			t.Errorf("spool file holds %q:\n%s", bad, f.raw)
		}
	}
	return f
}

// TestReliabSignalSavesToSpool: SIGTERM mid-wait or mid-request exits 143
// and keeps the notification.
func TestReliabSignalSavesToSpool(t *testing.T) {
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

// TestReliabHugeErrorBody: a 100 MiB body on a 500 is not read to the
// end, and not held in memory.
func TestReliabHugeErrorBody(t *testing.T) {
	const size = 100 << 20
	type outcome struct {
		written int64
		err     error
	}
	done := make(chan outcome, 10)
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(500)
		chunk := bytes.Repeat([]byte("E"), 32<<10)
		var o outcome
		for o.written < size {
			n, err := w.Write(chunk)
			o.written += int64(n)
			if err != nil {
				o.err = err
				break
			}
		}
		done <- o
	})
	cfg := fmt.Sprintf("url = %q\n", srv.URL) + fastRetry(2) + tokenHeaders
	r, ps := runCmd(t, command(t, runOpts{config: cfg, env: tokenEnv}, "send"))
	wantCode(t, r, 1)
	wantRequests(t, srv, 2)
	for i := range 2 {
		o := <-done // the process is gone, so every write has ended
		if o.err == nil || o.written >= size {
			t.Errorf("response %d: the server wrote %d bytes (error %v): the client read the whole body", i+1, o.written, o.err)
		}
	}
	// A child's ru_maxrss also counts the memory of the process it was
	// forked from, up to its exec: this test process, which can be large
	// under -race. So the bound is 100 MiB or this process's own peak.
	var self syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		t.Fatal(err)
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		if limit := max(100<<10, self.Maxrss); ru.Maxrss > limit {
			t.Errorf("peak RSS: got %d MiB, want at most %d MiB", ru.Maxrss>>10, limit>>10)
		}
	}
	wantStderr(t, r, "delivery failed after 2 attempts: 500 Internal Server Error: EEEE")
	if len(r.stderr) > 4<<10 {
		t.Errorf("stderr is %d bytes: the body was not cut to a snippet", len(r.stderr))
	}
	noLeaks(t, r)
}

// TestReliabEscapedServerOutput: what a server says cannot colour the
// build log, overwrite a line or forge a Jenkins log line.
func TestReliabEscapedServerOutput(t *testing.T) {
	const body = "\x1b[31mred\x1b[0m done\rOVERWRITTEN\n[Pipeline] echo forged\n"
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, body)
	})
	for _, args := range [][]string{{"send"}, {"--verbose", "send"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cfg := fmt.Sprintf("url = %q\n", srv.URL) + fastRetry(2) + tokenHeaders
			r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, args...)
			wantCode(t, r, 1)
			wantStderr(t, r, `500 Internal Server Error: \x1b[31mred\x1b[0m done\rOVERWRITTEN\n[Pipeline] echo forged\n`)
			if strings.ContainsAny(r.stderr+r.stdout, "\x1b\r") {
				t.Errorf("output has a raw ESC or CR: %q", r.stderr)
			}
			for _, line := range strings.Split(r.stderr, "\n") {
				if strings.HasPrefix(line, "[Pipeline]") {
					t.Errorf("a server line reached the log as its own line: %q", line)
				}
			}
			noLeaks(t, r)
		})
	}
}

// testPKI is a CA and the certificates the TLS tests use.
type testPKI struct {
	caPEM                 []byte
	caPool                *x509.CertPool
	server                tls.Certificate // 127.0.0.1 and notify.invalid
	wrongName             tls.Certificate // other.example only
	clientCert, clientKey []byte          // PEM, for mutual TLS
}

var pki = sync.OnceValue(func() *testPKI {
	p, err := newPKI()
	if err != nil {
		panic(err)
	}
	return p
})

func newPKI() (*testPKI, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jobnotify test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	leaf := func(serial int64, cn string, ips []net.IP, names []string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte, err error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: ips, DNSNames: names,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return nil, nil, err
		}
		k, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), nil
	}
	p := &testPKI{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), caPool: x509.NewCertPool()}
	p.caPool.AddCert(ca)
	c, k, err := leaf(2, "127.0.0.1", []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"notify.invalid"}, x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	if p.server, err = tls.X509KeyPair(c, k); err != nil {
		return nil, err
	}
	if c, k, err = leaf(3, "other.example", nil, []string{"other.example"}, x509.ExtKeyUsageServerAuth); err != nil {
		return nil, err
	}
	if p.wrongName, err = tls.X509KeyPair(c, k); err != nil {
		return nil, err
	}
	if p.clientCert, p.clientKey, err = leaf(4, "jobnotify client", nil, nil, x509.ExtKeyUsageClientAuth); err != nil {
		return nil, err
	}
	return p, nil
}

// writePKI writes ca.pem, client.pem and client-key.pem into dir.
func writePKI(t testing.TB, dir string) {
	t.Helper()
	p := pki()
	for name, b := range map[string][]byte{"ca.pem": p.caPEM, "client.pem": p.clientCert, "client-key.pem": p.clientKey} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// countingListener counts the connections a server accepted, whether or
// not a request came of them.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// newTLSRecorder is a recorder serving TLS with cert; with clientCAs it
// requires a client certificate signed by them.
func newTLSRecorder(t testing.TB, cert tls.Certificate, clientCAs *x509.CertPool, script ...http.HandlerFunc) (*recorder, *countingListener) {
	t.Helper()
	r := &recorder{script: script, got: make(chan struct{}, 1000)}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	ln := &countingListener{Listener: r.Server.Listener}
	r.Server.Listener = ln
	r.Server.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point
	r.Server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	if clientCAs != nil {
		r.Server.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		r.Server.TLS.ClientCAs = clientCAs
	}
	r.Server.StartTLS()
	t.Cleanup(r.Close)
	return r, ln
}

func TestReliabTLS(t *testing.T) {
	p := pki()
	dir := t.TempDir()
	writePKI(t, dir)
	ca := filepath.Join(dir, "ca.pem")
	tlsTable := func(lines ...string) string { return "[tls]\n" + strings.Join(lines, "\n") + "\n" }
	caFile := fmt.Sprintf("ca_file = %q", ca)

	tests := []struct {
		name      string
		cert      tls.Certificate
		clientCAs *x509.CertPool
		tls       string
		exit      int
		want      []string
	}{
		{name: "unknown authority", cert: p.server, exit: 1, want: []string{"certificate signed by unknown authority"}},
		{name: "wrong host name", cert: p.wrongName, tls: tlsTable(caFile), exit: 1, want: []string{"x509: cannot validate certificate for 127.0.0.1"}},
		{name: "ca_file", cert: p.server, tls: tlsTable(caFile), exit: 0, want: []string{"-> 200 OK (1 attempt"}},
		{name: "mutual TLS", cert: p.server, clientCAs: p.caPool, exit: 0,
			tls: tlsTable(caFile, fmt.Sprintf("cert_file = %q\nkey_file = %q", filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")))},
		{name: "mutual TLS without a client certificate", cert: p.server, clientCAs: p.caPool, tls: tlsTable(caFile), exit: 1,
			want: []string{"delivery failed after 1 attempt"}},
		{name: "insecure_skip_verify", cert: p.server, tls: tlsTable("insecure_skip_verify = true"), exit: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ln := newTLSRecorder(t, tt.cert, tt.clientCAs)
			cfg := fmt.Sprintf("url = %q\n", srv.URL+"/hook") + fast + tokenHeaders + tt.tls
			r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send")
			wantCode(t, r, tt.exit)
			if n := ln.n.Load(); n != 1 {
				t.Errorf("connections: got %d, want 1 (a TLS failure is not retried)", n)
			}
			if n := len(srv.requests()); tt.exit == 0 && n != 1 || tt.exit != 0 && n != 0 {
				t.Errorf("requests: got %d", n)
			}
			wantStderr(t, r, tt.want...)
			warnings := 0
			for _, line := range strings.Split(r.stderr, "\n") {
				if strings.Contains(line, "WARNING") {
					warnings++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[strings.Contains(tt.tls, "insecure")]; warnings != want {
				t.Errorf("WARNING lines: got %d, want %d:\n%s", warnings, want, r.stderr)
			}
			noLeaks(t, r)
		})
	}

	// The issue asks a verification failure to point at the fix.
	t.Run("unknown authority hints at ca_file", func(t *testing.T) {
		srv, _ := newTLSRecorder(t, p.server, nil)
		r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL) + fast}, "send")
		wantCode(t, r, 1)
		wantStderr(t, r, "certificate signed by unknown authority", "ca_file")
	})

	t.Run("https to a plain http server", func(t *testing.T) {
		srv := &recorder{got: make(chan struct{}, 1000)}
		srv.Server = httptest.NewUnstartedServer(http.HandlerFunc(srv.serve))
		ln := &countingListener{Listener: srv.Server.Listener}
		srv.Server.Listener = ln
		srv.Server.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.Server.Start()
		t.Cleanup(srv.Close)
		u := strings.Replace(srv.URL, "http://", "https://", 1)
		r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", u) + fast + tokenHeaders, env: tokenEnv}, "send")
		wantCode(t, r, 1)
		if n := ln.n.Load(); n != 1 {
			t.Errorf("connections: got %d, want 1", n)
		}
		wantStderr(t, r, "delivery failed after 1 attempt", "HTTP response to HTTPS client", "http://")
		noLeaks(t, r)
	})

	t.Run("relative paths are relative to the config file", func(t *testing.T) {
		srv, _ := newTLSRecorder(t, p.server, p.caPool)
		cfgDir := t.TempDir()
		writePKI(t, cfgDir)
		path := writeConfig(t, cfgDir, fmt.Sprintf("url = %q\n[tls]\nca_file = \"ca.pem\"\ncert_file = \"client.pem\"\nkey_file = \"client-key.pem\"\n", srv.URL), 0o600)
		cmd := command(t, runOpts{}, "--config", path, "send")
		cmd.Dir = t.TempDir() // somewhere else: a workspace
		r, _ := runCmd(t, cmd)
		wantCode(t, r, 0)
		wantRequests(t, srv, 1)
	})
}

// newConnectProxy is an HTTP proxy on 127.0.0.1 that records what it is
// asked and tunnels every CONNECT to backend, whatever host it names.
func newConnectProxy(t testing.TB, backend string) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Host)
		mu.Unlock()
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", backend)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer up.Close()
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 200 Connection Established\r\n\r\n")
		ended := make(chan struct{}, 2)
		go func() { io.Copy(up, brw.Reader); ended <- struct{}{} }()
		go func() { io.Copy(c, up); ended <- struct{}{} }()
		<-ended
		c.Close()
		up.Close()
		<-ended
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func TestReliabProxy(t *testing.T) {
	p := pki()
	dir := t.TempDir()
	writePKI(t, dir)
	tlsCA := fmt.Sprintf("[tls]\nca_file = %q\n", filepath.Join(dir, "ca.pem"))

	for _, withTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("HTTP_PROXY, tls table %v", withTLS), func(t *testing.T) {
			proxy := newRecorder(t)
			cfg := "url = \"http://notify.invalid/hook?keep=me\"\n" + fast + tokenHeaders
			if withTLS {
				cfg += tlsCA
			}
			r := jobnotify(t, runOpts{config: cfg, env: append([]string{"HTTP_PROXY=" + proxy.URL}, tokenEnv...)}, "send", "-s", "SUCCESS")
			wantCode(t, r, 0)
			req := wantRequests(t, proxy, 1)[0]
			if req.URL.Scheme != "http" || req.URL.Host != "notify.invalid" || req.URL.Path != "/hook" || req.URL.Query().Get("keep") != "me" {
				t.Errorf("the proxy saw %q, want the absolute URL http://notify.invalid/hook?keep=me", req.URL)
			}
			wantToken(t, []received{req})
			if p := decode(t, req.Body); p["status"] != "SUCCESS" {
				t.Errorf("status: got %v", p["status"])
			}
			noLeaks(t, r)
		})
	}

	t.Run("HTTPS_PROXY with ca_file", func(t *testing.T) {
		hosts := make(chan string, 10)
		backend, ln := newTLSRecorder(t, p.server, nil, func(w http.ResponseWriter, r *http.Request) { hosts <- r.Host })
		proxy, seen := newConnectProxy(t, backend.Listener.Addr().String())
		cfg := "url = \"https://notify.invalid/hook\"\n" + fast + tokenHeaders + tlsCA
		r := jobnotify(t, runOpts{config: cfg, env: append([]string{"HTTPS_PROXY=" + proxy.URL}, tokenEnv...)}, "send")
		wantCode(t, r, 0)
		if got := seen(); len(got) != 1 || got[0] != "CONNECT notify.invalid:443" {
			t.Errorf("the proxy saw %q, want one CONNECT notify.invalid:443", got)
		}
		wantToken(t, wantRequests(t, backend, 1))
		if h := <-hosts; h != "notify.invalid" {
			t.Errorf("Host: got %q, want notify.invalid", h)
		}
		if n := ln.n.Load(); n != 1 {
			t.Errorf("TLS connections: got %d, want 1", n)
		}
		noLeaks(t, r)
	})

	t.Run("HTTPS_PROXY to a certificate for another name", func(t *testing.T) {
		backend, ln := newTLSRecorder(t, p.wrongName, nil)
		proxy, seen := newConnectProxy(t, backend.Listener.Addr().String())
		cfg := "url = \"https://notify.invalid/hook\"\n" + fast + tokenHeaders + tlsCA
		r := jobnotify(t, runOpts{config: cfg, env: append([]string{"HTTPS_PROXY=" + proxy.URL}, tokenEnv...)}, "send")
		wantCode(t, r, 1)
		wantRequests(t, backend, 0)
		if n := ln.n.Load(); n != 1 || len(seen()) != 1 {
			t.Errorf("TLS connections %d, CONNECTs %d: want 1 each (not retried)", n, len(seen()))
		}
		wantStderr(t, r, "delivery failed after 1 attempt", "other.example", "notify.invalid")
		noLeaks(t, r)
	})

	// Go never proxies a loopback address, whatever NO_PROXY says, and
	// NO_PROXY naming a made-up host would need a DNS lookup; so this only
	// shows the direct path works while a proxy is set.
	t.Run("NO_PROXY", func(t *testing.T) {
		proxy, direct := newRecorder(t), newRecorder(t)
		u, _ := url.Parse(direct.URL)
		env := append([]string{"HTTP_PROXY=" + proxy.URL, "NO_PROXY=other.invalid,127.0.0.1"}, tokenEnv...)
		cfg := fmt.Sprintf("url = %q\n", "http://"+u.Host+"/hook") + fast + tokenHeaders
		r := jobnotify(t, runOpts{config: cfg, env: env}, "send")
		wantCode(t, r, 0)
		wantToken(t, wantRequests(t, direct, 1))
		wantRequests(t, proxy, 0)

		// A NO_PROXY entry for another host leaves notify.invalid proxied.
		cfg = "url = \"http://notify.invalid/hook\"\n" + fast + tokenHeaders
		r = jobnotify(t, runOpts{config: cfg, env: env}, "send")
		wantCode(t, r, 0)
		if req := wantRequests(t, proxy, 1)[0]; req.URL.Host != "notify.invalid" {
			t.Errorf("the proxy saw %q", req.URL)
		}
		noLeaks(t, r)
	})
}

// Signing keys for the tests, and their whsec_ forms.
var (
	whKey1    = []byte("jobnotify-test-signing-key-one!!")
	whKey2    = []byte("jobnotify-test-signing-key-two??")
	whSecrets = "whsec_" + base64.StdEncoding.EncodeToString(whKey1) + " whsec_" + base64.StdEncoding.EncodeToString(whKey2)
)

// verifyStandardWebhook checks a request's Standard Webhooks headers with
// its own HMAC, and returns its timestamp.
func verifyStandardWebhook(t testing.TB, req received, keys ...[]byte) int64 {
	t.Helper()
	id, tsText := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	if id == "" || id != req.Header.Get("Idempotency-Key") {
		t.Errorf("webhook-id %q, Idempotency-Key %q: want the same id", id, req.Header.Get("Idempotency-Key"))
	}
	if p := decode(t, req.Body); p["id"] != id {
		t.Errorf("payload id %v, webhook-id %q", p["id"], id)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || ts < time.Now().Add(-time.Hour).Unix() || ts > time.Now().Add(time.Hour).Unix() {
		t.Errorf("webhook-timestamp %q is not the Unix time now", tsText)
	}
	sigs := strings.Fields(req.Header.Get("webhook-signature"))
	if len(sigs) != len(keys) {
		t.Errorf("webhook-signature has %d entries, want %d", len(sigs), len(keys))
	}
	for i, key := range keys {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + tsText + "."))
		mac.Write(req.Body)
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		found := false
		for _, s := range sigs {
			found = found || hmac.Equal([]byte(s), []byte(want))
		}
		if !found {
			t.Errorf("no v1 signature verifies with key %d: got %q", i+1, sigs)
		}
	}
	return ts
}

func hubSignature(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// noSigningSecret checks that no form of the signing secrets is printed.
func noSigningSecret(t testing.TB, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s))} {
			if strings.Contains(r.stdout+r.stderr, form) {
				t.Errorf("output shows the signing secret %q\nstdout: %s\nstderr: %s", form, r.stdout, r.stderr)
			}
		}
	}
}

func TestReliabStandardWebhooks(t *testing.T) {
	// A 503 asking for 2 s puts the retry in a later second, so its
	// timestamp, and so its signatures, differ from the first attempt's.
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(503)
	}, status(200))
	cfg := fmt.Sprintf("url = %q\n[retry]\nmin_wait = \"10ms\"\nmax_wait = \"5s\"\n[signing]\nscheme = \"standard-webhooks\"\nsecret = \"${WEBHOOK_SECRET}\"\n", srv.URL) + tokenHeaders
	env := append([]string{"WEBHOOK_SECRET=" + whSecrets}, tokenEnv...)
	r := jobnotify(t, runOpts{config: cfg, env: env}, "send", "-s", "SUCCESS")
	wantCode(t, r, 0)
	reqs := wantRequests(t, srv, 2)
	wantSameDelivery(t, reqs)
	ts1 := verifyStandardWebhook(t, reqs[0], whKey1, whKey2)
	ts2 := verifyStandardWebhook(t, reqs[1], whKey1, whKey2)
	if ts2 <= ts1 {
		t.Errorf("the retry's webhook-timestamp %d is not later than the first's %d", ts2, ts1)
	}
	if reqs[0].Header.Get("webhook-signature") == reqs[1].Header.Get("webhook-signature") {
		t.Error("the retry reused the first attempt's signature")
	}
	noLeaks(t, r)
	noSigningSecret(t, r, whSecrets, string(whKey1), string(whKey2))
}

func TestReliabHMACSignature(t *testing.T) {
	const secret = "canary hmac secret taken whole"
	tests := []struct {
		name, method, header, wantHeader string
	}{
		{"default header", "POST", "", "X-Hub-Signature-256"},
		{"custom header", "PUT", "X-Signature", "X-Signature"},
		{"GET over the empty body", "GET", "", "X-Hub-Signature-256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t)
			cfg := fmt.Sprintf("url = %q\nmethod = %q\n[signing]\nscheme = \"hmac-sha256\"\nsecret = \"${HOOK_SECRET}\"\n", srv.URL, tt.method)
			if tt.header != "" {
				cfg += fmt.Sprintf("header = %q\n", tt.header)
			}
			cfg += tokenHeaders
			r := jobnotify(t, runOpts{config: cfg, env: append([]string{"HOOK_SECRET=" + secret}, tokenEnv...)}, "send", "-s", "SUCCESS")
			wantCode(t, r, 0)
			req := wantRequests(t, srv, 1)[0]
			if tt.method == "GET" && len(req.Body) != 0 {
				t.Fatalf("GET sent a body of %d bytes", len(req.Body))
			}
			if got, want := req.Header.Get(tt.wantHeader), hubSignature([]byte(secret), req.Body); got != want {
				t.Errorf("%s: got %q, want %q (HMAC-SHA256 of the body with the whole secret)", tt.wantHeader, got, want)
			}
			if tt.wantHeader != "X-Hub-Signature-256" && req.Header.Get("X-Hub-Signature-256") != "" {
				t.Error("X-Hub-Signature-256 sent as well as the custom header")
			}
			noLeaks(t, r)
			noSigningSecret(t, r, secret)
		})
	}
}

func TestReliabSigningDryRunAndValidate(t *testing.T) {
	srv := newRecorder(t)
	wh := fmt.Sprintf("url = %q\n[signing]\nscheme = \"standard-webhooks\"\nsecret = \"${WEBHOOK_SECRET}\"\n", srv.URL) + tokenHeaders
	env := append([]string{"WEBHOOK_SECRET=" + whSecrets}, tokenEnv...)

	t.Run("dry run standard-webhooks", func(t *testing.T) {
		r := jobnotify(t, runOpts{config: wh, env: env}, "send", "--dry-run", "--id", "dry-id-1")
		wantCode(t, r, 0)
		out := strings.ToLower(r.stdout)
		for _, want := range []string{"webhook-signature: ***\n", "webhook-id: dry-id-1\n", "webhook-timestamp: ", "authorization: ***\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("dry run lacks %q:\n%s", want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, "v1,") {
			t.Errorf("dry run shows a signature:\n%s", r.stdout)
		}
		noLeaks(t, r)
		noSigningSecret(t, r, whSecrets, string(whKey1), string(whKey2))
	})

	t.Run("dry run hmac-sha256", func(t *testing.T) {
		const secret = "canary-hmac-dry-secret"
		cfg := fmt.Sprintf("url = %q\n[signing]\nscheme = \"hmac-sha256\"\nsecret = \"${HOOK_SECRET}\"\n", srv.URL)
		r := jobnotify(t, runOpts{config: cfg, env: []string{"HOOK_SECRET=" + secret}}, "send", "--dry-run")
		wantCode(t, r, 0)
		if !strings.Contains(r.stdout, "X-Hub-Signature-256: ***\n") {
			t.Errorf("dry run lacks the redacted signature header:\n%s", r.stdout)
		}
		_, body, _ := strings.Cut(r.stdout, "\n\n")
		if sig := hubSignature([]byte(secret), []byte(strings.TrimSuffix(body, "\n"))); strings.Contains(r.stdout, strings.TrimPrefix(sig, "sha256=")) {
			t.Errorf("dry run shows the real signature")
		}
		noSigningSecret(t, r, secret)
	})

	t.Run("validate", func(t *testing.T) {
		r := jobnotify(t, runOpts{config: wh, env: env}, "validate")
		wantCode(t, r, 0)
		var v struct {
			Signing struct {
				Scheme  string `json:"scheme"`
				Secrets int    `json:"secrets"`
			} `json:"signing"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Fatalf("validate output: %v\n%s", err, r.stdout)
		}
		if v.Signing.Scheme != "standard-webhooks" || v.Signing.Secrets != 2 {
			t.Errorf("signing: got %+v, want standard-webhooks with 2 secrets", v.Signing)
		}
		noLeaks(t, r)
		noSigningSecret(t, r, whSecrets, string(whKey1), string(whKey2))
	})
	wantRequests(t, srv, 0)
}

// TestReliabBadSigning: a signing table that cannot work is a config
// error: exit 2, nothing sent, no secret in the message.
func TestReliabBadSigning(t *testing.T) {
	const badSecret = "whsec_canary!!not*base64"
	srv := newRecorder(t)
	tests := []struct {
		name, signing string
		want          []string
	}{
		{"unknown scheme", "scheme = \"hmac-md5\"\nsecret = \"${SIGNING_SECRET}\"\n", []string{"signing.scheme", "hmac-md5"}},
		{"whsec secret not base64", "scheme = \"standard-webhooks\"\nsecret = \"${BAD_WHSEC}\"\n", []string{"signing.secret", "base64"}},
		{"header with standard-webhooks", "scheme = \"standard-webhooks\"\nsecret = \"${SIGNING_SECRET}\"\nheader = \"X-Signature\"\n", []string{"signing.header"}},
		{"no secret", "scheme = \"hmac-sha256\"\n", []string{"secret"}},
		{"secret without a scheme", "secret = \"${SIGNING_SECRET}\"\n", []string{"signing.scheme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fmt.Sprintf("url = %q\n[signing]\n%s", srv.URL, tt.signing) + tokenHeaders
			env := append([]string{"BAD_WHSEC=" + badSecret, "SIGNING_SECRET=" + whSecrets}, tokenEnv...)
			r := jobnotify(t, runOpts{config: cfg, env: env}, "send")
			wantCode(t, r, 2)
			wantStderr(t, r, tt.want...)
			noLeaks(t, r)
			noSigningSecret(t, r, badSecret, "canary!!not*base64", whSecrets, string(whKey1))
		})
	}
	wantRequests(t, srv, 0)
}

// spoolConfig is a config that sends to url, once, and spools to dir. It
// holds a literal API key and the canary token.
func spoolConfig(url, dir string) string {
	return fmt.Sprintf("url = %q\n[retry]\nattempts = 1\n[spool]\ndir = %q\n", url, dir) +
		tokenHeaders + "X-Api-Key = \"canary-literal-apikey\"\n"
}

// spoolOne sends one notification to a dead endpoint so that it is saved.
func spoolOne(t testing.TB, dir string, env []string, args ...string) result {
	t.Helper()
	r := jobnotify(t, runOpts{config: spoolConfig(deadURL(t), dir), env: append(env, tokenEnv...)}, append([]string{"send"}, args...)...)
	wantCode(t, r, 1)
	wantStderr(t, r, "connection refused", "saved to the spool")
	noLeaks(t, r)
	return r
}

func TestReliabSpoolAndFlush(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, nil, "--id", "spool-id-1", "-s", "FAILURE", "-b", `{"msg": "bytes \u00e9 kept"}`)
	f := wantSpooled(t, dir)
	if f.rec.ID != "spool-id-1" || f.rec.Method != "POST" || f.rec.Attempts != 1 || f.rec.LastError == "" {
		t.Errorf("spooled: id %q method %q attempts %d last_error %q", f.rec.ID, f.rec.Method, f.rec.Attempts, f.rec.LastError)
	}
	if p := decode(t, f.rec.Body); p["id"] != "spool-id-1" || p["status"] != "FAILURE" {
		t.Errorf("spooled body: %s", f.rec.Body)
	}

	// --soft-fail: exit 0, and the notification is still kept.
	r := jobnotify(t, runOpts{config: spoolConfig(deadURL(t), dir), env: tokenEnv}, "send", "--soft-fail", "--id", "spool-id-2")
	wantCode(t, r, 0)
	wantStderr(t, r, "saved to the spool")
	if n := len(spoolFiles(t, dir)); n != 2 {
		t.Fatalf("spool files after --soft-fail: got %d, want 2", n)
	}

	srv := newRecorder(t)
	r = jobnotify(t, runOpts{config: spoolConfig(srv.URL+"/hook", dir), env: tokenEnv}, "flush")
	wantCode(t, r, 0)
	reqs := wantRequests(t, srv, 2)
	wantToken(t, reqs)
	if got := reqs[0].Header.Get("Idempotency-Key"); got != "spool-id-1" {
		t.Errorf("first flushed Idempotency-Key: got %q, want spool-id-1 (oldest first)", got)
	}
	if !bytes.Equal(reqs[0].Body, f.rec.Body) {
		t.Errorf("flushed body differs from the spooled bytes:\n%s\n%s", reqs[0].Body, f.rec.Body)
	}
	if reqs[0].Header.Get("X-Api-Key") != "canary-literal-apikey" || reqs[0].URL.Path != "/hook" {
		t.Errorf("flush did not use the current config's URL and headers")
	}
	if n := len(spoolFiles(t, dir)); n != 0 {
		t.Errorf("spool files after flush: got %d, want 0", n)
	}
	wantStderr(t, r, "flushed spool-id-1")
	noLeaks(t, r)
}

func TestReliabFlushPartialFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, nil, "--id", "partial-ok")
	spoolOne(t, dir, nil, "--id", "partial-rejected")
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Idempotency-Key") == "partial-rejected" {
			w.WriteHeader(400)
			io.WriteString(w, "rejected by the test")
		}
	})
	r := jobnotify(t, runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}, "flush")
	wantCode(t, r, 1)
	wantRequests(t, srv, 2)
	f := wantSpooled(t, dir)
	if f.rec.ID != "partial-rejected" || f.rec.Attempts != 2 || !strings.Contains(f.rec.LastError, "400 Bad Request") {
		t.Errorf("left in the spool: id %q attempts %d last_error %q; want partial-rejected, 2, a 400", f.rec.ID, f.rec.Attempts, f.rec.LastError)
	}
	wantStderr(t, r, "400 Bad Request")
	noLeaks(t, r)
}

// TestReliabConcurrentFlush: two flushes at once deliver each
// notification exactly once.
func TestReliabConcurrentFlush(t *testing.T) {
	const n = 20
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := spoolConfig(deadURL(t), dir)
	for i := range n {
		r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send", "-q", "--id", fmt.Sprintf("concurrent-%02d", i))
		wantCode(t, r, 1)
	}
	if got := len(spoolFiles(t, dir)); got != n {
		t.Fatalf("spooled: got %d, want %d", got, n)
	}
	srv := newRecorder(t)
	flushCfg := spoolConfig(srv.URL, dir)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range 2 {
		cmd := command(t, runOpts{config: flushCfg, env: tokenEnv}, "flush")
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		cmds, outs = append(cmds, cmd), append(outs, &b)
	}
	for _, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("flush %d: exit %d\n%s", i+1, code, outs[i])
		}
		noLeaks(t, result{stderr: outs[i].String()})
	}
	count := map[string]int{}
	for _, req := range srv.requests() {
		count[req.Header.Get("Idempotency-Key")]++
	}
	for i := range n {
		if id := fmt.Sprintf("concurrent-%02d", i); count[id] != 1 {
			t.Errorf("%s delivered %d times, want 1", id, count[id])
		}
	}
	if len(count) != n {
		t.Errorf("delivered ids: got %d, want %d", len(count), n)
	}
	if got := len(spoolFiles(t, dir)); got != 0 {
		t.Errorf("spool files left: %d", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("spool dir not empty: %v", entries)
	}
}

// TestReliabFlushForeignFiles: files flush cannot read are reported and
// left alone, and do not stop the others.
func TestReliabFlushForeignFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, nil, "--id", "among-strangers")
	foreign := map[string]string{
		"00000000000000000000-corrupt.json": `{"version": 1, "id": "trunc`,
		"notes.txt":                         "admin notes: do not delete\n",
	}
	for name, text := range foreign {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}, "flush")
	wantCode(t, r, 1)
	if got := wantRequests(t, srv, 1)[0].Header.Get("Idempotency-Key"); got != "among-strangers" {
		t.Errorf("delivered %q", got)
	}
	for name, text := range foreign {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != text {
			t.Errorf("%s: got %q, %v; want it left as it was", name, b, err)
		}
		wantStderr(t, r, name)
	}
	if n := len(spoolFiles(t, dir)); n != 2 {
		t.Errorf("files left: got %d, want the 2 foreign ones", n)
	}
	noLeaks(t, r)
}

// TestReliabFlushRotatedToken: flush takes headers from the config and
// environment of the flush, not of the failed send.
func TestReliabFlushRotatedToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := spoolConfig(deadURL(t), dir)
	r := jobnotify(t, runOpts{config: cfg, env: []string{"NOTIFY_TOKEN=canary-old-token-0000"}}, "send", "--id", "rotated")
	wantCode(t, r, 1)
	if strings.Contains(r.stderr, "canary-old-token-0000") {
		t.Errorf("stderr shows the old token: %s", r.stderr)
	}
	f := wantSpooled(t, dir)
	if strings.Contains(string(f.raw), "canary-old-token-0000") {
		t.Errorf("the spool file holds the old token")
	}
	srv := newRecorder(t)
	r = jobnotify(t, runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}, "flush")
	wantCode(t, r, 0)
	wantToken(t, wantRequests(t, srv, 1))
	noLeaks(t, r)
}

func TestReliabFlushDryRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, nil, "--id", "dry-flush")
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}, "flush", "--dry-run")
	wantCode(t, r, 0)
	wantRequests(t, srv, 0)
	for _, want := range []string{"POST " + srv.URL + "\n", "Idempotency-Key: dry-flush\n", "Authorization: ***\n", "X-Api-Key: ***\n", `"id":"dry-flush"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("flush --dry-run lacks %q:\n%s", want, r.stdout)
		}
	}
	wantSpooled(t, dir)
	noLeaks(t, r)
}

func TestReliabFlushGET(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, jenkinsEnv(t), "-X", "GET", "--id", "spooled-get", "-s", "UNSTABLE", "-f", "stage=test")
	f := wantSpooled(t, dir)
	if f.rec.Method != "GET" || f.rec.Query == "" || len(f.rec.Body) != 0 {
		t.Fatalf("spooled GET: method %q, query %q, body %d bytes", f.rec.Method, f.rec.Query, len(f.rec.Body))
	}
	spooledQuery, err := url.ParseQuery(f.rec.Query)
	if err != nil {
		t.Fatal(err)
	}
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{config: spoolConfig(srv.URL+"/hook?keep=me", dir), env: tokenEnv}, "flush")
	wantCode(t, r, 0)
	req := wantRequests(t, srv, 1)[0]
	q := req.URL.Query()
	if req.Method != "GET" || len(req.Body) != 0 || q.Get("keep") != "me" {
		t.Errorf("flushed %s with %d body bytes, keep=%q", req.Method, len(req.Body), q.Get("keep"))
	}
	q.Del("keep")
	if q.Encode() != spooledQuery.Encode() {
		t.Errorf("flushed query differs from the spooled one:\ngot  %s\nwant %s", q.Encode(), spooledQuery.Encode())
	}
	for k, want := range map[string]string{"id": "spooled-get", "status": "UNSTABLE", "stage": "test", "build.number": "42"} {
		if got := q.Get(k); got != want {
			t.Errorf("query %s: got %q, want %q", k, got, want)
		}
	}
	noLeaks(t, r)
}

// TestReliabConfigMode: a literal secret in a file others can read is
// worth a warning; a file anyone can change is refused.
func TestReliabConfigMode(t *testing.T) {
	tests := []struct {
		name    string
		headers string
		mode    os.FileMode
		exit    int
		warn    bool
	}{
		{"literal secret readable by others", "X-Api-Key = \"literal-canary-key\"\n", 0o644, 0, true},
		{"literal secret private", "X-Api-Key = \"literal-canary-key\"\n", 0o600, 0, false},
		{"secret from a variable", "Authorization = \"Bearer ${NOTIFY_TOKEN}\"\n", 0o644, 0, false},
		{"world-writable", "Authorization = \"Bearer ${NOTIFY_TOKEN}\"\n", 0o666, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t)
			path := writeConfig(t, t.TempDir(), fmt.Sprintf("url = %q\n[headers]\n%s", srv.URL, tt.headers), tt.mode)
			r := jobnotifyConfig(t, path, tokenEnv, "send")
			wantCode(t, r, tt.exit)
			wantRequests(t, srv, map[bool]int{true: 1, false: 0}[tt.exit == 0])
			var warnings []string
			for _, line := range strings.Split(r.stderr, "\n") {
				if strings.Contains(strings.ToLower(line), "warning") {
					warnings = append(warnings, line)
				}
			}
			switch {
			case tt.warn && len(warnings) != 1:
				t.Errorf("warnings: got %d, want 1:\n%s", len(warnings), r.stderr)
			case tt.warn && !(strings.Contains(warnings[0], path) && strings.Contains(warnings[0], "0644")):
				t.Errorf("the warning does not name the path and the mode: %s", warnings[0])
			case !tt.warn && len(warnings) != 0:
				t.Errorf("unexpected warning:\n%s", r.stderr)
			}
			if tt.exit == 2 {
				wantStderr(t, r, path, "world-writable")
			}
			if strings.Contains(r.stderr+r.stdout, "literal-canary-key") {
				t.Errorf("output shows the literal key: %s", r.stderr)
			}
			noLeaks(t, r)
		})
	}
}
