package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
)

// The structure of the CDEvents v0.5.1 JSON schemas of the five events the
// cdevents format sends (pipelinerunqueued, pipelinerunstarted,
// pipelinerunfinished, taskrunstarted, taskrunfinished), written out so
// the tests need nothing outside the repository.

// cdProp is one property of a schema object.
type cdProp struct {
	kind   string   // "string", "object", "array" or "object|string" (customData)
	min1   bool     // minLength 1
	format string   // "uri", "uri-reference", "date-time" or ""
	enum   []string // allowed values; nil for any
	object *cdObject
}

// cdObject is a schema object with additionalProperties false.
type cdObject struct {
	props    map[string]cdProp
	required []string
}

func cdContext(eventType string) *cdObject {
	return &cdObject{
		props: map[string]cdProp{
			"specversion": {kind: "string", min1: true},
			"id":          {kind: "string", min1: true},
			"source":      {kind: "string", min1: true, format: "uri-reference"},
			"type":        {kind: "string", enum: []string{eventType}},
			"timestamp":   {kind: "string", format: "date-time"},
			"schemaUri":   {kind: "string", min1: true, format: "uri"},
			"chainId":     {kind: "string", min1: true},
			"links":       {kind: "array"},
		},
		required: []string{"specversion", "id", "source", "type", "timestamp"},
	}
}

func cdEventSchema(eventType string, content *cdObject) *cdObject {
	return &cdObject{
		props: map[string]cdProp{
			"context": {kind: "object", object: cdContext(eventType)},
			"subject": {kind: "object", object: &cdObject{
				props: map[string]cdProp{
					"id":      {kind: "string", min1: true},
					"source":  {kind: "string", min1: true, format: "uri-reference"},
					"content": {kind: "object", object: content},
				},
				required: []string{"id", "content"},
			}},
			"customData":            {kind: "object|string"},
			"customDataContentType": {kind: "string"},
		},
		required: []string{"context", "subject"},
	}
}

var cdPipelineRunOutcomes = []string{"success", "failure", "cancel", "error"}

var cdPipelineRunRef = &cdObject{
	props: map[string]cdProp{
		"id":     {kind: "string", min1: true},
		"source": {kind: "string", min1: true, format: "uri-reference"},
	},
	required: []string{"id"},
}

// cdSchemas are the five schemas by context.type.
var cdSchemas = map[string]*cdObject{
	"dev.cdevents.pipelinerun.queued.0.3.0": cdEventSchema("dev.cdevents.pipelinerun.queued.0.3.0", &cdObject{
		props: map[string]cdProp{"pipelineName": {kind: "string"}, "uri": {kind: "string", format: "uri"}},
	}),
	"dev.cdevents.pipelinerun.started.0.3.0": cdEventSchema("dev.cdevents.pipelinerun.started.0.3.0", &cdObject{
		props:    map[string]cdProp{"pipelineName": {kind: "string"}, "uri": {kind: "string", format: "uri"}},
		required: []string{"pipelineName", "uri"},
	}),
	"dev.cdevents.pipelinerun.finished.0.3.0": cdEventSchema("dev.cdevents.pipelinerun.finished.0.3.0", &cdObject{
		props: map[string]cdProp{
			"pipelineName": {kind: "string"},
			"uri":          {kind: "string", format: "uri"},
			"outcome":      {kind: "string", enum: cdPipelineRunOutcomes},
			"errors":       {kind: "string"},
		},
	}),
	"dev.cdevents.taskrun.started.0.3.0": cdEventSchema("dev.cdevents.taskrun.started.0.3.0", &cdObject{
		props: map[string]cdProp{
			"taskName":    {kind: "string"},
			"uri":         {kind: "string", format: "uri"},
			"pipelineRun": {kind: "object", object: cdPipelineRunRef},
		},
	}),
	"dev.cdevents.taskrun.finished.0.3.0": cdEventSchema("dev.cdevents.taskrun.finished.0.3.0", &cdObject{
		props: map[string]cdProp{
			"taskName":    {kind: "string"},
			"uri":         {kind: "string", format: "uri"},
			"pipelineRun": {kind: "object", object: cdPipelineRunRef},
			// The schema leaves taskrun outcome free; the spec names the
			// same four values as for a pipelinerun, so hold it to them.
			"outcome": {kind: "string", enum: cdPipelineRunOutcomes},
			"errors":  {kind: "string"},
		},
	}),
}

