package notify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/internal/fastjson"
	"github.com/jobnotify/jobnotify/internal/human"
)

// testVersion is the version of jobnotify the tests parse configs for.
const testVersion = "1.0.0"

var update = flag.Bool("update", false, "rewrite golden files")

// Fixed inputs, so golden files are deterministic.
var (
	testTime = time.Date(2026, 11, 27, 3, 20, 0, 0, time.UTC)
	testID   = "3b0c5c1e-0000-4000-8000-000000000001"
)

// canaries are values from testdata/jenkins.env (and the test configs) that
// must never appear in a payload or in output.
var canaries = []string{
	"ghp_canaryGithubToken0123456789",
	"canary-aws-secret-access-key",
	"canary-ssh-private-key",
	"canary-deploy-api-key",
	"gh-canary-userinfo-token",
	"jenkins-bot",
}

// golden compares got with testdata/golden/name, or rewrites the file
// when the test runs with -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from the golden file (run go test -update and review the diff):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// assertNoCanary fails when out holds any canary secret.
func assertNoCanary(tb testing.TB, what string, out []byte, extra ...string) {
	tb.Helper()
	for _, c := range append(append([]string(nil), canaries...), extra...) {
		if bytes.Contains(out, []byte(c)) {
			tb.Errorf("%s contains the secret %q", what, c)
		}
	}
}

// jenkinsEnv reads testdata/jenkins.env as K=V pairs.
func jenkinsEnv(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "jenkins.env"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var env []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			env = append(env, line)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(env) == 0 {
		tb.Fatal("testdata/jenkins.env is empty")
	}
	return env
}

func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// resolve builds real settings: the TOML text (none when "") parsed by
// config.Parse, then config.Resolve with the overrides and environment.
func resolve(tb testing.TB, tomlText string, ov config.Overrides, env map[string]string) *config.Settings {
	tb.Helper()
	var f *config.File
	if tomlText != "" {
		var err error
		if f, err = config.Parse("test.toml", []byte(tomlText), testVersion); err != nil {
			tb.Fatalf("config.Parse: %v", err)
		}
	}
	s, err := config.Resolve(f, "", ov, env)
	if err != nil {
		tb.Fatalf("config.Resolve: %v", err)
	}
	return s
}

// urlOverride is the overrides of a --url flag.
func urlOverride(u string) config.Overrides {
	var ov config.Overrides
	if err := ov.Set("url", u, "--url"); err != nil {
		panic(err)
	}
	return ov
}

func mustBody(tb testing.TB, text string) *Body {
	tb.Helper()
	b, err := ParseBody(text, "--body")
	if err != nil {
		tb.Fatalf("ParseBody(%q): %v", text, err)
	}
	return b
}

func mustFields(tb testing.TB, args ...string) []Field {
	tb.Helper()
	var fs []Field
	for _, a := range args {
		f, err := ParseField(a)
		if err != nil {
			tb.Fatalf("ParseField(%q): %v", a, err)
		}
		fs = append(fs, f)
	}
	return fs
}

// toJSON round-trips v through JSON, so values of different Go types that
// encode alike compare equal.
func toJSON(tb testing.TB, v any) any {
	tb.Helper()
	b, err := fastjson.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		tb.Fatal(err)
	}
	return out
}

func jsonOf(tb testing.TB, s string) any {
	tb.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		tb.Fatalf("bad test JSON %s: %v", s, err)
	}
	return out
}

// The golden inputs: testdata/jenkins.env, [fields], --body and --field,
// with "level" set at every layer so the winner shows.
const goldenTOML = `
[env]
include = ["DEPLOY_*"]

[fields]
team = "platform"
level = "fields"

[fields.build]
display_name = "from [fields]"
trigger = "from [fields]"
`

const goldenBody = `{"level": "body", "build": {"display_name": "from --body"}, "artifact": {"size": 12345678901234567890, "name": "app.tar.gz"}}`

var goldenFields = []string{
	"level=field",
	"build.trigger=from --field",
	"deploy.region=eu-west-1",
	"deploy.replicas:=3",
	"deploy.canary:=true",
	`checks:=["lint", "test"]`,
	`report\.url=https://ci.example.com/report?a=1&b=2`,
}

func goldenInput(tb testing.TB) Input {
	tb.Helper()
	return Input{ID: testID, Status: "SUCCESS", Body: mustBody(tb, goldenBody), Fields: mustFields(tb, goldenFields...), Time: testTime}
}

