package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/internal/weburl"
)

// Client delivers requests with retries. The zero value is not usable:
// set Retry and Timeout, or start from NewClient.
type Client struct {
	Timeout time.Duration // per attempt
	Retry   config.Retry  // attempts, waits and the overall time limit

	// Transport carries the requests; nil means a default transport with no
	// proxy. NewTransport builds one from the [tls] settings and a proxy.
	Transport http.RoundTripper
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives one line per retry; nil discards them.
	Log func(line string)
	// Debug receives request and response details (--verbose); nil discards them.
	Debug func(line string)
	// Redact removes secrets from what a server sent before it is cut to
	// length for a message, so a cut never leaves the start of a secret a
	// server echoed; nil leaves the text as it is.
	Redact func(string) string
}

// NewClient returns a client with a per-attempt timeout and a retry policy.
func NewClient(timeout time.Duration, retry config.Retry) *Client {
	return &Client{Timeout: timeout, Retry: retry}
}

// Result says what happened to one delivery.
type Result struct {
	DryRun     bool          `json:"dry_run,omitempty"` // nothing was sent: see Request
	Delivered  bool          `json:"delivered"`
	StatusCode int           `json:"status_code,omitempty"`
	Attempts   int           `json:"attempts"`
	ID         string        `json:"id"`
	Elapsed    time.Duration `json:"-"`
	ElapsedMS  int64         `json:"elapsed_ms"`
	ErrorClass string        `json:"error_class,omitempty"` // see DeliveryError.Class
	Error      string        `json:"error,omitempty"`
	// MaybePosted: a chat message that failed after it was written, and
	// so may have been posted (see DeliveryError.MaybePosted).
	MaybePosted bool   `json:"maybe_posted,omitempty"`
	SoftFail    bool   `json:"soft_fail,omitempty"` // the failure exited 0 (soft fail, or an optional target)
	Target      string `json:"target,omitempty"`    // the target it went to; "" for the top level
	Skipped     bool   `json:"skipped,omitempty"`   // not sent: the target's on does not take this outcome
	Reason      string `json:"reason,omitempty"`    // why it was skipped
	Request     *Shown `json:"request,omitempty"`   // a dry run's request, as Request.Show shows it
}

// Error classes of a DeliveryError.
const (
	ClassStatus      = "status"       // the final response was not 2xx
	ClassRedirect    = "redirect"     // a redirect that is not followed
	ClassNetwork     = "network"      // connection refused, reset, no such host…
	ClassTimeout     = "timeout"      // no response within the per-attempt timeout
	ClassTLS         = "tls"          // certificate verification or protocol mismatch
	ClassRetryAfter  = "retry_after"  // the server asked for a wait longer than allowed
	ClassMaxTime     = "max_time"     // retry.max_time ran out
	ClassInterrupted = "interrupted"  // the context was cancelled (SIGINT, SIGTERM)
	ClassInput       = "input"        // nothing was sent: a usage, config or input error
	ClassBreaker     = "breaker_open" // not tried: the origin's breaker is open; spooled
)

// DeliveryError is a delivery that failed after Attempts attempts. Its
// message is the failure line send and flush print:
// "POST https://api.example.com/hook (target chat): delivery failed after
// 1 attempt: 404 Not Found: …".
type DeliveryError struct {
	Class    string
	Attempts int
	Where    string // the request, as Request.Where names it; "" leaves it out
	Err      error
	// MaybePosted is set when a chat message (Request.PostsOnce) failed
	// in a way that may come after it was posted: it is neither retried
	// nor spooled, since a repeat would post it twice.
	MaybePosted bool
}

func (e *DeliveryError) Error() string {
	if e.Attempts == 0 {
		return e.Err.Error() // nothing was attempted, as when flush leaves files behind
	}
	msg := fmt.Sprintf("delivery failed after %s: %v", human.Plural(e.Attempts, "attempt"), e.Err)
	if e.Where != "" {
		msg = e.Where + ": " + msg
	}
	if e.MaybePosted {
		msg += MaybePostedNote
	}
	return msg
}

