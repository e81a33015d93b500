package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
)

// The notifications of jobnotify run in every format: the start names the
// command, the outcome says how it ended, and the two share the run's id.

// ftRun builds a notification of jobnotify run in a format, from environ
// (nil for none) and toml lines after the format's.
func ftRun(tb testing.TB, format string, environ []string, toml, status string, run *Run) *Request {
	tb.Helper()
	in := Input{ID: NewID(), Status: status, Time: testTime, Run: run}
	r, err := ftBuild(tb, environ, "format = \""+format+"\"\n"+toml, in)
	if err != nil {
		tb.Fatalf("Build: %v", err)
	}
	return r
}

// runOutcome is the outcome of a run of make with the given tail.
func runOutcome(exit *int, signal, tail string) *Run {
	return &Run{ID: testRunID, Command: "make", Outcome: true, ExitCode: exit, Duration: 12 * time.Second, Signal: signal, LogTail: tail}
}

// TestRunFieldIsReserved: in a notification of jobnotify run, "run" is
// jobnotify's in every format, job-status-notification included; in a
// send it is the user's.
func TestRunFieldIsReserved(t *testing.T) {
	for _, format := range []string{"jobnotify", "job-status-notification", "notification-plugin", "cdevents", "slack", "template"} {
		for _, tt := range []struct {
			name, toml string
			fields     []string
			where      string
		}{
			{"--field", "", []string{"run.id=x"}, "--field run"},
			{"[fields]", "[fields]\nrun = \"x\"\n", nil, "fields.run"},
		} {
			t.Run(format+"/"+tt.name, func(t *testing.T) {
				toml := "url = \"http://127.0.0.1:9/\"\nformat = \"" + format + "\"\ntemplate = \"{}\"\n" + tt.toml
				s := resolve(t, toml, config.Overrides{}, nil)
				in := Input{ID: testID, Status: "SUCCESS", Time: testTime, Fields: mustFields(t, tt.fields...)}
				if _, err := Build(testContext(), s, in, "test"); err != nil {
					t.Fatalf("send: got %v, want the field sent", err)
				}
				in.Run = goldenRunFailure
				_, err := Build(testContext(), s, in, "test")
				var ie *InputError
				if !errors.As(err, &ie) || ie.Where != tt.where || !strings.Contains(err.Error(), "jobnotify run's") {
					t.Fatalf("run: got %v, want an input error at %s", err, tt.where)
				}
			})
		}
	}
}