func TestGoldenPayloads(t *testing.T) {
	environ := jenkinsEnv(t)
	tests := []struct {
		name   string
		format string
		check  func(t *testing.T, p map[string]any)
	}{
		{
			name:   "jobnotify-payload.json",
			format: "",
			check: func(t *testing.T, p map[string]any) {
				// The merge winners, and what envcollect did to the environment.
				want := map[string]string{
					"level":               "field",
					"team":                "platform",
					"id":                  testID,
					"timestamp":           "2026-11-27T03:20:00Z",
					"status":              "SUCCESS",
					"report.url":          "https://ci.example.com/report?a=1&b=2",
					"build.display_name":  "from --body",
					"build.trigger":       "from --field",
					"build.number":        "42",
					"deploy.replicas":     "3",
					"deploy.canary":       "true",
					"checks.1":            "test",
					"artifact.size":       "12345678901234567890",
					"scm.url":             "https://git.example.com/team/app.git",
					"env.DEPLOY_ENV":      "prod",
					"change.title":        "Add the <new> & improved deploy",
					"env.GIT_AUTHOR_NAME": "Alice Example",
					"job.name":            "team/app",
					"env.GIT_URL":         "https://git.example.com/team/app.git",
					"deploy.region":       "eu-west-1",
					"build.executor":      "0",
					"checks.0":            "lint",
				}
				got := map[string]string{}
				flatten("", p, got)
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s: got %q, want %q", k, got[k], v)
					}
				}
				for _, k := range []string{"env.GITHUB_TOKEN", "env.AWS_SECRET_ACCESS_KEY", "env.SSH_PRIVATE_KEY", "env.DEPLOY_API_KEY", "env.HOME", "env.PATH", "env.KEYBOARD_LAYOUT"} {
					if v, ok := got[k]; ok {
						t.Errorf("%s: got %q, want it absent", k, v)
					}
				}
				// Numbers stay numbers, and exact.
				if n, ok := p["build"].(map[string]any)["number"]; !ok || reflect.TypeOf(n).Kind() == reflect.String {
					t.Errorf("build.number: got %#v, want a number", n)
				}
			},
		},
		{
			name:   "job-status-notification.json",
			format: "job-status-notification",
			check: func(t *testing.T, p map[string]any) {
				want := map[string]string{
					"JOB_EXECUTE_STATUS": "SUCCESS",
					"jobExecuteStatus":   "SUCCESS",
					"buildNo":            "42",
					"body":               goldenBody,
					"BUILD_NUMBER":       "42",
					"GIT_URL":            "https://git.example.com/team/app.git",
					"DEPLOY_ENV":         "prod",
					"team":               "platform",
					"level":              "field",
					"deploy.replicas":    "3",
					"build.trigger":      "from --field",
				}
				for k, v := range want {
					if p[k] != v {
						t.Errorf("%s: got %#v, want %q", k, p[k], v)
					}
				}
				for k, v := range p {
					if _, ok := v.(string); !ok {
						t.Errorf("%s: got %#v (%T), want a string", k, v, v)
					}
				}
				for _, k := range []string{"GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "SSH_PRIVATE_KEY", "DEPLOY_API_KEY", "HOME", "PATH", "id", "timestamp", "job"} {
					if v, ok := p[k]; ok {
						t.Errorf("%s: got %#v, want it absent", k, v)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toml := "url = \"http://127.0.0.1:9/pipeline/status\"\n" + goldenTOML
			if tt.format != "" {
				toml = "format = \"" + tt.format + "\"\n" + toml
			}
			s := resolve(t, toml, config.Overrides{}, envMap(environ))
			c := envcollect.Collect(environ, envcollect.Options(s.Env))
			in := goldenInput(t)
			r, err := Build(c, s, in, "1.2.3")
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, r.Body.Bytes(), "", "  "); err != nil {
				t.Fatalf("the body is not JSON: %v\n%s", err, r.Body)
			}
			pretty.WriteByte('\n')
			golden(t, tt.name, pretty.Bytes())
			assertNoCanary(t, tt.name, pretty.Bytes())

			p, err := Payload(c, s, in)
			if err != nil {
				t.Fatalf("Payload: %v", err)
			}
			tt.check(t, p)
		})
	}
}