// MaybePostedNote ends the failure line of a chat message that may have
// been posted.
const MaybePostedNote = " (not retried: the message may have been posted, and a chat webhook takes a repeat as a new message)"

func (e *DeliveryError) Unwrap() error { return e.Err }

// StatusError is a response that was not a success.
type StatusError struct {
	Code     int
	Status   string // "503 Service Unavailable"
	Snippet  string // the first bytes of the body, control characters escaped
	Location string // for a redirect: where it pointed, as scheme://host/path
}

func (e *StatusError) Error() string {
	msg := e.Status
	if e.Location != "" {
		msg += ": redirect to " + e.Location + " not followed (only a 307 or 308 to the same host and port is)"
	}
	if e.Snippet != "" {
		msg += ": " + e.Snippet
	}
	return msg
}

// stopError ends the retries early, saying why.
type stopError struct {
	class string
	msg   string
	cause string // what the last attempt got
}

func (e *stopError) Error() string {
	if e.cause == "" {
		return e.msg
	}
	return e.cause + ": " + e.msg
}

const (
	snippetLen = 512     // response bytes in a failure message
	verboseLen = 2 << 10 // response bytes shown by --verbose
)

// Send delivers r, retrying as the client's policy says. The error is a
// *DeliveryError; a success is a 2xx response.
func (c *Client) Send(ctx context.Context, r *Request) (*Result, error) {
	now := c.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	ctx, cancel := context.WithTimeout(ctx, c.Retry.MaxTime)
	defer cancel()

	p := &policy{c: c, now: now, deadline: start.Add(c.Retry.MaxTime), postsOnce: r.PostsOnce}
	transport := c.Transport
	if transport == nil {
		transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if r.PostsOnce {
		if t, ok := transport.(*http.Transport); ok {
			// HTTP/1.1 alone: HTTP/2 resends a written request by
			// itself after some stream resets, and telling the ones
			// that posted nothing (REFUSED_STREAM, GOAWAY) from the one
			// that may have (PROTOCOL_ERROR) is not exposed.
			t = t.Clone()
			t.Protocols = new(http.Protocols)
			t.Protocols.SetHTTP1(true)
			if t.TLSClientConfig != nil {
				// A transport that spoke HTTP/2 before offers h2 in its
				// TLS handshake: a server taking it would then get
				// HTTP/1.1.
				tc := t.TLSClientConfig.Clone()
				tc.NextProtos = slices.DeleteFunc(slices.Clone(tc.NextProtos), func(p string) bool { return p == "h2" })
				t.TLSClientConfig = tc
			}
			transport = t
		}
		transport = &postOnce{base: transport, wrote: &p.wrote}
	}
	rc := &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport:     transport,
			Timeout:       c.Timeout,
			CheckRedirect: checkRedirect,
		},
		Logger:       nil, // it prints URLs with their query strings
		RetryWaitMin: c.Retry.MinWait,
		RetryWaitMax: c.Retry.MaxWait,
		RetryMax:     c.Retry.Attempts - 1,
		CheckRetry:   p.check,
		Backoff:      p.backoff,
		ErrorHandler: func(resp *http.Response, err error, _ int) (*http.Response, error) { return resp, err },
	}
	if c.Debug != nil {
		rc.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, i int) {
			var b strings.Builder
			fmt.Fprintf(&b, "> %s %s (attempt %d/%d)\n", req.Method, weburl.Origin(req.URL.String()), i+1, c.Retry.Attempts)
			writeHeaders(&b, "> ", shownHeader(req.Header, r.Signing.Header), c.oneLine)
			c.Debug(strings.TrimSuffix(b.String(), "\n"))
		}
	}
	var body any
	if r.Body.Len() > 0 {
		// Each attempt reads the pieces from the start: never copied.
		body = retryablehttp.ReaderFunc(func() (io.Reader, error) { return r.Body.Reader(), nil })
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, &InputError{Where: "url", Err: errors.New("cannot make a request of it")}
	}
	req.Header = r.Header.Clone()
	req.Host = r.Host
	if r.Signing.Scheme != "" {
		// Every attempt is signed anew, over exactly the bytes it sends.
		signHeaders(req.Header, r.Signing, r.ID, r.Body, now())
		rc.PrepareRetry = func(hr *http.Request) error {
			hr.Header = hr.Header.Clone() // the previous attempt's map stays as it was
			signHeaders(hr.Header, r.Signing, r.ID, r.Body, now())
			return nil
		}
	}

	resp, err := rc.Do(req)
	res := &Result{ID: r.ID, Attempts: max(p.attempt, 1)}
	finish := func(class string, err error) (*Result, error) {
		res.Elapsed = now().Sub(start)
		res.ElapsedMS = res.Elapsed.Milliseconds()
		if err == nil {
			res.Delivered = true
			return res, nil
		}
		de := &DeliveryError{Class: class, Attempts: res.Attempts, Where: r.Where(), Err: err, MaybePosted: p.maybePosted}
		res.ErrorClass, res.Error, res.MaybePosted = class, de.Error(), p.maybePosted
		return res, de
	}
	var stop *stopError
	switch {
	case resp != nil && err == nil:
		res.StatusCode = resp.StatusCode
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			// Delivered: a slow or endless body must not hold the build.
			resp.Body.Close()
			return finish("", nil)
		}
		se := &StatusError{Code: resp.StatusCode, Status: statusText(resp), Snippet: c.readSnippet(resp)}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			if loc, err := resp.Location(); err == nil {
				se.Location = weburl.Origin(loc.String())
			}
			return finish(ClassRedirect, se)
		}
		return finish(ClassStatus, se)
	case resp != nil:
		res.StatusCode = resp.StatusCode
		c.readSnippet(resp)
	}
	switch {
	case errors.As(err, &stop):
		return finish(stop.class, stop)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return finish(ClassMaxTime, fmt.Errorf("retry.max_time %s reached%s", c.Retry.MaxTime, p.lastCause()))
	case ctx.Err() != nil:
		return finish(ClassInterrupted, fmt.Errorf("interrupted: %w", context.Cause(ctx)))
	}
	_, class := classify(nil, err)
	return finish(class, errors.New(describe(err, c.Timeout)))
}

