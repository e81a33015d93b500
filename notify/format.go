package notify

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/internal/fastjson"
)

// A formatter turns a notification into the body, and the headers, one
// kind of receiver expects. p is the "jobnotify" payload (context, fields,
// body and --field merged); formatters read it rather than recompute it.
type formatter func(f *formatInput) (body []byte, h http.Header, err error)

// formatInput is what a formatter may use.
type formatInput struct {
	Ctx     envcollect.Context
	S       *config.Settings
	In      Input
	Payload map[string]any
}

// formatters are the formats beyond jobnotify and job-status-notification.
// Every one of them needs a request body (config.BodyFormats).
var formatters = map[string]formatter{
	"notification-plugin": notificationPlugin,
	"cloudevents":         cloudEvent,
	"cdevents":            cdEvent,
	"slack":               slack,
	"teams":               teams,
	"googlechat":          googleChat,
	"discord":             discord,
	"template":            templated,
}

func buildFormatted(f formatter, c envcollect.Context, s *config.Settings, in Input, version string) (*Request, error) {
	p, err := Payload(c, &config.Settings{Format: "jobnotify", Fields: s.Fields}, in)
	if err != nil {
		return nil, err
	}
	body, h, err := f(&formatInput{Ctx: c, S: s, In: in, Payload: p})
	if err != nil {
		return nil, err
	}
	return NewRequest(EndpointOf(s), s.Method, in.ID, PiecesOf(body), "", version, in.Trace.header(h))
}

// env returns a variable of the filtered environment.
func (f *formatInput) env(name string) string { return f.Ctx.Env[name] }

// timestamp is the notification's time in RFC 3339. It comes from the
// input, not the payload, where a --field timestamp=… may have replaced it:
// event formats need a real time.
func (f *formatInput) timestamp() string {
	return f.In.Time.UTC().Format(time.RFC3339)
}

// message is the user's message: from a plain-text --body or a "message" field.
func (f *formatInput) message() string {
	return text(f.Payload["message"])
}

// userData is what the user added: [fields] < body < --field, without the
// build context.
func (f *formatInput) userData() map[string]any {
	u := map[string]any{}
	merge(u, f.S.Fields)
	if f.In.Body != nil {
		merge(u, f.In.Body.Object)
	}
	for _, fl := range f.In.Fields {
		merge(u, fl.object())
	}
	return u
}

// text renders a payload value as text: strings as they are, anything
// else as its JSON.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, err := fastjson.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if s, err := strconv.Unquote(string(b)); err == nil {
		return s // a JSON string kept raw
	}
	return string(b)
}

// relativeTo returns u relative to base when u starts with it.
func relativeTo(u, base string) string {
	if base != "" && strings.HasPrefix(u, base) {
		return strings.TrimPrefix(u, base)
	}
	return u
}

func jsonHeader(contentType string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	return h
}

// setIf sets m[k] when v is not empty.
func setIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// Phases of the Jenkins Notification Plugin.
var phases = []string{"QUEUED", "STARTED", "COMPLETED", "FINALIZED"}

// Phases are the Jenkins Notification Plugin's phases, the values of
// --phase.
func Phases() []string { return slices.Clone(phases) }

// knownStatuses are the statuses the formats give a meaning to (a chat
// message's colour, a CDEvents predicate): Jenkins' results, then those
// of a build under way. Any other status is sent as it is given.
var knownStatuses = []string{"SUCCESS", "FAILURE", "UNSTABLE", "ABORTED", "NOT_BUILT", "QUEUED", "STARTED", "START", "RUNNING"}

// Statuses are the statuses jobnotify knows, for completing --status.
func Statuses() []string { return slices.Clone(knownStatuses) }

// startStatuses are the statuses that mean a build is under way.
var startStatuses = []string{"", "STARTED", "START", "RUNNING"}