func TestParseBody(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    string // the object as JSON
		wantErr string // a substring of the error; "" for none
		raw     string // Body.Raw when not text
	}{
		{name: "object", text: `{"a": "b", "n": {"m": [1, true, null]}}`, want: `{"a": "b", "n": {"m": [1, true, null]}}`},
		{name: "object with surrounding space", text: "  \n{\"a\": 1}\n\n", want: `{"a": 1}`},
		{name: "exact big number", text: `{"n": 12345678901234567890, "f": 1.50}`, want: `{"n": 12345678901234567890, "f": 1.50}`},
		{name: "plain text", text: "deployed to prod\n", want: `{"message": "deployed to prod"}`},
		{name: "plain text CRLF", text: "two\r\nlines\r\n", want: `{"message": "two\r\nlines"}`},
		{name: "text that is a JSON string", text: `"quoted"`, want: `{"message": "\"quoted\""}`},
		{name: "empty", text: "", want: `{"message": ""}`},
		{name: "invalid UTF-8 text", text: "bad \xff byte", wantErr: "UTF-8"},
		{name: "array is text", text: `[1, 2]`, want: `{"message": "[1, 2]"}`},
		{name: "array after space is text", text: " \n [{}]\n", want: `{"message": " \n [{}]"}`},
		{name: "number is text", text: "42", want: `{"message": "42"}`},
		{name: "null is text", text: "null\n", want: `{"message": "null"}`},
		{name: "true is text", text: "true", want: `{"message": "true"}`},
		{name: "bracket text that is not JSON", text: "[1,\n2", wantErr: "--body: line 2, column 1: invalid JSON"},
		{name: "array then more", text: "[1] [2]", wantErr: "line 1, column 5: unexpected text after the JSON array"},
		{name: "multi-line syntax error", text: "{\n  \"a\": 1,\n  \"b\": x\n}", wantErr: "--body: line 3, column 8: invalid JSON"},
		{name: "error column in runes", text: "{\n \"é\": 1 2}", wantErr: "line 2, column 9"},
		{name: "trailing comma", text: `{"a":1,}`, wantErr: "line 1, column 8"},
		{name: "unterminated", text: "{\n\"a\": 1,", wantErr: "line 2, column 7: invalid JSON: unexpected end of JSON input"},
		{name: "trailing garbage", text: `{"a": 1} x`, wantErr: "unexpected text after the JSON object"},
		{name: "two objects", text: `{"a": 1} {"b": 2}`, wantErr: "line 1, column 10: unexpected text after the JSON object"},
		{name: "brace but not JSON", text: "{{ template }}", wantErr: "line 1, column 2"},
		{name: "object after a UTF-8 BOM", text: "\ufeff{\"a\": 1}\r\n", want: `{"a": 1}`, raw: "{\"a\": 1}\r\n"},
		{name: "text after a UTF-8 BOM", text: "\ufeffdeployed\r\n", want: `{"message": "deployed"}`, raw: "deployed\r\n"},
		{name: "object in UTF-16LE after its BOM", text: "\xff\xfe{\x00\"\x00a\x00\"\x00:\x001\x00}\x00", want: `{"a": 1}`, raw: `{"a":1}`},
		{name: "UTF-16LE without BOM", text: "{\x00}\x00", wantErr: "--body: the text is UTF-16 (little-endian) without a byte order mark, not UTF-8"},
		{name: "UTF-16BE without BOM", text: "\x00{\x00}", wantErr: "UTF-16 (big-endian)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBody(tt.text, "--body")
			if tt.wantErr != "" {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("got error %v (%T), want an *InputError", err, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got error %q, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			wantRaw := tt.text
			if tt.raw != "" {
				wantRaw = tt.raw
			}
			if b.Raw != wantRaw {
				t.Errorf("Raw: got %q, want %q", b.Raw, wantRaw)
			}
			if got, want := toJSON(t, b.Object), jsonOf(t, tt.want); !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
}

func TestParseBodyKeepsNumbersExact(t *testing.T) {
	b := mustBody(t, `{"n": 12345678901234567890}`)
	n, ok := b.Object["n"].(json.Number)
	if !ok || n.String() != "12345678901234567890" {
		t.Fatalf("got %#v, want json.Number 12345678901234567890", b.Object["n"])
	}
	out, err := fastjson.Marshal(b.Object)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `{"n":12345678901234567890}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestParseField(t *testing.T) {
	tests := []struct {
		name    string
		arg     string
		path    []string
		value   any
		wantErr string
	}{
		{name: "string", arg: "stage=deploy", path: []string{"stage"}, value: "deploy"},
		{name: "empty string", arg: "stage=", path: []string{"stage"}, value: ""},
		{name: "raw number", arg: "n:=42", path: []string{"n"}, value: json.Number("42")},
		{name: "raw big number", arg: "n:=12345678901234567890", path: []string{"n"}, value: json.Number("12345678901234567890")},
		{name: "raw bool", arg: "ok:=true", path: []string{"ok"}, value: true},
		{name: "raw null", arg: "x:=null", path: []string{"x"}, value: nil},
		{name: "raw object", arg: `o:={"a": [1, "b"]}`, path: []string{"o"}, value: map[string]any{"a": []any{json.Number("1"), "b"}}},
		{name: "raw array", arg: `a:=[1, {"b": false}]`, path: []string{"a"}, value: []any{json.Number("1"), map[string]any{"b": false}}},
		{name: "raw string", arg: `s:="x=y"`, path: []string{"s"}, value: "x=y"},
		{name: "nested", arg: "a.b.c=x", path: []string{"a", "b", "c"}, value: "x"},
		{name: "nested raw", arg: "a.b:=1", path: []string{"a", "b"}, value: json.Number("1")},
		{name: "literal dot", arg: `a\.b=x`, path: []string{"a.b"}, value: "x"},
		{name: "literal dot inside nesting", arg: `a.b\.c.d=x`, path: []string{"a", "b.c", "d"}, value: "x"},
		{name: "value with =", arg: "url=https://x/?a=b&c=d", path: []string{"url"}, value: "https://x/?a=b&c=d"},
		{name: "value with :=", arg: "expr=a:=b", path: []string{"expr"}, value: "a:=b"},
		{name: "value starting with =", arg: "k==v", path: []string{"k"}, value: "=v"},
		{name: "value looks like JSON but is a string", arg: "k={\"a\":1}", path: []string{"k"}, value: `{"a":1}`},
		{name: "missing =", arg: "stage", wantErr: `an argument without =: want KEY=VALUE or KEY:=JSON`},
		{name: "empty key", arg: "=x", wantErr: "empty key"},
		{name: "empty raw key", arg: ":=1", wantErr: "empty key"},
		{name: "empty segment", arg: "a..b=x", wantErr: "empty key"},
		{name: "trailing dot", arg: "a.=x", wantErr: "empty key"},
		{name: "bad raw JSON", arg: "replicas:=three", wantErr: "--field: replicas: line 1, column 2: invalid JSON"},
		{name: "bad raw JSON nested key", arg: "a.b:={", wantErr: "--field: a.b: "},
		{name: "empty raw JSON", arg: "a:=", wantErr: "--field: a: "},
		{name: "raw JSON with trailing text", arg: "n:=1 2", wantErr: "--field: n: unexpected text after the JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseField(tt.arg)
			if tt.wantErr != "" {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("got error %v (%T), want an *InputError", err, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got error %q, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !reflect.DeepEqual(f.Path, tt.path) {
				t.Errorf("Path: got %q, want %q", f.Path, tt.path)
			}
			if !reflect.DeepEqual(f.Value, tt.value) {
				t.Errorf("Value: got %#v, want %#v", f.Value, tt.value)
			}
		})
	}
}

// testContext is a small build context, built the real way.
func testContext() envcollect.Context {
	return envcollect.Collect([]string{
		"JOB_NAME=team/app", "BUILD_NUMBER=42", "BUILD_URL=https://ci/job/app/42/", "STAGE_NAME=main",
	}, envcollect.Options{})
}

func TestPayload(t *testing.T) {
	tests := []struct {
		name   string
		toml   string // config; "" for none
		body   string // --body; "" for none
		fields []string
		status string
		want   string // the expected payload as JSON
	}{
		{
			name: "context only, no status",
			want: `{"schema": "jobnotify/v1", "id": "ID", "timestamp": "2026-11-27T03:20:00Z",
				"job": {"name": "team/app"}, "build": {"number": 42, "url": "https://ci/job/app/42/"},
				"env": {"JOB_NAME": "team/app", "BUILD_NUMBER": "42", "BUILD_URL": "https://ci/job/app/42/", "STAGE_NAME": "main"}}`,
		},
		{
			name:   "merge order context < fields < body < field",
			status: "FAILURE",
			toml: `[fields]
a = "fields"
b = "fields"
c = "fields"`,
			body:   `{"b": "body", "c": "body"}`,
			fields: []string{"c=field"},
			want: `{"schema": "jobnotify/v1", "id": "ID", "timestamp": "2026-11-27T03:20:00Z", "status": "FAILURE",
				"a": "fields", "b": "body", "c": "field",
				"job": {"name": "team/app"}, "build": {"number": 42, "url": "https://ci/job/app/42/"},
				"env": {"JOB_NAME": "team/app", "BUILD_NUMBER": "42", "BUILD_URL": "https://ci/job/app/42/", "STAGE_NAME": "main"}}`,
		},
		{
			name: "deep merge: objects merge, scalars replace",
			toml: `[fields.build]
pipeline = "p1"
[fields.deploy]
region = "eu"
zones = ["a", "b"]`,
			body:   `{"build": {"number": "forty-two", "extra": {"x": 1}}, "deploy": {"zones": ["c"]}, "job": "flattened"}`,
			fields: []string{"build.extra.y=2", "deploy.region=us", "env:=null"},
			want: `{"schema": "jobnotify/v1", "id": "ID", "timestamp": "2026-11-27T03:20:00Z",
				"job": "flattened",
				"build": {"number": "forty-two", "url": "https://ci/job/app/42/", "pipeline": "p1", "extra": {"x": 1, "y": "2"}},
				"deploy": {"region": "us", "zones": ["c"]},
				"env": null}`,
		},
		{
			name:   "a field replaces an object with a scalar and back",
			body:   `{"o": {"a": 1}, "s": "x"}`,
			fields: []string{"o=scalar", "s.t=nested"},
			want: `{"schema": "jobnotify/v1", "id": "ID", "timestamp": "2026-11-27T03:20:00Z", "o": "scalar", "s": {"t": "nested"},
				"job": {"name": "team/app"}, "build": {"number": 42, "url": "https://ci/job/app/42/"},
				"env": {"JOB_NAME": "team/app", "BUILD_NUMBER": "42", "BUILD_URL": "https://ci/job/app/42/", "STAGE_NAME": "main"}}`,
		},
		{
			name:   "later fields win",
			fields: []string{"a.b=1", "a.b=2", "a.c:=3"},
			want: `{"schema": "jobnotify/v1", "id": "ID", "timestamp": "2026-11-27T03:20:00Z", "a": {"b": "2", "c": 3},
				"job": {"name": "team/app"}, "build": {"number": 42, "url": "https://ci/job/app/42/"},
				"env": {"JOB_NAME": "team/app", "BUILD_NUMBER": "42", "BUILD_URL": "https://ci/job/app/42/", "STAGE_NAME": "main"}}`,
		},
		{
			name: "config fields with nested tables and arrays of tables",
			toml: `[fields]
team = "platform"
[fields.owner]
name = "ops"
[fields.owner.pager]
rotation = "eu"
[[fields.links]]
name = "runbook"
[[fields.links]]
name = "dashboard"`,
			want: `{"schema": "jobnotify/v1", "id": "ID", "timestamp": "2026-11-27T03:20:00Z", "team": "platform",
				"owner": {"name": "ops", "pager": {"rotation": "eu"}},
				"links": [{"name": "runbook"}, {"name": "dashboard"}],
				"job": {"name": "team/app"}, "build": {"number": 42, "url": "https://ci/job/app/42/"},
				"env": {"JOB_NAME": "team/app", "BUILD_NUMBER": "42", "BUILD_URL": "https://ci/job/app/42/", "STAGE_NAME": "main"}}`,
		},
		{
			name: "plain text body",
			body: "hello\n",
			want: `{"schema": "jobnotify/v1", "id": "ID", "timestamp": "2026-11-27T03:20:00Z", "message": "hello",
				"job": {"name": "team/app"}, "build": {"number": 42, "url": "https://ci/job/app/42/"},
				"env": {"JOB_NAME": "team/app", "BUILD_NUMBER": "42", "BUILD_URL": "https://ci/job/app/42/", "STAGE_NAME": "main"}}`,
		},
		{
			name:   "legacy format defaults status to RUNNING",
			toml:   `format = "job-status-notification"`,
			body:   "{\"raw\": true}\n",
			fields: []string{"a.b=1", "n:=2"},
			want: `{"JOB_NAME": "team/app", "BUILD_NUMBER": "42", "BUILD_URL": "https://ci/job/app/42/", "STAGE_NAME": "main",
				"JOB_EXECUTE_STATUS": "RUNNING", "jobExecuteStatus": "RUNNING", "buildNo": "42",
				"body": "{\"raw\": true}\n", "a.b": "1", "n": "2"}`,
		},
		{
			// The plugin's receivers match START, the word it sent.
			name:   "legacy format sends START for STARTED",
			toml:   `format = "job-status-notification"`,
			status: "STARTED",
			want: `{"JOB_NAME": "team/app", "BUILD_NUMBER": "42", "BUILD_URL": "https://ci/job/app/42/", "STAGE_NAME": "main",
				"JOB_EXECUTE_STATUS": "START", "jobExecuteStatus": "START", "buildNo": "42"}`,
		},
		{
			name:   "legacy format keeps START",
			toml:   `format = "job-status-notification"`,
			status: "start",
			want: `{"JOB_NAME": "team/app", "BUILD_NUMBER": "42", "BUILD_URL": "https://ci/job/app/42/", "STAGE_NAME": "main",
				"JOB_EXECUTE_STATUS": "START", "jobExecuteStatus": "START", "buildNo": "42"}`,
		},
		{
			name:   "legacy format with a status",
			toml:   `format = "job-status-notification"`,
			status: "ABORTED",
			want: `{"JOB_NAME": "team/app", "BUILD_NUMBER": "42", "BUILD_URL": "https://ci/job/app/42/", "STAGE_NAME": "main",
				"JOB_EXECUTE_STATUS": "ABORTED", "jobExecuteStatus": "ABORTED", "buildNo": "42"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toml := "url = \"http://127.0.0.1:9/\"\n" + tt.toml
			s := resolve(t, toml, config.Overrides{}, nil)
			in := Input{ID: "ID", Status: tt.status, Fields: mustFields(t, tt.fields...), Time: testTime}
			if tt.body != "" {
				in.Body = mustBody(t, tt.body)
			}
			p, err := Payload(testContext(), s, in)
			if err != nil {
				t.Fatalf("Payload: %v", err)
			}
			if got, want := toJSON(t, p), jsonOf(t, tt.want); !reflect.DeepEqual(got, want) {
				gb, _ := json.Marshal(got)
				wb, _ := json.Marshal(want)
				t.Errorf("got %s, want %s", gb, wb)
			}
		})
	}
}

func TestPayloadUnknownFormat(t *testing.T) {
	s := resolve(t, "", urlOverride("http://127.0.0.1:9/"), nil)
	s.Format = "slack"
	_, err := Payload(testContext(), s, Input{ID: "x", Time: testTime})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), `"slack"`) {
		t.Errorf("got %v, want an *InputError naming the format", err)
	}
}