// readSnippet returns the first bytes of the body, escaped, and closes it
// after reading a bounded amount more, so a huge body costs nothing.
func (c *Client) readSnippet(resp *http.Response) string {
	defer resp.Body.Close()
	buf, _ := io.ReadAll(io.LimitReader(resp.Body, snippetLen+cutSlack))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusProxyAuthRequired {
		return proxyAnswerHidden
	}
	return c.excerpt(buf, snippetLen)
}

// proxyAnswerHidden stands for a 407's body, never shown: a proxy may
// name the user in it, and a user name shorter than redact.MinSecret
// cannot be redacted.
const proxyAnswerHidden = "(the proxy's answer is not shown: it may name the proxy user)"

// cutSlack is how much more than it shows an excerpt reads, so a secret
// that starts before the cut is seen whole by the redactor.
const cutSlack = 4 << 10

// excerpt redacts raw, drops the space and line breaks it ends with
// (most texts end with a line break, which would show as a literal \n),
// then cuts it to n bytes on a character boundary, then escapes it for one
// line of output.
func (c *Client) excerpt(raw []byte, n int) string {
	s := string(raw)
	if c.Redact != nil {
		s = c.Redact(s)
	}
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	cut := len(s) > n
	if cut {
		s = s[:n]
		// Drop a character the cut split in two.
		for i := len(s) - 1; i >= 0 && i >= len(s)-utf8.UTFMax; i-- {
			if utf8.RuneStart(s[i]) {
				if !utf8.FullRuneInString(s[i:]) {
					s = s[:i]
				}
				break
			}
		}
	}
	out := Escape([]byte(s))
	if cut {
		out += "…"
	}
	return out
}

// oneLine renders text for one line of output: redacted, then escaped as
// Escape does. It is how --verbose shows header names and values, which a
// server (or a variable a header was expanded from) chose.
func (c *Client) oneLine(s string) string {
	if c.Redact != nil {
		s = c.Redact(s)
	}
	return Escape([]byte(s))
}

