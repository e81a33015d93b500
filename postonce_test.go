package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// stallAfterBody has read the request (the recorder does) and answers
// nothing until the client gives up: a receiver that may have posted the
// message and then hung.
func stallAfterBody(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// resetAfterBody has read the request and resets the connection.
func resetAfterBody(w http.ResponseWriter, _ *http.Request) {
	c, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0) // RST, not FIN
	}
	c.Close()
}

func retryAfterZero(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Retry-After", "0")
	w.WriteHeader(http.StatusServiceUnavailable)
}

// postOnceConfig is a target of format with three attempts, short waits
// and timeout, and a spool.
func postOnceConfig(url, format, spoolDir string) string {
	return fmt.Sprintf("url = %q\nformat = %q\ntimeout = \"300ms\"\n[retry]\nattempts = 3\nmin_wait = \"10ms\"\nmax_wait = \"20ms\"\n[spool]\ndir = %q\n", url, format, spoolDir)
}

// TestChatPostsOnce: a chat message is retried only when it provably was
// not posted; every other format keeps the full set of retries.
func TestChatPostsOnce(t *testing.T) {
	cases := []struct {
		name     string
		format   string
		script   []http.HandlerFunc
		requests int
		code     int
		spooled  int
	}{
		{"slack, stalled after the body", "slack", []http.HandlerFunc{stallAfterBody}, 1, 1, 0},
		{"teams, stalled after the body", "teams", []http.HandlerFunc{stallAfterBody}, 1, 1, 0},
		{"googlechat, stalled after the body", "googlechat", []http.HandlerFunc{stallAfterBody}, 1, 1, 0},
		{"discord, stalled after the body", "discord", []http.HandlerFunc{stallAfterBody}, 1, 1, 0},
		{"slack, reset after the body", "slack", []http.HandlerFunc{resetAfterBody}, 1, 1, 0},
		{"slack, 500", "slack", []http.HandlerFunc{status(500)}, 1, 1, 0},
		{"slack, 502", "slack", []http.HandlerFunc{status(502)}, 1, 1, 0},
		{"slack, 503 without Retry-After", "slack", []http.HandlerFunc{status(503)}, 1, 1, 0},
		{"slack, 503 with Retry-After then 200", "slack", []http.HandlerFunc{retryAfterZero, status(200)}, 2, 0, 0},
		{"slack, 429 then 200", "slack", []http.HandlerFunc{status(429), status(200)}, 2, 0, 0},
		{"slack, 429 three times", "slack", []http.HandlerFunc{status(429)}, 3, 1, 1},
		// The second attempt would reuse the first one's connection, and
		// net/http would resend it after the hang-up by itself.
		{"slack, 429 then a hang-up after the body", "slack", []http.HandlerFunc{status(429), hangUp}, 2, 1, 0},
		{"jobnotify, stalled after the body", "jobnotify", []http.HandlerFunc{stallAfterBody}, 3, 1, 1},
		{"jobnotify, reset after the body", "jobnotify", []http.HandlerFunc{resetAfterBody}, 3, 1, 1},
		{"cloudevents, 500", "cloudevents", []http.HandlerFunc{status(500)}, 3, 1, 1},
		{"template, stalled after the body", "template", []http.HandlerFunc{stallAfterBody}, 3, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRecorder(t, tc.script...)
			dir := filepath.Join(t.TempDir(), "spool")
			cfg := postOnceConfig(srv.URL+"/hook", tc.format, dir)
			if tc.format == "template" {
				cfg = strings.Replace(cfg, "[retry]", "template = '{\"text\": \"{{.status}}\"}'\n[retry]", 1)
			}
			r := jobnotify(t, runOpts{config: cfg}, "send", "-s", "FAILURE", "-o", "json")
			wantCode(t, r, tc.code)
			wantRequests(t, srv, tc.requests)
			if got := len(notifications(t, dir)); got != tc.spooled {
				t.Errorf("spooled %d, want %d\n%s", got, tc.spooled, r.stderr)
			}
			var res struct {
				Attempts    int  `json:"attempts"`
				MaybePosted bool `json:"maybe_posted"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
				t.Fatalf("%v: %s", err, r.stdout)
			}
			maybe := tc.code != 0 && tc.spooled == 0
			if res.MaybePosted != maybe || res.Attempts != tc.requests {
				t.Errorf("maybe_posted %v, attempts %d; want %v, %d", res.MaybePosted, res.Attempts, maybe, tc.requests)
			}
			if said := strings.Contains(r.stderr, "the message may have been posted"); said != maybe {
				t.Errorf("stderr says it may have been posted: %v, want %v\n%s", said, maybe, r.stderr)
			}
		})
	}
}

// TestChatRetriedBeforeWriting: a chat message whose request was never
// written (the connection refused) is retried, and spooled: nothing was
// posted.
func TestChatRetriedBeforeWriting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	r := jobnotify(t, runOpts{config: postOnceConfig(deadURL(t), "slack", dir)}, "send", "-s", "FAILURE", "-o", "json")
	wantCode(t, r, 1)
	var res struct {
		Attempts    int  `json:"attempts"`
		MaybePosted bool `json:"maybe_posted"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if res.Attempts != 3 || res.MaybePosted {
		t.Errorf("attempts %d, maybe_posted %v: want 3 attempts, not posted\n%s", res.Attempts, res.MaybePosted, r.stderr)
	}
	if n := len(notifications(t, dir)); n != 1 {
		t.Errorf("spooled %d, want 1", n)
	}
}

// TestFlushDropsMaybePosted: a spooled chat message whose flush may have
// posted it leaves the spool rather than wait to be posted again; one
// refused before it was written stays.
func TestFlushDropsMaybePosted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	home := t.TempDir()
	cfgPath := filepath.Join(home, "jobnotify.toml")
	write := func(url string) {
		if err := os.WriteFile(cfgPath, []byte(postOnceConfig(url, "slack", dir)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(deadURL(t))
	if r := jobnotifyConfig(t, cfgPath, nil, "send", "-s", "FAILURE"); r.code != 1 || len(notifications(t, dir)) != 1 {
		t.Fatalf("the first send: exit %d, %d spooled\n%s", r.code, len(notifications(t, dir)), r.stderr)
	}
	// A flush to a receiver down before the request is written keeps it.
	r := jobnotifyConfig(t, cfgPath, nil, "flush")
	if r.code == 0 || len(notifications(t, dir)) != 1 {
		t.Fatalf("flush to a dead receiver: exit %d, %d left\n%s", r.code, len(notifications(t, dir)), r.stderr)
	}
	srv := newRecorder(t, stallAfterBody)
	write(srv.URL + "/hook")
	r = jobnotifyConfig(t, cfgPath, nil, "flush")
	wantRequests(t, srv, 1)
	wantCode(t, r, 1) // not delivered, whatever became of it
	wantStderr(t, r, "1 notification(s) removed from "+dir+" undelivered, as they may have been posted")
	if n := len(notifications(t, dir)); n != 0 {
		t.Errorf("%d left in the spool: a message that may have been posted stays to be posted again\n%s", n, r.stderr)
	}
	if !strings.Contains(r.stderr, "removed from the spool, not to be sent again") {
		t.Errorf("flush does not say it removed it:\n%s", r.stderr)
	}
}

// TestDiscordWaits: Discord is asked to wait, so that a 200 means the
// message exists; the URL's own query stays.
func TestDiscordWaits(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{"", "wait=true"},
		{"?thread_id=123", "thread_id=123&wait=true"},
		{"?wait=false&thread_id=1", "thread_id=1&wait=true"},
	} {
		srv := newRecorder(t)
		r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\nformat = \"discord\"\n", srv.URL+"/api/webhooks/1/x"+tc.query)}, "send", "-s", "SUCCESS")
		wantCode(t, r, 0)
		if got := wantRequests(t, srv, 1)[0].URL.RawQuery; got != tc.want {
			t.Errorf("%q: query %q, want %q", tc.query, got, tc.want)
		}
	}
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\nformat = \"slack\"\n", srv.URL)}, "send", "-s", "SUCCESS")
	wantCode(t, r, 0)
	if q := wantRequests(t, srv, 1)[0].URL.RawQuery; q != "" {
		t.Errorf("slack: query %q", q)
	}
}