// notificationPlugin is the JSON of the Jenkins Notification Plugin.
func notificationPlugin(f *formatInput) ([]byte, http.Header, error) {
	status := strings.ToUpper(f.In.Status)
	phase := strings.ToUpper(f.In.Phase)
	switch {
	case phase == "" && slices.Contains(startStatuses, status):
		phase = "STARTED"
	case phase == "":
		phase = "COMPLETED"
	case !slices.Contains(phases, phase):
		return nil, nil, &InputError{Where: "--phase", Err: fmt.Errorf("%q is not one of %s", f.In.Phase, strings.Join(phases, ", "))}
	}
	jenkins := f.payloadText("jenkins_url")
	buildURL := f.payloadText("build", "url")
	build := map[string]any{"phase": phase, "log": ""}
	setIf(build, "full_url", buildURL)
	setIf(build, "url", relativeTo(buildURL, jenkins))
	if n, err := strconv.ParseInt(f.payloadText("build", "number"), 10, 64); err == nil {
		build["number"] = n
	}
	if !slices.Contains(startStatuses, status) || phase == "COMPLETED" || phase == "FINALIZED" {
		setIf(build, "status", f.In.Status)
	}
	scm := map[string]any{}
	setIf(scm, "url", f.payloadText("scm", "url"))
	setIf(scm, "branch", f.payloadText("scm", "branch"))
	setIf(scm, "commit", f.payloadText("scm", "commit"))
	if len(scm) > 0 {
		build["scm"] = scm
	}
	setIf(build, "notes", f.message())
	if r := f.In.Run; r != nil && r.Outcome {
		// What the plugin sends once a build is done: its duration in
		// milliseconds, and its last log lines, each ended by a line
		// break (Phase.getLog).
		build["duration"] = r.Duration.Milliseconds()
		if r.LogTail != "" {
			build["log"] = r.LogTail + "\n"
		}
	}
	out := map[string]any{"build": build}
	setIf(out, "name", f.payloadText("job", "name"))
	setIf(out, "display_name", cmp.Or(f.env("JOB_DISPLAY_NAME"), f.payloadText("job", "base_name")))
	setIf(out, "url", relativeTo(f.payloadText("job", "url"), jenkins))
	b, err := fastjson.Marshal(out)
	return b, jsonHeader("application/json"), err
}

// source is the event source: the job's URL, or "jobnotify" outside CI.
func (f *formatInput) source() string {
	if u := f.payloadText("job", "url"); u != "" {
		return u
	}
	return "jobnotify"
}

// cloudEvent wraps the jobnotify payload as the data of a CloudEvents 1.0
// event: structured mode (application/cloudevents+json) by default, binary
// mode (ce-* headers, the payload as body) with cloudevents_mode = "binary".
func cloudEvent(f *formatInput) ([]byte, http.Header, error) {
	typ := "dev.jobnotify.build"
	if st := strings.ToLower(strings.TrimSpace(f.In.Status)); st != "" {
		typ += "." + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return '_'
		}, st)
	}
	attrs := map[string]string{
		"specversion": "1.0",
		"id":          f.In.ID,
		"source":      f.source(),
		"type":        typ,
		"time":        f.timestamp(),
	}
	if job := f.payloadText("job", "name"); job != "" {
		attrs["subject"] = job
	}
	if t := f.In.Trace; t != nil {
		// The distributed-tracing extension: in the event, or in binary
		// mode as ce- headers (beside the W3C headers every request has).
		attrs["traceparent"] = t.Parent
		if t.State != "" {
			attrs["tracestate"] = t.State
		}
	}
	if f.S.Options.CloudEventsMode == "binary" {
		h := jsonHeader("application/json")
		for k, v := range attrs {
			h.Set("ce-"+k, ceHeader(v))
		}
		b, err := fastjson.Marshal(f.Payload)
		return b, h, err
	}
	ev := map[string]any{"datacontenttype": "application/json", "data": f.Payload}
	for k, v := range attrs {
		ev[k] = v
	}
	b, err := fastjson.Marshal(ev)
	return b, jsonHeader("application/cloudevents+json"), err
}

// CDEventsVersion is the CDEvents specification the cdevents format follows.
const CDEventsVersion = "0.5.1"