// statusText renders a status as "503 Service Unavailable", using Go's text
// rather than the server's, which could be anything.
func statusText(resp *http.Response) string { return StatusLine(resp.StatusCode) }

// StatusLine renders a response status for the result line.
func StatusLine(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return strconv.Itoa(code)
}

// policy decides retries and waits for one Send. go-retryablehttp calls
// check once per attempt and then, when check said retry, backoff.
type policy struct {
	c        *Client
	now      func() time.Time
	deadline time.Time
	attempt  int
	next     time.Duration
	cause    string // what the last attempt got, for messages

	postsOnce   bool        // Request.PostsOnce
	wrote       atomic.Bool // the attempt's last round trip wrote the whole request (set by postOnce)
	maybePosted bool        // an attempt failed after it was written, or with a status that may follow a post
}

func (p *policy) lastCause() string {
	if p.cause == "" {
		return ""
	}
	return "; last attempt: " + p.cause
}

func (p *policy) check(ctx context.Context, resp *http.Response, err error) (bool, error) {
	p.attempt++
	if resp != nil && p.c.Debug != nil {
		p.debugResponse(resp)
	}
	if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil // delivered, even as max_time or a signal ends the send
	}
	retry, cause := classifyCause(resp, err, p.c.Timeout)
	p.cause = cause
	// Before the context's end is looked at: max_time, a signal or
	// flush on send's budget cutting short an attempt that was written
	// leaves a message that may have been posted all the same.
	if wrote := p.wrote.Swap(false); retry && p.postsOnce && !notPosted(resp, err, wrote, p.now()) {
		p.maybePosted = true
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if p.maybePosted {
		return false, nil
	}
	if !retry || p.attempt >= p.c.Retry.Attempts {
		return false, nil
	}
	wait := p.wait(p.attempt)
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), p.now()); ok {
			if ra >= longestRetryAfter {
				// Whatever max_wait and max_time allow: too long to wait.
				return false, &stopError{class: ClassRetryAfter, cause: cause,
					msg: fmt.Sprintf("server asked to Retry-After %d years or more; not retrying", longestRetryAfterYears)}
			}
			if ra > p.c.Retry.MaxWait {
				return false, &stopError{class: ClassRetryAfter, cause: cause,
					msg: fmt.Sprintf("server asked to Retry-After %s, more than retry.max_wait %s; not retrying", human.Round(ra), p.c.Retry.MaxWait)}
			}
			wait = max(ra, p.c.Retry.MinWait)
			if left := p.deadline.Sub(p.now()); wait > left {
				return false, &stopError{class: ClassRetryAfter, cause: cause,
					msg: fmt.Sprintf("server asked to Retry-After %s, more than the %s left of retry.max_time %s; not retrying", human.Round(ra), human.Round(left), p.c.Retry.MaxTime)}
			}
		}
	}
	if left := p.deadline.Sub(p.now()); wait > left {
		return false, &stopError{class: ClassMaxTime, cause: cause,
			msg: fmt.Sprintf("the next retry, in %s, would pass retry.max_time %s", human.Round(wait), p.c.Retry.MaxTime)}
	}
	p.next = wait
	if p.c.Log != nil {
		p.c.Log(fmt.Sprintf("attempt %d/%d: %s; retrying in %s", p.attempt, p.c.Retry.Attempts, cause, human.Round(wait)))
	}
	return true, nil
}

// postOnce carries a chat message (Request.PostsOnce), over HTTP/1.1.
// For each round trip it notes whether the whole request was written —
// the last one's is what the attempt wrote: a redirect's first hop,
// answered, posted nothing — and it keeps net/http from sending a
// written request again by itself, which it does to a request with an
// Idempotency-Key on a reused connection that broke: the connection is
// closed after each round trip, so none is reused.
type postOnce struct {
	base  http.RoundTripper
	wrote *atomic.Bool
}

