// Package listen is a local HTTP receiver for trying jobnotify out: it
// prints every request it gets, checks signatures, and can be told to fail.
package listen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/notify"
)

// DefaultAddr is where a receiver listens when Options.Addr is "".
const DefaultAddr = "127.0.0.1:8787"

const (
	maxRead  = 10 << 20 // bytes of a body read; a longer one is answered 413
	maxPrint = 64 << 10 // bytes of a (pretty-printed) body printed
	stopWait = time.Second
)

// Options configure a receiver.
type Options struct {
	// Addr is host:port to listen on; "" means 127.0.0.1:8787. A missing
	// host (":8787", or a bare "8787") means 127.0.0.1 too: only an address
	// that names one (0.0.0.0:8787, [::]:8787) is reachable from elsewhere.
	// Port 0 picks a free port; ready is told which.
	Addr    string
	Fail    int            // answer 503 to the first Fail requests
	Status  int            // the status of every other answer; 0 means 200
	Signing config.Signing // verify signatures when Scheme is set
	// Now is the clock Standard Webhooks timestamps are checked against;
	// nil means time.Now.
	Now func() time.Time
}

// Run serves until ctx is done, printing one block per request to out.
// ready, when not nil, is called once with the address it listens on.
// When ctx is done it stops taking requests, gives those in flight a
// second to finish, and returns nil.
// OptionError is a bad value of one of Options; Option is the field's
// name in lower case (addr, status, fail), so a caller can name its flag.
type OptionError struct {
	Option string
	Err    error
}