// TestRunJobStatusNotification: the run object, flattened with dotted
// keys, all strings, only in the notifications of jobnotify run.
func TestRunJobStatusNotification(t *testing.T) {
	tests := []struct {
		name   string
		status string
		run    *Run
		want   map[string]string // the run.* keys, exactly
	}{
		{"send", "SUCCESS", nil, map[string]string{}},
		{"start", "STARTED", goldenRunStart, map[string]string{"run.id": testRunID, "run.command": "make"}},
		{"outcome", "FAILURE", goldenRunFailure, map[string]string{
			"run.id": testRunID, "run.command": "make", "run.exit_code": "2", "run.duration_ms": "62400", "run.log_tail": goldenTail,
		}},
		{"abort", "ABORTED", runOutcome(nil, "SIGTERM", ""), map[string]string{
			"run.id": testRunID, "run.command": "make", "run.duration_ms": "12000", "run.signal": "SIGTERM",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ftRun(t, "job-status-notification", jenkinsEnv(t), "", tt.status, tt.run)
			p := ftObject(t, r.Body.Bytes())
			got := map[string]string{}
			for k, v := range p {
				s, ok := v.(string)
				if !ok {
					t.Errorf("%s: got %T, want a string, as every value of this format", k, v)
				}
				if strings.HasPrefix(k, "run.") || k == "run" {
					got[k] = s
				}
			}
			if !mapsEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if tt.status == "STARTED" && p["JOB_EXECUTE_STATUS"] != "START" {
				t.Errorf("JOB_EXECUTE_STATUS: got %v, want START", p["JOB_EXECUTE_STATUS"])
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestRunNotificationPlugin: STARTED then COMPLETED, the outcome with the
// build's duration in milliseconds (a number) and the log's last lines,
// each ended by a line break, as the plugin sends them.
func TestRunNotificationPlugin(t *testing.T) {
	tests := []struct {
		name, status, phase string
		run                 *Run
		duration            any // nil for none
		log                 string
	}{
		{"start", "STARTED", "STARTED", goldenRunStart, nil, ""},
		{"failure", "FAILURE", "COMPLETED", goldenRunFailure, json.Number("62400"), goldenTail + "\n"},
		{"success without a tail", "SUCCESS", "COMPLETED", runOutcome(intPtr(0), "", ""), json.Number("12000"), ""},
		{"aborted at once", "ABORTED", "COMPLETED", runOutcome(nil, "SIGTERM", "last line"), json.Number("12000"), "last line\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ftRun(t, "notification-plugin", jenkinsEnv(t), "", tt.status, tt.run)
			var p map[string]any
			dec := json.NewDecoder(strings.NewReader(string(r.Body.Bytes())))
			dec.UseNumber()
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if got := ftGet(p, "build", "phase"); got != tt.phase {
				t.Errorf("phase: got %v, want %s", got, tt.phase)
			}
			if got := ftGet(p, "build", "duration"); got != tt.duration {
				t.Errorf("duration: got %#v, want %#v", got, tt.duration)
			}
			if got := ftGet(p, "build", "log"); got != tt.log {
				t.Errorf("log: got %q, want %q", got, tt.log)
			}
		})
	}
}

// TestCDEventsRunPairSharesSubject: the start and the outcome of one run
// (two notifications, two ids) are events about one subject, in every
// environment and with both subjects; a task run is the run itself.
func TestCDEventsRunPairSharesSubject(t *testing.T) {
	environs := map[string][]string{
		"jenkins":        jenkinsEnv(t),
		"github-actions": envFile(t, "github-actions.env"),
		"gitlab-ci":      envFile(t, "gitlab-ci.env"),
		"no CI":          nil,
	}
	for envName, environ := range environs {
		for _, subject := range []string{"pipelinerun", "taskrun"} {
			t.Run(envName+"/"+subject, func(t *testing.T) {
				toml := fmt.Sprintf("cdevents_subject = %q", subject)
				start := ftRun(t, "cdevents", environ, toml, "STARTED", goldenRunStart)
				end := ftRun(t, "cdevents", environ, toml, "FAILURE", goldenRunFailure)
				if start.Header.Get("Ce-Id") == end.Header.Get("Ce-Id") {
					t.Fatal("the two notifications have one id: the test shows nothing")
				}
				evs := []map[string]any{ftObject(t, start.Body.Bytes()), ftObject(t, end.Body.Bytes())}
				for i, r := range []*Request{start, end} {
					typ, _ := ftGet(evs[i], "context", "type").(string)
					outcome, _ := ftGet(evs[i], "subject", "content", "outcome").(string)
					for _, e := range cdValidate("$", evs[i], cdSchemas[typ]) {
						t.Errorf("%s: %s", typ, e)
					}
					if got, want := r.Header.Get("Ce-Subject"), ceHeader(fmt.Sprint(ftGet(evs[i], "subject", "id"))); got != want {
						t.Errorf("%s: ce-subject %q, want %q", typ, got, want)
					}
					if i == 1 && outcome != "failure" {
						t.Errorf("outcome: got %q, want failure", outcome)
					}
				}
				for _, path := range [][]any{{"subject", "id"}, {"subject", "source"}, {"subject", "content", "uri"}, {"subject", "content", "pipelineRun", "id"}, {"subject", "content", "taskName"}} {
					if a, b := ftGet(evs[0], path...), ftGet(evs[1], path...); a != b {
						t.Errorf("%v: the start has %v, the outcome %v", path, a, b)
					}
				}
				id := ftGet(evs[0], "subject", "id")
				if subject == "taskrun" || environ == nil {
					if id != testRunID {
						t.Errorf("subject id: got %v, want the run's id %s", id, testRunID)
					}
				} else if id == testRunID {
					t.Errorf("subject id: got the run's id, want the build's")
				}
				if subject == "taskrun" {
					if run := ftGet(evs[0], "subject", "content", "pipelineRun", "id"); environ != nil && run == id {
						t.Errorf("pipelineRun.id %v: the build's, want it to differ from the task run's", run)
					}
					if task := ftGet(evs[0], "subject", "content", "taskName"); environ == nil && task != "make" {
						t.Errorf("taskName outside CI: got %v, want the command", task)
					}
				}
				if environ == nil {
					if got := ftGet(evs[0], "subject", "content", "uri"); got != "urn:jobnotify:"+testRunID {
						t.Errorf("uri: got %v, want the run's URN", got)
					}
				}
			})
		}
	}
}

// TestCDEventsRunErrors: a failure's errors are the message and the log
// tail, after a blank line; either alone when the other is absent. A
// cancel and a success carry none.
func TestCDEventsRunErrors(t *testing.T) {
	tests := []struct {
		name, status, body, tail string
		want                     any // nil: no errors
	}{
		{"tail", "FAILURE", "", "a\nb", "a\nb"},
		{"message and tail", "FAILURE", "deploy failed", "a\nb", "deploy failed\n\na\nb"},
		{"message", "FAILURE", "deploy failed", "", "deploy failed"},
		{"neither", "FAILURE", "", "", nil},
		{"aborted", "ABORTED", "", "a\nb", nil},
		{"success", "SUCCESS", "", "a\nb", nil},
	}
	for _, tt := range tests {
		for _, subject := range []string{"pipelinerun", "taskrun"} {
			t.Run(tt.name+"/"+subject, func(t *testing.T) {
				in := Input{ID: testID, Status: tt.status, Time: testTime, Run: runOutcome(intPtr(1), "", tt.tail)}
				if tt.body != "" {
					in.Body = mustBody(t, tt.body)
				}
				r, err := ftBuild(t, jenkinsEnv(t), "format = \"cdevents\"\ncdevents_subject = \""+subject+"\"", in)
				if err != nil {
					t.Fatal(err)
				}
				ev := ftObject(t, r.Body.Bytes())
				if got := ftGet(ev, "subject", "content", "errors"); got != tt.want {
					t.Errorf("errors: got %#v, want %#v", got, tt.want)
				}
				typ, _ := ftGet(ev, "context", "type").(string)
				for _, e := range cdValidate("$", ev, cdSchemas[typ]) {
					t.Error(e)
				}
			})
		}
	}
}

// TestCloudEventsCarryRun: the data is the jobnotify payload, run and all,
// in both modes, and it follows the schema.
func TestCloudEventsCarryRun(t *testing.T) {
	sch := payloadSchema(t)
	for _, mode := range []string{"structured", "binary"} {
		for _, run := range []*Run{goldenRunStart, goldenRunFailure} {
			t.Run(fmt.Sprintf("%s/outcome=%v", mode, run.Outcome), func(t *testing.T) {
				r := ftRun(t, "cloudevents", jenkinsEnv(t), "cloudevents_mode = \""+mode+"\"", "FAILURE", run)
				doc := decodeJSON(t, "the event", r.Body.Bytes())
				data := doc
				if mode == "structured" {
					data = ftGet(doc, "data")
				}
				validatePayload(t, sch, "the event's data", data)
				if got := ftGet(data, "run", "id"); got != testRunID {
					t.Errorf("run.id: got %v, want %s", got, testRunID)
				}
				if got := ftGet(data, "run", "log_tail"); run.Outcome && got != goldenTail {
					t.Errorf("run.log_tail: got %v, want the tail", got)
				}
				if got := ftGet(data, "run", "exit_code"); !run.Outcome && got != nil {
					t.Errorf("the start's run.exit_code: got %v, want none", got)
				}
			})
		}
	}
}

// TestTemplateReadsRun: a template reads the run object like any key of
// the payload.
func TestTemplateReadsRun(t *testing.T) {
	toml := "format = \"template\"\ncontent_type = \"text/plain\"\ntemplate = '''{{.run.command}} {{.run.id}}{{with .run.exit_code}} exit {{.}} after {{$.run.duration_ms}}ms{{end}}'''"
	for _, tt := range []struct {
		run  *Run
		want string
	}{
		{goldenRunStart, "make " + testRunID},
		{goldenRunFailure, "make " + testRunID + " exit 2 after 62400ms"},
	} {
		r := ftRun(t, "template", jenkinsEnv(t), strings.TrimPrefix(toml, "format = \"template\"\n"), "FAILURE", tt.run)
		if got := string(r.Body.Bytes()); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestRunSummary(t *testing.T) {
	tests := []struct {
		status string
		run    *Run
		want   string
	}{
		{"STARTED", goldenRunStart, "make"},
		{"FAILURE", goldenRunFailure, "make: exit 2 after 1m2s"},
		{"SUCCESS", &Run{Command: "make", Outcome: true, ExitCode: intPtr(0), Duration: 1234 * time.Millisecond}, "make: exit 0 after 1.2s"},
		{"SUCCESS", &Run{Command: "true", Outcome: true, ExitCode: intPtr(0), Duration: 3 * time.Millisecond}, "true: exit 0 after 3ms"},
		{"FAILURE", &Run{Command: "make", Outcome: true, ExitCode: intPtr(137), Signal: "SIGKILL", Duration: 5 * time.Second}, "make: killed by SIGKILL after 5s"},
		{"ABORTED", &Run{Command: "make", Outcome: true, Signal: "SIGTERM", Duration: 12 * time.Second}, "make: aborted (SIGTERM) after 12s"},
		{"ABORTED", &Run{Command: "make", Outcome: true, Duration: 12 * time.Second}, "make: aborted after 12s"},
		{"FAILURE", &Run{Command: "make", Outcome: true, Duration: 2 * time.Hour}, "make: ended after 2h0m0s"},
		{"FAILURE", &Run{Outcome: true, ExitCode: intPtr(1), Duration: time.Second}, "exit 1 after 1s"},
	}
	for _, tt := range tests {
		if got := runSummary(tt.run, tt.status); got != tt.want {
			t.Errorf("%s %+v: got %q, want %q", tt.status, tt.run, got, tt.want)
		}
	}
}

// chatLines are where each chat format's line (or headline) is.
var chatLines = map[string][]any{
	"slack":      {"blocks", 0, "text", "text"},
	"teams":      {"attachments", 0, "content", "body", 0, "text"},
	"googlechat": {"text"},
	"discord":    {"content"},
}

// TestChatRunLine: every chat format's line names the command at the
// start and says how it ended at the outcome, and shows the tail only
// then.
func TestChatRunLine(t *testing.T) {
	tests := []struct {
		status string
		run    *Run
		want   string // in the line of every platform
	}{
		{"STARTED", goldenRunStart, " · make"},
		{"FAILURE", goldenRunFailure, " · make: exit 2 after 1m2s"},
		{"ABORTED", runOutcome(nil, "SIGTERM", ""), " · make: aborted (SIGTERM) after 12s"},
		{"FAILURE", runOutcome(intPtr(137), "SIGKILL", "x"), " · make: killed by SIGKILL after 12s"},
	}
	for _, tt := range tests {
		for format, path := range chatLines {
			t.Run(tt.status+"/"+format, func(t *testing.T) {
				m := ftObject(t, ftRun(t, format, jenkinsEnv(t), "", tt.status, tt.run).Body.Bytes())
				line, _ := ftGet(m, path...).(string)
				head, _, _ := strings.Cut(line, "\n")
				if format == "teams" || format == "discord" {
					head = markdownUnescape(head)
				}
				if !strings.Contains(head, tt.want) {
					t.Errorf("got %q, want it to hold %q", head, tt.want)
				}
				fences := 0
				for _, s := range chatStrings(m) {
					fences += strings.Count(s, "```")
				}
				if format == "teams" {
					fences = 0
					for _, b := range ftGet(m, "attachments", 0, "content", "body").([]any) {
						if ftGet(b, "fontType") == "Monospace" {
							fences += 2 // a TextBlock of its own
						}
					}
				}
				want := 0
				if tt.run.LogTail != "" {
					want = 2
				}
				if fences != want {
					t.Errorf("got %d code fences, want %d", fences, want)
				}
			})
		}
	}
}

// hostileTail is a log a pull request may make a build print: pings,
// links, markup, a fence that would end the code block, and lines that
// markdown would read as blocks.
const hostileTail = "<!channel> <users/all> <!here> @everyone @here <@123456>\n" +
	"[Reset your password](https://evil.example/reset) <https://evil.example/x|click> https://evil.example/bare\n" +
	"```\n" +
	"now outside the block? *bold* _it_ ~s~ ||spoiler|| `code` ````\n" +
	"# heading\n" +
	"- list\n" +
	"1. list\n" +
	"\n" +
	"    indented after a blank line \\ (backslash)\n" +
	"\tat com.example.Checkout(Checkout.java:41)\n" +
	"> quote & <b>html</b> &amp;\n" +
	"---"

// fenced returns the text inside the code block that ends s, and what
// precedes it: the block must be the end of s.
func fenced(tb testing.TB, s string) (before, code string) {
	tb.Helper()
	i := strings.Index(s, "```\n")
	if i < 0 || !strings.HasSuffix(s, "\n```") {
		tb.Fatalf("no code block at the end of %q", s)
	}
	before, code = s[:i], strings.TrimSuffix(s[i+len("```\n"):], "\n```")
	if strings.Contains(code, "```") {
		tb.Errorf("the code holds a ```, which ends the block early: %q", code)
	}
	return before, code
}

// TestChatRunTailPlainText: a log tail makes no ping, link or markup on
// any platform, cannot end its code block early, and reads as written.
func TestChatRunTailPlainText(t *testing.T) {
	run := runOutcome(intPtr(1), "", hostileTail)
	msgs := map[string]map[string]any{}
	for format := range chatLines {
		msgs[format] = ftObject(t, ftRun(t, format, hostileEnv(t), "", "FAILURE", run).Body.Bytes())
	}

	t.Run("slack", func(t *testing.T) {
		m := msgs["slack"]
		for _, b := range ftGet(m, "attachments", 0, "blocks").([]any) {
			if ftGet(b, "text", "verbatim") != true && ftGet(b, "type") == "section" {
				t.Errorf("a text is not verbatim: Slack would link channel names in it")
			}
		}
		before, code := fenced(t, chatTail(t, "slack", m))
		if before != "" {
			t.Errorf("got %q before the block, want it alone", before)
		}
		for _, bad := range angleLinks(code) {
			t.Errorf("the tail holds %s", bad)
		}
		readsAsWritten(t, htmlUnescape(code))
	})
	t.Run("googlechat", func(t *testing.T) {
		before, code := fenced(t, ftGet(msgs["googlechat"], "text").(string))
		for _, bad := range angleLinks(before + code) {
			t.Errorf("the text holds %s", bad)
		}
		readsAsWritten(t, htmlUnescape(code))
	})
	t.Run("discord", func(t *testing.T) {
		m := msgs["discord"]
		if got := ftGet(m, "allowed_mentions", "parse"); got == nil || len(got.([]any)) != 0 {
			t.Errorf("allowed_mentions.parse: got %v, want []", got)
		}
		before, code := fenced(t, ftGet(m, "content").(string))
		for _, bad := range discordLinks(before) {
			t.Errorf("the line holds %s", bad)
		}
		// Inside a code block Discord reads no markup, mentions or links
		// (and a backslash would show): the tail is there as it is.
		readsAsWritten(t, code)
	})
	t.Run("teams", func(t *testing.T) {
		m := msgs["teams"]
		for _, b := range ftGet(m, "attachments", 0, "content", "body").([]any) {
			if ftGet(b, "fontType") == "Monospace" && ftGet(b, "wrap") != true {
				t.Errorf("the tail's TextBlock does not wrap")
			}
		}
		text := chatTail(t, "teams", m)
		for _, bad := range markdownLinks(text) {
			t.Errorf("the tail holds %s", bad)
		}
		var lines []string
		for _, l := range strings.Split(markdownUnescape(text), "  \n") {
			if l == "\u00a0" {
				l = "" // a blank line that keeps the lines one paragraph
			}
			lines = append(lines, strings.ReplaceAll(l, "\u00a0", " "))
		}
		if plain, want := strings.Join(lines, "\n"), strings.ReplaceAll(hostileTail, "\t", "    "); plain != want {
			t.Errorf("the tail reads %q, want %q", plain, want)
		}
	})
}

// chatTail is the text that holds the log tail in a chat message: the
// Slack section or Teams TextBlock of its own, the whole text on Google
// Chat and Discord.
func chatTail(tb testing.TB, format string, m map[string]any) string {
	tb.Helper()
	switch format {
	case "slack":
		for _, b := range ftGet(m, "attachments", 0, "blocks").([]any) {
			if s, _ := ftGet(b, "text", "text").(string); strings.HasPrefix(s, "```") {
				return s
			}
		}
	case "teams":
		for _, b := range ftGet(m, "attachments", 0, "content", "body").([]any) {
			if ftGet(b, "fontType") == "Monospace" {
				return ftGet(b, "text").(string)
			}
		}
	case "googlechat":
		return ftGet(m, "text").(string)
	case "discord":
		return ftGet(m, "content").(string)
	}
	tb.Fatalf("%s: no log tail in %v", format, m)
	return ""
}

// readsAsWritten fails unless code, the text inside a code block, is the
// hostile tail with at most zero-width spaces added, and no ``` in it.
func readsAsWritten(tb testing.TB, code string) {
	tb.Helper()
	if strings.Contains(code, "``") {
		tb.Errorf("the code holds two backticks in a row: %q", code)
	}
	if got := strings.ReplaceAll(code, "\u200b", ""); got != hostileTail {
		tb.Errorf("the tail reads %q, want %q", got, hostileTail)
	}
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// TestTeamsRunTailRenders renders the tail's TextBlock with the Adaptive
// Cards library: every line of the log on a line of its own, indented as
// it was, no link, and no code block (whose text would show the escapes).
func TestTeamsRunTailRenders(t *testing.T) {
	msg := ftRun(t, "teams", jenkinsEnv(t), "", "FAILURE", runOutcome(intPtr(1), "", hostileTail)).Body.Bytes()
	golden := ftRun(t, "teams", jenkinsEnv(t), "", "FAILURE", goldenRunFailure).Body.Bytes()
	cards := renderTeams(t, msg, golden)
	for i, tail := range []string{hostileTail, goldenTail} {
		c := cards[i]
		if len(c.Links) != 1 || c.Links[0].Href != testBuildURL {
			t.Errorf("card %d: got links %v, want only the build's", i, c.Links)
		}
		// The text of each line break the renderer draws (<br>\n) is a
		// line break: the TextBlock's text has the tail's lines, in one
		// paragraph. A paragraph's start loses its indentation, so the
		// first line is compared without it.
		want := strings.Split(strings.ReplaceAll(tail, "\t", "    "), "\n")
		want[0] = strings.TrimSpace(want[0])
		found := false
		for _, s := range c.Texts {
			got := strings.Split(strings.ReplaceAll(s, "\u00a0", " "), "\n")
			for j := range got {
				if strings.TrimSpace(got[j]) == "" {
					got[j] = ""
				}
			}
			if slices.Equal(got, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("card %d: no text reads the tail %q; got %q", i, tail, c.Texts)
		}
	}
}

// TestChatRunTailCut: a tail longer than a platform takes keeps its
// newest lines, after "…", within the platform's limit, and the headline
// stays whole.
func TestChatRunTailCut(t *testing.T) {
	var lines []string
	for i := 1; i <= 2000; i++ {
		lines = append(lines, fmt.Sprintf("line %d <&> `x`", i))
	}
	long := strings.Join(lines, "\n")
	run := runOutcome(intPtr(2), "", long)
	tests := []struct {
		format string
		max    int
	}{
		{"slack", slackTextMax},
		{"teams", chatMessageMax},
		{"googlechat", chatMessageMax},
		{"discord", discordContentMax},
	}
	for _, tt := range tests {
		for _, body := range []string{"", strings.Repeat("a long message ", 500)} {
			t.Run(fmt.Sprintf("%s/message=%d", tt.format, len(body)), func(t *testing.T) {
				in := Input{ID: testID, Status: "FAILURE", Time: testTime, Run: run}
				if body != "" {
					in.Body = mustBody(t, body)
				}
				r, err := ftBuild(t, jenkinsEnv(t), "format = \""+tt.format+"\"", in)
				if err != nil {
					t.Fatal(err)
				}
				m := ftObject(t, r.Body.Bytes())
				got := chatTail(t, tt.format, m)
				if n := utf8.RuneCountInString(got); n > tt.max {
					t.Errorf("got %d characters, want at most %d", n, tt.max)
				}
				if !strings.Contains(got, "line 2000 ") {
					t.Errorf("the newest line is gone: …%q", got[max(0, len(got)-80):])
				}
				if strings.Contains(got, "line 1 ") {
					t.Errorf("the oldest line is still there")
				}
				if !strings.Contains(got, "…\n") && !strings.Contains(got, "…  \n") {
					t.Errorf("no line … says the tail was cut")
				}
				head := ftGet(m, chatLines[tt.format]...).(string)
				if !strings.Contains(head, "· make: exit 2 after 12s") {
					t.Errorf("the headline is cut: %q", head[:min(len(head), 200)])
				}
				if tt.format == "discord" || tt.format == "googlechat" {
					before, _ := fenced(t, got)
					if body != "" && !strings.Contains(before, "a long message") {
						t.Errorf("the message is gone: %q", before)
					}
					if body != "" && utf8.RuneCountInString(before) < tt.max/2-1 {
						t.Errorf("the line has %d characters, want at least half of %d", utf8.RuneCountInString(before), tt.max)
					}
				}
			})
		}
	}
}

func TestFitEnd(t *testing.T) {
	tests := []struct {
		s    string
		max  int
		esc  func(string) string
		want string
	}{
		{"a\nb\nc", 5, plainMarkup.esc, "a\nb\nc"},
		{"a\nb\nc", 4, plainMarkup.esc, "…\nc"},
		{"a\nb\nc", 3, plainMarkup.esc, "…\nc"},
		{"aa\nbb\ncc", 5, plainMarkup.esc, "…\ncc"},
		{"aa\nbb\ncc", 2, plainMarkup.esc, "…c"},
		{"one long line", 5, plainMarkup.esc, "…line"},
		{"x", 0, plainMarkup.esc, ""},
		{"xy", 1, plainMarkup.esc, "…"},
		{"ab", 1, plainMarkup.esc, "…"},
		// It cuts the text, never an escape.
		{"a\n&&\nb&", 8, slackMarkup.esc, "…\nb&amp;"},
		{"a\n&&\nb&", 7, slackMarkup.esc, "…b&amp;"},
		{"a\n&&\nb&", 6, slackMarkup.esc, "…&amp;"},
		{"x&y", 6, slackMarkup.esc, "…y"},
		// A line that starts after the cut reads as a line: the escape
		// of its first character is a line's.
		{"aa\n- b", 6, teamsEscape, "…\n\\- b"},
		{"a\n- b", 5, teamsEscape, "…- b"},
		{"a-b", 2, teamsEscape, "…b"},
	}
	for _, tt := range tests {
		if got := fitEnd(tt.s, tt.max, tt.esc); got != tt.want {
			t.Errorf("fitEnd(%q, %d): got %q, want %q", tt.s, tt.max, got, tt.want)
		}
	}
}

func TestFenceSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no backticks", "no backticks"},
		{"a `b` c", "a `b` c"},
		{"```", "`\u200b`\u200b`"},
		{"x````y", "x`\u200b`\u200b`\u200b`y"},
	}
	for _, tt := range tests {
		got := fenceSafe(tt.in)
		if got != tt.want {
			t.Errorf("fenceSafe(%q): got %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(got, "``") {
			t.Errorf("fenceSafe(%q): %q holds two backticks in a row", tt.in, got)
		}
		if strings.ReplaceAll(got, "\u200b", "") != tt.in {
			t.Errorf("fenceSafe(%q): %q changes more than the invisible", tt.in, got)
		}
	}
}

// TestPayloadSchemaLiveRun validates the notifications of jobnotify run
// built from every recorded CI environment: the start, and the outcomes
// of an exit, a kill and an abort.
func TestPayloadSchemaLiveRun(t *testing.T) {
	sch := payloadSchema(t)
	runs := map[string]*Run{
		"start":  goldenRunStart,
		"exit":   goldenRunFailure,
		"kill":   runOutcome(intPtr(137), "SIGKILL", ""),
		"abort":  runOutcome(nil, "SIGTERM", "x"),
		"zero":   {ID: testRunID, Command: "true", Outcome: true, ExitCode: intPtr(0)},
		"body's": goldenRunStart,
	}
	for _, file := range recordedEnvs {
		environ := envFile(t, file)
		for name, run := range runs {
			t.Run(file+"/"+name, func(t *testing.T) {
				s := resolve(t, "url = \"http://127.0.0.1:9/\"\n", config.Overrides{}, envMap(environ))
				in := Input{ID: testID, Status: "FAILURE", Time: testTime, Run: run}
				if name == "body's" {
					in.Body = mustBody(t, `{"run": "a body's run gives way"}`)
				}
				r, err := Build(envcollect.Collect(environ, envcollect.Options(s.Env)), s, in, "1.2.3")
				if err != nil {
					t.Fatal(err)
				}
				p := decodeJSON(t, "the payload", r.Body.Bytes())
				validatePayload(t, sch, "the payload", p)
				if got := ftGet(p, "run", "id"); got != testRunID {
					t.Errorf("run.id: got %v, want %s", got, testRunID)
				}
			})
		}
	}
}

// The golden run's tail is what the doc says: the last 8 lines.
func TestGoldenRunArgs(t *testing.T) {
	if n := strings.Count(goldenTail, "\n") + 1; !strings.HasPrefix(goldenRunArgs, fmt.Sprintf("--tail %d ", n)) {
		t.Errorf("goldenRunArgs %q, but the tail has %d lines", goldenRunArgs, n)
	}
}

// TestChatRunCommandPlainText: the command's name is a value like any
// other (a build may run a program a pull request named): no link, ping
// or markup on any platform, and it reads as written.
func TestChatRunCommandPlainText(t *testing.T) {
	const name = "<!channel>@everyone[x](https:evil.example)*b*"
	plain := map[string]func(string) string{"slack": htmlUnescape, "googlechat": htmlUnescape, "teams": markdownUnescape, "discord": markdownUnescape}
	for format := range chatLines {
		for _, run := range []*Run{{ID: testRunID, Command: name}, {ID: testRunID, Command: name, Outcome: true, ExitCode: intPtr(1), Duration: time.Second}} {
			t.Run(fmt.Sprintf("%s/outcome=%v", format, run.Outcome), func(t *testing.T) {
				m := ftObject(t, ftRun(t, format, hostileEnv(t), "", "FAILURE", run).Body.Bytes())
				var shown strings.Builder
				for p, s := range chatStrings(m) {
					for _, bad := range chatProblems[format](s) {
						t.Errorf("%s holds %s", p, bad)
					}
					shown.WriteString(plain[format](s) + "\n")
				}
				if !strings.Contains(shown.String(), name) {
					t.Errorf("no text reads %q; got:\n%s", name, shown.String())
				}
			})
		}
	}
}