func (t *postOnce) RoundTrip(req *http.Request) (*http.Response, error) {
	var wrote atomic.Bool
	r := req.Clone(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{WroteRequest: func(w httptrace.WroteRequestInfo) {
		if w.Err == nil {
			wrote.Store(true)
		}
	}}))
	r.Close = true
	resp, err := t.base.RoundTrip(r)
	t.wrote.Store(wrote.Load())
	return resp, err
}

// notPosted reports whether an attempt that is worth retrying provably
// posted nothing: it failed before the whole request was written
// (refused, DNS, a connect or TLS handshake timeout), or the server said
// so with 429, or with 503 and a Retry-After. A timeout, a reset or any
// other 5xx after the request was written may come after the message
// was posted.
func notPosted(resp *http.Response, err error, wrote bool, now time.Time) bool {
	if err != nil {
		return !wrote
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true
	case http.StatusServiceUnavailable:
		_, ok := retryAfter(resp.Header.Get("Retry-After"), now)
		return ok
	}
	return false
}

func (p *policy) backoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return p.next }

// wait is capped exponential backoff with jitter: min_wait doubled per
// attempt, capped at max_wait, then a random point in its upper half, never
// below min_wait.
func (p *policy) wait(attempt int) time.Duration {
	lo, hi := p.c.Retry.MinWait, p.c.Retry.MaxWait
	d := lo
	for i := 1; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	if half := d / 2; half > 0 {
		d = half + rand.N(half+1)
	}
	return max(d, lo)
}

// longestRetryAfter is the longest Retry-After counted. A longer one, or
// one too long to count at all (99999999999999999999 seconds, more seconds
// than a time.Duration holds, a date centuries ahead), is taken as this,
// and a Retry-After this long always ends the retries.
const longestRetryAfter = longestRetryAfterYears * 365 * 24 * time.Hour

const longestRetryAfterYears = 100

// retryAfter parses a Retry-After value, seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	// Out of int64's range, ParseInt says so and returns its largest or
	// smallest value: a number of seconds that large is a wait too long.
	if n, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if n < 0 {
			return 0, false
		}
		if n >= int64(longestRetryAfter/time.Second) {
			return longestRetryAfter, true
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		// Sub saturates rather than overflows: a date in year 9999 is
		// about 292 years, which min brings down.
		return min(max(t.Sub(now), 0), longestRetryAfter), true
	}
	return 0, false
}

func (p *policy) debugResponse(resp *http.Response) {
	var b strings.Builder
	fmt.Fprintf(&b, "< %s\n", statusText(resp))
	if resp.StatusCode == http.StatusProxyAuthRequired {
		b.WriteString("< " + proxyAnswerHidden)
		p.c.Debug(b.String())
		return
	}
	writeHeaders(&b, "< ", shownHeader(resp.Header, ""), p.c.oneLine)
	peek, _ := io.ReadAll(io.LimitReader(resp.Body, verboseLen+cutSlack))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(strings.NewReader(string(peek)), resp.Body), resp.Body}
	if len(peek) > 0 {
		fmt.Fprintf(&b, "< %s", p.c.excerpt(peek, verboseLen))
	}
	p.c.Debug(strings.TrimSuffix(b.String(), "\n"))
}

// RetriedStatuses are the response statuses worth another attempt, the
// one list that send --help quotes too. Every other status is final.
var RetriedStatuses = []int{408, 429, 500, 502, 503, 504}

// classify says whether an outcome is worth retrying and its error class.
func classify(resp *http.Response, err error) (retry bool, class string) {
	if err == nil {
		return slices.Contains(RetriedStatuses, resp.StatusCode), ClassStatus
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return true, ClassTimeout
	}
	if _, ok := tlsProblem(err); ok {
		return false, ClassTLS
	}
	if errors.Is(err, errTooManyRedirects) {
		return false, ClassRedirect
	}
	return true, ClassNetwork
}

func classifyCause(resp *http.Response, err error, timeout time.Duration) (bool, string) {
	retry, _ := classify(resp, err)
	if err == nil {
		return retry, statusText(resp)
	}
	return retry, describe(err, timeout)
}

