// Package notify builds a notification's payload from the build context,
// the configuration and the user's body and fields, encodes it as an HTTP
// request, and delivers it with retries.
package notify

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/internal/fastjson"
	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/internal/input"
)

// InputError is a problem with what the user gave: a body, a field, an id.
type InputError struct {
	Where string // the flag or source, such as "--body" or "--field"
	Err   error
}

func (e *InputError) Error() string { return e.Where + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Body is a parsed --body.
type Body struct {
	Raw string // the text exactly as given, less a UTF-8 byte order mark
	// Object is the JSON object, or {"message": text} for plain text.
	// Top-level values longer than 4 KiB (rawMin) may be kept undecoded,
	// as a fastjson.Raw of their JSON text, whose MarshalJSON writes what
	// encoding/json writes for the decoded value; Payload decodes them.
	Object map[string]any
}

// rawMin is the length above which a top-level value of the body stays
// raw. Smaller values are decoded as before, so code that reads them
// (p["message"]) keeps working.
const rawMin = 4 << 10

// ParseBody parses the text of --body. The rule, as send --help states
// it: a JSON object is merged into the payload; any other text — words,
// and also a JSON number, string, true, false, null or array — becomes
// {"message": text} with trailing line breaks removed; but text that
// starts with { or [ must be valid JSON, and an error names the line and
// column where it stops parsing. A leading UTF-8 byte order mark is
// dropped, UTF-16 with a byte order mark is decoded, and UTF-16 without
// one is an error. where names the source in errors
// ("--body", "--body @file.json").
func ParseBody(text, where string) (*Body, error) {
	text, err := input.UTF8(text)
	if err != nil {
		return nil, &InputError{Where: where, Err: fmt.Errorf("the text is %w, not UTF-8", err)}
	}
	b := &Body{Raw: text}
	trimmed := strings.TrimSpace(text)
	if trimmed != "" && trimmed[0] == '[' && !json.Valid([]byte(trimmed)) {
		// Not JSON ("[Pipeline] …", "[1,2"): say where it stops parsing.
		err := decode(text, new(any), "array")
		if err == nil {
			err = errors.New("invalid JSON") // what json.Valid saw and the decoder did not
		}
		return nil, &InputError{Where: where, Err: err}
	}
	if trimmed == "" || trimmed[0] != '{' {
		if !utf8.ValidString(text) {
			return nil, &InputError{Where: where, Err: errors.New("text is not valid UTF-8")}
		}
		b.Object = map[string]any{"message": strings.TrimRight(text, "\r\n")}
		return b, nil
	}
	if obj, ok := fastjson.SplitObject(text, rawMin); ok {
		b.Object = obj
		return b, nil
	}
	obj, err := decodeObject(text)
	if err != nil {
		return nil, &InputError{Where: where, Err: err}
	}
	b.Object = obj
	return b, nil
}

// decodeObject decodes one JSON object, keeping numbers exact, and reports
// errors with line and column.
func decodeObject(text string) (map[string]any, error) {
	var obj map[string]any
	if err := decode(text, &obj, "object"); err != nil {
		return nil, err
	}
	return obj, nil
}

// decode decodes text, one JSON value (what names it in an error), into v,
// keeping numbers exact, and reports errors with line and column.
func decode(text string, v any, what string) error {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonError(text, err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		line, col := position(text, off)
		return fmt.Errorf("line %d, column %d: unexpected text after the JSON %s", line, col, what)
	}
	return nil
}

func jsonError(text string, err error, fallback int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := fallback
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(text))
		err = errors.New("unexpected end of JSON input")
	}
	line, col := position(text, off)
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return fmt.Errorf("line %d, column %d: invalid JSON: %s", line, col, msg)
}

// position turns a byte offset into a 1-based line and column (in runes).
func position(text string, off int64) (line, col int) {
	if off > int64(len(text)) {
		off = int64(len(text))
	}
	before := text[:off]
	line = strings.Count(before, "\n") + 1
	col = utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:])
	if col == 0 {
		col = 1
	}
	return line, col
}

// Field is a parsed --field: a path of object keys and a value.
type Field struct {
	Path  []string
	Value any
}

// ParseField parses K=V (a string) or K:=JSON (raw JSON), HTTPie's
// convention. A dotted key a.b=c builds nested objects; \. is a literal dot.
func ParseField(arg string) (Field, error) {
	bad := func(format string, a ...any) (Field, error) {
		return Field{}, &InputError{Where: "--field", Err: fmt.Errorf(format, a...)}
	}
	eq := strings.IndexByte(arg, '=')
	if eq < 0 {
		// Not quoted: without its KEY= the argument may be a bare value,
		// a pasted token among them.
		return bad("an argument without =: want KEY=VALUE or KEY:=JSON")
	}
	key, val, raw := arg[:eq], arg[eq+1:], false
	if strings.HasSuffix(key, ":") {
		key, raw = key[:len(key)-1], true
	}
	path := splitKey(key)
	for _, p := range path {
		if p == "" {
			return bad("%q: empty key (want KEY=VALUE; a.b=c for nested keys)", human.Cut(key, 40))
		}
	}
	f := Field{Path: path, Value: val}
	if raw {
		dec := json.NewDecoder(strings.NewReader(val))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return bad("%s: %w", key, jsonError(val, err, dec.InputOffset()))
		}
		if _, err := dec.Token(); err != io.EOF {
			return bad("%s: unexpected text after the JSON value", key)
		}
		f.Value = v
	}
	return f, nil
}

