package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/redact"
)

// recorded is one request as the test server received it.
type recorded struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// server is an httptest server on 127.0.0.1 that records every request
// and answers with handle; n counts requests from 1.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newServer(tb testing.TB, handle func(w http.ResponseWriter, r *http.Request, n int)) *server {
	tb.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		n := len(s.reqs)
		s.mu.Unlock()
		handle(w, r, n)
	}))
	tb.Cleanup(s.Close)
	return s
}

func (s *server) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// statuses answers the n-th request with codes[n-1], and the last code after.
func statuses(codes ...int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, n int) {
		w.WriteHeader(codes[min(n, len(codes))-1])
	}
}

// logLines collects a client's log lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// testClient retries quickly: waits of a few milliseconds, a second per
// attempt, a few seconds in all.
func testClient(attempts int) (*Client, *logLines) {
	logs := &logLines{}
	return &Client{
		Timeout: time.Second,
		Retry:   config.Retry{Attempts: attempts, MinWait: 2 * time.Millisecond, MaxWait: 10 * time.Millisecond, MaxTime: 5 * time.Second},
		Log:     logs.add,
	}, logs
}

// request builds a real request to rawURL with the given --header values.
func request(tb testing.TB, method, rawURL string, headers ...string) *Request {
	tb.Helper()
	ov := urlOverride(rawURL)
	if err := ov.Set("method", method, "--method"); err != nil {
		tb.Fatal(err)
	}
	for _, h := range headers {
		hd, err := config.NewHeader(h, "--header")
		if err != nil {
			tb.Fatal(err)
		}
		ov.Headers = append(ov.Headers, hd)
	}
	s := resolve(tb, "", ov, nil)
	r, err := Build(testContext(), s, Input{ID: testID, Status: "SUCCESS", Fields: mustFields(tb, "stage=deploy"), Time: testTime}, "1.2.3")
	if err != nil {
		tb.Fatalf("Build: %v", err)
	}
	return r
}

// deliveryError asserts err is a *DeliveryError of class and returns it.
func deliveryError(tb testing.TB, err error, class string) *DeliveryError {
	tb.Helper()
	var de *DeliveryError
	if !errors.As(err, &de) {
		tb.Fatalf("got error %v (%T), want a *DeliveryError", err, err)
	}
	if de.Class != class {
		tb.Errorf("Class: got %q (%v), want %q", de.Class, err, class)
	}
	return de
}

func TestSendDelivered(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, "queued")
	})
	c, logs := testClient(4)
	r := request(t, "POST", srv.URL+"/hook", "Authorization: Bearer delivered-canary")
	res, err := c.Send(context.Background(), r)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !res.Delivered || res.Attempts != 1 || res.StatusCode != http.StatusAccepted || res.ID != testID || res.ErrorClass != "" {
		t.Errorf("got %+v, want delivered in 1 attempt with 202 and id %s", res, testID)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("server got %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if got.Method != "POST" || got.Path != "/hook" || !bytes.Equal(got.Body, r.Body.Bytes()) {
		t.Errorf("server got %s %s %q, want POST /hook %q", got.Method, got.Path, got.Body, r.Body)
	}
	for name, want := range map[string]string{
		"Idempotency-Key": testID,
		"User-Agent":      "jobnotify/1.2.3",
		"Content-Type":    "application/json",
		"Authorization":   "Bearer delivered-canary",
	} {
		if v := got.Header.Get(name); v != want {
			t.Errorf("%s: got %q, want %q", name, v, want)
		}
	}
	if logs.String() != "" {
		t.Errorf("log: got %q, want nothing", logs)
	}
}