func (e *OptionError) Error() string { return e.Option + ": " + e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

func Run(ctx context.Context, o Options, out io.Writer, ready func(addr string)) error {
	addr, err := listenAddr(o.Addr)
	if err != nil {
		return &OptionError{Option: "addr", Err: err}
	}
	if o.Status == 0 {
		o.Status = http.StatusOK
	}
	if o.Status < 200 || o.Status > 599 {
		return &OptionError{Option: "status", Err: fmt.Errorf("%d is not an HTTP status code from 200 to 599", o.Status)}
	}
	if o.Fail < 0 {
		return &OptionError{Option: "fail", Err: fmt.Errorf("%d: want 0 or more requests", o.Fail)}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err // "listen tcp 127.0.0.1:8787: bind: address already in use"
	}
	srv := &http.Server{
		Handler:           &receiver{o: o, out: out},
		ReadHeaderTimeout: 10 * time.Second,
		// net/http's own complaints (bad TLS hellos, panics) would go to
		// stderr past the redactor: drop them.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), stopWait)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close() // a request still running after stopWait is cut off
	}
	<-done // http.ErrServerClosed
	return nil
}

// listenAddr fills in the defaults of an address: loopback when no host
// is named, port 8787 when the address is empty.
func listenAddr(a string) (string, error) {
	a = strings.TrimSpace(a)
	if a == "" {
		return DefaultAddr, nil
	}
	if _, err := strconv.ParseUint(a, 10, 16); err == nil {
		return net.JoinHostPort("127.0.0.1", a), nil
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return "", fmt.Errorf("address %q: want HOST:PORT, e.g. %s", a, DefaultAddr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("address %q: port %q is not a number from 0 to 65535", a, port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// receiver answers and prints requests.
type receiver struct {
	o   Options
	out io.Writer

	mu sync.Mutex // guards n and out: one block at a time, numbered in order
	n  int        // requests so far
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxRead+1))
	tooBig := len(body) > maxRead
	if tooBig {
		body = body[:maxRead]
	}
	now := rv.o.Now()

	rv.mu.Lock()
	rv.n++
	n := rv.n
	sig, sigErr := rv.signature(r, body, readErr != nil || tooBig, now)
	code, why := rv.o.Status, ""
	switch {
	case tooBig:
		code, why = http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d MiB", maxRead>>20)
	case sigErr != nil:
		// The sender must see that its signature was refused, as a real
		// receiver would refuse it.
		code, why = http.StatusUnauthorized, "signature invalid"
	case n <= rv.o.Fail:
		code, why = http.StatusServiceUnavailable, fmt.Sprintf("failing on purpose: %d of %d", n, rv.o.Fail)
	}
	// Printed before the answer goes out, so that a sender that has its
	// answer finds the block already written.
	io.WriteString(rv.out, rv.block(n, r, body, readErr, tooBig, code, why, sig))
	rv.mu.Unlock()

	switch {
	case why != "" && code != http.StatusRequestEntityTooLarge:
		http.Error(w, "jobnotify listen: "+why, code)
	case tooBig:
		w.Header().Set("Connection", "close")
		http.Error(w, "jobnotify listen: "+why, code)
	case code == http.StatusNoContent || code == http.StatusNotModified:
		w.WriteHeader(code)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, "{\"received\": %d}\n", n)
	}
}

// signature checks a request's signature with the [signing] config and
// returns the line block prints about it ("" without signing), and the
// verification's error when the signature is invalid.
func (rv *receiver) signature(r *http.Request, body []byte, partial bool, now time.Time) (string, error) {
	if rv.o.Signing.Scheme == "" {
		return "", nil
	}
	if partial {
		return "signature: not checked (the body was not read whole)\n", nil
	}
	i, err := notify.Verify(rv.o.Signing, r.Header, body, now)
	switch {
	case err != nil:
		return fmt.Sprintf("signature: INVALID (%s)\n", escape(err.Error())), err
	case len(rv.o.Signing.Keys) > 1:
		return fmt.Sprintf("signature: valid (secret %d of %d)\n", i+1, len(rv.o.Signing.Keys)), nil
	}
	return "signature: valid\n", nil
}

// block formats one request:
//
//	--- 1 POST /hook (from 127.0.0.1:54321) -> 503 (failing on purpose: 1 of 2)
//	Content-Type: application/json
//	Authorization: ***
//	signature: valid
//
//	{
//	  "status": "SUCCESS"
//	}
//
// Header names are sorted, sensitive values print as ***, the query's
// parameters follow the headers, and the body is pretty-printed when it
// is JSON; anything else has its control characters escaped.
func (rv *receiver) block(n int, r *http.Request, body []byte, readErr error, tooBig bool, code int, why, sig string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- %d %s %s (from %s) -> %d", n, escape(r.Method), escape(r.URL.EscapedPath()), escape(r.RemoteAddr), code)
	if why != "" {
		fmt.Fprintf(&b, " (%s)", why)
	}
	b.WriteByte('\n')

	h := r.Header.Clone()
	if r.Host != "" {
		h.Set("Host", r.Host)
	}
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		secret := config.Sensitive(name) || (rv.o.Signing.Header != "" && strings.EqualFold(name, rv.o.Signing.Header))
		for _, v := range h[name] {
			if secret {
				v = "***"
			}
			fmt.Fprintf(&b, "%s: %s\n", escape(name), escape(v))
		}
	}

	if q, err := url.ParseQuery(r.URL.RawQuery); r.URL.RawQuery != "" {
		b.WriteString("query:\n")
		if err != nil {
			fmt.Fprintf(&b, "  (not valid: %s)\n", escape(err.Error()))
		}
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			secret := config.Sensitive(k) || envcollect.LooksSecret(strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(k)))
			for _, v := range q[k] {
				if secret {
					v = "***"
				}
				fmt.Fprintf(&b, "  %s=%s\n", escape(k), escape(v))
			}
		}
	}

	b.WriteString(sig)

	b.WriteByte('\n')
	switch {
	case readErr != nil:
		fmt.Fprintf(&b, "(reading the body failed after %d bytes: %s)\n", len(body), escape(readErr.Error()))
	case tooBig:
		fmt.Fprintf(&b, "(body longer than %d MiB: not shown)\n", maxRead>>20)
	case len(body) == 0:
		b.WriteString("(no body)\n")
	default:
		text := body
		var pretty bytes.Buffer
		if json.Indent(&pretty, bytes.TrimSpace(body), "", "  ") == nil {
			text = pretty.Bytes()
		}
		b.WriteString(escapeText(truncate(text)))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.String()
}

// truncate cuts text to maxPrint bytes, at a character boundary, with a
// note of what was left out.
func truncate(text []byte) []byte {
	if len(text) <= maxPrint {
		return text
	}
	cut := maxPrint
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return fmt.Appendf(text[:cut:cut], "\n(… %d more bytes)", len(text)-cut)
}

// escape makes text safe for one line of a terminal (notify.Escape).
func escape(s string) string { return notify.Escape([]byte(s)) }

// escapeText is escape for a body: newlines and tabs stay.
func escapeText(b []byte) string { return notify.EscapeLines(b) }
