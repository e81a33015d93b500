package notify

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
)

// The published JSON Schema of the jobnotify payload, and its $id.
const (
	schemaFile = "../docs/schema/jobnotify-v1.json"
	schemaID   = "urn:jobnotify:schema:jobnotify-v1"
)

// refuseLoader is the schema compiler's loader: the schema is compiled
// from its file alone, and any reference to another document (over the
// network above all) is an error. The 2020-12 meta-schema is built into
// the library and never loaded.
type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("the schema refers to %s: it must stand alone", url)
}

// schemaDoc reads the schema file as a JSON value, numbers exact.
func schemaDoc(tb testing.TB) map[string]any {
	tb.Helper()
	b, err := os.ReadFile(schemaFile)
	if err != nil {
		tb.Fatal(err)
	}
	doc, ok := decodeJSON(tb, schemaFile, b).(map[string]any)
	if !ok {
		tb.Fatalf("%s: got %T, want a JSON object", schemaFile, doc)
	}
	return doc
}

// payloadSchema compiles the schema file with format assertions on (in
// draft 2020-12 "format" is only an annotation unless asked for).
func payloadSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	doc := schemaDoc(tb)
	if got := doc["$id"]; got != schemaID {
		tb.Fatalf("%s: $id got %v, want %s", schemaFile, got, schemaID)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(refuseLoader{})
	c.AssertFormat()
	if err := c.AddResource(schemaID, doc); err != nil {
		tb.Fatal(err)
	}
	sch, err := c.Compile(schemaID)
	if err != nil {
		tb.Fatalf("compile %s: %v", schemaFile, err)
	}
	return sch
}

// decodeJSON decodes one JSON value, keeping numbers exact.
func decodeJSON(tb testing.TB, what string, b []byte) any {
	tb.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("%s: %v\n%s", what, err, b)
	}
	return v
}

// validatePayload fails the test when v does not follow the schema.
func validatePayload(tb testing.TB, sch *jsonschema.Schema, what string, v any) {
	tb.Helper()
	if err := sch.Validate(v); err != nil {
		tb.Errorf("%s does not follow %s:\n%v", what, schemaFile, err)
	}
}

// jsonAt returns an extractor of the JSON value at path in a golden file
// that is one JSON document.
func jsonAt(path ...any) func(tb testing.TB, name string, b []byte) any {
	return func(tb testing.TB, name string, b []byte) any {
		tb.Helper()
		v := ftGet(decodeJSON(tb, name, b), path...)
		if v == nil {
			tb.Fatalf("%s: nothing at %v", name, path)
		}
		return v
	}
}

// dumpBody extracts the body of a Request.Dump: what follows the first
// blank line.
func dumpBody(tb testing.TB, name string, b []byte) any {
	tb.Helper()
	_, body, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		tb.Fatalf("%s: no blank line before the body", name)
	}
	return decodeJSON(tb, name, body)
}

// schemaGoldens are the golden files that hold a jobnotify payload, and
// where in each it is, as TestGoldenPayloads, TestGoldenFormats and
// TestGoldenDryRun write them. get-query.txt holds one too, flattened into
// a query string: it is not JSON, so the schema does not apply.
var schemaGoldens = []struct {
	name    string
	payload func(tb testing.TB, name string, b []byte) any
}{
	{"jobnotify-payload.json", jsonAt()},
	{"format-jobnotify.json", jsonAt("body")},
	{"format-jobnotify-run.json", jsonAt("body")},
	{"format-cloudevents-structured.json", jsonAt("body", "data")},
	{"format-cloudevents-binary.json", jsonAt("body")},
	{"dry-run.txt", dumpBody},
}

func TestPayloadSchemaGoldens(t *testing.T) {
	sch := payloadSchema(t)
	for _, g := range schemaGoldens {
		t.Run(g.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "testdata", "golden", g.name))
			if err != nil {
				t.Fatal(err)
			}
			validatePayload(t, sch, g.name, g.payload(t, g.name, b))
		})
	}
}

// formatLine finds a config's format key.
var formatLine = regexp.MustCompile(`(?m)^format = "([^"]*)"`)

// TestPayloadSchemaCoversGoldens fails when a golden file holds a
// jobnotify payload but TestPayloadSchemaGoldens does not validate it: one
// whose name says so, or the golden of a format that sends the payload.
func TestPayloadSchemaCoversGoldens(t *testing.T) {
	covered := map[string]bool{}
	for _, g := range schemaGoldens {
		covered[g.name] = true
	}
	holds := map[string]bool{}
	for _, fc := range formatCases {
		if m := formatLine.FindStringSubmatch(fc.toml); m != nil && (m[1] == "jobnotify" || m[1] == "cloudevents") {
			holds[fc.name] = true
		}
	}
	entries, err := os.ReadDir(filepath.Join("..", "testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		for _, word := range []string{"jobnotify", "cloudevents", "payload", "dry-run"} {
			if strings.Contains(name, word) {
				holds[name] = true
			}
		}
	}
	if len(holds) < len(schemaGoldens) {
		t.Errorf("found %d goldens holding a payload, want at least the %d validated", len(holds), len(schemaGoldens))
	}
	for name := range holds {
		if !covered[name] {
			t.Errorf("testdata/golden/%s holds a jobnotify payload, but schemaGoldens does not list it", name)
		}
	}
}