func TestSendGET(t *testing.T) {
	srv := newServer(t, statuses(http.StatusOK))
	c, _ := testClient(1)
	res, err := c.Send(context.Background(), request(t, "GET", srv.URL+"/hook?a=1"))
	if err != nil || !res.Delivered {
		t.Fatalf("got %+v, %v, want delivered", res, err)
	}
	got := srv.requests()[0]
	q, err := url.ParseQuery(got.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != "GET" || len(got.Body) != 0 || q.Get("a") != "1" || q.Get("stage") != "deploy" || q.Get("build.number") != "42" {
		t.Errorf("server got %s ?%s with body %q, want GET with a=1, stage=deploy and build.number=42, no body", got.Method, got.RawQuery, got.Body)
	}
	if ct := got.Header.Get("Content-Type"); ct != "" {
		t.Errorf("Content-Type: got %q, want none", ct)
	}
}

func TestSendRetriesWithTheSameRequest(t *testing.T) {
	srv := newServer(t, statuses(503, 503, 200))
	c, logs := testClient(4)
	r := request(t, "PUT", srv.URL)
	res, err := c.Send(context.Background(), r)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !res.Delivered || res.Attempts != 3 || res.StatusCode != 200 {
		t.Errorf("got %+v, want delivered in 3 attempts", res)
	}
	reqs := srv.requests()
	if len(reqs) != 3 {
		t.Fatalf("server got %d requests, want 3", len(reqs))
	}
	for i, got := range reqs {
		if !bytes.Equal(got.Body, r.Body.Bytes()) {
			t.Errorf("request %d body: got %q, want %q", i+1, got.Body, r.Body)
		}
		if k := got.Header.Get("Idempotency-Key"); k != testID {
			t.Errorf("request %d Idempotency-Key: got %q, want %q", i+1, k, testID)
		}
		if got.Method != "PUT" {
			t.Errorf("request %d method: got %s, want PUT", i+1, got.Method)
		}
	}
	for _, want := range []string{"attempt 1/4: 503 Service Unavailable; retrying in ", "attempt 2/4: 503 Service Unavailable; retrying in "} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log: got %q, want it to contain %q", logs, want)
		}
	}
}

func TestSendRetryableStatuses(t *testing.T) {
	for _, code := range []int{408, 429, 500, 502, 503, 504} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv := newServer(t, statuses(code, 200))
			c, _ := testClient(3)
			res, err := c.Send(context.Background(), request(t, "POST", srv.URL))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if n := len(srv.requests()); !res.Delivered || res.Attempts != 2 || n != 2 {
				t.Errorf("got %+v and %d requests, want delivered in 2", res, n)
			}
		})
	}
}

func TestSendNotRetried(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 405, 409, 410, 413, 422, 501, 505} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv := newServer(t, statuses(code, 200))
			c, logs := testClient(4)
			res, err := c.Send(context.Background(), request(t, "POST", srv.URL))
			de := deliveryError(t, err, ClassStatus)
			var se *StatusError
			if !errors.As(err, &se) || se.Code != code {
				t.Fatalf("got %v, want a *StatusError with code %d", err, code)
			}
			if n := len(srv.requests()); n != 1 || de.Attempts != 1 || res.Attempts != 1 || res.Delivered || res.StatusCode != code {
				t.Errorf("got %+v and %d requests, want 1 failed attempt", res, n)
			}
			if want := "POST " + srv.URL + ": delivery failed after 1 attempt: " + StatusLine(code); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got %q, want it to start with %q", err, want)
			}
			if res.ErrorClass != ClassStatus || res.Error != err.Error() {
				t.Errorf("Result: got class %q error %q, want %q %q", res.ErrorClass, res.Error, ClassStatus, err)
			}
			if logs.String() != "" {
				t.Errorf("log: got %q, want nothing", logs)
			}
		})
	}
}

func TestSendStatusSnippet(t *testing.T) {
	body := "\x1b[31mbad\x1b[0m request\r\nfield\t\"x\" invalid \u202e\xff\\" + strings.Repeat("y", 600) + "TAIL-AFTER-512"
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, body)
	})
	c, _ := testClient(3)
	_, err := c.Send(context.Background(), request(t, "POST", srv.URL))
	deliveryError(t, err, ClassStatus)
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *StatusError", err)
	}
	if want := Escape([]byte(body[:512])) + "…"; se.Snippet != want {
		t.Errorf("Snippet: got %q, want %q", se.Snippet, want)
	}
	if se.Status != "400 Bad Request" {
		t.Errorf("Status: got %q, want 400 Bad Request", se.Status)
	}
	for _, bad := range []string{"\x1b", "\r", "\n", "\u202e", "\xff", "TAIL"} {
		if strings.Contains(err.Error(), bad) {
			t.Errorf("the error %q has %q in it", err, bad)
		}
	}
}

