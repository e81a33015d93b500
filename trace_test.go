package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/extensions"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

// The trace context Jenkins' OpenTelemetry plugin gives a step (the W3C
// specification's own example values).
const (
	testTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	testTracestate  = "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"
	sentTracestate  = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" // the same list, without its optional space
)

var traceEnv = []string{"TRACEPARENT=" + testTraceparent, "TRACESTATE=" + testTracestate}

// TestTraceContext: TRACEPARENT and TRACESTATE travel as the W3C headers
// on every request of every format, and as "trace" in the jobnotify
// payload.
func TestTraceContext(t *testing.T) {
	for _, format := range []string{"jobnotify", "job-status-notification", "notification-plugin", "slack", "teams", "googlechat", "discord", "cdevents", "cloudevents"} {
		srv := newRecorder(t, retryAfterZero, status(200)) // a retry too: every attempt has them
		r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\nformat = %q\n[retry]\nmin_wait = \"10ms\"\n", srv.URL, format), env: traceEnv},
			"send", "-s", "SUCCESS")
		wantCode(t, r, 0)
		reqs := wantRequests(t, srv, 2)
		for i, req := range reqs {
			if got := req.Header.Get("traceparent"); got != testTraceparent {
				t.Errorf("%s, attempt %d: traceparent %q", format, i+1, got)
			}
			if got := req.Header.Get("tracestate"); got != sentTracestate {
				t.Errorf("%s, attempt %d: tracestate %q", format, i+1, got)
			}
		}
		if format == "jobnotify" {
			var p struct {
				Trace map[string]string `json:"trace"`
			}
			if err := json.Unmarshal(reqs[0].Body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Trace["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" || p.Trace["span_id"] != "00f067aa0ba902b7" || len(p.Trace) != 2 {
				t.Errorf("payload trace: %v", p.Trace)
			}
		}
	}
}

// TestTraceCloudEvents: a CloudEvents consumer (the CloudEvents Go SDK)
// finds the distributed-tracing extension in the event, in structured
// and in binary mode, and in CDEvents.
func TestTraceCloudEvents(t *testing.T) {
	for _, tc := range []struct{ format, extra string }{
		{"cloudevents", ""},
		{"cloudevents", "cloudevents_mode = \"binary\"\n"},
		{"cdevents", ""},
	} {
		srv := newRecorder(t)
		r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\nformat = %q\n%s", srv.URL, tc.format, tc.extra), env: traceEnv}, "send", "-s", "FAILURE")
		wantCode(t, r, 0)
		got := wantRequests(t, srv, 1)[0]
		req := httptest.NewRequest(got.Method, got.URL.String(), bytes.NewReader(got.Body))
		req.Header = got.Header
		ev, err := cehttp.NewEventFromHTTPRequest(req)
		if err != nil {
			t.Fatalf("%s %s: the SDK does not read the event: %v", tc.format, tc.extra, err)
		}
		dt, ok := extensions.GetDistributedTracingExtension(*ev)
		if !ok || dt.TraceParent != testTraceparent || dt.TraceState != sentTracestate {
			t.Errorf("%s %s: distributed tracing %+v (found %v), extensions %v", tc.format, tc.extra, dt, ok, ev.Extensions())
		}
	}
}

// TestTraceInvalid: a TRACEPARENT that is not valid sends no trace
// context at all, TRACESTATE with it; a bad TRACESTATE alone is dropped
// alone. -v says so, without the value; the send goes on, exit 0.
func TestTraceInvalid(t *testing.T) {
	for _, tc := range []struct {
		parent, state string
		wantParent    bool
		note          string
	}{
		{"garbage", testTracestate, false, "TRACEPARENT is not a W3C traceparent"},
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", testTracestate, false, "trace id is all zeros"},
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "", false, "lowercase hex"},
		{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "", false, "version ff"},
		{testTraceparent + "\r\nX-Injected: 1", "", false, "TRACEPARENT is not"},
		{testTraceparent, "rojo=1\r\nX-Injected: 1", true, "TRACESTATE is not a W3C tracestate"},
		{testTraceparent, "Upper=1", true, "TRACESTATE is not"},
	} {
		srv := newRecorder(t)
		r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL), env: []string{"TRACEPARENT=" + tc.parent, "TRACESTATE=" + tc.state}}, "-v", "send", "-s", "SUCCESS")
		wantCode(t, r, 0)
		req := wantRequests(t, srv, 1)[0]
		if got := req.Header.Get("traceparent") != ""; got != tc.wantParent {
			t.Errorf("%q: traceparent sent %v, want %v", tc.parent, got, tc.wantParent)
		}
		if req.Header.Get("tracestate") != "" || req.Header.Get("X-Injected") != "" {
			t.Errorf("%q %q: sent tracestate %q, X-Injected %q", tc.parent, tc.state, req.Header.Get("tracestate"), req.Header.Get("X-Injected"))
		}
		if bytes.Contains(req.Body, []byte(`"trace"`)) != tc.wantParent {
			t.Errorf("%q: payload %s", tc.parent, req.Body)
		}
		if !strings.Contains(r.stderr, tc.note) {
			t.Errorf("%q %q: -v does not say %q:\n%s", tc.parent, tc.state, tc.note, r.stderr)
		}
		if strings.Contains(r.stderr, "Injected") {
			t.Errorf("the note quotes the value:\n%s", r.stderr)
		}
	}
}

// TestTraceSpooled: a spooled notification keeps the trace of the step
// that sent it, and flush sends it; a field may not take the payload's
// "trace".
func TestTraceSpooled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	home := t.TempDir()
	cfg := filepath.Join(home, "jobnotify.toml")
	writeFile(t, cfg, fmt.Sprintf("url = %q\n[retry]\nattempts = 1\n[spool]\ndir = %q\n", deadURL(t), dir))
	if r := jobnotifyConfig(t, cfg, traceEnv, "send", "-s", "FAILURE"); r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	srv := newRecorder(t)
	writeFile(t, cfg, fmt.Sprintf("url = %q\n[spool]\ndir = %q\n", srv.URL, dir))
	if r := jobnotifyConfig(t, cfg, nil, "flush"); r.code != 0 {
		t.Fatalf("flush: exit %d\n%s", r.code, r.stderr)
	}
	if got := wantRequests(t, srv, 1)[0].Header.Get("traceparent"); got != testTraceparent {
		t.Errorf("flushed: traceparent %q", got)
	}

	r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL), env: traceEnv}, "send", "--field", "trace.id=mine")
	wantCode(t, r, 2)
	if !strings.Contains(r.stderr, "trace") {
		t.Errorf("stderr: %s", r.stderr)
	}
}
