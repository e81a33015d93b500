package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// multiConfig is a config with one [targets.NAME] table per url, in the
// order given, each with its extra lines.
func multiConfig(top string, targets ...[2]string) string {
	var b strings.Builder
	b.WriteString(top + "\n")
	for _, t := range targets {
		fmt.Fprintf(&b, "[targets.%s]\n%s\n", t[0], t[1])
	}
	return b.String() + fastRetry(2)
}

// jsonLines decodes one JSON object per line of stdout.
func jsonLines(t testing.TB, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// TestTargetsBoth: --target a,b sends one request to each, with one id,
// each in its own format and headers, and says one line per target.
func TestTargetsBoth(t *testing.T) {
	api, chat := newRecorder(t), newRecorder(t)
	cfg := multiConfig("",
		[2]string{"api", fmt.Sprintf("url = %q\n[targets.api.headers]\nX-Team = \"platform\"", api.URL)},
		[2]string{"chat", fmt.Sprintf("url = %q\nformat = \"slack\"", chat.URL)})
	for _, args := range [][]string{{"--target", "api,chat"}, {"--target", "api", "--target", "chat"}} {
		r := jobnotify(t, runOpts{config: cfg}, append([]string{"send", "-s", "FAILURE", "-o", "json"}, args...)...)
		wantCode(t, r, 0)
		wantStderr(t, r, "jobnotify: api: POST "+api.URL+" -> 200 OK", "jobnotify: chat: POST "+chat.URL+" -> 200 OK")
		a, c := api.requests(), chat.requests()
		if len(a) != 1 || len(c) != 1 {
			t.Fatalf("%v: requests %d and %d, want one each", args, len(a), len(c))
		}
		id := a[0].Header.Get("Idempotency-Key")
		if id == "" || c[0].Header.Get("Idempotency-Key") != id {
			t.Errorf("ids %q and %q, want one", id, c[0].Header.Get("Idempotency-Key"))
		}
		if a[0].Header.Get("X-Team") != "platform" || c[0].Header.Get("X-Team") != "" {
			t.Errorf("a target's header went elsewhere: %q, %q", a[0].Header.Get("X-Team"), c[0].Header.Get("X-Team"))
		}
		if !strings.Contains(string(c[0].Body), `"blocks"`) || !strings.Contains(string(a[0].Body), `"status":"FAILURE"`) {
			t.Errorf("formats: api %s\nchat %s", a[0].Body, c[0].Body)
		}
		lines := jsonLines(t, r.stdout)
		if len(lines) != 2 || lines[0]["target"] != "api" || lines[1]["target"] != "chat" || lines[0]["id"] != id || lines[1]["delivered"] != true {
			t.Errorf("json lines: %v", lines)
		}
		api.reset()
		chat.reset()
	}
}

// TestTargetsDefault: default_targets is the set when none is named;
// --target names others, and --target ” is the top level alone.
func TestTargetsDefault(t *testing.T) {
	top, api, chat := newRecorder(t), newRecorder(t), newRecorder(t)
	cfg := multiConfig(fmt.Sprintf("url = %q\ndefault_targets = [\"api\", \"chat\"]", top.URL),
		[2]string{"api", fmt.Sprintf("url = %q", api.URL)},
		[2]string{"chat", fmt.Sprintf("url = %q", chat.URL)})
	for _, tc := range []struct {
		args          []string
		top, api, cha int
	}{
		{nil, 0, 1, 1},
		{[]string{"--target", "chat"}, 0, 0, 1},
		{[]string{"--target", ""}, 1, 0, 0},
	} {
		r := jobnotify(t, runOpts{config: cfg}, append([]string{"send"}, tc.args...)...)
		wantCode(t, r, 0)
		if n := [3]int{len(top.requests()), len(api.requests()), len(chat.requests())}; n != [3]int{tc.top, tc.api, tc.cha} {
			t.Errorf("%q: requests (top, api, chat) %v, want %v\nstderr: %s", tc.args, n, [3]int{tc.top, tc.api, tc.cha}, r.stderr)
		}
		top.reset()
		api.reset()
		chat.reset()
	}
	r := jobnotify(t, runOpts{config: cfg, env: []string{"JOBNOTIFY_TARGET=chat, api"}}, "send")
	wantCode(t, r, 0)
	if len(api.requests()) != 1 || len(chat.requests()) != 1 {
		t.Errorf("$JOBNOTIFY_TARGET: %d and %d requests", len(api.requests()), len(chat.requests()))
	}
}

// TestTargetsFailures: an optional target down never fails the call; a
// required one does, named; the other targets are sent either way.
func TestTargetsFailures(t *testing.T) {
	up := newRecorder(t)
	dead := deadURL(t)
	for _, tc := range []struct {
		name, extra string
		code        int
		stderr      []string
	}{
		{"optional", "optional = true", 0, []string{"jobnotify: chat: warning: POST ", "(optional: exit 0)"}},
		{"required", "", 1, []string{"jobnotify: chat: POST ", "jobnotify: not delivered to chat (1 of 2 targets)"}},
		{"soft", "soft_fail = true", 0, []string{"(soft fail: exit 0)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := multiConfig("",
				[2]string{"api", fmt.Sprintf("url = %q", up.URL)},
				[2]string{"chat", fmt.Sprintf("url = %q\n%s", dead, tc.extra)})
			r := jobnotify(t, runOpts{config: cfg}, "send", "--target", "api,chat", "-o", "json")
			wantCode(t, r, tc.code)
			wantStderr(t, r, tc.stderr...)
			wantStderr(t, r, "jobnotify: api: POST "+up.URL+" -> 200 OK")
			lines := jsonLines(t, r.stdout)
			if len(lines) != 2 || lines[1]["target"] != "chat" || lines[1]["delivered"] != false || lines[1]["error_class"] != "network" || (lines[1]["soft_fail"] == true) != (tc.code == 0) {
				t.Errorf("json lines: %v", lines)
			}
			noLeaks(t, r)
		})
	}
	// Both required and down: both named, exit 1.
	cfg := multiConfig("", [2]string{"a", fmt.Sprintf("url = %q", dead)}, [2]string{"b", fmt.Sprintf("url = %q", dead)})
	r := jobnotify(t, runOpts{config: cfg}, "send", "--target", "b,a")
	wantCode(t, r, 1)
	wantStderr(t, r, "not delivered to b and a (2 of 2 targets)")
}