func TestSendAttemptsExhausted(t *testing.T) {
	srv := newServer(t, statuses(500))
	c, logs := testClient(3)
	res, err := c.Send(context.Background(), request(t, "POST", srv.URL))
	de := deliveryError(t, err, ClassStatus)
	if n := len(srv.requests()); n != 3 || de.Attempts != 3 || res.Attempts != 3 || res.StatusCode != 500 {
		t.Errorf("got %+v and %d requests, want 3 attempts ending in 500", res, n)
	}
	if want := "POST " + srv.URL + ": delivery failed after 3 attempts: 500 Internal Server Error"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %q, want it to start with %q", err, want)
	}
	if n := strings.Count(logs.String(), "retrying in"); n != 2 {
		t.Errorf("log: got %q, want 2 retry lines", logs)
	}
}

// deadAddr returns a 127.0.0.1 address nothing listens on.
func deadAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		tb.Fatal(err)
	}
	return addr
}

func TestSendConnectionRefused(t *testing.T) {
	addr := deadAddr(t)
	c, logs := testClient(2)
	res, err := c.Send(context.Background(), request(t, "POST", "http://"+addr+"/hook?token=refused-canary"))
	de := deliveryError(t, err, ClassNetwork)
	if de.Attempts != 2 || res.Attempts != 2 || res.Delivered {
		t.Errorf("got %+v, want 2 failed attempts", res)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("got %q, want it to say connection refused", err)
	}
	// The URL is named once, by the line's start, without its query; the
	// cause and the retry lines do not repeat it.
	if want := "POST http://" + addr + "/hook: delivery failed"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %q, want it to start with %q", err, want)
	}
	_, port, _ := net.SplitHostPort(addr)
	for _, bad := range []string{"127.0.0.1", port, "refused-canary", "http", "/hook"} {
		if strings.Contains(de.Err.Error(), bad) || strings.Contains(logs.String(), bad) {
			t.Errorf("cause %q or log %q has %q in it", de.Err, logs, bad)
		}
	}
	if strings.Contains(err.Error(), "refused-canary") {
		t.Errorf("error %q shows the query", err)
	}
	if !strings.Contains(logs.String(), "attempt 1/2: connection refused; retrying in") {
		t.Errorf("log: got %q, want a retry line naming the cause", logs)
	}
}

func TestSendServerHangsUp(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			conn.Close()
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	c, logs := testClient(3)
	res, err := c.Send(context.Background(), request(t, "POST", srv.URL))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := len(srv.requests()); !res.Delivered || res.Attempts != 2 || n != 2 {
		t.Errorf("got %+v and %d requests, want delivered in 2", res, n)
	}
	if !strings.Contains(logs.String(), "attempt 1/3: ") {
		t.Errorf("log: got %q, want a retry line for attempt 1", logs)
	}
}

// hang returns a handler that blocks on the first request until the client
// gives up (or the test ends), then answers 200.
func hang(tb testing.TB, before func()) func(http.ResponseWriter, *http.Request, int) {
	release := make(chan struct{})
	tb.Cleanup(func() { close(release) }) // runs before the server's Close
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			if before != nil {
				before()
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

func TestSendTimeout(t *testing.T) {
	tests := []struct {
		name      string
		attempts  int
		delivered bool
	}{
		{name: "last attempt times out", attempts: 1},
		{name: "a timeout is retried", attempts: 2, delivered: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, hang(t, nil))
			c, _ := testClient(tt.attempts)
			c.Timeout = 100 * time.Millisecond
			res, err := c.Send(context.Background(), request(t, "POST", srv.URL+"/hook?token=timeout-canary"))
			if tt.delivered {
				if err != nil || !res.Delivered || res.Attempts != 2 {
					t.Errorf("got %+v, %v, want delivered in 2", res, err)
				}
				return
			}
			de := deliveryError(t, err, ClassTimeout)
			if cause := de.Err.Error(); !strings.Contains(cause, "timeout") || strings.Contains(cause, "127.0.0.1") || strings.Contains(err.Error(), "timeout-canary") {
				t.Errorf("got %q, want a timeout cause without the URL, and no query", err)
			}
		})
	}
}