// cdValidate reports every way v breaks the schema object o, each named
// by its path.
func cdValidate(path string, v any, o *cdObject) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: got %T, want an object", path, v)}
	}
	var errs []string
	for _, r := range o.required {
		if _, ok := m[r]; !ok {
			errs = append(errs, fmt.Sprintf("%s.%s: required, absent", path, r))
		} else if s, isString := m[r].(string); isString && s == "" {
			errs = append(errs, fmt.Sprintf("%s.%s: required, empty", path, r))
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, ok := o.props[k]
		at := path + "." + k
		if !ok {
			errs = append(errs, at+": not a property of the schema")
			continue
		}
		errs = append(errs, cdValidateProp(at, m[k], p)...)
	}
	return errs
}

func cdValidateProp(at string, v any, p cdProp) []string {
	switch p.kind {
	case "object":
		return cdValidate(at, v, p.object)
	case "array":
		if _, ok := v.([]any); !ok {
			return []string{fmt.Sprintf("%s: got %T, want an array", at, v)}
		}
		return nil
	case "object|string":
		switch v.(type) {
		case map[string]any, string:
			return nil
		}
		return []string{fmt.Sprintf("%s: got %T, want an object or a string", at, v)}
	}
	s, ok := v.(string)
	if !ok {
		return []string{fmt.Sprintf("%s: got %T, want a string", at, v)}
	}
	var errs []string
	if p.min1 && s == "" {
		errs = append(errs, at+": empty, want minLength 1")
	}
	if p.enum != nil && !slices.Contains(p.enum, s) {
		errs = append(errs, fmt.Sprintf("%s: %q is not one of %q", at, s, p.enum))
	}
	switch p.format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not an RFC 3339 date-time", at, s))
		}
	case "uri":
		if u, err := url.Parse(s); err != nil || !u.IsAbs() {
			errs = append(errs, fmt.Sprintf("%s: %q is not an absolute URI", at, s))
		}
	case "uri-reference":
		if _, err := url.Parse(s); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not a URI reference", at, s))
		}
	}
	return errs
}

// The validator itself catches what it must.
func TestCDEventsValidatorCatches(t *testing.T) {
	good := `{"context": {"specversion": "0.5.1", "id": "1", "source": "jobnotify", "type": "dev.cdevents.pipelinerun.started.0.3.0", "timestamp": "2026-11-27T03:20:00Z"},
		"subject": {"id": "r1", "content": {"pipelineName": "p", "uri": "https://ci/1"}}}`
	tests := []struct {
		name, mutate, want string
	}{
		{name: "valid", want: ""},
		{name: "extra top-level", mutate: `{"extra": 1}`, want: "$.extra: not a property"},
		{name: "extra in content", mutate: `{"subject": {"content": {"outcome": "success"}}}`, want: "$.subject.content.outcome: not a property"},
		{name: "missing required", mutate: `{"subject": {"content": {"uri": null}}}`, want: "$.subject.content.uri: got <nil>, want a string"},
		{name: "wrong type enum", mutate: `{"context": {"type": "dev.cdevents.pipelinerun.finished.0.3.0"}}`, want: "$.context.type: \"dev.cdevents.pipelinerun.finished.0.3.0\" is not one of"},
		{name: "bad timestamp", mutate: `{"context": {"timestamp": "yesterday"}}`, want: "not an RFC 3339 date-time"},
		{name: "relative uri", mutate: `{"subject": {"content": {"uri": "/job/1"}}}`, want: "not an absolute URI"},
		{name: "empty id", mutate: `{"context": {"id": ""}}`, want: "$.context.id: required, empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev map[string]any
			if err := json.Unmarshal([]byte(good), &ev); err != nil {
				t.Fatal(err)
			}
			if tt.mutate != "" {
				var m map[string]any
				if err := json.Unmarshal([]byte(tt.mutate), &m); err != nil {
					t.Fatal(err)
				}
				merge(ev, m)
			}
			errs := strings.Join(cdValidate("$", ev, cdSchemas["dev.cdevents.pipelinerun.started.0.3.0"]), "\n")
			if tt.want == "" && errs != "" || !strings.Contains(errs, tt.want) {
				t.Errorf("got %q, want %q", errs, tt.want)
			}
		})
	}
}