// TestTargetsCheckedFirst: a problem with any one of three targets is
// exit 2, naming it, and nothing is sent to any.
func TestTargetsCheckedFirst(t *testing.T) {
	srv := newRecorder(t)
	ok := fmt.Sprintf("url = %q", srv.URL)
	for _, tc := range []struct {
		name, third string
		args        []string
		want        string
	}{
		{"unset variable", ok + "\n[targets.c.headers]\nAuthorization = \"Bearer ${NO_SUCH_TOKEN}\"", nil, "target c: "},
		{"bad format", ok + "\nformat = \"slak\"", nil, "targets.c.format"},
		{"template that fails", ok + "\nformat = \"template\"\ntemplate = '{{ .Nope.Deeper }}'", nil, "target c: "},
		{"no url", "", nil, "target c: "},
		{"no such target", ok, []string{"--target", "a,b,d"}, "no [targets.d]"},
		{"named twice", ok, []string{"--target", "a,b,a"}, "--target: a is named twice"},
		{"max_body", ok + "\nmax_body = 3", []string{"--body", "four"}, "target c: --body: "},
		{"a [tls] file missing", ok + "\n[targets.c.tls]\nca_file = \"no-such-ca.pem\"", nil, "target c: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := multiConfig("default_targets = [\"a\", \"b\", \"c\"]",
				[2]string{"a", ok}, [2]string{"b", ok}, [2]string{"c", tc.third})
			r := jobnotify(t, runOpts{config: cfg}, append([]string{"send"}, tc.args...)...)
			wantCode(t, r, 2)
			wantStderr(t, r, tc.want)
			if n := len(srv.requests()); n != 0 {
				t.Errorf("%d requests, want none", n)
			}
		})
	}
}

