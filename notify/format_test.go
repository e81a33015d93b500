package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/internal/fastjson"
	"github.com/jobnotify/jobnotify/internal/human"
)

// A formatCase is one golden request of a payload format, built from
// testdata/jenkins.env and goldenTOML.
type formatCase struct {
	name   string   // golden file under testdata/golden; .json bodies are stored pretty-printed
	toml   string   // config lines before goldenTOML, format included
	env    []string // K=V added to (or replacing in) testdata/jenkins.env
	status string
	phase  string
	body   string // --body; "" for none
	fields []string
	run    *Run // jobnotify run's, for its notifications; nil for send's
	check  func(t *testing.T, r *Request)
}

const goldenJSONTemplate = `format = "template"
template = '''
{
  "text": {{json (printf "%s %s #%v" (default "RUNNING" .status) .job.name .build.number)}},
  "branch": {{json (default "none" .env.BRANCH_NAME)}},
  "commit": {{json (trunc 7 .scm.commit)}},
  "author": {{json (env "CHANGE_AUTHOR")}},
  "title": {{json (upper .change.title)}},
  "deploy": {{json .deploy}},
  "note": "{{.absent}}"
}
'''
`

const goldenTextTemplate = `format = "template"
content_type = "text/plain; charset=utf-8"
template = '''
{{.status}}: {{.job.name}} #{{.build.number}} ({{lower .status}}) at {{trunc 7 .scm.commit}}
{{with .change}}Change #{{.id}}: {{.title}}
{{end}}{{default "no message" .message}}
'''
`

// formatCases are the golden requests of every format.
var formatCases = []formatCase{
	{name: "format-jobnotify.json", toml: `format = "jobnotify"`, status: "SUCCESS", body: goldenBody, fields: goldenFields},
	{name: "format-jobnotify-run.json", toml: `format = "jobnotify"`, status: "FAILURE", run: goldenRunFailure},
	{name: "format-job-status-notification.json", toml: `format = "job-status-notification"`, status: "SUCCESS", body: goldenBody, fields: goldenFields},
	{name: "format-job-status-notification-run.json", toml: `format = "job-status-notification"`, status: "FAILURE", run: goldenRunFailure},

	{name: "format-notification-plugin-started.json", toml: `format = "notification-plugin"`, status: "STARTED"},
	{name: "format-notification-plugin-completed.json", toml: `format = "notification-plugin"`, status: "FAILURE", body: "integration tests failed"},
	{name: "format-notification-plugin-run-completed.json", toml: `format = "notification-plugin"`, status: "FAILURE", run: goldenRunFailure},

	{name: "format-cdevents-pipelinerun-queued.json", toml: `format = "cdevents"`, status: "QUEUED"},
	{name: "format-cdevents-pipelinerun-started.json", toml: `format = "cdevents"`, status: "STARTED"},
	{name: "format-cdevents-pipelinerun-finished-success.json", toml: `format = "cdevents"`, status: "SUCCESS", fields: []string{"deploy.region=eu-west-1"}},
	{name: "format-cdevents-pipelinerun-finished-failure.json", toml: `format = "cdevents"`, status: "FAILURE", body: "integration tests failed"},
	{name: "format-cdevents-pipelinerun-finished-cancel.json", toml: `format = "cdevents"`, status: "ABORTED"},
	{name: "format-cdevents-pipelinerun-finished-unstable.json", toml: `format = "cdevents"`, status: "UNSTABLE", body: "2 flaky tests"},
	{name: "format-cdevents-pipelinerun-finished-unstable-success.json", toml: "format = \"cdevents\"\ncdevents_unstable = \"success\"", status: "UNSTABLE", body: "2 flaky tests"},
	{name: "format-cdevents-taskrun-started.json", toml: "format = \"cdevents\"\ncdevents_subject = \"taskrun\"", status: "RUNNING"},
	{name: "format-cdevents-taskrun-finished.json", toml: "format = \"cdevents\"\ncdevents_subject = \"taskrun\"", status: "FAILURE", body: "deploy failed: quota exceeded"},
	{name: "format-cdevents-pipelinerun-run-finished-failure.json", toml: `format = "cdevents"`, status: "FAILURE", run: goldenRunFailure},
	{name: "format-cdevents-taskrun-run-started.json", toml: "format = \"cdevents\"\ncdevents_subject = \"taskrun\"", status: "STARTED", run: goldenRunStart},
	{name: "format-cdevents-taskrun-run-finished-failure.json", toml: "format = \"cdevents\"\ncdevents_subject = \"taskrun\"", status: "FAILURE", run: goldenRunFailure},

	{
		name: "format-cloudevents-structured.json", toml: `format = "cloudevents"`, status: "SUCCESS", body: "deployed",
		check: func(t *testing.T, r *Request) {
			ftHeader(t, r, "Content-Type", "application/cloudevents+json")
			for _, h := range []string{"Ce-Id", "Ce-Type", "Ce-Source"} {
				if v := r.Header.Get(h); v != "" {
					t.Errorf("%s: got %q, want none in structured mode", h, v)
				}
			}
			ev := ftObject(t, r.Body.Bytes())
			want := map[string]any{
				"specversion": "1.0", "id": testID, "source": "https://ci.example.com/job/team/job/app/",
				"type": "dev.jobnotify.build.success", "time": "2026-11-27T03:20:00Z", "subject": "team/app",
				"datacontenttype": "application/json",
			}
			for k, v := range want {
				if ev[k] != v {
					t.Errorf("%s: got %#v, want %q", k, ev[k], v)
				}
			}
		},
	},
	{
		name: "format-cloudevents-binary.json", toml: "format = \"cloudevents\"\ncloudevents_mode = \"binary\"", status: "SUCCESS", body: "deployed",
		check: func(t *testing.T, r *Request) {
			ftHeader(t, r, "Content-Type", "application/json")
			ftHeader(t, r, "Ce-Specversion", "1.0")
			ftHeader(t, r, "Ce-Id", testID)
			ftHeader(t, r, "Ce-Source", "https://ci.example.com/job/team/job/app/")
			ftHeader(t, r, "Ce-Type", "dev.jobnotify.build.success")
			ftHeader(t, r, "Ce-Time", "2026-11-27T03:20:00Z")
			ftHeader(t, r, "Ce-Subject", "team/app")
			if p := ftObject(t, r.Body.Bytes()); p["id"] != testID || p["message"] != "deployed" {
				t.Errorf("body: got %v, want the jobnotify payload", p)
			}
		},
	},

	{name: "format-slack-success.json", toml: `format = "slack"`, status: "SUCCESS", body: "Deployed <app> & friends to *prod* (<!channel>)"},
	{name: "format-slack-failure.json", toml: `format = "slack"`, env: []string{"BRANCH_NAME=PR-17"}, status: "FAILURE", body: "3 tests failed in `integration`:\n- TestLogin\n- TestCheckout"},
	{name: "format-teams-success.json", toml: `format = "teams"`, status: "SUCCESS", body: "Deployed <app> & friends to *prod*"},
	{name: "format-teams-failure.json", toml: `format = "teams"`, env: []string{"BRANCH_NAME=PR-17"}, status: "FAILURE", body: "3 tests failed in `integration`:\n- TestLogin\n- TestCheckout"},
	{name: "format-googlechat-success.json", toml: `format = "googlechat"`, status: "SUCCESS", body: "Deployed <app> & friends to *prod* (<users/all>)"},
	{name: "format-googlechat-failure.json", toml: `format = "googlechat"`, env: []string{"BRANCH_NAME=PR-17"}, status: "FAILURE", body: "3 tests failed in `integration`:\n- TestLogin\n- TestCheckout"},
	{name: "format-discord-success.json", toml: `format = "discord"`, status: "SUCCESS", body: "Deployed <app> & friends to *prod* @everyone"},
	{name: "format-discord-failure.json", toml: `format = "discord"`, env: []string{"BRANCH_NAME=PR-17"}, status: "FAILURE", body: "3 tests failed in `integration`:\n- TestLogin\n- TestCheckout"},
	{name: "format-discord-markdown.json", toml: "format = \"discord\"\nmarkdown = true", env: []string{"BRANCH_NAME=PR-17"}, status: "FAILURE", body: "3 tests failed in `integration`:\n- TestLogin\n- TestCheckout"},
	{name: "format-slack-run-started.json", toml: `format = "slack"`, status: "STARTED", run: goldenRunStart},
	{name: "format-slack-run-failure.json", toml: `format = "slack"`, status: "FAILURE", run: goldenRunFailure},
	{name: "format-teams-run-failure.json", toml: `format = "teams"`, status: "FAILURE", run: goldenRunFailure},
	{name: "format-googlechat-run-failure.json", toml: `format = "googlechat"`, status: "FAILURE", run: goldenRunFailure},
	{name: "format-discord-run-failure.json", toml: `format = "discord"`, status: "FAILURE", run: goldenRunFailure},

	{
		name: "format-template-json.json", toml: goldenJSONTemplate, status: "SUCCESS", fields: []string{"deploy.region=eu-west-1", "deploy.replicas:=3"},
		check: func(t *testing.T, r *Request) {
			ftHeader(t, r, "Content-Type", "application/json")
			got := ftObject(t, r.Body.Bytes())
			want := map[string]string{"text": "SUCCESS team/app #42", "branch": "none", "commit": "0123456", "author": "alice",
				"title": "ADD THE <NEW> & IMPROVED DEPLOY", "note": ""}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: got %#v, want %q", k, got[k], v)
				}
			}
		},
	},
	{
		name: "format-template-text.txt", toml: goldenTextTemplate, status: "FAILURE", body: "integration tests failed",
		check: func(t *testing.T, r *Request) {
			ftHeader(t, r, "Content-Type", "text/plain; charset=utf-8")
			want := "FAILURE: team/app #42 (failure) at 0123456\nChange #17: Add the <new> & improved deploy\nintegration tests failed\n"
			if string(r.Body.Bytes()) != want {
				t.Errorf("got %q, want %q", r.Body, want)
			}
		},
	},
}