// Every status the cdevents format accepts, with both subjects, with and
// without a Jenkins environment, from send and from jobnotify run, gives
// an event its schema accepts, and ce-* headers that repeat its context.
func TestCDEventsSchemaStructure(t *testing.T) {
	type want struct{ typ, outcome string }
	mapping := []struct {
		status            string
		pipeline, taskrun want // taskrun.typ "" means an *InputError
	}{
		{"QUEUED", want{"pipelinerun.queued", ""}, want{"", ""}},
		{"STARTED", want{"pipelinerun.started", ""}, want{"taskrun.started", ""}},
		{"started", want{"pipelinerun.started", ""}, want{"taskrun.started", ""}},
		{"RUNNING", want{"pipelinerun.started", ""}, want{"taskrun.started", ""}},
		{"", want{"pipelinerun.started", ""}, want{"taskrun.started", ""}},
		{"SUCCESS", want{"pipelinerun.finished", "success"}, want{"taskrun.finished", "success"}},
		{"FAILURE", want{"pipelinerun.finished", "failure"}, want{"taskrun.finished", "failure"}},
		{"ABORTED", want{"pipelinerun.finished", "cancel"}, want{"taskrun.finished", "cancel"}},
		{"NOT_BUILT", want{"pipelinerun.finished", "cancel"}, want{"taskrun.finished", "cancel"}},
		{"UNSTABLE", want{"pipelinerun.finished", "UNSTABLE"}, want{"taskrun.finished", "UNSTABLE"}},
	}
	environs := map[string][]string{"jenkins": jenkinsEnv(t), "no CI": nil, "jenkins without stage": cdWithout(jenkinsEnv(t), "STAGE_NAME")}
	for _, m := range mapping {
		for _, subject := range []string{"pipelinerun", "taskrun"} {
			for _, unstable := range []string{"failure", "success"} {
				for envName, environ := range environs {
					for _, body := range []string{"", "it broke"} {
						for _, run := range []bool{false, true} {
							name := fmt.Sprintf("%s/%s/unstable=%s/%s/body=%q/run=%v", cmpOr(m.status, "none"), subject, unstable, envName, body, run)
							t.Run(name, func(t *testing.T) {
								w := m.pipeline
								if subject == "taskrun" {
									w = m.taskrun
								}
								if w.outcome == "UNSTABLE" {
									w.outcome = unstable
								}
								toml := fmt.Sprintf("format = \"cdevents\"\ncdevents_subject = %q\ncdevents_unstable = %q", subject, unstable)
								in := Input{ID: testID, Status: m.status, Time: testTime,
									// A field setting the payload's id or timestamp is
									// refused (see TestReservedFields).
									Fields: mustFields(t, "stage=deploy")}
								if body != "" {
									in.Body = mustBody(t, body)
								}
								if run {
									in.Run = cdTestRun(w.typ)
								}
								r, err := ftBuild(t, environ, toml, in)
								if w.typ == "" {
									var ie *InputError
									if !errors.As(err, &ie) {
										t.Fatalf("got %v, want an *InputError", err)
									}
									return
								}
								if err != nil {
									t.Fatalf("Build: %v", err)
								}
								cdCheck(t, r.Body.Bytes(), r.Header.Get, "dev.cdevents."+w.typ+".0.3.0", w.outcome)
								ev := ftObject(t, r.Body.Bytes())
								if w.outcome == "failure" {
									want := body
									if run {
										want = strings.TrimPrefix(body+"\n\n"+goldenTail, "\n\n")
									}
									if got, _ := ftGet(ev, "subject", "content", "errors").(string); got != want {
										t.Errorf("errors: got %q, want %q", got, want)
									}
								}
								if run && (subject == "taskrun" || environ == nil) {
									if got := ftGet(ev, "subject", "id"); got != testRunID {
										t.Errorf("subject id: got %v, want the run's id %s", got, testRunID)
									}
								}
								if environ != nil {
									if got := ftGet(ev, "context", "source"); got != "https://ci.example.com/job/team/job/app/" {
										t.Errorf("source: got %v, want the job URL", got)
									}
								}
							})
						}
					}
				}
			}
		}
	}
}