// TestOnFilter: on and --on decide what each target sends; a skipped
// send exits 0 and says why; -o json marks it skipped.
func TestOnFilter(t *testing.T) {
	api, chat := newRecorder(t), newRecorder(t)
	cfg := multiConfig("on = [\"failure\", \"fixed\"]\ndefault_targets = [\"api\", \"chat\"]",
		[2]string{"api", fmt.Sprintf("url = %q\non = [\"always\"]", api.URL)},
		[2]string{"chat", fmt.Sprintf("url = %q", chat.URL)})
	for _, tc := range []struct {
		args     []string
		env      []string
		api, cha int
	}{
		{[]string{"-s", "SUCCESS"}, nil, 1, 1}, // no previous status: fixed
		{[]string{"-s", "SUCCESS", "--previous-status", "SUCCESS"}, nil, 1, 0},
		{[]string{"-s", "success"}, []string{"JOBNOTIFY_PREVIOUS_STATUS=failure"}, 1, 1},
		{[]string{"-s", "FAILURE", "--previous-status", "SUCCESS"}, nil, 1, 1},
		{[]string{"-s", "UNSTABLE"}, nil, 1, 0},
		{[]string{"-s", "UNSTABLE", "--on", "unstable"}, nil, 1, 1}, // --on replaces every level's
		{[]string{"-s", "FAILURE", "--on", "regression", "--previous-status", "FAILURE"}, nil, 0, 0},
		{[]string{"-s", "FAILURE", "--previous-status", "SUCCESS"}, []string{"JOBNOTIFY_ON=still-failing,regression"}, 1, 1},
		{[]string{"-s", "STARTED", "--on", "changed"}, nil, 0, 0}, // a start is no change
		{[]string{"-s", "ABORTED", "--on", "changed", "--previous-status", "SUCCESS"}, nil, 1, 1},
	} {
		r := jobnotify(t, runOpts{config: cfg, env: tc.env}, append([]string{"send", "-o", "json"}, tc.args...)...)
		wantCode(t, r, 0)
		if n := [2]int{len(api.requests()), len(chat.requests())}; n != [2]int{tc.api, tc.cha} {
			t.Errorf("%q %q: requests (api, chat) %v, want %v\nstderr: %s", tc.args, tc.env, n, [2]int{tc.api, tc.cha}, r.stderr)
		}
		lines := jsonLines(t, r.stdout)
		for i, n := range []int{tc.api, tc.cha} {
			if skipped := lines[i]["skipped"] == true; skipped != (n == 0) {
				t.Errorf("%q: json line %v", tc.args, lines[i])
			}
		}
		if tc.cha == 0 && !strings.Contains(r.stderr, "jobnotify: chat: not sent: ") {
			t.Errorf("%q: a skip does not say why:\n%s", tc.args, r.stderr)
		}
		api.reset()
		chat.reset()
	}
	// One target: the line says why, where the list came from.
	r := jobnotify(t, runOpts{config: cfg}, "send", "--target", "chat", "-s", "UNSTABLE")
	wantCode(t, r, 0)
	wantStderr(t, r, "jobnotify: not sent: UNSTABLE after no previous status is none of on = [failure, fixed] (")
	r = jobnotify(t, runOpts{config: cfg}, "send", "-s", "FAILURE", "--on", " ")
	wantCode(t, r, 2)
	wantStderr(t, r, "--on: no outcome: give one or more of success, failure,")
	for _, bad := range [][]string{{"--on", "failure,fixd"}, {"--on", ""}} {
		r := jobnotify(t, runOpts{config: cfg}, append([]string{"send", "-s", "FAILURE"}, bad...)...)
		wantCode(t, r, 2)
		wantStderr(t, r, "--on: ")
	}
	r = jobnotify(t, runOpts{config: cfg}, "send", "-s", "FAILURE", "--on", "failure,fixd")
	wantStderr(t, r, `"fixd" is not an outcome (did you mean "fixed"?): the outcomes are success, failure, unstable, aborted, started, always, changed, fixed, regression and still-failing`)
	if len(api.requests())+len(chat.requests()) != 0 {
		t.Error("a bad --on sent something")
	}
}

