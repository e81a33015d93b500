package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestMethods(t *testing.T) {
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "post"} {
		t.Run(m, func(t *testing.T) {
			srv := newRecorder(t)
			r := jobnotify(t, runOpts{env: jenkinsEnv(t)}, "send", "-X", m, "--url", srv.URL+"/hook?keep=me", "--status", "SUCCESS", "-f", "stage=deploy")
			wantCode(t, r, 0)
			req := wantRequests(t, srv, 1)[0]
			if want := strings.ToUpper(m); req.Method != want {
				t.Errorf("method: got %s, want %s", req.Method, want)
			}
			if got := req.URL.Query().Get("keep"); got != "me" {
				t.Errorf("the URL's own parameter keep: got %q, want me", got)
			}
			if req.Method == "GET" {
				q := req.URL.Query()
				for k, want := range map[string]string{"job.name": "team/app", "build.number": "42", "status": "SUCCESS", "stage": "deploy"} {
					if got := q.Get(k); got != want {
						t.Errorf("query %s: got %q, want %q", k, got, want)
					}
				}
				if len(req.Body) != 0 || req.Header.Get("Content-Type") != "" {
					t.Errorf("GET sent a body (%d bytes) or Content-Type %q", len(req.Body), req.Header.Get("Content-Type"))
				}
				return
			}
			if ct := req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", ct)
			}
			p := decode(t, req.Body)
			if p["status"] != "SUCCESS" || p["stage"] != "deploy" || p["id"] != req.Header.Get("Idempotency-Key") {
				t.Errorf("payload status/stage/id: got %v/%v/%v, Idempotency-Key %q", p["status"], p["stage"], p["id"], req.Header.Get("Idempotency-Key"))
			}
			if ua := req.Header.Get("User-Agent"); !strings.HasPrefix(ua, "jobnotify/") {
				t.Errorf("User-Agent: got %q, want jobnotify/VERSION", ua)
			}
		})
	}
}