func splitKey(key string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(key); i++ {
		switch {
		case key[i] == '\\' && i+1 < len(key) && key[i+1] == '.':
			cur.WriteByte('.')
			i++
		case key[i] == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(key[i])
		}
	}
	return append(parts, cur.String())
}

// object returns the field as a nested object, ready to merge.
func (f Field) object() map[string]any {
	var v any = f.Value
	for i := len(f.Path) - 1; i >= 0; i-- {
		v = map[string]any{f.Path[i]: v}
	}
	return v.(map[string]any)
}

// merge lays src over dst: objects merge key by key, anything else replaces.
// A raw value of the body is decoded only when it is an object that meets
// another object.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if r, ok := v.(fastjson.Raw); ok && r.IsObject() && isObject(dst[k]) {
			v = r.Decode()
		}
		if sm, ok := v.(map[string]any); ok {
			if r, ok := dst[k].(fastjson.Raw); ok && r.IsObject() {
				dst[k] = r.Decode()
			}
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
			cp := make(map[string]any, len(sm))
			merge(cp, sm)
			v = cp
		}
		dst[k] = v
	}
}

// isObject reports whether v is a JSON object, decoded or raw.
func isObject(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return true
	case fastjson.Raw:
		return v.IsObject()
	}
	return false
}

// Input is what the user asked to send.
type Input struct {
	ID     string    // notification id; also the Idempotency-Key
	Status string    // build status; "" for none
	Phase  string    // notification-plugin: QUEUED, STARTED, COMPLETED or FINALIZED; "" to derive it from Status
	Body   *Body     // nil when no --body
	Fields []Field   // --field values in order
	Time   time.Time // the notification's timestamp
	Run    *Run      // set by jobnotify run: the command the notification is about
	Trace  *Trace    // the step's trace context; nil for none
}

// Run is what 'jobnotify run' says of the command it runs, in the
// payload's "run" object. Both notifications of a run carry its ID and
// Command; the outcome the rest.
type Run struct {
	ID      string // shared by the start and the outcome
	Command string // the program's base name: its arguments may hold secrets
	Outcome bool   // the outcome notification: the fields below are set
	// ExitCode is nil when the command had not exited when the outcome
	// was sent (an abort is reported at once).
	ExitCode *int
	Duration time.Duration
	Signal   string // "SIGTERM" when the command died of a signal, or when the run was aborted with one
	LogTail  string // the last lines of its output, redacted; "" without --tail
}

// object is the payload's "run" object.
func (r *Run) object() map[string]any {
	m := map[string]any{"id": r.ID, "command": r.Command}
	if !r.Outcome {
		return m
	}
	if r.ExitCode != nil {
		m["exit_code"] = *r.ExitCode
	}
	m["duration_ms"] = r.Duration.Milliseconds()
	setIf(m, "signal", r.Signal)
	setIf(m, "log_tail", r.LogTail)
	return m
}

// Schema names the version of the jobnotify payload, sent as its
// "schema": docs/schema/jobnotify-v1.json describes it, and within v1
// changes are additive only (see docs/receivers.md).
const Schema = "jobnotify/v1"

// NewID returns a random UUIDv4.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand panics rather than return an error
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// idNamespace is the UUID namespace of the ids NameID derives
// (97d25a3d-8e74-4833-99d7-0c53a17f5e41, drawn once at random).
var idNamespace = [16]byte{0x97, 0xd2, 0x5a, 0x3d, 0x8e, 0x74, 0x48, 0x33, 0x99, 0xd7, 0x0c, 0x53, 0xa1, 0x7f, 0x5e, 0x41}