// Payload must not write into the context, the settings or the body it is
// given: a dry run followed by a send, or two targets, build twice.
func TestPayloadDoesNotModifyItsInputs(t *testing.T) {
	s := resolve(t, "url = \"http://127.0.0.1:9/\"\n[fields.build]\npipeline = \"p1\"\n[fields.x]\ny = 1\n", config.Overrides{}, nil)
	c := testContext()
	body := mustBody(t, `{"build": {"note": "from body"}, "x": {"z": 2}}`)
	in := Input{ID: "ID", Body: body, Fields: mustFields(t, "build.field=f", "x.w=3"), Time: testTime}

	before := []any{toJSON(t, c.Sections), toJSON(t, c.Env), toJSON(t, s.Fields), toJSON(t, body.Object)}
	first, err := Payload(c, s, in)
	if err != nil {
		t.Fatal(err)
	}
	firstJSON := toJSON(t, first)
	second, err := Payload(c, s, in)
	if err != nil {
		t.Fatal(err)
	}
	after := []any{toJSON(t, c.Sections), toJSON(t, c.Env), toJSON(t, s.Fields), toJSON(t, body.Object)}
	for i, what := range []string{"context sections", "context env", "settings fields", "body"} {
		if !reflect.DeepEqual(after[i], before[i]) {
			t.Errorf("%s changed: got %v, want %v", what, after[i], before[i])
		}
	}
	if got := toJSON(t, second); !reflect.DeepEqual(got, firstJSON) {
		t.Errorf("second payload: got %v, want %v", got, firstJSON)
	}
	// And the payload's own maps are its own.
	first["build"].(map[string]any)["mutated"] = true
	if _, ok := c.Sections["build"].(map[string]any)["mutated"]; ok {
		t.Error("the payload shares its build map with the context")
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := NewID()
		if len(id) != 36 || id[14] != '4' || !strings.ContainsRune("89ab", rune(id[19])) || strings.Count(id, "-") != 4 {
			t.Fatalf("got %q, want a UUIDv4", id)
		}
		if seen[id] {
			t.Fatalf("got %q twice", id)
		}
		seen[id] = true
	}
}