func TestSendMaxTime(t *testing.T) {
	srv := newServer(t, hang(t, nil))
	c, _ := testClient(3)
	c.Timeout = 30 * time.Second
	c.Retry.MaxTime = 50 * time.Millisecond
	_, err := c.Send(context.Background(), request(t, "POST", srv.URL))
	deliveryError(t, err, ClassMaxTime)
	if !strings.Contains(err.Error(), "retry.max_time") {
		t.Errorf("got %q, want it to name retry.max_time", err)
	}
}

func TestSendInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newServer(t, hang(t, cancel)) // the first request cancels the send
	c, _ := testClient(4)
	c.Timeout = 30 * time.Second
	c.Retry.MaxTime = 30 * time.Second
	res, err := c.Send(ctx, request(t, "POST", srv.URL))
	deliveryError(t, err, ClassInterrupted)
	if res.Delivered || res.ErrorClass != ClassInterrupted {
		t.Errorf("got %+v, want an interrupted result", res)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server got %d requests, want 1: no retry after an interrupt", n)
	}
}

func TestSendInterruptedDuringWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newServer(t, statuses(http.StatusServiceUnavailable))
	c, _ := testClient(4)
	c.Retry.MinWait, c.Retry.MaxWait, c.Retry.MaxTime = 20*time.Second, 20*time.Second, 60*time.Second
	c.Log = func(string) { cancel() } // the retry line is logged just before the wait
	_, err := c.Send(ctx, request(t, "POST", srv.URL))
	deliveryError(t, err, ClassInterrupted)
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server got %d requests, want 1", n)
	}
}