// The notifications of one jobnotify run in the golden cases: the doc
// shows them as sent by goldenRunArgs.
var (
	goldenRunStart   = &Run{ID: testRunID, Command: "make"}
	goldenRunFailure = &Run{ID: testRunID, Command: "make", Outcome: true, ExitCode: intPtr(2), Duration: 62400 * time.Millisecond, LogTail: goldenTail}
)

const (
	testRunID     = "9e4d2b70-0000-4000-8000-000000000007"
	goldenRunArgs = "--tail 8 -- make test"
	goldenTail    = `ok      example.com/app/cart    0.108s
=== RUN   TestCheckout
    checkout_test.go:41: POST /orders: got 500 <nil>, want 201 &Order{ID: 7}
--- FAIL: TestCheckout (0.02s)
FAIL
FAIL    example.com/app/checkout    0.412s
FAIL
make: *** [Makefile:12: test] Error 1`
)

func intPtr(n int) *int { return &n }

// ftBuild builds a case's request the real way: config text through
// config.Parse and config.Resolve, the environment through envcollect.
func ftBuild(tb testing.TB, environ []string, tomlText string, in Input) (*Request, error) {
	tb.Helper()
	toml := "url = \"http://127.0.0.1:9/hook\"\n" + tomlText + "\n" + goldenTOML
	s := resolve(tb, toml, config.Overrides{}, envMap(environ))
	c := envcollect.Collect(environ, envcollect.Options(s.Env))
	return Build(c, s, in, "1.2.3")
}

func (fc formatCase) input(tb testing.TB) Input {
	tb.Helper()
	in := Input{ID: testID, Status: fc.status, Phase: fc.phase, Fields: mustFields(tb, fc.fields...), Time: testTime, Run: fc.run}
	if fc.body != "" {
		in.Body = mustBody(tb, fc.body)
	}
	return in
}

func TestGoldenFormats(t *testing.T) {
	seen := map[string]bool{}
	for _, fc := range formatCases {
		t.Run(fc.name, func(t *testing.T) {
			environ := append(jenkinsEnv(t), fc.env...)
			r, err := ftBuild(t, environ, fc.toml, fc.input(t))
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			out := formatGolden(t, fc.name, r)
			golden(t, fc.name, out)
			assertNoCanary(t, fc.name, out)
			if ct := r.Header.Get("Content-Type"); isJSONType(ct) && !json.Valid(r.Body.Bytes()) {
				t.Errorf("Content-Type %s, but the body is not JSON: %s", ct, r.Body)
			}
			if fc.check != nil {
				fc.check(t, r)
			}
		})
		seen[strings.SplitN(strings.TrimPrefix(fc.toml, "format = \""), "\"", 2)[0]] = true
	}
	for _, f := range config.Formats() {
		if !seen[f] {
			t.Errorf("format %s has no golden case", f)
		}
	}
}