// envFile reads a recorded CI environment under testdata as K=V pairs,
// as jenkinsEnv reads testdata/jenkins.env.
func envFile(tb testing.TB, name string) []string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	var env []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			env = append(env, line)
		}
	}
	if len(env) == 0 {
		tb.Fatalf("testdata/%s is empty", name)
	}
	return env
}

// recordedEnvs are the CI environments the live payloads are built from.
var recordedEnvs = []string{"jenkins.env", "github-actions.env", "gitlab-ci.env"}

// TestPayloadSchemaLive validates payloads built the real way from every
// recorded CI environment, with and without a status and user input: what
// Payload returns and what Build sends, in format jobnotify and as the
// data of a structured CloudEvent.
func TestPayloadSchemaLive(t *testing.T) {
	sch := payloadSchema(t)
	for _, file := range recordedEnvs {
		environ := envFile(t, file)
		for _, status := range []string{"", "SUCCESS"} {
			for _, user := range []bool{false, true} {
				name := fmt.Sprintf("%s/status=%q/user=%v", file, status, user)
				t.Run(name, func(t *testing.T) {
					in := Input{ID: testID, Status: status, Time: testTime}
					toml := ""
					if user {
						toml = goldenTOML
						in.Body = mustBody(t, goldenBody)
						in.Fields = mustFields(t, goldenFields...)
					}
					s := resolve(t, "url = \"http://127.0.0.1:9/\"\n"+toml, config.Overrides{}, envMap(environ))
					c := envcollect.Collect(environ, envcollect.Options(s.Env))
					if len(c.Sections) == 0 {
						t.Fatalf("%s: no build context collected", file)
					}

					p, err := Payload(c, s, in)
					if err != nil {
						t.Fatalf("Payload: %v", err)
					}
					validatePayload(t, sch, "Payload", toJSON(t, p))

					r, err := Build(c, s, in, "1.2.3")
					if err != nil {
						t.Fatalf("Build: %v", err)
					}
					validatePayload(t, sch, "Build's body", decodeJSON(t, "Build's body", r.Body.Bytes()))

					s.Format = "cloudevents"
					r, err = Build(c, s, in, "1.2.3")
					if err != nil {
						t.Fatalf("Build cloudevents: %v", err)
					}
					ev := decodeJSON(t, "the CloudEvent", r.Body.Bytes())
					validatePayload(t, sch, "the CloudEvent's data", ftGet(ev, "data"))
				})
			}
		}
	}
}

// TestPayloadSchemaDescribesContext fails when envcollect writes a section
// or a key in one that the schema does not describe: receivers are told
// the type of every key jobnotify writes.
func TestPayloadSchemaDescribesContext(t *testing.T) {
	props := func(v any) map[string]any {
		m, _ := ftGet(v, "properties").(map[string]any)
		return m
	}
	top := props(schemaDoc(t))
	for _, file := range recordedEnvs {
		c := envcollect.Collect(envFile(t, file), envcollect.Options{})
		var missing []string
		for k, v := range c.Map() {
			d, ok := top[k]
			if !ok {
				missing = append(missing, k)
				continue
			}
			sec, ok := v.(map[string]any)
			if !ok || k == "env" {
				continue
			}
			for sk := range sec {
				if _, ok := props(d)[sk]; !ok {
					missing = append(missing, k+"."+sk)
				}
			}
		}
		sort.Strings(missing)
		for _, k := range missing {
			t.Errorf("%s: jobnotify writes %s, but %s does not describe it", file, k, schemaFile)
		}
	}
}

// payloadHead is the start of a minimal valid payload.
const payloadHead = `"schema": "jobnotify/v1", "id": "3b0c5c1e-0000-4000-8000-000000000001"`

