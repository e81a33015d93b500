package notify

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
)

const validParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestParseTrace(t *testing.T) {
	for _, tc := range []struct {
		parent, state string
		ok            bool   // a trace
		wantState     string // its state
		note          string // in the note; "" for none
	}{
		{"", "rojo=1", false, "", ""},
		{validParent, "", true, "", ""},
		{validParent, "rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE,,", true, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", ""},
		{validParent, "tenant@vendor=x y", true, "tenant@vendor=x y", ""},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future", "", true, "", ""}, // a later version's extra field
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", "", false, "", "version 00 has 55"},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", "", false, "", "not followed by a dash"},
		{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "", false, "", "version ff"},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "", false, "", "parent id is all zeros"},
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", "", false, "", "trace id is all zeros"},
		{"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", "", false, "", "lowercase hex"},
		{"00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", "", false, "", "version-traceid-parentid-flags"},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "", false, "", "52 characters"},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-\x7f", "", false, "", "a character a header may not"},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-" + strings.Repeat("a", 202), "", false, "", "longer than 256"},
		{validParent, "rojo", true, "", "not key=value"},
		{validParent, "Rojo=1", true, "", "a key is not"},
		{validParent, "rojo=1,rojo=2", true, "", "twice"},
		{validParent, "rojo=a\tb", true, "", "a character it may not"},
		{validParent, "rojo=", true, "", "empty"},
		{validParent, strings.Repeat("k=v,", 33), true, "", "a key is there twice"},
	} {
		tr, note := ParseTrace(tc.parent, tc.state)
		if (tr != nil) != tc.ok || tc.note == "" && note != "" || !strings.Contains(note, tc.note) {
			t.Errorf("%q %q: trace %v, note %q; want a trace %v, a note with %q", tc.parent, tc.state, tr, note, tc.ok, tc.note)
			continue
		}
		if tr != nil && tr.State != tc.wantState {
			t.Errorf("%q %q: state %q, want %q", tc.parent, tc.state, tr.State, tc.wantState)
		}
	}
	var many []string
	for i := range 33 {
		many = append(many, "k"+strings.Repeat("x", i)+"=v")
	}
	if _, note := ParseTrace(validParent, strings.Join(many, ",")); !strings.Contains(note, "more than 32") {
		t.Errorf("33 members: note %q", note)
	}
}

// TestPayloadSchemaTrace: the payload's trace follows the schema.
func TestPayloadSchemaTrace(t *testing.T) {
	tr, _ := ParseTrace(validParent, "rojo=1")
	r, err := Build(envcollect.Context{}, &config.Settings{Format: "jobnotify", Method: "POST", URL: "https://api.example.com/x"}, Input{ID: testID, Time: testTime, Status: "SUCCESS", Trace: tr}, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(r.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if tr := p["trace"].(map[string]any); tr["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" || tr["span_id"] != "00f067aa0ba902b7" {
		t.Errorf("trace %v", tr)
	}
	validatePayload(t, payloadSchema(t), "a payload with a trace", p)
	if got := r.Header.Get("traceparent"); got != validParent || r.FormatHeader.Get("tracestate") != "rojo=1" {
		t.Errorf("headers %v", r.Header)
	}
}

// TestKeepTrace: a spool file's trace headers are sent only when valid.
func TestKeepTrace(t *testing.T) {
	for _, tc := range []struct {
		parent, state         string
		wantParent, wantState string
		note                  string
	}{
		{validParent, "rojo=1, congo=2", validParent, "rojo=1,congo=2", ""},
		{"garbage", "rojo=1", "", "", "its traceparent is not"},
		{"", "rojo=1", "", "", "without a traceparent"},
		{validParent, "Bad=1", validParent, "", "its tracestate is not"},
		{"", "", "", "", ""},
	} {
		h := http.Header{"Content-Type": {"application/json"}}
		if tc.parent != "" {
			h.Set("traceparent", tc.parent)
		}
		if tc.state != "" {
			h.Set("tracestate", tc.state)
		}
		note := KeepTrace(h)
		if h.Get("traceparent") != tc.wantParent || h.Get("tracestate") != tc.wantState || !strings.Contains(note, tc.note) || tc.note == "" && note != "" || h.Get("Content-Type") == "" {
			t.Errorf("%q %q: headers %v, note %q", tc.parent, tc.state, h, note)
		}
	}
}

// TestKeepTraceCloudEvents: a spool file's ce-traceparent and
// ce-tracestate stay only as the format wrote them, beside a valid trace.
func TestKeepTraceCloudEvents(t *testing.T) {
	for _, tc := range []struct {
		h        http.Header
		ceParent string
		ceState  string
	}{
		{http.Header{"Traceparent": {validParent}, "Tracestate": {"rojo=1"}, "Ce-Traceparent": {validParent}, "Ce-Tracestate": {"rojo=1"}}, validParent, "rojo=1"},
		{http.Header{"Traceparent": {validParent}, "Ce-Traceparent": {strings.Repeat("0", 300)}, "Ce-Tracestate": {"x=1"}}, "", ""},
		{http.Header{"Ce-Traceparent": {validParent}, "Ce-Tracestate": {"rojo=1"}}, "", ""},
		{http.Header{"Traceparent": {"garbage"}, "Ce-Traceparent": {"garbage"}}, "", ""},
		{http.Header{"Traceparent": {validParent}, "Tracestate": {"Bad=1"}, "Ce-Traceparent": {validParent}, "Ce-Tracestate": {"Bad=1"}}, validParent, ""},
	} {
		in := tc.h.Clone()
		KeepTrace(tc.h)
		if tc.h.Get("Ce-Traceparent") != tc.ceParent || tc.h.Get("Ce-Tracestate") != tc.ceState {
			t.Errorf("%v: kept %v", in, tc.h)
		}
	}
}