// NameID returns the UUIDv5 (RFC 9562) of name in jobnotify's namespace:
// the same name, the same id, on any host and with any version.
func NameID(name string) string {
	h := sha1.New()
	h.Write(idNamespace[:])
	h.Write([]byte(name))
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Payload returns the notification as an object in the format s.Format:
// for "jobnotify" the build context < [fields] < body < --field, deep-merged;
// for "job-status-notification" the flat map of strings the replaced plugin
// sent.
func Payload(c envcollect.Context, s *config.Settings, in Input) (map[string]any, error) {
	p, err := payload(c, s, in)
	for k, v := range p {
		if r, ok := v.(fastjson.Raw); ok {
			p[k] = r.Decode()
		}
	}
	return p, err
}

// payload is Payload with the body's large values still raw, for Build to
// write through. Only the payload's top level holds raw values: merge
// places the body's top-level values there or decodes them.
func payload(c envcollect.Context, s *config.Settings, in Input) (map[string]any, error) {
	switch s.Format {
	case "job-status-notification":
		if in.Run != nil {
			// As in every other format (they build on the jobnotify
			// payload): the run's keys are jobnotify run's.
			if err := refuseReserved([]reservedKey{runReserved}, s.Fields, in.Fields); err != nil {
				return nil, err
			}
		}
		return legacyPayload(c, s, in), nil
	case "jobnotify", "":
		if err := reservedFields(s.Fields, in.Fields, in.Run != nil); err != nil {
			return nil, err
		}
		p := c.Map()
		if in.Status != "" {
			p["status"] = in.Status
		}
		merge(p, s.Fields)
		if in.Body != nil {
			merge(p, in.Body.Object)
		}
		for _, f := range in.Fields {
			merge(p, f.object())
		}
		// schema, id and timestamp are jobnotify's, set last: the id
		// must stay the Idempotency-Key (choose it with --id), so a body
		// that happens to have an "id" does not break deduplication, and
		// a receiver reads the schema the payload follows.
		p["schema"] = Schema
		p["id"] = in.ID
		if in.Run != nil {
			p["run"] = in.Run.object() // jobnotify run's, like the id
		}
		if in.Trace != nil {
			p["trace"] = in.Trace.object()
		}
		p["timestamp"] = in.Time.UTC().Format(time.RFC3339)
		return p, nil
	default:
		return nil, &InputError{Where: "format", Err: fmt.Errorf("unknown format %q", s.Format)}
	}
}

// reservedKey is a key of the payload that is jobnotify's alone, and why.
type reservedKey struct{ key, why string }

// reserved are the payload's keys that are jobnotify's alone, with why:
// the id is the Idempotency-Key, so a field must not quietly lose to it,
// nor look as if it set it.
var reserved = []reservedKey{
	{"schema", "the schema is jobnotify's: it names the version of the payload (" + Schema + ")"},
	{"id", "the id is jobnotify's: choose it with --id"},
	{"timestamp", "the timestamp is jobnotify's: the time of the send"},
	{"trace", "the trace is jobnotify's: the step's trace context, from TRACEPARENT"},
}

// runReserved is reserved in the notifications of jobnotify run, which
// sets "run"; a send's fields may use the name.
var runReserved = reservedKey{"run", "the run object is jobnotify run's: its id, command, exit code and log tail"}

// reservedFields refuses a [fields] or --field entry that would set a
// reserved key, "run" among them in a notification of jobnotify run.
// (A --body's own id, or run, is documented to give way.)
func reservedFields(fields map[string]any, flags []Field, run bool) error {
	keys := reserved
	if run {
		keys = append(keys[:len(keys):len(keys)], runReserved)
	}
	return refuseReserved(keys, fields, flags)
}

// refuseReserved refuses a [fields] or --field entry that would set one
// of keys.
func refuseReserved(keys []reservedKey, fields map[string]any, flags []Field) error {
	for _, r := range keys {
		if _, ok := fields[r.key]; ok {
			return &InputError{Where: "fields." + r.key, Err: errors.New(r.why)}
		}
		for _, f := range flags {
			if len(f.Path) > 0 && f.Path[0] == r.key {
				return &InputError{Where: "--field " + r.key, Err: errors.New(r.why)}
			}
		}
	}
	return nil
}

// legacyPayload is the Job Status Notification plugin's payload: the
// collected environment, the status twice, buildNo and body, all strings;
// [fields] and --field are added flattened with dotted keys, and so is
// the run object of jobnotify run ("run.id", "run.exit_code", …).
func legacyPayload(c envcollect.Context, s *config.Settings, in Input) map[string]any {
	flat := make(map[string]string, len(c.Env)+8)
	for k, v := range c.Env {
		flat[k] = v
	}
	// The plugin's step sent RUNNING when given no status, and START
	// when a build started: receivers written for it match those words.
	status := in.Status
	switch strings.ToUpper(status) {
	case "":
		status = "RUNNING"
	case "STARTED", "START":
		status = "START"
	}
	flat["JOB_EXECUTE_STATUS"] = status
	flat["jobExecuteStatus"] = status
	if n := c.Env["BUILD_NUMBER"]; n != "" {
		flat["buildNo"] = n
	} else if b, ok := c.Sections["build"].(map[string]any); ok && b["number"] != nil {
		flat["buildNo"] = fmt.Sprint(b["number"]) // GitHub's run number, GitLab's pipeline IID
	}
	if in.Body != nil {
		flat["body"] = in.Body.Raw
	}
	flatten("", s.Fields, flat)
	for _, f := range in.Fields {
		flatten("", f.object(), flat)
	}
	if in.Run != nil {
		flatten("run", in.Run.object(), flat) // numbers as their text, like every value here
	}
	p := make(map[string]any, len(flat))
	for k, v := range flat {
		p[k] = v
	}
	return p
}