func TestPayloadSchemaRules(t *testing.T) {
	sch := payloadSchema(t)
	tests := []struct {
		name    string
		payload string
		valid   bool
	}{
		{"minimal", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z"}`, true},
		{"fractional seconds", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00.123Z"}`, true},
		{
			"unknown keys at every level (additive only)",
			`{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "deploy": {"replicas": 3},
			"build": {"number": 42, "extra": {"x": [1, null]}}, "scm": {"submodules": []}}`, true,
		},
		{"build number as text, as envcollect passes a non-integer on", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "build": {"number": "42a"}}`, true},
		{"message of any type", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "message": {"text": "hi"}}`, true},
		{"run start", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "status": "STARTED", "run": {"id": "r1", "command": "make"}}`, true},
		{
			"run outcome",
			`{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "status": "FAILURE",
			"run": {"id": "r1", "command": "make", "exit_code": 2, "duration_ms": 62400, "signal": "SIGKILL", "log_tail": "a\nb", "later": true}}`, true,
		},
		{"run aborted at once, no exit code", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "run": {"id": "r1", "command": "make", "duration_ms": 0, "signal": "SIGTERM"}}`, true},
		{"run exit code any integer", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "run": {"id": "r1", "command": "make", "exit_code": 3221225477, "duration_ms": 5}}`, true},
		// Before jobnotify run, run was a key like any other: a user's
		// value that is not an object still follows jobnotify/v1.
		{"a send's own run, not an object", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "run": "nightly"}`, true},

		{"not an object", `["jobnotify/v1"]`, false},
		{"no schema", `{"id": "x", "timestamp": "2026-11-27T03:20:00Z"}`, false},
		{"schema jobnotify/v2", `{"schema": "jobnotify/v2", "id": "x", "timestamp": "2026-11-27T03:20:00Z"}`, false},
		{"no id", `{"schema": "jobnotify/v1", "timestamp": "2026-11-27T03:20:00Z"}`, false},
		{"empty id", `{"schema": "jobnotify/v1", "id": "", "timestamp": "2026-11-27T03:20:00Z"}`, false},
		{"numeric id", `{"schema": "jobnotify/v1", "id": 42, "timestamp": "2026-11-27T03:20:00Z"}`, false},
		{"no timestamp", `{` + payloadHead + `}`, false},
		{"timestamp not a date", `{` + payloadHead + `, "timestamp": "yesterday"}`, false},
		// Matches the pattern: only the date-time format assertion rejects it.
		{"timestamp with month 13", `{` + payloadHead + `, "timestamp": "2026-13-27T03:20:00Z"}`, false},
		{"timestamp not UTC", `{` + payloadHead + `, "timestamp": "2026-11-27T04:20:00+01:00"}`, false},
		{"timestamp in Unix seconds", `{` + payloadHead + `, "timestamp": 1795749600}`, false},
		{"build number a boolean", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "build": {"number": true}}`, false},
		{"build number a fraction", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "build": {"number": 4.5}}`, false},
		{"job a string", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "job": "flattened"}`, false},
		{"env null", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "env": null}`, false},
		{"env value a number", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "env": {"REPLICAS": 3}}`, false},
		{"status a number", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "status": 0}`, false},
		{"run id empty", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "run": {"id": "", "command": "make"}}`, false},
		{"run id a number", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "run": {"id": 7, "command": "make"}}`, false},
		{"run exit code as text", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "run": {"id": "r1", "command": "make", "exit_code": "2"}}`, false},
		{"run exit code a fraction", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "run": {"id": "r1", "command": "make", "exit_code": 2.5}}`, false},
		{"run duration negative", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "run": {"id": "r1", "command": "make", "duration_ms": -1}}`, false},
		{"run log tail an array", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "run": {"id": "r1", "command": "make", "log_tail": ["a", "b"]}}`, false},
		{"run signal a number", `{` + payloadHead + `, "timestamp": "2026-11-27T03:20:00Z", "run": {"id": "r1", "command": "make", "signal": 9}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sch.Validate(decodeJSON(t, tt.name, []byte(tt.payload)))
			if got := err == nil; got != tt.valid {
				t.Errorf("valid: got %v, want %v (%v)", got, tt.valid, err)
			}
		})
	}
}

// TestPayloadSchemaExamples: the schema's own examples follow it.
func TestPayloadSchemaExamples(t *testing.T) {
	sch := payloadSchema(t)
	examples, _ := schemaDoc(t)["examples"].([]any)
	if len(examples) == 0 {
		t.Fatal("the schema has no examples")
	}
	for i, ex := range examples {
		validatePayload(t, sch, fmt.Sprintf("example %d", i), ex)
	}
}

// TestPayloadSchemaRetypedContext: a user's input that replaces a context
// key with a value of another type (TestPayload's deep merge) is sent, and
// falls outside jobnotify/v1, as the schema's description says.
func TestPayloadSchemaRetypedContext(t *testing.T) {
	sch := payloadSchema(t)
	s := resolve(t, "url = \"http://127.0.0.1:9/\"\n", config.Overrides{}, nil)
	in := Input{ID: testID, Time: testTime, Body: mustBody(t, `{"job": "flattened"}`), Fields: mustFields(t, "env:=null")}
	p, err := Payload(testContext(), s, in)
	if err != nil {
		t.Fatalf("Payload: %v", err)
	}
	if err := sch.Validate(toJSON(t, p)); err == nil {
		t.Error("a payload with job a string and env null: got valid, want it outside the schema")
	}
}