// describe names a transport error's cause as the system reports it,
// without the URL that net/http errors embed.
func describe(err error, timeout time.Duration) string {
	var (
		ue    *url.Error
		dns   *net.DNSError
		errno syscall.Errno
	)
	if msg, ok := tlsProblem(err); ok {
		return msg
	}
	switch {
	case errors.As(err, &ue) && ue.Timeout():
		return fmt.Sprintf("timeout: no response within %s (i/o timeout)", timeout)
	case errors.As(err, &dns):
		return "lookup " + dns.Name + ": " + dns.Err
	case errors.As(err, &errno):
		return errno.Error()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "server closed the connection without a response"
	}
	if ue != nil {
		err = ue.Err
	}
	return err.Error()
}

// tlsProblem describes a TLS failure that retrying cannot fix, saying what
// to do about it; ok is false for any other error.
func tlsProblem(err error) (msg string, ok bool) {
	var (
		unknownCA x509.UnknownAuthorityError // crypto/tls wraps it as a value
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		op        *net.OpError
	)
	switch {
	case errors.As(err, &unknownCA):
		return "certificate signed by unknown authority: set [tls] ca_file to the CA that signed the server's certificate", true
	case errors.As(err, &hostname):
		return hostname.Error() + " (the URL's host must be a name the certificate is for)", true
	case errors.As(err, &invalid):
		return invalid.Error(), true
	case errors.As(err, &verify):
		return "certificate verification failed: " + verify.Err.Error(), true
	case errors.As(err, &record), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "server gave HTTP response to HTTPS client (use an http:// URL, or fix the server's TLS)", true
	case errors.As(err, &op) && op.Op == "remote error":
		return op.Err.Error() + " (the server refused the TLS handshake; if it wants a client certificate, set [tls] cert_file and key_file)", true
	}
	return "", false
}

// maxRedirects is how many redirects one attempt follows.
const maxRedirects = 10

// errTooManyRedirects is what checkRedirect ends a longer chain with;
// classify knows it by identity, not by its text.
var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

// checkRedirect follows a 307 or 308 to the same host and port (or an
// http-to-https upgrade of the same host), keeping method, body and
// headers; anything else ends with the redirect response itself.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errTooManyRedirects
	}
	prev := via[len(via)-1].URL
	code := req.Response.StatusCode
	if (code == http.StatusTemporaryRedirect || code == http.StatusPermanentRedirect) && weburl.SameOrigin(prev, req.URL) {
		return nil
	}
	return http.ErrUseLastResponse
}

// Escape renders bytes from a server on one line: control characters (C0,
// DEL and C1, so also an 8-bit CSI), ANSI escapes, format characters (bidi
// overrides U+202A–U+202E and isolates U+2066–U+2069, zero-width ones), the
// Unicode line and paragraph separators and invalid UTF-8 become visible
// escapes. It is the one escaper for everything a server says: bodies,
// and header names and values under --verbose.
func Escape(b []byte) string { return escape(b, false) }

// EscapeLines is Escape for text shown as several lines (a body in
// listen's output): line breaks and tabs stay, a CRLF line end becomes a
// plain line break, everything else is escaped as Escape does.
func EscapeLines(b []byte) string { return escape(b, true) }

func escape(b []byte, keepLines bool) string {
	var s strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&s, `\x%02x`, b[0])
		case keepLines && (r == '\n' || r == '\t'):
			s.WriteRune(r)
		case keepLines && r == '\r' && len(b) > 1 && b[1] == '\n':
			// a CRLF line end: the LF alone does
		case r == '\n':
			s.WriteString(`\n`)
		case r == '\r':
			s.WriteString(`\r`)
		case r == '\t':
			s.WriteString(`\t`)
		case r == '\\' && !keepLines:
			s.WriteString(`\\`) // on one line, so \n written by a server is not a line break's escape
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&s, `\x%02x`, r)
		case unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			fmt.Fprintf(&s, `\u%04x`, r)
		default:
			s.Write(b[:n])
		}
		b = b[n:]
	}
	return s.String()
}