// TestParseBodyBracketText: text that starts with [ but is not JSON is an
// error naming where it stops parsing (a real array is text, see
// TestParseBody).
func TestParseBodyBracketText(t *testing.T) {
	tests := []struct{ text, want string }{
		{"[Pipeline] deploy failed", "line 1, column 2"},
		{"[1,\n2", "line 2"},
		{"[1, 2] and more", "unexpected text after the JSON array"},
	}
	for _, tt := range tests {
		_, err := ParseBody(tt.text, "--body")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseBody(%q): got %v, want an error containing %q", tt.text, err, tt.want)
		}
	}
}

// TestPayloadIDIsJobnotifys: a body or field "id" cannot make the payload's
// id differ from the Idempotency-Key.
func TestPayloadIDIsJobnotifys(t *testing.T) {
	s := resolve(t, "", urlOverride("http://127.0.0.1:9/"), nil)
	in := Input{ID: "the-id", Time: time.Date(2026, 11, 27, 3, 20, 0, 0, time.UTC),
		Body: mustBody(t, `{"id": "from-body", "timestamp": "yesterday", "schema": "v0"}`)}
	r, err := Build(testContext(), s, in, "test")
	if err != nil {
		t.Fatal(err)
	}
	p := jsonOf(t, string(r.Body.Bytes())).(map[string]any)
	if p["schema"] != Schema {
		t.Errorf("got schema %v, want %s", p["schema"], Schema)
	}
	if p["id"] != "the-id" || r.Header.Get("Idempotency-Key") != "the-id" || p["timestamp"] != "2026-11-27T03:20:00Z" {
		t.Errorf("got id %v, timestamp %v, Idempotency-Key %q; want the-id, 2026-11-27T03:20:00Z, the-id", p["id"], p["timestamp"], r.Header.Get("Idempotency-Key"))
	}
}