func TestBodySources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "body.json")
	if err := os.WriteFile(file, []byte(`{"from": "file", "n": 7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  map[string]any
	}{
		{"json", []string{"--body", `{"from": "flag", "nested": {"a": 1}}`}, "", map[string]any{"from": "flag", "nested": map[string]any{"a": float64(1)}}},
		{"file", []string{"--body", "@" + file}, "", map[string]any{"from": "file", "n": float64(7)}},
		{"stdin", []string{"--body", "-"}, `{"from": "stdin"}`, map[string]any{"from": "stdin"}},
		{"text", []string{"-b", "Deploy to prod failed"}, "", map[string]any{"message": "Deploy to prod failed"}},
		{"text from stdin", []string{"-b", "-"}, "hello\n", map[string]any{"message": "hello"}},
		{"field overrides body", []string{"-b", `{"from": "flag"}`, "-f", "from=field", "-f", "n:=3", "-f", "a.b=c"}, "",
			map[string]any{"from": "field", "n": float64(3), "a": map[string]any{"b": "c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t)
			r := jobnotify(t, runOpts{stdin: tt.stdin}, append([]string{"send", "--url", srv.URL}, tt.args...)...)
			wantCode(t, r, 0)
			p := decode(t, wantRequests(t, srv, 1)[0].Body)
			for k, want := range tt.want {
				if got, _ := json.Marshal(p[k]); string(got) != mustJSON(t, want) {
					t.Errorf("%s: got %s, want %s", k, got, mustJSON(t, want))
				}
			}
		})
	}
}

// TestBadInput: every kind of bad input exits 2, sends nothing, and names
// the culprit.
func TestBadInput(t *testing.T) {
	srv := newRecorder(t)
	goodConfig := fmt.Sprintf("url = %q\n", srv.URL)
	tests := []struct {
		name   string
		opts   runOpts
		args   []string
		want   []string // in stderr
		absent string   // must not appear in stderr
	}{
		{name: "unknown key", opts: runOpts{config: goodConfig + "\n[heders]\nAuthorization = \"Bearer x\"\n"}, want: []string{"heders", ":3", "headers"}},
		{name: "unknown nested key", opts: runOpts{config: goodConfig + "[retry]\nattemps = 3\n"}, want: []string{"retry.attemps", ":3"}},
		{name: "bad toml", opts: runOpts{config: goodConfig + "method = \n"}, want: []string{":2:"}},
		{name: "bad duration", opts: runOpts{config: goodConfig + "timeout = \"ten\"\n"}, want: []string{"timeout", "ten"}},
		{name: "bad method in config", opts: runOpts{config: goodConfig + "method = \"FETCH\"\n"}, want: []string{"method", ":2", "FETCH"}},
		{name: "bad method flag", args: []string{"-X", "FETCH"}, want: []string{"--method", "FETCH"}},
		{name: "bad format", args: []string{"--format", "xml"}, want: []string{"--format", "xml"}},
		{name: "relative url", args: []string{"--url", "/hook"}, want: []string{"--url", "absolute"}},
		{name: "ftp url", args: []string{"--url", "ftp://127.0.0.1/x"}, want: []string{"--url", "http"}},
		{name: "no endpoint", opts: runOpts{config: "method = \"PUT\"\n"}, want: []string{"no endpoint"}},
		{name: "unset variable", opts: runOpts{config: goodConfig + "[headers]\nAuthorization = \"Bearer ${NOTIFY_TOKEN}\"\n"}, want: []string{"NOTIFY_TOKEN", "headers.Authorization", ":3"}},
		{name: "header with newline from variable", opts: runOpts{
			config: goodConfig + "[headers]\nX-Token = \"${TOK}\"\n", env: []string{"TOK=canary-crlf-secret\r\nX-Evil: 1"}},
			want: []string{"X-Token", "control character"}, absent: "canary-crlf-secret"},
		{name: "header with newline from flag", args: []string{"-H", "X-Api-Key: canary-flag-secret\nX-Evil: 1"}, want: []string{"X-Api-Key", "control character"}, absent: "canary-flag-secret"},
		{name: "header without colon", args: []string{"-H", "X-Foo"}, want: []string{"--header"}},
		{name: "bad header name", args: []string{"-H", "X Foo: y"}, want: []string{"X Foo"}},
		{name: "bad field", args: []string{"-f", "novalue"}, want: []string{"--field", "without ="}},
		{name: "bad raw field", args: []string{"-f", "n:={oops"}, want: []string{"--field", "n"}},
		{name: "bad body json", args: []string{"-b", "{\n  \"a\": 1,\n  oops\n}"}, want: []string{"--body", "line 3, column 3"}},
		{name: "body bracket not JSON", args: []string{"-b", "[1,2"}, want: []string{"--body", "line 1, column 4"}},
		{name: "body twice", args: []string{"-b", "{}", "-b", "{}"}, want: []string{"--body", "2 times"}},
		{name: "body file missing", args: []string{"-b", "@/nonexistent/body.json"}, want: []string{"/nonexistent/body.json"}},
		{name: "config missing", args: []string{"--config", "/nonexistent/jobnotify.toml"}, want: []string{"/nonexistent/jobnotify.toml"}},
		{name: "unknown target", opts: runOpts{config: goodConfig + "[targets.chat]\nurl = \"http://127.0.0.1:1/x\"\n"}, args: []string{"--target", "chaat"}, want: []string{"chaat", "chat"}},
		{name: "bad output", args: []string{"-o", "yaml"}, want: []string{"--output"}},
		{name: "bad attempts", args: []string{"--attempts", "0"}, want: []string{"--attempts"}},
		{name: "bad id", args: []string{"--id", "a\nb"}, want: []string{"--id"}},
		{name: "unknown flag", args: []string{"--bogus"}, want: []string{"bogus"}},
		{name: "verbose and quiet", args: []string{"-v", "-q"}, want: []string{"--verbose", "--quiet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"send"}
			if tt.opts.config == "" && !contains(tt.args, "--url") {
				args = append(args, "--url", srv.URL)
			}
			r := jobnotify(t, tt.opts, append(args, tt.args...)...)
			wantCode(t, r, 2)
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not name %q", r.stderr, w)
				}
			}
			if tt.absent != "" && strings.Contains(r.stderr+r.stdout, tt.absent) {
				t.Errorf("output echoes the secret value: %q", r.stderr)
			}
		})
	}
	wantRequests(t, srv, 0)
}

func TestPrecedence(t *testing.T) {
	srv := newRecorder(t)
	cfg := fmt.Sprintf("url = %q\nmethod = \"PUT\"\n[fields]\nfrom = \"config\"\n[targets.t]\nmethod = \"PATCH\"\n", srv.URL+"/top")
	tests := []struct {
		name   string
		env    []string
		args   []string
		method string
	}{
		{"config", nil, nil, "PUT"},
		{"target", nil, []string{"--target", "t"}, "PATCH"},
		{"target from env", []string{"JOBNOTIFY_TARGET=t"}, nil, "PATCH"},
		{"env over target", []string{"JOBNOTIFY_METHOD=DELETE"}, []string{"--target", "t"}, "DELETE"},
		{"flag over env", []string{"JOBNOTIFY_METHOD=DELETE"}, []string{"--target", "t", "-X", "POST"}, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.requests())
			r := jobnotify(t, runOpts{config: cfg, env: tt.env}, append([]string{"send"}, tt.args...)...)
			wantCode(t, r, 0)
			reqs := wantRequests(t, srv, before+1)
			if got := reqs[before].Method; got != tt.method {
				t.Errorf("method: got %s, want %s", got, tt.method)
			}
		})
	}
	t.Run("url and status from env", func(t *testing.T) {
		other := newRecorder(t)
		r := jobnotify(t, runOpts{config: cfg, env: []string{"JOBNOTIFY_URL=" + other.URL, "JOBNOTIFY_STATUS=FAILURE"}}, "send")
		wantCode(t, r, 0)
		p := decode(t, wantRequests(t, other, 1)[0].Body)
		if p["status"] != "FAILURE" || p["from"] != "config" {
			t.Errorf("status/from: got %v/%v, want FAILURE/config", p["status"], p["from"])
		}
	})
}

func TestTargets(t *testing.T) {
	main, chat := newRecorder(t), newRecorder(t)
	cfg := fmt.Sprintf(`url = %q
[headers]
Authorization = "Bearer ${MAIN_TOKEN}"
[fields]
team = "platform"
[targets.chat]
url = "%s/hooks/${CHAT_HOOK_ID}"
[targets.chat.fields]
channel = "builds"
`, main.URL, chat.URL)
	env := []string{"MAIN_TOKEN=canary-main-token", "CHAT_HOOK_ID=canary-hook-id"}
	r := jobnotify(t, runOpts{config: cfg, env: env}, "send", "--target", "chat")
	wantCode(t, r, 0)
	req := wantRequests(t, chat, 1)[0]
	wantRequests(t, main, 0)
	if req.URL.Path != "/hooks/canary-hook-id" {
		t.Errorf("path: got %s", req.URL.Path)
	}
	p := decode(t, req.Body)
	if p["team"] != "platform" || p["channel"] != "builds" {
		t.Errorf("fields: got team=%v channel=%v", p["team"], p["channel"])
	}
	if strings.Contains(r.stderr, "canary-hook-id") {
		t.Errorf("stderr shows the expanded hook id: %s", r.stderr)
	}

	// The chat target is on another host:port than the top-level URL, so
	// the top-level Authorization header must not travel there.
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization sent to the chat target: %q", got)
	}
	if !strings.Contains(r.stderr, "not sending config header(s) Authorization") {
		t.Errorf("stderr does not warn about the dropped header: %s", r.stderr)
	}

	r = jobnotify(t, runOpts{config: cfg, env: env}, "send")
	wantCode(t, r, 0)
	if got := wantRequests(t, main, 1)[0].Header.Get("Authorization"); got != "Bearer canary-main-token" {
		t.Errorf("Authorization to the top-level URL: got %q", got)
	}
}

// TestHeadersStayOnTheirScheme: a token configured for https goes
// nowhere over plain http, not even to the same host and port: an origin
// is scheme, host and port.
func TestHeadersStayOnTheirScheme(t *testing.T) {
	srv := newRecorder(t)
	hostPort := strings.TrimPrefix(srv.URL, "http://")
	cfg := fmt.Sprintf("url = \"https://%s/hook\"\n[headers]\nAuthorization = \"Bearer ${NOTIFY_TOKEN}\"\n", hostPort)
	r := jobnotify(t, runOpts{config: cfg, env: []string{"NOTIFY_TOKEN=canary-https-only"}}, "send", "--url", srv.URL+"/hook")
	wantCode(t, r, 0)
	req := wantRequests(t, srv, 1)[0]
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("the https token went out over http: Authorization %q", got)
	}
	if !strings.Contains(r.stderr, "not sending config header(s) Authorization") {
		t.Errorf("stderr does not say the header was left out: %s", r.stderr)
	}
}

// TestHeadersWithoutOriginStayHome: a token configured at a level with no
// URL of its own (here the top level, a target holding the URL) belongs
// to no origin a command line chose: a --url elsewhere does not get it.
func TestHeadersWithoutOriginStayHome(t *testing.T) {
	srv := newRecorder(t)
	cfg := "[headers]\nAuthorization = \"Bearer ${NOTIFY_TOKEN}\"\n[targets.api]\nurl = \"https://127.0.0.1:9/api\"\n"
	r := jobnotify(t, runOpts{config: cfg, env: []string{"NOTIFY_TOKEN=canary-no-origin"}}, "send", "--url", srv.URL+"/ok")
	wantCode(t, r, 0)
	if got := wantRequests(t, srv, 1)[0].Header.Get("Authorization"); got != "" {
		t.Errorf("the token went to the --url: Authorization %q", got)
	}
	wantStderr(t, r, "not sending config header(s) Authorization: they were not configured for the origin")
}

func TestLargeBody(t *testing.T) {
	blob := strings.Repeat("0123456789abcdef", 5<<20/16) // 5 MiB
	file := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(file, []byte(`{"blob": "`+blob+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := newRecorder(t, status(503), status(200))
	r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL) + fast}, "send", "-b", "@"+file)
	wantCode(t, r, 0)
	reqs := wantRequests(t, srv, 2)
	if !bytes.Equal(reqs[0].Body, reqs[1].Body) {
		t.Error("the two attempts sent different bodies")
	}
	if got := decode(t, reqs[1].Body)["blob"]; got != blob {
		t.Errorf("blob: got %d bytes, want %d identical bytes", len(fmt.Sprint(got)), len(blob))
	}
}