// TestTargetsSignal: SIGTERM while two receivers hold their requests
// stops both deliveries and spools both notifications; exit 143.
func TestTargetsSignal(t *testing.T) {
	hold := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	a, b := newRecorder(t, hold), newRecorder(t, hold)
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := multiConfig(fmt.Sprintf("timeout = \"60s\"\n[spool]\ndir = %q", dir),
		[2]string{"a", fmt.Sprintf("url = %q", a.URL)}, [2]string{"b", fmt.Sprintf("url = %q", b.URL)})
	cmd := command(t, runOpts{config: cfg}, "send", "--target", "a,b", "-s", "FAILURE")
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-a.got
	<-b.got
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Errorf("exit %d, want 143\nstderr: %s", code, errb.String())
	}
	if !strings.HasSuffix(errb.String(), "\njobnotify: not delivered to a and b (2 of 2 targets)\n") {
		t.Errorf("the last line does not sum up:\n%s", errb.String())
	}
	files := notifications(t, dir)
	if len(files) != 2 {
		t.Fatalf("spool %q, want both notifications\nstderr: %s", files, errb.String())
	}
	for _, f := range files {
		if !strings.HasSuffix(f, ".a.json") && !strings.HasSuffix(f, ".b.json") {
			t.Errorf("spool file %s does not name its target", f)
		}
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
}

// TestTargetsIDFromBuild: --id-from build gives the targets of a call
// one id, whatever their order; other targets, another id.
func TestTargetsIDFromBuild(t *testing.T) {
	cfg := multiConfig("", [2]string{"a", `url = "http://127.0.0.1:1/a"`}, [2]string{"b", `url = "http://127.0.0.1:1/b"`})
	env := []string{"BUILD_TAG=jenkins-app-7", "STAGE_NAME=Deploy"}
	ids := map[string][]any{}
	for _, targets := range []string{"a,b", "b,a", "a"} {
		r := jobnotify(t, runOpts{config: cfg, env: env}, "send", "-n", "-o", "json", "--id-from", "build", "-s", "SUCCESS", "--target", targets)
		wantCode(t, r, 0)
		for _, l := range jsonLines(t, r.stdout) {
			ids[targets] = append(ids[targets], l["id"])
		}
	}
	ab, ba, a := ids["a,b"], ids["b,a"], ids["a"]
	if len(ab) != 2 || ab[0] != ab[1] || ba[0] != ab[0] || ba[1] != ab[0] || a[0] == ab[0] {
		t.Errorf("ids: %v", ids)
	}
}

// TestTargetsDryRun: a dry run prints each target's request under its name.
func TestTargetsDryRun(t *testing.T) {
	cfg := multiConfig("", [2]string{"a", `url = "http://127.0.0.1:1/a"`}, [2]string{"b", `url = "http://127.0.0.1:1/b"`})
	r := jobnotify(t, runOpts{config: cfg}, "send", "-n", "--target", "a,b")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "# target a\nPOST http://127.0.0.1:1/a\n") || !strings.Contains(r.stdout, "# target b\nPOST http://127.0.0.1:1/b\n") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
}

// TestOneTargetCommands: a command that works on one target says so.
func TestOneTargetCommands(t *testing.T) {
	cfg := multiConfig("", [2]string{"a", `url = "http://127.0.0.1:1/a"`}, [2]string{"b", `url = "http://127.0.0.1:1/b"`})
	for _, cmd := range []string{"validate", "env"} {
		r := jobnotify(t, runOpts{config: cfg}, cmd, "--target", "a,b")
		wantCode(t, r, 2)
		wantStderr(t, r, `--target: "a,b" names several targets; `+cmd+" works on one")
	}
}