// TestReservedFields: a --field or [fields] entry for the payload's id or
// timestamp is an input error pointing to --id, in every format built on
// the payload, rather than silently losing; a nested id is only a field.
func TestReservedFields(t *testing.T) {
	for _, tt := range []struct {
		name, toml string
		fields     []string
		where      string // "" for no error
	}{
		{"--field id", "", []string{"id=x"}, "--field id"},
		{"--field id as JSON", "", []string{"id:=1"}, "--field id"},
		{"--field timestamp", "", []string{"timestamp=yesterday"}, "--field timestamp"},
		{"[fields] id", "[fields]\nid = \"x\"\n", nil, "fields.id"},
		{"--field schema", "", []string{"schema=v2"}, "--field schema"},
		{"[fields] schema", "[fields]\nschema = \"v2\"\n", nil, "fields.schema"},
		{"cdevents too", "format = \"cdevents\"\n", []string{"id=x"}, "--field id"},
		{"a nested id is a field", "", []string{"build.id=x", "ids=y"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := resolve(t, tt.toml, urlOverride("http://127.0.0.1:9/"), nil)
			in := Input{ID: "the-id", Status: "SUCCESS", Time: time.Now(), Fields: mustFields(t, tt.fields...)}
			_, err := Build(testContext(), s, in, "test")
			if tt.where == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Where != tt.where || !strings.Contains(err.Error(), "jobnotify's") {
				t.Fatalf("got %v, want an input error at %s", err, tt.where)
			}
		})
	}
}