// TestChatCutShortAfterWriting: an attempt that was written and is then
// cut short — by retry.max_time, by SIGTERM, by flush on send's budget —
// may have posted the message all the same: it is not spooled, or leaves
// the spool.
func TestChatCutShortAfterWriting(t *testing.T) {
	t.Run("max_time", func(t *testing.T) {
		srv := newRecorder(t, stallAfterBody)
		dir := filepath.Join(t.TempDir(), "spool")
		cfg := strings.Replace(postOnceConfig(srv.URL+"/hook", "slack", dir), "timeout = \"300ms\"", "timeout = \"10s\"", 1)
		cfg = strings.Replace(cfg, "[retry]\n", "[retry]\nmax_time = \"400ms\"\n", 1)
		r := jobnotify(t, runOpts{config: cfg}, "send", "-s", "FAILURE", "-o", "json")
		wantCode(t, r, 1)
		wantRequests(t, srv, 1)
		if n := len(notifications(t, dir)); n != 0 || !strings.Contains(r.stdout, `"maybe_posted":true`) {
			t.Errorf("spooled %d; %s", n, r.stdout)
		}
	})
	t.Run("SIGTERM", func(t *testing.T) {
		srv := newRecorder(t, stallAfterBody)
		dir := filepath.Join(t.TempDir(), "spool")
		cfg := strings.Replace(postOnceConfig(srv.URL+"/hook", "slack", dir), "timeout = \"300ms\"", "timeout = \"30s\"", 1)
		cmd := command(t, runOpts{config: cfg}, "send", "-s", "FAILURE")
		var errb strings.Builder
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		<-srv.got // the receiver has the whole request
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != 143 {
			t.Errorf("exit %d, want 143", code)
		}
		if n := len(notifications(t, dir)); n != 0 {
			t.Errorf("spooled %d after SIGTERM once the message was read\n%s", n, errb.String())
		}
	})
	t.Run("flush on send's budget", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "spool")
		cfgPath := filepath.Join(t.TempDir(), "jobnotify.toml")
		write := func(url string) {
			c := strings.Replace(postOnceConfig(url, "slack", dir), "timeout = \"300ms\"", "timeout = \"10s\"", 1)
			writeFile(t, cfgPath, strings.Replace(c, "[retry]\n", "[retry]\nmax_time = \"500ms\"\n", 1))
		}
		write(deadURL(t))
		if r := jobnotifyConfig(t, cfgPath, nil, "send", "-s", "FAILURE"); r.code != 1 || len(notifications(t, dir)) != 1 {
			t.Fatalf("the first send: exit %d\n%s", r.code, r.stderr)
		}
		srv := newRecorder(t, status(200), stallAfterBody) // the send's own, then the flushed one stalls
		write(srv.URL + "/hook")
		r := jobnotifyConfig(t, cfgPath, nil, "send", "-s", "SUCCESS")
		wantCode(t, r, 0)
		wantRequests(t, srv, 2)
		if n := len(notifications(t, dir)); n != 0 {
			t.Errorf("%d left in the spool after the receiver read it\n%s", n, r.stderr)
		}
	})
}