// formatGolden renders a request for its golden file: for .json the
// format's headers and the body as one pretty-printed JSON object
// {"headers": …, "body": …}; otherwise the headers as "Name: value"
// lines, a blank line and the body as it is.
func formatGolden(tb testing.TB, name string, r *Request) []byte {
	tb.Helper()
	h := r.FormatHeader
	if h == nil {
		h = http.Header{"Content-Type": r.Header.Values("Content-Type")}
	}
	if !strings.HasSuffix(name, ".json") {
		var b bytes.Buffer
		for _, k := range sortedHeaderNames(h) {
			b.WriteString(k + ": " + strings.Join(h[k], ", ") + "\n")
		}
		b.WriteString("\n")
		b.Write(r.Body.Bytes())
		return b.Bytes()
	}
	headers := map[string]string{}
	for k, v := range h {
		headers[k] = strings.Join(v, ", ")
	}
	doc := struct {
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	}{headers, r.Body.Bytes()}
	compact, err := fastjson.Marshal(doc)
	if err != nil {
		tb.Fatalf("the body is not JSON: %v\n%s", err, r.Body)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, compact, "", "  "); err != nil {
		tb.Fatal(err)
	}
	pretty.WriteByte('\n')
	return pretty.Bytes()
}

func sortedHeaderNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func ftHeader(tb testing.TB, r *Request, name, want string) {
	tb.Helper()
	if got := r.Header.Get(name); got != want {
		tb.Errorf("header %s: got %q, want %q", name, got, want)
	}
}

// ftObject decodes a JSON object body.
func ftObject(tb testing.TB, body []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		tb.Fatalf("body: %v\n%s", err, body)
	}
	return m
}

// ftGet walks a decoded JSON value by object keys and array indexes.
func ftGet(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// ftChat builds a chat format's request and decodes its body.
func ftChat(tb testing.TB, format string, environ []string, status, body string) map[string]any {
	tb.Helper()
	in := Input{ID: testID, Status: status, Time: testTime}
	if body != "" {
		in.Body = mustBody(tb, body)
	}
	r, err := ftBuild(tb, environ, `format = "`+format+`"`, in)
	if err != nil {
		tb.Fatalf("Build: %v", err)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		tb.Errorf("Content-Type: got %q, want application/json", got)
	}
	return ftObject(tb, r.Body.Bytes())
}

// The line reads well outside Jenkins too: only what is there is shown.
func TestChatLineOutsideJenkins(t *testing.T) {
	tests := []struct {
		name, status, body                string
		slack, teams, googlechat, discord string // the line of each platform
	}{
		{
			name: "status and message", status: "SUCCESS", body: "deployed",
			slack: "✅ SUCCESS — deployed", teams: "✅ SUCCESS", googlechat: "✅ *SUCCESS* — deployed", discord: "✅ **SUCCESS** — deployed",
		},
		{
			name: "status only", status: "failure",
			slack: "❌ FAILURE", teams: "❌ FAILURE", googlechat: "❌ *FAILURE*", discord: "❌ **FAILURE**",
		},
		{
			name: "message only", body: "hello",
			slack: "▶️ hello", teams: "▶️", googlechat: "▶️ hello", discord: "▶️ hello",
		},
		{
			name:  "nothing at all",
			slack: "▶️ jobnotify", teams: "▶️", googlechat: "▶️ jobnotify", discord: "▶️ jobnotify",
		},
		{
			name: "a status jobnotify does not know", status: "FIXED",
			slack: "ℹ️ FIXED", teams: "ℹ️ FIXED", googlechat: "ℹ️ *FIXED*", discord: "ℹ️ **FIXED**",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := map[string][]any{
				"slack":      {"text"},
				"teams":      {"attachments", 0, "content", "body", 0, "text"},
				"googlechat": {"text"},
				"discord":    {"content"},
			}
			want := map[string]string{"slack": tt.slack, "teams": tt.teams, "googlechat": tt.googlechat, "discord": tt.discord}
			for format, path := range lines {
				m := ftChat(t, format, nil, tt.status, tt.body)
				if got := ftGet(m, path...); got != want[format] {
					t.Errorf("%s: got %q, want %q", format, got, want[format])
				}
			}
		})
	}
}