func TestManyVariables(t *testing.T) {
	env := jenkinsEnv(t)
	for i := range 3000 {
		env = append(env, fmt.Sprintf("DEPLOY_VAR_%04d=value-%d", i, i))
	}
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{env: env, config: fmt.Sprintf("url = %q\n[env]\ninclude = [\"DEPLOY_*\"]\n", srv.URL)}, "send")
	wantCode(t, r, 0)
	penv := decode(t, wantRequests(t, srv, 1)[0].Body)["env"].(map[string]any)
	for _, k := range []string{"DEPLOY_VAR_0000", "DEPLOY_VAR_2999", "DEPLOY_ENV", "BUILD_NUMBER"} {
		if _, ok := penv[k]; !ok {
			t.Errorf("env lacks %s", k)
		}
	}
	if _, ok := penv["DEPLOY_API_KEY"]; ok {
		t.Error("env has DEPLOY_API_KEY: an include glob let a secret through")
	}
	if n := len(penv); n < 3000 {
		t.Errorf("env has %d variables, want at least 3000", n)
	}
}

func TestOutputJSONAndSoftFail(t *testing.T) {
	ok := newRecorder(t)
	r := jobnotify(t, runOpts{}, "send", "--url", ok.URL, "-o", "json", "--id", "fixed-id")
	wantCode(t, r, 0)
	var res map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v: %q", err, r.stdout)
	}
	if res["delivered"] != true || res["status_code"] != float64(200) || res["attempts"] != float64(1) || res["id"] != "fixed-id" {
		t.Errorf("result: got %v", res)
	}

	bad := newRecorder(t, status(500))
	r = jobnotify(t, runOpts{config: fast}, "send", "--url", bad.URL, "--attempts", "2", "--soft-fail", "-o", "json")
	wantCode(t, r, 0)
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v: %q", err, r.stdout)
	}
	if res["delivered"] != false || res["error_class"] != "status" || res["attempts"] != float64(2) {
		t.Errorf("result: got %v", res)
	}
	if !strings.Contains(r.stderr, "warning: POST "+bad.URL+": delivery failed after 2 attempts") {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = jobnotify(t, runOpts{env: []string{"JOBNOTIFY_SOFT_FAIL=true"}, config: fast}, "send", "--url", bad.URL, "--attempts", "1")
	wantCode(t, r, 0)
}

