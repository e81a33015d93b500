package notify

import (
	"fmt"
	"net/http"
	"strings"
)

// Trace is the W3C trace context of the step a notification is sent
// from: Jenkins' OpenTelemetry plugin (and other tracing CI) sets
// TRACEPARENT and TRACESTATE in every step's environment. Every request
// carries it as its traceparent and tracestate headers, CloudEvents and
// CDEvents as their distributed-tracing extension attributes too, and the
// jobnotify payload as "trace".
type Trace struct {
	Parent string // the traceparent, as given
	State  string // the tracestate, its members joined by bare commas; "" for none
}

// TraceID is the trace's id, 32 lowercase hex digits.
func (t *Trace) TraceID() string { return t.Parent[3:35] }

// SpanID is the id of the step's span, 16 lowercase hex digits.
func (t *Trace) SpanID() string { return t.Parent[36:52] }

// object is the payload's "trace".
func (t *Trace) object() map[string]any {
	return map[string]any{"trace_id": t.TraceID(), "span_id": t.SpanID()}
}

// header is the trace's headers, as a format's own: saved with a
// spooled notification, whose trace it stays.
func (t *Trace) header(h http.Header) http.Header {
	if t == nil {
		return h
	}
	if h == nil {
		h = http.Header{}
	}
	h.Set("traceparent", t.Parent)
	if t.State != "" {
		h.Set("tracestate", t.State)
	}
	return h
}

// ParseTrace reads a trace context from the values of TRACEPARENT and
// TRACESTATE. It returns nil when there is none, or when traceparent is
// not valid (tracestate is dropped with it, as W3C Trace Context says);
// a tracestate that is not valid is dropped alone. note, when not "",
// says what was dropped and why, never quoting the value.
func ParseTrace(parent, state string) (t *Trace, note string) {
	if parent == "" {
		return nil, ""
	}
	if why := traceparentProblem(parent); why != "" {
		return nil, "TRACEPARENT is not a W3C traceparent (" + why + "): no trace context is sent, and TRACESTATE is ignored with it"
	}
	t = &Trace{Parent: parent}
	if state == "" {
		return t, ""
	}
	members, why := tracestateMembers(state)
	if why != "" {
		return t, "TRACESTATE is not a W3C tracestate (" + why + "): only traceparent is sent"
	}
	// The same list without the optional spaces around its commas, so
	// that no header carrying it needs an escape (CloudEvents' ce-
	// headers percent-encode a space).
	t.State = strings.Join(members, ",")
	return t, ""
}

// KeepTrace keeps in h, the format headers of a saved notification, its
// traceparent and tracestate only as ParseTrace would: a spool file
// gives them back, and must not send what a send would have refused.
// note says what it dropped, as ParseTrace's does.
func KeepTrace(h http.Header) (note string) {
	parent, state := h.Get("traceparent"), h.Get("tracestate")
	ceParent, ceState := h.Get("ce-traceparent"), h.Get("ce-tracestate")
	for _, k := range []string{"traceparent", "tracestate", "ce-traceparent", "ce-tracestate"} {
		h.Del(k)
	}
	var t *Trace
	switch {
	case parent == "" && state == "":
	case parent == "":
		note = "a tracestate without a traceparent: not sent"
	default:
		t, note = ParseTrace(parent, state)
		note = strings.NewReplacer("TRACEPARENT", "its traceparent", "TRACESTATE", "its tracestate").Replace(note)
	}
	t.header(h)
	// CloudEvents' binary mode has them as ce- attributes too: kept only
	// as the format wrote them from the trace kept.
	if t != nil && ceParent == t.Parent {
		h.Set("ce-traceparent", ceParent)
		if ceState != "" && ceState == ceHeader(t.State) {
			h.Set("ce-tracestate", ceState)
		}
	}
	return note
}

// traceparentProblem says what makes v no traceparent (W3C Trace
// Context, level 1: version-traceid-parentid-flags, lowercase hex), or
// "". A version above 00 may add fields after a dash, which are kept.
func traceparentProblem(v string) string {
	switch {
	case len(v) < 55:
		return fmt.Sprintf("%d characters, not 55", len(v))
	case len(v) > 256:
		return "longer than 256 characters" // a later version's, but no header should be that long
	case v[2] != '-' || v[35] != '-' || v[52] != '-':
		return "its fields are not version-traceid-parentid-flags"
	case !lowerHex(v[:2]) || !lowerHex(v[3:35]) || !lowerHex(v[36:52]) || !lowerHex(v[53:55]):
		return "its fields are not lowercase hex"
	case v[:2] == "ff":
		return "version ff is forbidden"
	case v[:2] == "00" && len(v) != 55:
		return "version 00 has 55 characters"
	case len(v) > 55 && v[55] != '-':
		return "its flags are not followed by a dash"
	case strings.Trim(v[3:35], "0") == "":
		return "its trace id is all zeros"
	case strings.Trim(v[36:52], "0") == "":
		return "its parent id is all zeros"
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] > '~' {
			return "it has a character a header may not"
		}
	}
	return ""
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// tracestateMembers returns the members of a tracestate, or says what
// makes v none: up to 32 comma-separated key=value members (empty ones
// allowed, and spaces or tabs around each), keys in lowercase with at
// most one @ (tenant@system), values of printable ASCII without comma
// or equals sign, not ending in a space, each key once.
func tracestateMembers(v string) (members []string, problem string) {
	if len(v) > 8192 {
		return nil, "longer than 8192 characters"
	}
	seen := map[string]bool{}
	for _, m := range strings.Split(v, ",") {
		m = strings.Trim(m, " \t")
		if m == "" {
			continue
		}
		key, value, ok := strings.Cut(m, "=")
		switch {
		case !ok:
			return nil, "a member is not key=value"
		case !traceStateKey(key):
			return nil, "a key is not lowercase letters, digits, _ - * / and one @"
		case value == "" || len(value) > 256 || value[len(value)-1] == ' ':
			return nil, "a value is empty, longer than 256 characters, or ends in a space"
		case seen[key]:
			return nil, "a key is there twice"
		}
		for i := 0; i < len(value); i++ {
			if c := value[i]; c < ' ' || c > '~' || c == ',' || c == '=' {
				return nil, "a value has a character it may not"
			}
		}
		seen[key] = true
		members = append(members, m)
	}
	if len(members) > 32 {
		return nil, "more than 32 members"
	}
	return members, ""
}

func traceStateKey(k string) bool {
	if k == "" || len(k) > 256 || strings.Count(k, "@") > 1 || k[0] == '@' || k[len(k)-1] == '@' {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '*' || c == '/' || c == '@') {
			return false
		}
	}
	return k[0] >= 'a' && k[0] <= 'z' || k[0] >= '0' && k[0] <= '9'
}