func TestChatStatusColours(t *testing.T) {
	tests := []struct {
		status       string
		symbol       string
		hex          string
		teamsColour  string
		discordColor float64
	}{
		{"SUCCESS", "✅", "#2EB67D", "good", 0x2EB67D},
		{"FAILURE", "❌", "#E01E5A", "attention", 0xE01E5A},
		{"UNSTABLE", "⚠️", "#ECB22E", "warning", 0xECB22E},
		{"ABORTED", "⏹", "#9EA3A8", "default", 0x9EA3A8},
		{"NOT_BUILT", "⏭", "#9EA3A8", "default", 0x9EA3A8},
		{"STARTED", "▶️", "#1D9BD1", "accent", 0x1D9BD1},
		{"RUNNING", "▶️", "#1D9BD1", "accent", 0x1D9BD1},
		{"", "▶️", "#1D9BD1", "accent", 0x1D9BD1},
	}
	environ := jenkinsEnv(t)
	for _, tt := range tests {
		t.Run(cmpOr(tt.status, "none"), func(t *testing.T) {
			s := ftChat(t, "slack", environ, tt.status, "msg")
			if got := ftGet(s, "attachments", 0, "color"); got != tt.hex {
				t.Errorf("slack colour: got %v, want %s", got, tt.hex)
			}
			if got, _ := ftGet(s, "text").(string); !strings.HasPrefix(got, tt.symbol+" ") {
				t.Errorf("slack text: got %q, want it to start with %s", got, tt.symbol)
			}
			tm := ftChat(t, "teams", environ, tt.status, "msg")
			if got := ftGet(tm, "attachments", 0, "content", "body", 0, "color"); got != tt.teamsColour {
				t.Errorf("teams colour: got %v, want %s", got, tt.teamsColour)
			}
			d := ftChat(t, "discord", environ, tt.status, "msg")
			if got := ftGet(d, "embeds", 0, "color"); got != tt.discordColor {
				t.Errorf("discord colour: got %v, want %v", got, tt.discordColor)
			}
			g := ftChat(t, "googlechat", environ, tt.status, "msg")
			status := ftGet(g, "cardsV2", 0, "card", "sections", 0, "widgets", 0, "decoratedText", "text")
			if tt.status != "" && !strings.Contains(status.(string), tt.hex) {
				t.Errorf("google chat status: got %v, want the colour %s", status, tt.hex)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// User text cannot ping a channel or inject markup where the platform
// would read it.
func TestChatEscaping(t *testing.T) {
	msg := "<!channel> <users/all> & <https://evil.example|click> @everyone"
	environ := append(jenkinsEnv(t), "JOB_NAME=team/<app>")

	s := ftChat(t, "slack", environ, "FAILURE", msg)
	for _, v := range []any{ftGet(s, "text"), ftGet(s, "blocks", 0, "text", "text"), ftGet(s, "attachments", 0, "blocks", 0, "text", "text")} {
		str, _ := v.(string)
		if strings.Contains(str, "<!channel>") || strings.Contains(str, "<https://evil") || strings.Contains(str, "<app>") {
			t.Errorf("slack: %q holds unescaped markup", str)
		}
	}
	if got, want := ftGet(s, "attachments", 0, "blocks", 0, "text", "text"), "&lt;!channel&gt; &lt;users/all&gt; &amp; &lt;https://evil.example|click&gt; @everyone"; got != want {
		t.Errorf("slack message: got %q, want %q", got, want)
	}
	if got, _ := ftGet(s, "blocks", 0, "text", "text").(string); !strings.Contains(got, "<https://ci.example.com/job/team/job/app/42/|#42>") {
		t.Errorf("slack headline: got %q, want the build number linked", got)
	}

	g := ftChat(t, "googlechat", environ, "FAILURE", msg)
	if got, _ := ftGet(g, "text").(string); strings.Contains(got, "<users/all>") || !strings.Contains(got, "&lt;users/all&gt;") {
		t.Errorf("google chat text: got %q, want <users/all> escaped", got)
	}
	if got, _ := ftGet(g, "cardsV2", 0, "card", "header", "title").(string); got != "team/<app> #42" {
		t.Errorf("google chat header: got %q, want the plain job name", got)
	}

	d := ftChat(t, "discord", environ, "FAILURE", msg)
	if got := ftGet(d, "allowed_mentions", "parse"); got == nil || len(got.([]any)) != 0 {
		t.Errorf("discord allowed_mentions.parse: got %v, want []", got)
	}
}

func TestChatLengthCaps(t *testing.T) {
	environ := jenkinsEnv(t)
	long := strings.Repeat("é&", 3000) // 6000 characters; & becomes &amp; in Slack
	tests := []struct {
		format string
		path   []any
		max    int
	}{
		{"slack", []any{"text"}, 3000},
		{"slack", []any{"blocks", 0, "text", "text"}, 3000},
		{"slack", []any{"attachments", 0, "blocks", 0, "text", "text"}, 3000},
		{"discord", []any{"content"}, 2000},
		{"discord", []any{"embeds", 0, "title"}, 256},
		{"teams", []any{"attachments", 0, "content", "body", 1, "text"}, 4096},
		{"googlechat", []any{"text"}, 4096},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			m := ftChat(t, tt.format, environ, "FAILURE", long)
			got, _ := ftGet(m, tt.path...).(string)
			if n := utf8.RuneCountInString(got); n > tt.max || n == 0 {
				t.Errorf("%v: got %d characters, want 1 to %d", tt.path, n, tt.max)
			}
			if strings.Contains(tt.format+"", "slack") && strings.HasSuffix(strings.TrimSuffix(got, "…"), "&am") {
				t.Errorf("%v: an escape is cut in half: …%q", tt.path, got[len(got)-12:])
			}
		})
	}
	// A short message is not cut.
	m := ftChat(t, "discord", environ, "SUCCESS", "short")
	if got, _ := ftGet(m, "content").(string); !strings.HasSuffix(got, " — short") {
		t.Errorf("got %q, want it to end with the whole message", got)
	}
	// fit cuts at a character boundary and never splits an escape.
	for _, tt := range []struct {
		s    string
		max  int
		want string
	}{
		{"héllo", 5, "héllo"},
		{"héllo", 4, "hél…"},
		{"a&b", 5, "a…"},
		{"a&b", 6, "a…"},
		{"a&bc", 7, "a&amp;…"},
		{"a&b", 7, "a&amp;b"},
	} {
		if got := fit(tt.s, tt.max, slackEscaper.Replace); got != tt.want {
			t.Errorf("fit(%q, %d): got %q, want %q", tt.s, tt.max, got, tt.want)
		}
	}
}

// The chat formats read the payload, so --field fills in what a CI
// other than Jenkins does not set.
func TestChatFromFields(t *testing.T) {
	in := Input{ID: testID, Status: "SUCCESS", Time: testTime,
		Fields: mustFields(t, "job.name=deploy", "build.number:=7", "build.url=https://ci.example.org/runs/7", "scm.commit=abcdef0123", "message=done")}
	r, err := ftBuild(t, nil, `format = "discord"`, in)
	if err != nil {
		t.Fatal(err)
	}
	m := ftObject(t, r.Body.Bytes())
	if got, want := ftGet(m, "content"), "✅ **SUCCESS** · deploy [#7](<https://ci.example.org/runs/7>) · `abcdef0` — done"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTemplate(t *testing.T) {
	environ := []string{"JOB_NAME=team/app", "BUILD_NUMBER=42", "GIT_COMMIT=0123456789", "CHANGE_TITLE=héllo wörld", "HOME=/root", "GITHUB_TOKEN=ghp_canaryGithubToken0123456789"}
	tests := []struct {
		name        string
		template    string
		contentType string // "" for the default
		body        string
		want        string // the output
		wantErr     string // substring of the error
	}{
		{name: "fields", template: `{{.job.name}} #{{.build.number}} {{.status}}`, contentType: "text/plain", want: "team/app #42 SUCCESS"},
		{name: "json of a string", template: `{"m": {{json .message}}}`, body: "say \"hi\" <now>", want: `{"m": "say \"hi\" <now>"}`},
		{name: "json of an object", template: `{{json .job}}`, want: `{"name":"team/app"}`},
		{name: "json of an absent key", template: `{"x": {{json .absent}}}`, want: `{"x": null}`},
		{name: "default of absent", template: `{{default "none" .absent}}`, contentType: "text/plain", want: "none"},
		{name: "default of empty", template: `{{default "none" .message}}`, contentType: "text/plain", body: `{"message": ""}`, want: "none"},
		{name: "default in a pipeline", template: `{{.job.name | default "none"}}`, contentType: "text/plain", want: "team/app"},
		{name: "default keeps zero numbers", template: `{{default 1 .n}}`, contentType: "text/plain", body: `{"n": 0}`, want: "0"},
		{name: "upper lower", template: `{{upper .status}} {{lower .status}}`, contentType: "text/plain", want: "SUCCESS success"},
		{name: "trunc is rune-safe", template: `{{trunc 2 .change.title}}|{{trunc 7 .scm.commit}}|{{trunc 99 .job.name}}`, contentType: "text/plain", want: "hé|0123456|team/app"},
		{name: "absent key prints nothing", template: `[{{.absent}}]`, contentType: "text/plain", want: "[]"},
		{name: "env allowed", template: `{{env "JOB_NAME"}}`, contentType: "text/plain", want: "team/app"},
		{name: "env allowed but unset", template: `[{{env "BRANCH_NAME"}}]`, contentType: "text/plain", want: "[]"},
		{name: "+json is checked", template: `{"a":`, contentType: "application/vnd.api+json", wantErr: "the output is not valid JSON, which content_type application/vnd.api+json requires: output line 1, column 5: invalid JSON: unexpected end of JSON input"},
		{name: "text is not checked", template: `{"a":`, contentType: "text/plain", want: `{"a":`},
		{
			name: "env outside the allow-list", template: "line one\n  {{env \"HOME\"}}", contentType: "text/plain",
			wantErr: `test.toml:4: template: line 2, column 5: at <env "HOME">: error calling env: HOME is not in the allow-list (add it to [env] include)`,
		},
		{name: "env of a secret", template: `{{env "GITHUB_TOKEN"}}`, contentType: "text/plain", wantErr: "GITHUB_TOKEN is not in the allow-list"},
		{name: "unknown function", template: "{\n  \"a\": {{nope .x}}\n}", wantErr: `test.toml:3: template: line 2, column 10: function "nope" not defined`},
		{name: "unclosed action", template: "a\nb {{.x", contentType: "text/plain", wantErr: "template: line 2: unclosed action"},
		{name: "unexpected EOF", template: "{{if .x}}\n", contentType: "text/plain", wantErr: "line 2: unexpected EOF"},
		{name: "absent object", template: "{{.nothing.here}}", contentType: "text/plain", wantErr: "line 1, column 11: at <.nothing.here>: nil pointer evaluating interface {}.here (an absent object: guard it with {{with …}} or {{if …}})"},
		{name: "column in characters", template: "é {{.nothing.here}}", contentType: "text/plain", wantErr: "line 1, column 13:"},
		{name: "trunc of a negative length", template: `{{trunc -1 .status}}`, contentType: "text/plain", wantErr: "error calling trunc: want a length of 0 or more, got -1"},
		{name: "output not JSON", template: "{\n  \"a\": {{.job.name}}\n}", wantErr: "line 2, column 9: invalid JSON: invalid character"},
		{name: "output empty", template: "{{/* nothing */}}", wantErr: "line 1, column 1: invalid JSON: the output is empty"},
		{name: "two JSON values", template: `{} {}`, wantErr: "line 1, column 4: unexpected text after the JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toml := "format = \"template\"\n"
			if tt.contentType != "" {
				toml += "content_type = \"" + tt.contentType + "\"\n"
			}
			toml += "template = '''\n" + tt.template + "'''\n"
			in := Input{ID: testID, Status: "SUCCESS", Time: testTime}
			if tt.body != "" {
				in.Body = mustBody(t, tt.body)
			}
			s := resolve(t, "url = \"http://127.0.0.1:9/\"\n"+toml, config.Overrides{}, nil)
			r, err := Build(envcollect.Collect(environ, envcollect.Options(s.Env)), s, in, "1.2.3")
			if tt.wantErr != "" {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("got error %v (%T), want an *InputError", err, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got error %q, want it to contain %q", err, tt.wantErr)
				}
				assertNoCanary(t, "the error", []byte(err.Error()))
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := string(r.Body.Bytes()); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if got, want := r.Header.Get("Content-Type"), cmpOr(tt.contentType, "application/json"); got != want {
				t.Errorf("Content-Type: got %q, want %q", got, want)
			}
		})
	}
}

func TestTemplateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "msg.tmpl")
	if err := os.WriteFile(path, []byte("{\n\"a\": {{json .status}},\n\"bad\": {{bad}}\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := resolve(t, "url = \"http://127.0.0.1:9/\"\nformat = \"template\"\ntemplate_file = \""+filepath.ToSlash(path)+"\"\n", config.Overrides{}, nil)
	_, err := Build(envcollect.Context{}, s, Input{ID: testID, Time: testTime}, "1.2.3")
	var ie *InputError
	if !errors.As(err, &ie) || ie.Where != path {
		t.Fatalf("got %v, want an *InputError at %s", err, path)
	}
	if want := path + `: line 3, column 10: function "bad" not defined`; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

func TestCheckTemplate(t *testing.T) {
	tests := []struct {
		name    string
		toml    string
		wantErr string
	}{
		{name: "not a template", toml: `format = "slack"`},
		{name: "good", toml: "format = \"template\"\ntemplate = '''{{json .status}} {{env \"ANYTHING\"}} {{trunc 3 (upper (default \"x\" .y))}}'''"},
		{name: "parse error", toml: "format = \"template\"\ntemplate = '''\n{{.a}\n'''", wantErr: `test.toml:3: template: line 1: bad character U+007D '}'`},
		{name: "unknown function", toml: "format = \"template\"\ntemplate = '''{{ sh \"rm\" }}'''", wantErr: `line 1, column 4: function "sh" not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := resolve(t, "url = \"http://127.0.0.1:9/\"\n"+tt.toml, config.Overrides{}, nil)
			err := CheckTemplate(s)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("got %v, want no error", err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an *InputError containing %q", err, tt.wantErr)
			}
		})
	}
}

// The event and chat formats need a body: config refuses GET for them.
func TestBodyFormatsRefuseGET(t *testing.T) {
	for _, f := range config.BodyFormats() {
		toml := "url = \"http://127.0.0.1:9/\"\nmethod = \"GET\"\nformat = \"" + f + "\"\ntemplate = \"{}\"\n"
		file, err := config.Parse("test.toml", []byte(toml), testVersion)
		if err == nil {
			_, err = config.Resolve(file, "", config.Overrides{}, nil)
		}
		var ce *config.Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "cannot be sent with GET") {
			t.Errorf("%s with GET: got %v, want a config error", f, err)
		}
	}
}

// formatDocs is the prose of docs/formats.md; TestFormatsDoc adds the
// samples from the golden files, so the document shows real output. In
// the prose, ~ stands for a backquote (Go raw strings cannot hold one).
var formatDocs = []struct {
	format  string
	text    string
	samples []string // golden files
}{
	{"jobnotify", `The default. The build context (job, build, scm, change, the allow-listed
environment), then ~[fields]~, then ~--body~, then ~--field~, deep-merged, later
wins; see the README's Payload section. With GET it is flattened into the
query string (~job.name=…&build.number=42~). It names its schema,
~"schema": "jobnotify/v1"~ ([schema/jobnotify-v1.json](schema/jobnotify-v1.json)).
The two notifications of ~jobnotify run~ carry a ~run~ object: ~id~ (the
same in both) and ~command~ (the program's name, never its arguments), and in
the outcome ~exit_code~, ~duration_ms~, ~signal~ and, with ~--tail~,
~log_tail~ (see [receivers.md](receivers.md#the-notifications-of-jobnotify-run)).`, []string{"format-jobnotify.json", "format-jobnotify-run.json"}},
	{"job-status-notification", `What the Jenkins plugin "Job Status Notification" sent, for receivers
written against it: one flat object of strings — the collected environment
(same allow-list and secret filter), ~JOB_EXECUTE_STATUS~ and ~jobExecuteStatus~
(RUNNING when no status is given, START for STARTED or START: the words the
plugin sent), ~buildNo~, body (the ~--body~ text exactly as given), and
~[fields]~ and ~--field~ flattened with dotted keys; ~jobnotify run~'s run
object is flattened the same way (~run.id~, ~run.exit_code~, …, text like
every value). With GET the same map is the query string. Moving receivers off
the plugin: [migrating.md](migrating.md).`, []string{"format-job-status-notification.json", "format-job-status-notification-run.json"}},
	{"notification-plugin", `The JSON of the Jenkins Notification Plugin (name, url, ~build.phase~,
~build.status~, ~build.scm~, …), for receivers written against it. The phase is
~--phase~ (QUEUED, STARTED, COMPLETED or FINALIZED); without it a start status
(none, STARTED, RUNNING) gives STARTED and any other COMPLETED. The user's
message becomes ~build.notes~. ~jobnotify run~ sends STARTED, then COMPLETED
with what the plugin sends of a finished build: ~build.duration~ in
milliseconds and, with ~--tail~, the last lines of the log in ~build.log~, each
ended by a line break.`, []string{"format-notification-plugin-started.json", "format-notification-plugin-completed.json", "format-notification-plugin-run-completed.json"}},
	{"cdevents", `A [CDEvents](https://cdevents.dev) v0.5.1 event in the CloudEvents HTTP
binary mode: the event as the body, its context repeated in ce-* headers.
The status gives the event: QUEUED → pipelinerun.queued; none, STARTED,
RUNNING → started; SUCCESS → finished/success; FAILURE → finished/failure
(the message becomes errors); ABORTED and NOT_BUILT → finished/cancel;
UNSTABLE → finished with ~cdevents_unstable~ (failure, the default, or
success). Any other status is an input error (exit 2) listing these.
~cdevents_subject = "taskrun"~ sends taskrun events instead (~STAGE_NAME~ is the
task; there is no taskrun.queued). The subject id is ~BUILD_TAG~; context and
subject source are ~JOB_URL~. ~[fields]~, ~--body~ and ~--field~ go into ~customData~.
Outside CI the pipeline name is "jobnotify", the source "jobnotify" and the
uri ~urn:jobnotify:ID~. The project's tests check every status against the
structure of the v0.5.1 schemas (~notify/cdevents_test.go~).

~jobnotify run~'s start and outcome are a started and a finished event about
one subject: outside CI its id (and the URN) is the run's ~run.id~, not the
notification id, which differs between the two. With ~cdevents_subject =
"taskrun"~, each run of a command is a task run of its own: the subject id is
~run.id~, the task the stage (else the command's name), and ~pipelineRun.id~
the build's. That fits ~jobnotify run~ best: two runs in one build would
otherwise both start and finish the build's pipeline run. A failure's
~errors~ are the message and the log tail, after a blank line.`, []string{
		"format-cdevents-pipelinerun-queued.json",
		"format-cdevents-pipelinerun-started.json",
		"format-cdevents-pipelinerun-finished-success.json",
		"format-cdevents-pipelinerun-finished-failure.json",
		"format-cdevents-pipelinerun-finished-cancel.json",
		"format-cdevents-pipelinerun-finished-unstable.json",
		"format-cdevents-pipelinerun-finished-unstable-success.json",
		"format-cdevents-taskrun-started.json",
		"format-cdevents-taskrun-finished.json",
		"format-cdevents-pipelinerun-run-finished-failure.json",
		"format-cdevents-taskrun-run-started.json",
		"format-cdevents-taskrun-run-finished-failure.json",
	}},
	{"cloudevents", `The jobnotify payload as the data of a CloudEvents 1.0 event of type
~dev.jobnotify.build.STATUS~ (lower case; ~dev.jobnotify.build~ without a
status), source ~JOB_URL~ (else "jobnotify"), subject ~JOB_NAME~. Structured
mode (the default) sends the whole event as ~application/cloudevents+json~;
~cloudevents_mode = "binary"~ sends the payload as the body and the attributes
as ce-* headers. The data of ~jobnotify run~'s notifications holds its ~run~
object, as the payload does. With a valid ~TRACEPARENT~ in the environment
the event has the distributed-tracing extension: ~traceparent~ and
~tracestate~ attributes in the event (structured) or ~ce-traceparent~ and
~ce-tracestate~ headers (binary), beside the W3C headers every request has
(cdevents sends the same ~ce-~ headers).`, []string{"format-cloudevents-structured.json", "format-cloudevents-binary.json"}},
	{"slack", `A Slack incoming webhook message. text is the notification line (status
symbol, status, job, build number, branch, short commit, message); blocks hold
the same line in mrkdwn with the build number linked to ~BUILD_URL~; an
attachment coloured by status (green, red, amber, grey, blue) holds the
message and the stage and change. &, < and > in every value are escaped and
the text objects are verbatim, so no value makes a link or pings a channel
(mrkdwn has no escape for its bold, italic and strike marks, so a value
holding them may still show so); each text is cut to 3000 characters with "…".

For ~jobnotify run~ the headline names the command (~· make~) and, in the
outcome, how it ended (~make: exit 2 after 1m2s~, ~killed by SIGKILL after 5s~,
~aborted (SIGTERM) after 12s~). The log tail follows in the attachment as a
code block (~~ ~~~ ~~): &, < and > escaped all the same, as Slack asks of all
text, so a ~<!channel>~ in the log stays text; a ~~ ~~~ ~~ in the log broken by a
zero-width space, so that it cannot end the block; and cut to 3000 characters
from its start, keeping the newest lines after a line "…". The chat formats
below do the same in their own markup.`,
		[]string{"format-slack-success.json", "format-slack-failure.json", "format-slack-run-started.json", "format-slack-run-failure.json"}},
	{"teams", `A Microsoft Teams message for a Workflows (Power Automate) "post to a
channel when a webhook request is received" webhook: one Adaptive Card 1.4
with the line as a bold TextBlock coloured good, attention, warning, accent
or default (Adaptive Cards have no free colours), the message, a FactSet
(job, branch, commit, stage, change) and an "Open build" button to ~BUILD_URL~.
TextBlocks and facts are markdown, so every value has its markdown characters
backslash-escaped and reads as plain text. The message is cut to 4096
characters. Teams has no code block: ~jobnotify run~'s log tail is a monospace
TextBlock, escaped like every value, each line ended by a hard line break and
its indentation kept with no-break spaces, so that markdown neither joins the
lines nor reads one as a block.`, []string{"format-teams-success.json", "format-teams-failure.json", "format-teams-run-failure.json"}},
	{"googlechat", `A Google Chat incoming webhook message: text is the line in Chat's markup
(~*bold*~, ~<url|text>~ links; &, < and > escaped in every value, so none
makes a link or @mentions a space with ~<users/all>~), and a cardsV2 card with
the status in its colour, branch, commit, stage, change and an "Open build"
button. ~jobnotify run~'s log tail follows the line in text, as a ~~ ~~~ ~~
block escaped as for Slack; the line keeps at least half of the 4096
characters.`,
		[]string{"format-googlechat-success.json", "format-googlechat-failure.json", "format-googlechat-run-failure.json"}},
	{"discord", `A Discord webhook message: content is the line with the message (Discord
markdown, the build number a masked link; at most 2000 characters; the
message is there only, as content is what notifications show) and one embed
titled with the status and build, linked to ~BUILD_URL~, coloured by status,
with branch, commit, stage and change as fields and the notification's
timestamp. Every value has its markdown characters backslash-escaped, so none
makes a link, a heading or a mention; ~allowed_mentions~ is empty, so even a
markdown message's ~@everyone~ pings nobody. ~jobnotify run~'s log tail
follows the line in content as a ~~ ~~~ ~~ block, where nothing is markup (a
~~ ~~~ ~~ in the log is broken by a zero-width space); within the 2000
characters the line keeps at least half, and the tail loses its oldest lines.`, []string{"format-discord-success.json", "format-discord-failure.json", "format-discord-markdown.json", "format-discord-run-failure.json"}},
	{"template", `Your own body: a Go [text/template](https://pkg.go.dev/text/template) run
over the jobnotify payload, given inline (~template = '''…'''~) or in a file
(~template_file = "…"~, relative to the config file). ~{{.status}}~,
~{{.job.name}}~, ~{{.build.number}}~, ~{{.env.BRANCH_NAME}}~ and any key of
~[fields]~, ~--body~ and ~--field~ are there, and in ~jobnotify run~'s
notifications its run object (~{{.run.command}}~, ~{{.run.exit_code}}~, …).
A key that is absent prints nothing; a key under an absent object
(~.change.id~ outside a pull request build) is an error: guard it with
~{{with .change}}…{{end}}~.

Functions, and no others:

| function | result |
|---|---|
| ~json V~ | V as compact JSON: ~{{json .message}}~ is a quoted, escaped string |
| ~default D V~ | D when V is absent, null, "", [] or {}; else V |
| ~upper S, lower S~ | S in upper or lower case |
| ~trunc N S~ | the first N characters of S |
| ~env "NAME"~ | a variable of the filtered environment; a name outside the allow-list is an error naming it (add it to ~[env] include~); an allowed name not set is "" |

~content_type~ is the Content-Type (default ~application/json~). With
~application/json~ or any +json type the output must parse as JSON, or the
send stops with exit 2 before anything is sent, naming the line and column of
the output. Template errors name the line and column of the template;
~jobnotify validate~ reports parse errors without sending.`, []string{"format-template-json.json", "format-template-text.txt"}},
}

const formatsDocIntro = `# Payload formats

<!-- Generated by TestFormatsDoc in notify/format_test.go from the golden
files under testdata/golden: edit the prose there, then run
go test ./notify -run 'TestGoldenFormats|TestFormatsDoc' -update -->

jobnotify sends one body per notification, in the format set by ~--format~,
~$JOBNOTIFY_FORMAT~ or format in the config file (a ~[targets.NAME]~ table may
set its own, so one config can feed a chat room and an event bus).

| format | for | GET |
|---|---|---|
| jobnotify | your own receiver: the build context and your data (default) | query string |
| job-status-notification | receivers of the Jenkins plugin "Job Status Notification" | query string |
| notification-plugin | receivers of the Jenkins Notification Plugin | no |
| cdevents | CDEvents consumers (v0.5.1, CloudEvents binary mode) | no |
| cloudevents | CloudEvents 1.0 consumers (structured or binary) | no |
| slack | a Slack incoming webhook | no |
| teams | a Microsoft Teams Workflows webhook | no |
| googlechat | a Google Chat incoming webhook | no |
| discord | a Discord webhook | no |
| template | anything else: your Go template | no |

"no" under GET: the format needs a request body, so ~method = "GET"~ with it is
a config error.

## Settings

| key | flag | formats | values | default |
|---|---|---|---|---|
| ~format~ | ~--format~ | all | the names above | jobnotify |
| ~cdevents_subject~ | | cdevents | pipelinerun, taskrun | pipelinerun |
| ~cdevents_unstable~ | | cdevents | failure, success: the outcome of UNSTABLE | failure |
| ~cloudevents_mode~ | | cloudevents | structured, binary | structured |
| ~template~ | | template | the template text | |
| ~template_file~ | | template | a file holding it, relative to the config file | |
| ~content_type~ | | template | the Content-Type header | ~application/json~ |
| ~markdown~ | | slack, teams, googlechat, discord | true: the message is the platform's markup; values from the build's environment stay plain text | false: the message is plain text too |
| | ~--phase~ | notification-plugin | QUEUED, STARTED, COMPLETED, FINALIZED | from the status |

Each key may also be set in a ~[targets.NAME]~ table. Configured and ~--header~
headers are sent after the format's and win over them.

The chat formats (slack, teams, googlechat, discord) are retried only when
the message provably was not posted (a failure before the request was
written, 429, 503 with Retry-After), since a chat webhook posts a repeat as a
new message; discord is called with ~?wait=true~. Every other format keeps
the full set of retries. The README's "Delivery" says why.

## The samples

Every sample below is the real output for ~testdata/jenkins.env~ (a pull
request build, #42 of team/app, stage Deploy), the id
3b0c5c1e-0000-4000-8000-000000000001, the time 2026-11-27T03:20:00Z, and
this config beside the lines shown with each sample:

` + "```toml" + goldenTOML + "```" + `

Each shows the headers the format sets (beside User-Agent, Idempotency-Key
and your own) and the body, pretty-printed here (it is sent compact).
`

// formatCaseNamed returns the golden case of a file name.
func formatCaseNamed(tb testing.TB, name string) formatCase {
	tb.Helper()
	for _, fc := range formatCases {
		if fc.name == name {
			return fc
		}
	}
	tb.Fatalf("no format case %s", name)
	return formatCase{}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=/:,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// renderSample renders a golden file as the request's headers and body.
func renderSample(tb testing.TB, name string) string {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "golden", name))
	if err != nil {
		tb.Fatalf("%v (run go test -update)", err)
	}
	if !strings.HasSuffix(name, ".json") {
		return "```http\n" + string(raw) + "```\n"
	}
	var doc struct {
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	var b strings.Builder
	b.WriteString("```http\n")
	names := make([]string, 0, len(doc.Headers))
	for k := range doc.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		b.WriteString(k + ": " + doc.Headers[k] + "\n")
	}
	var compact, pretty bytes.Buffer
	if err := json.Compact(&compact, doc.Body); err != nil {
		tb.Fatal(err)
	}
	if err := json.Indent(&pretty, compact.Bytes(), "", "  "); err != nil {
		tb.Fatal(err)
	}
	b.WriteString("\n" + pretty.String() + "\n```\n")
	return b.String()
}

// formatsDoc renders docs/formats.md.
func formatsDoc(tb testing.TB) []byte {
	tb.Helper()
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(formatsDocIntro, "~", "`"))
	for _, d := range formatDocs {
		b.WriteString("\n## " + d.format + "\n\n" + strings.ReplaceAll(d.text, "~", "`") + "\n")
		for _, name := range d.samples {
			fc := formatCaseNamed(tb, name)
			b.WriteString("\n### " + strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(name, "format-"), ".json"), ".txt") + "\n\n")
			b.WriteString("```toml\n" + strings.TrimSpace(fc.toml) + "\n```\n\n")
			cmd := "jobnotify send"
			if fc.run != nil {
				cmd = "jobnotify run" // it sets the status itself
			} else if fc.status != "" {
				cmd += " --status " + fc.status
			}
			if fc.phase != "" {
				cmd += " --phase " + fc.phase
			}
			if fc.body != "" {
				cmd += " --body " + shellQuote(fc.body)
			}
			for _, f := range fc.fields {
				cmd += " --field " + shellQuote(f)
			}
			if len(fc.env) > 0 {
				cmd = strings.Join(fc.env, " ") + " " + cmd
			}
			switch {
			case fc.run != nil && fc.run.Outcome && fc.run.ExitCode != nil:
				cmd += " " + goldenRunArgs + fmt.Sprintf("\n# make test exits %d after %s: this is the outcome, %s", *fc.run.ExitCode, human.Round(fc.run.Duration), fc.status)
			case fc.run != nil:
				cmd += " " + goldenRunArgs + "\n# this is the start, " + fc.status + ", sent before make test runs"
			}
			b.WriteString("```sh\n" + cmd + "\n```\n\n")
			b.WriteString(renderSample(tb, name))
		}
	}
	return []byte(b.String())
}

func TestFormatsDoc(t *testing.T) {
	got := formatsDoc(t)
	path := filepath.Join("..", "docs", "formats.md")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./notify -run TestFormatsDoc -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/formats.md is out of date: run go test ./notify -run 'TestGoldenFormats|TestFormatsDoc' -update and review the diff")
	}
	documented := map[string]bool{}
	for _, d := range formatDocs {
		documented[d.format] = true
	}
	for _, f := range config.Formats() {
		if !documented[f] {
			t.Errorf("format %s is not in docs/formats.md", f)
		}
	}
}

// TestDiscordEmbedTotal: however long the title, fields and message, the
// embed's text stays within Discord's 6,000 characters.
func TestDiscordEmbedTotal(t *testing.T) {
	long := strings.Repeat("ü", 5000)
	environ := []string{"JOB_NAME=" + long, "BUILD_NUMBER=42", "BUILD_URL=https://ci/job/x/42/", "CHANGE_ID=1", "CHANGE_TITLE=" + long, "STAGE_NAME=" + long, "BRANCH_NAME=" + long}
	msg := ftChat(t, "discord", environ, "FAILURE", long)
	embed := ftGet(msg, "embeds", 0).(map[string]any)
	total := len([]rune(fmt.Sprint(embed["title"]))) + len([]rune(fmt.Sprint(embed["description"])))
	for _, f := range embed["fields"].([]any) {
		fm := f.(map[string]any)
		total += len([]rune(fmt.Sprint(fm["name"]))) + len([]rune(fmt.Sprint(fm["value"])))
	}
	if total > 6000 {
		t.Errorf("embed text: got %d characters, want at most 6000", total)
	}
	if _, ok := embed["description"]; ok {
		t.Errorf("the embed has a description; the message belongs in content only")
	}
	if c := fmt.Sprint(ftGet(msg, "content")); !strings.HasSuffix(c, "…") || len([]rune(c)) > 2000 {
		t.Errorf("content: got %d characters, want it cut to at most 2000", len([]rune(c)))
	}
}

// TestFormattersAreTheBodyFormats: the formats config accepts and the
// builders notify has are two lists; they must name the same formats.
func TestFormattersAreTheBodyFormats(t *testing.T) {
	var got []string
	for name := range formatters {
		got = append(got, name)
	}
	want := config.BodyFormats()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("formatters: got %q, want config.BodyFormats() %q", got, want)
	}
}
