package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

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

// TestRawFaults: a first connection that fails at the byte level is
// retried, and the retry carries the same id and the same bytes.
func TestRawFaults(t *testing.T) {
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

// TestNeverAnswers: a server that accepts and reads but never
// answers costs one per-attempt timeout per attempt.
func TestNeverAnswers(t *testing.T) {
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

func TestTrickledBody(t *testing.T) {
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

// TestTruncatedSuccess: a 200 whose body ends early was delivered.
func TestTruncatedSuccess(t *testing.T) {
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

func TestRetryAfterLimits(t *testing.T) {
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
		{"too long to count", 503, fixed("99999999999999999999"), retry("10ms", "5s", "20s"), 1, 1, []string{"server asked to Retry-After 100 years or more"}},
		{"too long for a duration", 429, fixed("9999999999999"), retry("10ms", "5s", "20s"), 1, 1, []string{"server asked to Retry-After 100 years or more"}},
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

// TestMaxTimeMidAttempt: max_time ends an attempt that the
// per-attempt timeout (a minute) would let run on.
func TestMaxTimeMidAttempt(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	cfg := fmt.Sprintf("url = %q\ntimeout = \"60s\"\n[retry]\nmin_wait = \"10ms\"\nmax_wait = \"50ms\"\nmax_time = \"500ms\"\n", srv.URL) + tokenHeaders
	r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send")
	wantCode(t, r, 1)
	wantRequests(t, srv, 1)
	wantStderr(t, r, "max_time")
	noLeaks(t, r)
}

// TestHugeErrorBody: a 100 MiB body on a 500 is not read to the
// end, and not held in memory.
func TestHugeErrorBody(t *testing.T) {
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
	wantPeakRSS(t, ps, 100<<10)
	wantStderr(t, r, "delivery failed after 2 attempts: 500 Internal Server Error: EEEE")
	if len(r.stderr) > 4<<10 {
		t.Errorf("stderr is %d bytes: the body was not cut to a snippet", len(r.stderr))
	}
	noLeaks(t, r)
}

// TestEscapedServerOutput: what a server says cannot colour the
// build log, overwrite a line or forge a Jenkins log line.
func TestEscapedServerOutput(t *testing.T) {
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
			wantStderr(t, r, `500 Internal Server Error: \x1b[31mred\x1b[0m done\rOVERWRITTEN\n[Pipeline] echo forged`+"\n")
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

// TestEscapedServerHeaders: --verbose shows a response's headers escaped
// as its body is, so a right-to-left override, a C1 CSI or a byte that is
// not UTF-8 in a header value never reaches the console raw.
func TestEscapedServerHeaders(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Evil", "report\u202etxt.exe \u009b31m \x9b0m \u2066isolated\u2069")
		io.WriteString(w, "body \u202e\u009b")
	})
	r := jobnotify(t, runOpts{}, "-v", "send", "--url", srv.URL)
	wantCode(t, r, 0)
	wantStderr(t, r, `< X-Evil: report\u202etxt.exe \u009b31m \x9b0m \u2066isolated\u2069`, `< body \u202e\u009b`)
	var raw []string
	for _, c := range []rune{'\u202e', '\u009b', '\u2066', '\u2069'} {
		if strings.ContainsRune(r.stderr, c) {
			raw = append(raw, fmt.Sprintf("%U", c))
		}
	}
	if !utf8.ValidString(r.stderr) {
		raw = append(raw, "bytes that are not UTF-8")
	}
	if len(raw) > 0 {
		t.Errorf("stderr has raw %s:\n%q", strings.Join(raw, ", "), r.stderr)
	}
}

// TestFailureLineNamesTheRequest: a failure line says which request
// failed — method, endpoint without userinfo or query, and target — in
// send's line, its -o json error, and flush's line for a saved one.
func TestFailureLineNamesTheRequest(t *testing.T) {
	var found atomic.Bool // the hook exists: the last flush delivers
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		if !found.Load() {
			w.WriteHeader(404)
			io.WriteString(w, "no such hook")
		}
	})
	u, _ := url.Parse(srv.URL)
	endpoint := "http://" + u.Host + "/hook"
	secretURL := "http://someone:canary-user-pass@" + u.Host + "/hook?token=canary-query-token"
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := fmt.Sprintf("url = %q\n[targets.chat]\nurl = %q\n[spool]\ndir = %q\n", endpoint+"/top", secretURL, dir) + fastRetry(1)
	noSecrets := func(t *testing.T, r result) {
		t.Helper()
		for _, s := range []string{"canary-user-pass", "someone", "canary-query-token", "token="} {
			if strings.Contains(r.stdout+r.stderr, s) {
				t.Errorf("output shows %q:\nstdout: %s\nstderr: %s", s, r.stdout, r.stderr)
			}
		}
	}
	wantLine := func(t *testing.T, text, line string) {
		t.Helper()
		if !contains(strings.Split(text, "\n"), line) {
			t.Errorf("got\n%s\nwant the line\n%s", text, line)
		}
	}
	const failed = ": delivery failed after 1 attempt: 404 Not Found: no such hook"

	t.Run("send to a target", func(t *testing.T) {
		r := jobnotify(t, runOpts{config: cfg}, "--target", "chat", "send", "--id", "line-1")
		wantCode(t, r, 1)
		wantLine(t, r.stderr, "jobnotify: POST "+endpoint+" (target chat)"+failed)
		noSecrets(t, r)
	})
	t.Run("send -o json", func(t *testing.T) {
		r := jobnotify(t, runOpts{config: cfg}, "--target", "chat", "send", "-o", "json", "--id", "line-2")
		wantCode(t, r, 1)
		var res map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
			t.Fatalf("stdout is not one JSON object: %v: %q", err, r.stdout)
		}
		if got, want := res["error"], "POST "+endpoint+" (target chat)"+failed; got != want {
			t.Errorf("error: got %q, want %q", got, want)
		}
		noSecrets(t, r)
	})
	t.Run("send to the top level", func(t *testing.T) {
		r := jobnotify(t, runOpts{config: cfg}, "send", "-X", "get", "--id", "line-3")
		wantCode(t, r, 1)
		wantLine(t, r.stderr, "jobnotify: GET "+endpoint+"/top"+failed)
	})
	t.Run("flush", func(t *testing.T) {
		r := jobnotify(t, runOpts{config: cfg}, "flush")
		wantCode(t, r, 1)
		wantStderr(t, r, "POST "+endpoint+" (target chat)"+failed+" (kept)")
		noSecrets(t, r)
		found.Store(true)
		r = jobnotify(t, runOpts{config: cfg}, "flush")
		wantCode(t, r, 0)
		wantStderr(t, r, "flushed line-1: POST "+endpoint+" (target chat) -> 200 OK (1 attempt)")
		noSecrets(t, r)
	})
}

// TestServerTextTrailingNewline: the line break (and other space) that
// ends most server texts is not shown as a literal \n after the excerpt,
// nor as \\n in -o json; a line break inside the text still is.
func TestServerTextTrailingNewline(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(404)
		io.WriteString(w, "no such hook\r\ntry /v2 \t\r\n\n")
	})
	cfg := fmt.Sprintf("url = %q\n", srv.URL) + fastRetry(1)
	const want = `404 Not Found: no such hook\r\ntry /v2`

	r := jobnotify(t, runOpts{config: cfg}, "send")
	wantCode(t, r, 1)
	if !strings.HasSuffix(r.stderr, want+"\n") {
		t.Errorf("stderr: got %q, want it to end with %q and one line break", r.stderr, want)
	}

	r = jobnotify(t, runOpts{config: cfg}, "send", "-o", "json")
	wantCode(t, r, 1)
	var res map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v: %q", err, r.stdout)
	}
	if e, _ := res["error"].(string); !strings.HasSuffix(e, want) {
		t.Errorf("error: got %q, want it to end with %q", e, want)
	}
}