// cdTestRun is jobnotify run's part of a notification of event type typ:
// the outcome, with a log tail, for a finished event; else the start.
func cdTestRun(typ string) *Run {
	if strings.Contains(typ, ".finished") {
		return goldenRunFailure
	}
	return goldenRunStart
}

// cdCheck validates one event body against its schema and its headers
// against its context.
func cdCheck(tb testing.TB, body []byte, header func(string) string, wantType, wantOutcome string) {
	tb.Helper()
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		tb.Fatalf("body: %v\n%s", err, body)
	}
	typ, _ := ftGet(ev, "context", "type").(string)
	if typ != wantType {
		tb.Fatalf("context.type: got %q, want %q", typ, wantType)
	}
	schema := cdSchemas[typ]
	if schema == nil {
		tb.Fatalf("context.type %q is none of the five schemas", typ)
	}
	for _, e := range cdValidate("$", ev, schema) {
		tb.Error(e)
	}
	if got, _ := ftGet(ev, "subject", "content", "outcome").(string); got != wantOutcome {
		tb.Errorf("outcome: got %q, want %q", got, wantOutcome)
	}
	if got := ftGet(ev, "context", "specversion"); got != CDEventsVersion {
		tb.Errorf("specversion: got %v, want %s", got, CDEventsVersion)
	}
	if got := ftGet(ev, "context", "id"); got != testID {
		tb.Errorf("context.id: got %v, want %s", got, testID)
	}
	if got := ftGet(ev, "context", "timestamp"); got != testTime.Format(time.RFC3339) {
		tb.Errorf("context.timestamp: got %v, want %s", got, testTime.Format(time.RFC3339))
	}
	if ct := ftGet(ev, "customDataContentType"); ct != nil && ct != "application/json" {
		tb.Errorf("customDataContentType: got %v, want application/json", ct)
	}
	// The CloudEvents binary-mode headers repeat the context.
	for h, want := range map[string]any{
		"ce-specversion": "1.0",
		"ce-id":          ftGet(ev, "context", "id"),
		"ce-source":      ftGet(ev, "context", "source"),
		"ce-type":        ftGet(ev, "context", "type"),
		"ce-time":        ftGet(ev, "context", "timestamp"),
		"ce-subject":     ftGet(ev, "subject", "id"),
		"Content-Type":   "application/json",
	} {
		if got := header(h); got != want {
			tb.Errorf("header %s: got %q, want %v", h, got, want)
		}
	}
}