// cdEvent is a CDEvents v0.5.1 pipelinerun (or, with cdevents_subject =
// "taskrun", taskrun) event in the CloudEvents HTTP binary mode.
func cdEvent(f *formatInput) ([]byte, http.Header, error) {
	status := strings.ToUpper(strings.TrimSpace(f.In.Status))
	taskrun := f.S.Options.CDEventsSubject == "taskrun"
	var predicate, outcome string
	switch status {
	case "QUEUED":
		predicate = "queued"
	case "", "STARTED", "START", "RUNNING":
		predicate = "started"
	case "SUCCESS":
		predicate, outcome = "finished", "success"
	case "FAILURE":
		predicate, outcome = "finished", "failure"
	case "ABORTED", "NOT_BUILT":
		predicate, outcome = "finished", "cancel"
	case "UNSTABLE":
		predicate, outcome = "finished", cmp.Or(f.S.Options.CDEventsUnstable, "failure")
	default:
		return nil, nil, &InputError{Where: "--status", Err: fmt.Errorf("%q has no CDEvents meaning; the cdevents format accepts QUEUED, STARTED, START, RUNNING, SUCCESS, FAILURE, UNSTABLE, ABORTED, NOT_BUILT or none", f.In.Status)}
	}
	if taskrun && predicate == "queued" {
		return nil, nil, &InputError{Where: "--status", Err: fmt.Errorf("QUEUED: CDEvents has no taskrun.queued event (cdevents_subject = %q)", "taskrun")}
	}
	subjectType := "pipelinerun"
	if taskrun {
		subjectType = "taskrun"
	}
	typ := "dev.cdevents." + subjectType + "." + predicate + ".0.3.0"
	// The start and the outcome of jobnotify run are two notifications,
	// with two notification ids, about one run: outside CI, its id is
	// what they share.
	var cmdRun *Run
	if r := f.In.Run; r != nil && r.ID != "" {
		cmdRun = r
	}
	ownID := f.In.ID
	if cmdRun != nil {
		ownID = cmdRun.ID
	}
	// The run's id: Jenkins' BUILD_TAG, else the run's URL (GitHub,
	// GitLab), else jobnotify run's id, else the notification id.
	runID := cmp.Or(f.payloadText("build", "tag"), f.payloadText("build", "url"), ownID)
	// pipelinerun.started requires pipelineName and uri: outside CI they
	// fall back to a name and a URN made of that id.
	uri := f.payloadText("build", "url")
	if uri == "" {
		uri = "urn:jobnotify:" + url.PathEscape(ownID)
	}
	content := map[string]any{"uri": uri}
	subjectID := runID
	if taskrun {
		// The task: Jenkins' stage, else the CI job (GitLab's job name is
		// unique in its pipeline, GitHub's job id in its workflow run),
		// else the command jobnotify run runs.
		stage := cmp.Or(f.env("STAGE_NAME"), f.env("CI_JOB_NAME"), f.env("GITHUB_JOB"), f.payloadText("build", "stage"))
		task := stage
		if cmdRun != nil {
			task = cmp.Or(stage, cmdRun.Command)
		}
		setIf(content, "taskName", task)
		content["pipelineRun"] = map[string]any{"id": runID, "source": f.source()}
		switch {
		case cmdRun != nil:
			subjectID = cmdRun.ID // each run of a command is one task run, even two in one stage
		case stage != "":
			subjectID = runID + "/" + stage
		}
	} else {
		content["pipelineName"] = cmp.Or(f.payloadText("job", "name"), "jobnotify")
	}
	if outcome != "" {
		content["outcome"] = outcome
		if outcome == "failure" {
			setIf(content, "errors", f.cdErrors())
		}
	}
	ev := map[string]any{
		"context": map[string]any{
			"specversion": CDEventsVersion,
			"id":          f.In.ID,
			"source":      f.source(),
			"type":        typ,
			"timestamp":   f.timestamp(),
		},
		"subject": map[string]any{"id": subjectID, "source": f.source(), "content": content},
	}
	if u := f.userData(); len(u) > 0 {
		ev["customData"] = u
		ev["customDataContentType"] = "application/json"
	}
	b, err := fastjson.Marshal(ev)
	if err != nil {
		return nil, nil, err
	}
	h := jsonHeader("application/json")
	h.Set("ce-specversion", "1.0")
	h.Set("ce-id", ceHeader(f.In.ID))
	h.Set("ce-source", ceHeader(f.source()))
	h.Set("ce-type", typ)
	h.Set("ce-subject", ceHeader(subjectID))
	h.Set("ce-time", f.timestamp())
	if t := f.In.Trace; t != nil {
		h.Set("ce-traceparent", t.Parent) // the distributed-tracing extension
		if t.State != "" {
			h.Set("ce-tracestate", ceHeader(t.State))
		}
	}
	return b, h, nil
}

// cdErrors is what a failure's errors say: the user's message and, for
// the outcome of jobnotify run, the log tail, after a blank line.
func (f *formatInput) cdErrors() string {
	msg := f.message()
	if r := f.In.Run; r != nil && r.Outcome && r.LogTail != "" {
		if msg == "" {
			return r.LogTail
		}
		return msg + "\n\n" + r.LogTail
	}
	return msg
}

// ceHeader encodes a CloudEvents attribute for an HTTP header as the HTTP
// protocol binding requires: space, '"', '%' and every byte outside
// printable ASCII percent-encoded (UTF-8 first), so a job named
// "Mÿ Jöb 100%" arrives intact.
func ceHeader(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