func TestQuietAndVerbose(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Reply", "yes")
		io.WriteString(w, `{"ok": true}`)
	})
	r := jobnotify(t, runOpts{}, "send", "--url", srv.URL, "-q")
	wantCode(t, r, 0)
	if r.stderr != "" || r.stdout != "" {
		t.Errorf("--quiet printed: stdout %q stderr %q", r.stdout, r.stderr)
	}
	r = jobnotify(t, runOpts{}, "--verbose", "send", "--url", srv.URL)
	wantCode(t, r, 0)
	for _, want := range []string{"> POST " + srv.URL, "> Idempotency-Key: ", "< 200 OK", "< X-Reply: yes", `< {"ok": true}`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("--verbose stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestDryRun(t *testing.T) {
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{}, "send", "--dry-run", "--url", srv.URL+"/hook", "--status", "SUCCESS", "--field", "stage=build", "-H", "Authorization: Bearer canary-dry-token")
	wantCode(t, r, 0)
	wantRequests(t, srv, 0)
	for _, want := range []string{"POST " + srv.URL + "/hook\n", "Authorization: ***\n", "Content-Type: application/json\n", `"stage":"build"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "canary-dry-token") {
		t.Error("dry run shows the token")
	}
}

// TestREADMEQuickStart runs the README's first command as written.
func TestREADMEQuickStart(t *testing.T) {
	r := jobnotify(t, runOpts{}, "send", "--dry-run", "--url", "https://api.example.com/pipeline/status", "--status", "SUCCESS", "--field", "stage=build")
	wantCode(t, r, 0)
	if !strings.HasPrefix(r.stdout, "POST https://api.example.com/pipeline/status\n") {
		t.Errorf("dry run: %s", r.stdout)
	}
}

func TestStrayArguments(t *testing.T) {
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{}, "send", "--url", srv.URL, "-s", "SUCCESS", "stage=build")
	wantCode(t, r, 2)
	wantRequests(t, srv, 0)
	if !strings.Contains(r.stderr, `"stage=build"`) || !strings.Contains(r.stderr, "--field") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

// TestRetriedStatusesAsHelpSays: send --help names the statuses that are
// retried, and the client retries exactly those: the ones it names get a
// second attempt, and the 5xx it does not name (501, 505, 507, 599) do
// not. (The help once said every 5xx but 501.)
func TestRetriedStatusesAsHelpSays(t *testing.T) {
	help := jobnotify(t, runOpts{}, "send", "--help")
	wantCode(t, help, 0)
	line := regexp.MustCompile(`HTTP ([0-9, and]+);`).FindStringSubmatch(help.stdout)
	if line == nil {
		t.Fatalf("send --help names no retried statuses:\n%s", help.stdout)
	}
	named := map[int]bool{}
	for _, f := range regexp.MustCompile(`[0-9]{3}`).FindAllString(line[1], -1) {
		n, _ := strconv.Atoi(f)
		named[n] = true
	}
	codes := []int{400, 404, 409, 422, 501, 505, 507, 599}
	for n := range named {
		codes = append(codes, n)
	}
	for _, code := range codes {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv := newRecorder(t, status(code), status(code))
			r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL) + fastRetry(2)}, "send")
			wantCode(t, r, 1)
			want := 1
			if named[code] {
				want = 2
			}
			wantRequests(t, srv, want)
		})
	}
}