func TestSendRetryAfter(t *testing.T) {
	clock := time.Date(2026, 11, 27, 3, 20, 0, 0, time.UTC)
	tests := []struct {
		name       string
		code       int
		retryAfter string
		minWait    time.Duration
		maxWait    time.Duration
		maxTime    time.Duration
		fixedClock bool
		// want
		class    string // "" for delivered
		requests int
		log      string // a substring of the log
		msg      []string
	}{
		{
			name: "seconds honoured", code: 503, retryAfter: "1",
			minWait: 2 * time.Millisecond, maxWait: 2 * time.Second, maxTime: 10 * time.Second,
			requests: 2, log: "attempt 1/3: 503 Service Unavailable; retrying in 1s",
		},
		{
			name: "zero floored at min_wait", code: 429, retryAfter: "0",
			minWait: 5 * time.Millisecond, maxWait: 10 * time.Millisecond, maxTime: 5 * time.Second,
			requests: 2, log: "attempt 1/3: 429 Too Many Requests; retrying in 5ms",
		},
		{
			name: "longer than max_wait", code: 503, retryAfter: "3600",
			minWait: 2 * time.Millisecond, maxWait: 30 * time.Millisecond, maxTime: 5 * time.Second,
			class: ClassRetryAfter, requests: 1,
			msg: []string{"503 Service Unavailable", "Retry-After 1h0m0s", "retry.max_wait 30ms", "not retrying"},
		},
		{
			name: "longer than what is left of max_time", code: 429, retryAfter: "5",
			minWait: 2 * time.Millisecond, maxWait: 10 * time.Second, maxTime: 2 * time.Second,
			class: ClassRetryAfter, requests: 1,
			msg: []string{"Retry-After 5s", "retry.max_time 2s"},
		},
		{
			name: "HTTP date too far", code: 503, retryAfter: clock.Add(time.Hour).Format(http.TimeFormat), fixedClock: true,
			minWait: 2 * time.Millisecond, maxWait: 30 * time.Millisecond, maxTime: 5 * time.Second,
			class: ClassRetryAfter, requests: 1, msg: []string{"Retry-After 1h0m0s"},
		},
		{
			name: "HTTP date soon", code: 503, retryAfter: clock.Add(20 * time.Millisecond).Truncate(time.Second).Format(http.TimeFormat), fixedClock: true,
			minWait: 7 * time.Millisecond, maxWait: 30 * time.Millisecond, maxTime: 5 * time.Second,
			requests: 2, log: "retrying in 7ms",
		},
		{
			name: "too long to count", code: 503, retryAfter: "99999999999999999999",
			minWait: 2 * time.Millisecond, maxWait: 30 * time.Millisecond, maxTime: 5 * time.Second,
			class: ClassRetryAfter, requests: 1, msg: []string{"503 Service Unavailable", "server asked to Retry-After 100 years or more", "not retrying"},
		},
		{
			// A max_wait and max_time longer than a century do not make
			// such a wait acceptable.
			name: "too long whatever the limits", code: 429, retryAfter: "9999999999999",
			minWait: 2 * time.Millisecond, maxWait: 200 * 365 * 24 * time.Hour, maxTime: 200 * 365 * 24 * time.Hour,
			class: ClassRetryAfter, requests: 1, msg: []string{"server asked to Retry-After 100 years or more"},
		},
		{
			name: "ignored on 500", code: 500, retryAfter: "3600",
			minWait: 2 * time.Millisecond, maxWait: 30 * time.Millisecond, maxTime: 5 * time.Second,
			requests: 2,
		},
		{
			name: "unparseable uses backoff", code: 503, retryAfter: "soon",
			minWait: 2 * time.Millisecond, maxWait: 30 * time.Millisecond, maxTime: 5 * time.Second,
			requests: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				if n == 1 {
					w.Header().Set("Retry-After", tt.retryAfter)
					w.WriteHeader(tt.code)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			c, logs := testClient(3)
			c.Retry = config.Retry{Attempts: 3, MinWait: tt.minWait, MaxWait: tt.maxWait, MaxTime: tt.maxTime}
			if tt.fixedClock {
				c.Now = func() time.Time { return clock }
			}
			res, err := c.Send(context.Background(), request(t, "POST", srv.URL))
			if n := len(srv.requests()); n != tt.requests {
				t.Errorf("server got %d requests, want %d", n, tt.requests)
			}
			if tt.class == "" {
				if err != nil || !res.Delivered {
					t.Fatalf("got %+v, %v, want delivered", res, err)
				}
			} else {
				de := deliveryError(t, err, tt.class)
				if de.Attempts != 1 || res.StatusCode != tt.code {
					t.Errorf("got %+v, want 1 attempt ending in %d", res, tt.code)
				}
			}
			for _, m := range tt.msg {
				if !strings.Contains(fmt.Sprint(err), m) {
					t.Errorf("got %q, want it to contain %q", err, m)
				}
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log: got %q, want it to contain %q", logs, tt.log)
			}
		})
	}
}