// TestValidateDefaultTargets: with default_targets, what validate checks
// for a send with no --target is each of them, not the top level.
func TestValidateDefaultTargets(t *testing.T) {
	cfg := multiConfig("default_targets = [\"a\", \"b\"]",
		[2]string{"a", `url = "http://127.0.0.1:1/a"`}, [2]string{"b", `url = "http://127.0.0.1:1/b"`})
	r := jobnotify(t, runOpts{config: cfg}, "validate")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "\"default_targets\": [\n    \"a\",\n    \"b\"\n  ]") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	r = jobnotify(t, runOpts{config: multiConfig("default_targets = [\"a\", \"b\"]",
		[2]string{"a", `url = "http://127.0.0.1:1/a"`}, [2]string{"b", `format = "slack"`})}, "validate")
	wantCode(t, r, 2)
	wantStderr(t, r, "target b (of default_targets): ")
}

// TestTargetsSoftFailAll: a problem found before sending stops the whole
// call, so it is soft only when every target says soft fail, whichever
// target has the problem and in whatever order they are named.
func TestTargetsSoftFailAll(t *testing.T) {
	srv := newRecorder(t)
	ok := fmt.Sprintf("url = %q", srv.URL)
	soft := ok + "\nsoft_fail = true"
	broken := func(table, name string) string {
		return table + "\n[targets." + name + ".headers]\nAuthorization = \"Bearer ${NO_SUCH_TOKEN}\""
	}
	for _, tc := range []struct {
		name   string
		a, b   string // the two targets' tables
		target string
		code   int
	}{
		{"the broken one soft, the other not", broken(soft, "a"), ok, "a,b", 2},
		{"the same, named the other way", broken(soft, "a"), ok, "b,a", 2},
		{"both broken, one soft", broken(soft, "a"), broken(ok, "b"), "a,b", 2},
		{"both broken, one soft, the other way", broken(soft, "a"), broken(ok, "b"), "b,a", 2},
		{"both soft", broken(soft, "a"), soft, "b,a", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := multiConfig("", [2]string{"b", tc.b}, [2]string{"a", tc.a})
			r := jobnotify(t, runOpts{config: cfg}, "send", "--target", tc.target)
			wantCode(t, r, tc.code)
			wantStderr(t, r, "NO_SUCH_TOKEN")
			if n := len(srv.requests()); n != 0 {
				t.Errorf("%d requests, want none", n)
			}
		})
	}
}

// TestTargetsSpoolKeepsOthersSecrets: a --field holding another target's
// header value is not saved to this target's spool file.
func TestTargetsSpoolKeepsOthersSecrets(t *testing.T) {
	api := newRecorder(t)
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := multiConfig("",
		[2]string{"api", fmt.Sprintf("url = %q\n[targets.api.headers]\nX-Api-Key = \"canary-api-literal-key\"", api.URL)},
		[2]string{"log", fmt.Sprintf("url = %q\n[targets.log.spool]\ndir = %q", deadURL(t), dir)})
	r := jobnotify(t, runOpts{config: cfg}, "send", "--target", "api,log", "--field", "note=canary-api-literal-key")
	wantCode(t, r, 1)
	wantRequests(t, api, 1)
	wantStderr(t, r, "not saved to the spool")
	for _, name := range notifications(t, dir) {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if strings.Contains(string(b), "canary-api-literal-key") {
			t.Errorf("%s holds api's key:\n%s", name, b)
		}
	}
}

// TestTargetsBadListNotSoft: a --target list that does not parse is the
// pipeline's mistake, exit 2 even under soft fail; the same in
// $JOBNOTIFY_TARGET is the agent's, and soft.
func TestTargetsBadListNotSoft(t *testing.T) {
	srv := newRecorder(t)
	cfg := multiConfig("soft_fail = true", [2]string{"api", fmt.Sprintf("url = %q", srv.URL)})
	for _, args := range [][]string{{"--target", "api,"}, {"--target", "api,api"}} {
		r := jobnotify(t, runOpts{config: cfg}, append([]string{"send"}, args...)...)
		wantCode(t, r, 2)
	}
	r := jobnotify(t, runOpts{config: cfg, env: []string{"JOBNOTIFY_TARGET=api,"}}, "send")
	wantCode(t, r, 0)
	wantStderr(t, r, "soft fail")
	if n := len(srv.requests()); n != 0 {
		t.Errorf("%d requests", n)
	}
}