// TestChatRedirectThenRefused: a 307 to the same origin, whose second
// hop is refused before it is written: nothing was posted (the first
// hop's answer was the redirect), so the message is retried and spooled.
func TestChatRedirectThenRefused(t *testing.T) {
	var srv *recorder
	srv = newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		srv.Listener.Close() // the next connection is refused
		w.Header().Set("Location", "/hook2")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	dir := filepath.Join(t.TempDir(), "spool")
	r := jobnotify(t, runOpts{config: postOnceConfig(srv.URL+"/hook", "slack", dir)}, "send", "-s", "FAILURE", "-o", "json")
	wantCode(t, r, 1)
	if strings.Contains(r.stdout, "maybe_posted") || len(notifications(t, dir)) != 1 {
		t.Errorf("%d spooled; %s\n%s", len(notifications(t, dir)), r.stdout, r.stderr)
	}
}

// TestDeliveredAsTimeRunsOut: a 2xx is a delivery even when retry.max_time
// ends while its body is still coming (read by -v): it is not spooled,
// and no flush sends it again.
func TestDeliveredAsTimeRunsOut(t *testing.T) {
	for _, format := range []string{"slack", "jobnotify"} {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done() // the body never ends
		})
		dir := filepath.Join(t.TempDir(), "spool")
		cfg := strings.Replace(postOnceConfig(srv.URL+"/hook", format, dir), "timeout = \"300ms\"", "timeout = \"5s\"", 1)
		cfg = strings.Replace(cfg, "[retry]\n", "[retry]\nmax_time = \"400ms\"\n", 1)
		r := jobnotify(t, runOpts{config: cfg}, "-v", "send", "-s", "SUCCESS")
		wantCode(t, r, 0)
		wantRequests(t, srv, 1)
		if n := len(notifications(t, dir)); n != 0 {
			t.Errorf("%s: %d spooled\n%s", format, n, r.stderr)
		}
	}
}