func cdWithout(environ []string, name string) []string {
	return slices.DeleteFunc(environ, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
}

// Every cdevents golden file satisfies its schema too.
func TestCDEventsGoldensSatisfyTheSchema(t *testing.T) {
	for _, fc := range formatCases {
		if !strings.HasPrefix(fc.name, "format-cdevents-") {
			continue
		}
		t.Run(fc.name, func(t *testing.T) {
			r, err := ftBuild(t, jenkinsEnv(t), fc.toml, fc.input(t))
			if err != nil {
				t.Fatal(err)
			}
			ev := ftObject(t, r.Body.Bytes())
			typ, _ := ftGet(ev, "context", "type").(string)
			outcome, _ := ftGet(ev, "subject", "content", "outcome").(string)
			cdCheck(t, r.Body.Bytes(), r.Header.Get, typ, outcome)
		})
	}
}

func TestCDEventsUnknownStatus(t *testing.T) {
	for _, status := range []string{"BOGUS", "COMPLETED", "FIXED"} {
		t.Run(status, func(t *testing.T) {
			_, err := ftBuild(t, jenkinsEnv(t), `format = "cdevents"`, Input{ID: testID, Status: status, Time: testTime})
			var ie *InputError
			if !errors.As(err, &ie) || ie.Where != "--status" {
				t.Fatalf("got %v, want an *InputError at --status", err)
			}
			for _, s := range []string{status, "QUEUED", "STARTED", "RUNNING", "SUCCESS", "FAILURE", "UNSTABLE", "ABORTED", "NOT_BUILT", "none"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("got %q, want it to name %s", err, s)
				}
			}
		})
	}
}

// A pipelinerun.started event needs pipelineName and uri; outside CI they
// come from the notification itself, and the uri is still absolute.
func TestCDEventsOutsideCI(t *testing.T) {
	s := resolve(t, "url = \"http://127.0.0.1:9/\"\nformat = \"cdevents\"", config.Overrides{}, nil)
	r, err := Build(envcollect.Collect(nil, envcollect.Options(s.Env)), s, Input{ID: "id with spaces/and slashes", Time: testTime}, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	ev := ftObject(t, r.Body.Bytes())
	for _, e := range cdValidate("$", ev, cdSchemas["dev.cdevents.pipelinerun.started.0.3.0"]) {
		t.Error(e)
	}
	if got := ftGet(ev, "subject", "content", "uri"); got != "urn:jobnotify:id%20with%20spaces%2Fand%20slashes" {
		t.Errorf("uri: got %v", got)
	}
}

// TestCDEventsTaskRunOutsideJenkins: on GitHub Actions and GitLab CI a
// task run is named after the CI job, and its subject id differs from the
// pipeline run's.
func TestCDEventsTaskRunOutsideJenkins(t *testing.T) {
	for _, tt := range []struct{ file, task string }{
		{"../testdata/github-actions.env", "GITHUB_JOB"},
		{"../testdata/gitlab-ci.env", "CI_JOB_NAME"},
	} {
		b, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		environ := strings.Split(strings.TrimSpace(string(b)), "\n")
		s := resolve(t, "url = \"http://127.0.0.1:9/\"\nformat = \"cdevents\"\ncdevents_subject = \"taskrun\"", config.Overrides{}, nil)
		c := envcollect.Collect(environ, envcollect.Options(s.Env))
		r, err := Build(c, s, Input{ID: "n1", Status: "SUCCESS", Time: testTime}, "1.2.3")
		if err != nil {
			t.Fatal(err)
		}
		ev := ftObject(t, r.Body.Bytes())
		for _, e := range cdValidate("$", ev, cdSchemas["dev.cdevents.taskrun.finished.0.3.0"]) {
			t.Error(e)
		}
		task, _ := ftGet(ev, "subject", "content", "taskName").(string)
		if want := c.Env[tt.task]; want == "" || task != want {
			t.Errorf("%s: taskName %q, want %s = %q", tt.file, task, tt.task, want)
		}
		run := ftGet(ev, "subject", "content", "pipelineRun", "id")
		if id := ftGet(ev, "subject", "id"); id == run {
			t.Errorf("%s: the task run's subject id %v equals the pipeline run's", tt.file, id)
		}
	}
}

func TestCEHeaderEncoding(t *testing.T) {
	tests := []struct{ in, want string }{
		{"jenkins-team-app-42", "jenkins-team-app-42"},
		{"Mÿ Jöb 100%", "M%C3%BF%20J%C3%B6b%20100%25"},
		{`say "hi"`, "say%20%22hi%22"},
		{"tab\there", "tab%09here"},
	}
	for _, tt := range tests {
		if got := ceHeader(tt.in); got != tt.want {
			t.Errorf("ceHeader(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