func TestSendRedirects(t *testing.T) {
	tests := []struct {
		name     string
		code     int
		location func(self, other string) string
		// want
		followed bool
		msgLoc   func(self, other string) string // the location the message names
	}{
		{name: "307 same host", code: 307, location: func(_, _ string) string { return "/new?k=v" }, followed: true},
		{name: "308 same host absolute", code: 308, location: func(self, _ string) string { return self + "/new" }, followed: true},
		{
			name: "302 not followed", code: 302, location: func(_, _ string) string { return "/elsewhere?token=redirect-canary" },
			msgLoc: func(self, _ string) string { return self + "/elsewhere" },
		},
		{
			name: "301 not followed", code: 301, location: func(_, _ string) string { return "/moved" },
			msgLoc: func(self, _ string) string { return self + "/moved" },
		},
		{
			name: "303 not followed", code: 303, location: func(_, _ string) string { return "/see-other" },
			msgLoc: func(self, _ string) string { return self + "/see-other" },
		},
		{
			name: "307 to another port", code: 307, location: func(_, other string) string { return other + "/x?sig=redirect-canary" },
			msgLoc: func(_, other string) string { return other + "/x" },
		},
		{
			name: "307 with userinfo", code: 307, location: func(self, _ string) string {
				return strings.Replace(self, "http://", "http://u:redirect-canary@", 1) + "/new"
			},
			msgLoc: func(self, _ string) string { return self + "/new" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := newServer(t, statuses(http.StatusOK))
			var srv *server
			srv = newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				if r.URL.Path == "/old" {
					w.Header().Set("Location", tt.location(srv.URL, other.URL))
					w.WriteHeader(tt.code)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			c, _ := testClient(3)
			r := request(t, "PATCH", srv.URL+"/old", "Authorization: Bearer redirect-auth-canary", "X-Custom: kept")
			res, err := c.Send(context.Background(), r)
			if n := len(other.requests()); n != 0 {
				t.Errorf("the other server got %d requests, want none", n)
			}
			reqs := srv.requests()
			if tt.followed {
				if err != nil || !res.Delivered || res.Attempts != 1 {
					t.Fatalf("got %+v, %v, want delivered in 1 attempt", res, err)
				}
				if len(reqs) != 2 {
					t.Fatalf("server got %d requests, want 2", len(reqs))
				}
				got := reqs[1]
				if got.Method != "PATCH" || got.Path != "/new" || !bytes.Equal(got.Body, r.Body.Bytes()) {
					t.Errorf("after the redirect: got %s %s %q, want PATCH /new %q", got.Method, got.Path, got.Body, r.Body)
				}
				for _, h := range []string{"Authorization", "X-Custom", "Idempotency-Key", "Content-Type", "User-Agent"} {
					if g, w := got.Header.Get(h), r.Header.Get(h); g != w {
						t.Errorf("%s after the redirect: got %q, want %q", h, g, w)
					}
				}
				return
			}
			if len(reqs) != 1 {
				t.Errorf("server got %d requests, want 1", len(reqs))
			}
			deliveryError(t, err, ClassRedirect)
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tt.code {
				t.Fatalf("got %v, want a *StatusError with code %d", err, tt.code)
			}
			if want := tt.msgLoc(srv.URL, other.URL); se.Location != want || !strings.Contains(err.Error(), "redirect to "+want+" not followed") {
				t.Errorf("got %q (Location %q), want it to name %s", err, se.Location, want)
			}
			if strings.Contains(err.Error(), "redirect-canary") {
				t.Errorf("got %q, want no query or userinfo in it", err)
			}
		})
	}
}

func TestCheckRedirect(t *testing.T) {
	tests := []struct {
		name     string
		code     int
		from, to string
		via      int  // requests before this one
		follow   bool // want nil
	}{
		{name: "307 same origin", code: 307, from: "http://127.0.0.1:8080/a", to: "http://127.0.0.1:8080/b", follow: true},
		{name: "308 same origin", code: 308, from: "https://h.test/a", to: "https://h.test:443/b", follow: true},
		{name: "307 upgrade to https", code: 307, from: "http://h.test/a", to: "https://h.test/a", follow: true},
		{name: "307 downgrade to http", code: 307, from: "https://h.test/a", to: "http://h.test/a"},
		{name: "307 other port", code: 307, from: "http://127.0.0.1:8080/a", to: "http://127.0.0.1:8081/a"},
		{name: "307 other host", code: 307, from: "http://h.test/a", to: "http://evil.test/a"},
		{name: "307 userinfo", code: 307, from: "http://h.test/a", to: "http://u:p@h.test/a"},
		{name: "301", code: 301, from: "http://h.test/a", to: "http://h.test/b"},
		{name: "302", code: 302, from: "http://h.test/a", to: "http://h.test/b"},
		{name: "303", code: 303, from: "http://h.test/a", to: "http://h.test/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, _ := url.Parse(tt.from)
			to, _ := url.Parse(tt.to)
			req := &http.Request{URL: to, Response: &http.Response{StatusCode: tt.code}}
			err := checkRedirect(req, []*http.Request{{URL: from}})
			if tt.follow && err != nil {
				t.Errorf("got %v, want nil (follow)", err)
			}
			if !tt.follow && err != http.ErrUseLastResponse {
				t.Errorf("got %v, want http.ErrUseLastResponse", err)
			}
		})
	}
	t.Run("too many", func(t *testing.T) {
		u, _ := url.Parse("http://h.test/a")
		via := make([]*http.Request, 10)
		for i := range via {
			via[i] = &http.Request{URL: u}
		}
		err := checkRedirect(&http.Request{URL: u, Response: &http.Response{StatusCode: 307}}, via)
		if err == nil || err == http.ErrUseLastResponse || !strings.Contains(err.Error(), "10 redirects") {
			t.Errorf("got %v, want an error about 10 redirects", err)
		}
		if !errors.Is(err, errTooManyRedirects) {
			t.Errorf("got %v, want errTooManyRedirects", err)
		}
	})
}