func TestLegacyBuildNoOutsideJenkins(t *testing.T) {
	c := envcollect.Collect([]string{"GITHUB_ACTIONS=true", "GITHUB_RUN_NUMBER=7", "GITHUB_RUN_ID=99", "GITHUB_REPOSITORY=team/app", "GITHUB_SERVER_URL=https://github.com"}, envcollect.Options{})
	s := resolve(t, "format = \"job-status-notification\"\n", urlOverride("http://127.0.0.1:9/"), nil)
	p, err := Payload(c, s, Input{ID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if p["buildNo"] != "7" {
		t.Errorf("buildNo: got %v, want 7 (GitHub's run number)", p["buildNo"])
	}
}

// TestRawValuesInPayload is a large body through Build: its big value goes
// through raw, merges decode it only where an object meets an object, and
// GET and the job-status-notification format still see the whole body.
func TestRawValuesInPayload(t *testing.T) {
	log := strings.Repeat("line of a build log\\n", 400)
	report := `{"failed": 0, "passed": 412, "suites": [` + strings.TrimSuffix(strings.Repeat(`{"name": "unit", "time": 1.5},`, 200), ",") + `]}`
	text := `{"message": "done", "log": "` + log + `", "report": ` + report + `}`
	body := mustBody(t, text)
	for _, k := range []string{"log", "report"} {
		if _, ok := body.Object[k].(fastjson.Raw); !ok {
			t.Fatalf("%s: got %T, want it raw", k, body.Object[k])
		}
	}
	if got := body.Object["message"]; got != "done" {
		t.Errorf("message: got %#v, want \"done\"", got)
	}
	decoded, err := decodeObject(text)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		toml   string
		fields []string
		raw    []string // what must appear in the body verbatim
	}{
		{name: "no merge", raw: []string{`"log":"` + log + `"`, `"report":` + report}},
		{name: "fields object under the raw key", toml: "[fields.report]\nowner = \"qa\"", raw: []string{`"log":"` + log + `"`}},
		{name: "a field into the raw object", fields: []string{"report.extra=1"}, raw: []string{`"log":"` + log + `"`}},
		{name: "a field replaces the raw value", fields: []string{"report=gone", "log.x=1"}},
		{name: "fields scalar under the raw key", toml: "[fields]\nreport = \"fields\"", raw: []string{`"report":` + report}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := resolve(t, "url = \"http://127.0.0.1:9/\"\n"+tt.toml, config.Overrides{}, nil)
			in := Input{ID: "ID", Status: "SUCCESS", Body: body, Fields: mustFields(t, tt.fields...), Time: testTime}
			r, err := Build(testContext(), s, in, "1")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.raw {
				if !bytes.Contains(r.Body.Bytes(), []byte(want)) {
					t.Errorf("the body does not carry %s verbatim", human.Cut(want, 60))
				}
			}
			// The same payload as from the body decoded whole.
			in.Body = &Body{Raw: text, Object: decoded}
			p, err := Payload(testContext(), s, in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := fastjson.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, r.Body.Bytes()); err != nil {
				t.Fatalf("the body is not JSON: %v", err)
			}
			if !bytes.Equal(compact.Bytes(), want) {
				t.Errorf("got\n%s\nwant\n%s", human.Cut(compact.String(), 2000), human.Cut(string(want), 2000))
			}
			// GET flattens the raw values like decoded ones.
			raw, err := payload(testContext(), s, Input{ID: "ID", Status: "SUCCESS", Body: body, Fields: in.Fields, Time: testTime})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := Query(raw), Query(p); got != want {
				t.Errorf("Query differs with raw values:\ngot  %s\nwant %s", human.Cut(got, 300), human.Cut(want, 300))
			}
			// Payload, which formats and templates read, holds no raw value.
			for k, v := range mustPayload(t, s, Input{ID: "ID", Body: body, Fields: in.Fields, Time: testTime}) {
				if _, ok := v.(fastjson.Raw); ok {
					t.Errorf("Payload: %s is raw, want it decoded", k)
				}
			}
		})
	}
	if body.Object["report"] != fastjson.Raw(report) {
		t.Error("merging changed the body's raw value")
	}
	// encoding/json writes a raw value as it writes the decoded one.
	got, err := fastjson.Marshal(body.Object)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := fastjson.Marshal(decoded); !bytes.Equal(got, want) {
		t.Errorf("fastjson.Marshal of the body with raw values:\ngot  %s\nwant %s", human.Cut(string(got), 300), human.Cut(string(want), 300))
	}

	s := resolve(t, "url = \"http://127.0.0.1:9/\"\nformat = \"job-status-notification\"", config.Overrides{}, nil)
	p := mustPayload(t, s, Input{ID: "ID", Body: body, Time: testTime})
	if p["body"] != text {
		t.Errorf("job-status-notification body: got %q, want the text as given", human.Cut(p["body"].(string), 60))
	}
}

func mustPayload(tb testing.TB, s *config.Settings, in Input) map[string]any {
	tb.Helper()
	p, err := Payload(testContext(), s, in)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestNameID: a UUIDv5 as RFC 9562 makes it (the value Python's
// uuid.uuid5 gives for the same namespace and name), the same for the
// same name.
func TestNameID(t *testing.T) {
	if got, want := NameID("a\x00b"), "3159cadc-ccaa-5fee-94e5-c110fe55e4f4"; got != want {
		t.Errorf("NameID: got %s, want %s", got, want)
	}
	if NameID("x") != NameID("x") || NameID("x") == NameID("y") {
		t.Error("NameID is not a function of its name")
	}
}