// classify knows checkRedirect's error by identity: wrapped as net/http
// wraps it, it is a redirect failure; another error that merely says the
// same words (a proxy's message, say) is not.
func TestClassifyRedirect(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantRetry bool
		wantClass string
	}{
		{name: "as net/http returns it", err: &url.Error{Op: "Post", URL: "http://h.test/a", Err: errTooManyRedirects}, wantRetry: false, wantClass: ClassRedirect},
		{name: "wrapped again", err: fmt.Errorf("attempt 2: %w", &url.Error{Op: "Post", URL: "http://h.test/a", Err: errTooManyRedirects}), wantRetry: false, wantClass: ClassRedirect},
		{name: "the same text", err: errors.New("stopped after 10 redirects"), wantRetry: true, wantClass: ClassNetwork},
		{name: "the same text in a url.Error", err: &url.Error{Op: "Post", URL: "http://h.test/a", Err: errors.New("proxy: stopped after 10 redirects")}, wantRetry: true, wantClass: ClassNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			retry, class := classify(nil, tt.err)
			if retry != tt.wantRetry || class != tt.wantClass {
				t.Errorf("got %v, %q, want %v, %q", retry, class, tt.wantRetry, tt.wantClass)
			}
		})
	}
}

func TestWait(t *testing.T) {
	tests := []struct {
		name     string
		min, max time.Duration
	}{
		{name: "defaults", min: time.Second, max: 30 * time.Second},
		{name: "equal", min: 50 * time.Millisecond, max: 50 * time.Millisecond},
		{name: "narrow", min: 20 * time.Millisecond, max: 30 * time.Millisecond},
		{name: "zero min", min: 0, max: 100 * time.Millisecond},
		{name: "zero", min: 0, max: 0},
		{name: "tiny", min: time.Nanosecond, max: 3 * time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &policy{c: &Client{Retry: config.Retry{Attempts: 100, MinWait: tt.min, MaxWait: tt.max}}}
			for attempt := 1; attempt <= 100; attempt++ {
				for i := 0; i < 50; i++ {
					got := p.wait(attempt)
					if got < tt.min || got > tt.max {
						t.Fatalf("wait(%d): got %s, want within [%s, %s]", attempt, got, tt.min, tt.max)
					}
					// Exponential: never more than min_wait doubled per attempt.
					if attempt < 30 && tt.min > 0 && got > max(tt.min<<(attempt-1), tt.min) {
						t.Fatalf("wait(%d): got %s, want at most %s", attempt, got, tt.min<<(attempt-1))
					}
				}
			}
		})
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 20, 0, 0, time.UTC)
	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{name: "empty", value: ""},
		{name: "seconds", value: "1", want: time.Second, wantOK: true},
		{name: "spaces", value: " 120 ", want: 2 * time.Minute, wantOK: true},
		{name: "zero", value: "0", want: 0, wantOK: true},
		{name: "negative", value: "-5"},
		{name: "fraction", value: "1.5"},
		{name: "words", value: "later"},
		{name: "just under the longest", value: "3153599999", want: longestRetryAfter - time.Second, wantOK: true},
		{name: "the longest", value: "3153600000", want: longestRetryAfter, wantOK: true},
		{name: "overflowing a duration", value: "9999999999999", want: longestRetryAfter, wantOK: true},
		{name: "largest int64", value: "9223372036854775807", want: longestRetryAfter, wantOK: true},
		{name: "overflowing int64", value: "99999999999999999999", want: longestRetryAfter, wantOK: true},
		{name: "negative overflowing int64", value: "-99999999999999999999"},
		{name: "HTTP date", value: now.Add(90 * time.Second).Format(http.TimeFormat), want: 90 * time.Second, wantOK: true},
		{name: "RFC 850 date", value: now.Add(time.Hour).Format(time.RFC850), want: time.Hour, wantOK: true},
		{name: "past date", value: now.Add(-time.Hour).Format(http.TimeFormat), want: 0, wantOK: true},
		{name: "date two centuries ahead", value: now.AddDate(200, 0, 0).Format(http.TimeFormat), want: longestRetryAfter, wantOK: true},
		{name: "date in year 9999", value: "Fri, 31 Dec 9999 23:59:59 GMT", want: longestRetryAfter, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := retryAfter(tt.value, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("retryAfter(%q): got %s, %v, want %s, %v", tt.value, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "EOF", err: &url.Error{Op: "Post", URL: "http://u:p@127.0.0.1/?token=x", Err: io.EOF}, want: "server closed the connection without a response"},
		{name: "other", err: &url.Error{Op: "Post", URL: "http://u:p@127.0.0.1/?token=x", Err: errors.New("something odd")}, want: "something odd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(tt.err, time.Second); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStatusLine(t *testing.T) {
	for code, want := range map[int]string{200: "200 OK", 503: "503 Service Unavailable", 599: "599"} {
		if got := StatusLine(code); got != want {
			t.Errorf("StatusLine(%d): got %q, want %q", code, got, want)
		}
	}
}

// TestSendSnippetCutAfterRedaction: a secret the server echoes across the
// 512-byte cut is redacted whole before the cut, so no start of it shows.
func TestSendSnippetCutAfterRedaction(t *testing.T) {
	const secret = "Bearer TOPSECRETtoken-abcdefghijklmnop"
	for _, pad := range []int{490, 500, 508, 511} {
		srv := newServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, strings.Repeat("x", pad)+secret+" and more")
		})
		c, _ := testClient(1)
		c.Redact = redact.New(secret, "TOPSECRETtoken-abcdefghijklmnop").String
		_, err := c.Send(context.Background(), request(t, "POST", srv.URL))
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("got %v, want a *StatusError", err)
		}
		for _, part := range []string{"TOPSE", "Bearer T", "Bearer TOPSECRETtoken-"} {
			if strings.Contains(se.Snippet, part) {
				t.Errorf("pad %d: snippet shows %q: %q", pad, part, se.Snippet[len(se.Snippet)-40:])
			}
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "plain", in: "ok: done", want: "ok: done"},
		{name: "unicode kept", in: "héllo 世界", want: "héllo 世界"},
		{name: "ANSI escape", in: "\x1b[31mred\x1b[0m", want: `\x1b[31mred\x1b[0m`},
		{name: "CR", in: "a\rb", want: `a\rb`},
		{name: "LF", in: "a\nb", want: `a\nb`},
		{name: "tab", in: "a\tb", want: `a\tb`},
		{name: "NUL", in: "a\x00b", want: `a\x00b`},
		{name: "DEL", in: "a\x7fb", want: `a\x7fb`},
		{name: "bell", in: "\a", want: `\x07`},
		{name: "bidi override", in: "evil\u202eexe.txt", want: `evil\u202eexe.txt`},
		{name: "zero width space", in: "a\u200bb", want: `a\u200bb`},
		{name: "C1 control", in: "a\u0085b", want: `a\u0085b`},
		{name: "C1 range", in: "\u0080\u009b31m\u009f", want: `\u0080\u009b31m\u009f`},
		{name: "8-bit CSI byte", in: "a\x9b31mb", want: `a\x9b31mb`},
		{name: "bidi embeddings and overrides", in: "\u202a\u202b\u202c\u202d\u202e", want: `\u202a\u202b\u202c\u202d\u202e`},
		{name: "bidi isolates", in: "\u2066a\u2067b\u2068c\u2069", want: `\u2066a\u2067b\u2068c\u2069`},
		{name: "bidi marks", in: "\u200e\u200f\u061c", want: `\u200e\u200f\u061c`},
		{name: "line and paragraph separators", in: "a\u2028b\u2029c", want: `a\u2028b\u2029c`},
		{name: "invalid UTF-8", in: "a\xffb\xc3", want: `a\xffb\xc3`},
		{name: "backslash", in: `a\nb`, want: `a\\nb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Escape([]byte(tt.in)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
