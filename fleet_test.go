package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// switchable is a receiver that hangs (reads the request and never
// answers until the client gives up) or answers 200, and counts each id
// it answered 200 for: what was delivered.
type switchable struct {
	*httptest.Server
	hang      atomic.Bool
	requests  atomic.Int64
	mu        sync.Mutex
	delivered map[string]int
	auth      map[string]string // id -> Authorization it came with
}

func newSwitchable(t *testing.T) *switchable {
	t.Helper()
	s := &switchable{delivered: map[string]int{}, auth: map[string]string{}}
	release := make(chan struct{})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // so that the server sees the client go
		if s.hang.Load() {
			select { // until the client's timeout closes the connection
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		id := r.Header.Get("Idempotency-Key")
		s.mu.Lock()
		s.delivered[id]++
		s.auth[id] = r.Header.Get("Authorization")
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(release) }) // first: Close waits for the handlers
	return s
}

func (s *switchable) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered[id]
}

// outageConfig is a config with a spool and a breaker whose cooldown is
// given: the test shortens it to say that the time has passed.
func outageConfig(url, dir, cooldown string) string {
	return fmt.Sprintf(`url = %q
timeout = "200ms"
[headers]
Authorization = "Bearer ${NOTIFY_TOKEN}"
[retry]
attempts = 2
min_wait = "10ms"
max_wait = "20ms"
max_time = "1s"
[spool]
dir = %q
[breaker]
failures = 3
cooldown = %q
`, url, dir, cooldown)
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOutage: a receiver that hangs costs each send its in-band budget,
// and the notification is spooled; after three failed deliveries the
// breaker is open and a send does not try at all (no request reaches the
// receiver), spooled; once the receiver is back and the cooldown has
// passed, the next send probes, and the sends flush the spool as they
// go, with the build's token — every notification arrives exactly once,
// and no flush was run by hand.
func TestOutage(t *testing.T) {
	srv := newSwitchable(t)
	srv.hang.Store(true)
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := filepath.Join(t.TempDir(), "config.toml")
	writeFile(t, cfg, outageConfig(srv.URL, dir, "1h"))
	env := []string{"NOTIFY_TOKEN=canary-token-outage"}
	send := func(id string, extra ...string) result {
		t.Helper()
		return jobnotifyConfig(t, cfg, append(env, extra...), "send", "--id", id, "-s", "SUCCESS")
	}

	for i, id := range []string{"n1", "n2", "n3"} {
		r := send(id)
		wantCode(t, r, 1)
		wantStderr(t, r, "i/o timeout", "saved to the spool")
		if i == 2 {
			wantStderr(t, r, "failed 3 times in a row: sends to it go to the spool for 1h0m0s")
		}
	}
	if got := notifications(t, dir); len(got) != 3 {
		t.Fatalf("spooled: %v, want n1 to n3", got)
	}

	before := srv.requests.Load()
	r := send("n4")
	wantCode(t, r, 1)
	wantStderr(t, r, "not sent, saved to the spool: the breaker is open after 3 consecutive failed deliveries to "+srv.URL)
	r = send("n5", "JOBNOTIFY_SOFT_FAIL=true")
	wantCode(t, r, 0)
	wantStderr(t, r, "the breaker is open", "(soft fail: exit 0)")
	if got := srv.requests.Load(); got != before {
		t.Fatalf("with the breaker open the receiver got %d more requests, want none", got-before)
	}
	if got := notifications(t, dir); len(got) != 5 {
		t.Fatalf("spooled: %v, want n1 to n5", got)
	}

	// spool status counts what the directory holds, and says why.
	r = jobnotifyConfig(t, cfg, nil, "spool", "status", "-o", "json")
	wantCode(t, r, 0)
	var rep struct {
		Total  struct{ Count int }
		Spools []struct {
			Dir     string
			Targets []struct {
				Target    string
				Count     int
				LastError string `json:"last_error"`
			}
			Breakers []struct {
				Origin   string
				Failures int
				Open     bool
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("spool status -o json: %v\n%s", err, r.stdout)
	}
	if rep.Total.Count != 5 || len(rep.Spools) != 1 || len(rep.Spools[0].Targets) != 1 || rep.Spools[0].Targets[0].Count != 5 {
		t.Errorf("spool status: %s, want 5 notifications of the top level", r.stdout)
	}
	if b := rep.Spools[0].Breakers; len(b) != 1 || !b[0].Open || b[0].Origin != srv.URL || b[0].Failures != 3 {
		t.Errorf("spool status breakers: %+v, want %s open after 3 failures", b, srv.URL)
	}
	if !strings.Contains(rep.Spools[0].Targets[0].LastError, "breaker is open") {
		t.Errorf("last error: %q", rep.Spools[0].Targets[0].LastError)
	}
	noLeaks(t, r)

	// The receiver is back and the cooldown has passed.
	srv.hang.Store(false)
	writeFile(t, cfg, outageConfig(srv.URL, dir, "1ms"))
	r = send("n6")
	wantCode(t, r, 0)
	wantStderr(t, r, "breaker: probing "+srv.URL, "flushed n1", "flushed n2", "flushed n3")
	r = send("n7")
	wantCode(t, r, 0)
	wantStderr(t, r, "flushed n4", "flushed n5")
	for i := 1; i <= 7; i++ {
		id := fmt.Sprintf("n%d", i)
		if n := srv.count(id); n != 1 {
			t.Errorf("%s delivered %d times, want once", id, n)
		}
		if a := srv.auth[id]; a != "Bearer canary-token-outage" {
			t.Errorf("%s came with Authorization %q, want the build's token", id, a)
		}
	}
	if got := notifications(t, dir); len(got) != 0 {
		t.Errorf("left in the spool: %v", got)
	}
	r = jobnotifyConfig(t, cfg, nil, "spool", "status")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "total: empty") {
		t.Errorf("spool status after: %s", r.stdout)
	}
}

// TestFlushOnSendKeepsToItsTarget: a send flushes only its own target's
// notifications: another target's stays for that target (or flush),
// never sent with this target's credentials or to its receiver.
func TestFlushOnSendKeepsToItsTarget(t *testing.T) {
	srv := newRecorder(t)
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := fmt.Sprintf(`url = %q
[headers]
Authorization = "Bearer ${NOTIFY_TOKEN}"
[spool]
dir = %q
[targets.other]
url = %q
`, srv.URL, dir, deadURL(t)) + fast
	env := []string{"NOTIFY_TOKEN=canary-token-mine"}
	r := jobnotify(t, runOpts{config: cfg, env: env}, "--target", "other", "send", "--id", "theirs", "--attempts", "1")
	wantCode(t, r, 1)
	if got := notifications(t, dir); len(got) != 1 {
		t.Fatalf("spooled: %v", got)
	}
	r = jobnotify(t, runOpts{config: cfg, env: env}, "send", "--id", "mine")
	wantCode(t, r, 0)
	reqs := wantRequests(t, srv, 1)
	if id := reqs[0].Header.Get("Idempotency-Key"); id != "mine" {
		t.Errorf("the receiver got %q, want only mine", id)
	}
	if got := notifications(t, dir); len(got) != 1 {
		t.Errorf("the other target's notification: %v, want it left", got)
	}
}

// TestSoftFailConfigErrors: under soft fail a config or environment
// problem at send time is a loud line and exit 0, with nothing sent;
// the pipeline's own mistakes (a --field that does not parse, an unknown
// flag) stay exit 2.
func TestSoftFailConfigErrors(t *testing.T) {
	srv := newRecorder(t)
	for _, tt := range []struct {
		name, config string
		env, args    []string
		code         int
		want         string
	}{
		{name: "unknown key, soft fail from the environment", config: "heders = 1\n",
			env: []string{"JOBNOTIFY_SOFT_FAIL=true"}, code: 0, want: `ERROR: `},
		{name: "unbound credential, soft_fail in the file", config: "soft_fail = true\n[headers]\nAuthorization = \"Bearer ${UNBOUND}\"\n",
			code: 0, want: "environment variable UNBOUND is not set; nothing was sent (soft fail: exit 0)"},
		{name: "unknown key, soft_fail in the file", config: "soft_fail = true\nheders = 1\n",
			code: 0, want: `unknown key "heders"`},
		{name: "soft_fail in the target's table", config: "[targets.t]\nsoft_fail = true\nheders = 1\n",
			args: []string{"--target", "t"}, code: 0, want: `unknown key "targets.t.heders"`},
		{name: "the command line beats the file", config: "soft_fail = true\nheders = 1\n",
			env: []string{"JOBNOTIFY_SOFT_FAIL=false"}, code: 2, want: `unknown key "heders"`},
		{name: "--id-from outside a build", config: "soft_fail = true\n",
			args: []string{"--id-from", "build"}, code: 0, want: "--id-from build: no build here"},
		{name: "a --field that does not parse", config: "soft_fail = true\n",
			args: []string{"--field", "novalue"}, code: 2, want: "--field"},
		{name: "an unknown flag", config: "soft_fail = true\n",
			args: []string{"--stauts", "x"}, code: 2, want: "stauts"},
		{name: "without soft fail", config: "heders = 1\n", code: 2, want: `unknown key "heders"`},
		{name: "a bad JOBNOTIFY_* value is the agent's", config: "",
			env: []string{"JOBNOTIFY_SOFT_FAIL=true", "JOBNOTIFY_TIMEOUT=abc"}, code: 0, want: `ERROR: $JOBNOTIFY_TIMEOUT: invalid duration "abc"`},
		{name: "a bad JOBNOTIFY_* value, soft_fail in the file", config: "soft_fail = true\n",
			env: []string{"JOBNOTIFY_ID_FROM=nope"}, code: 0, want: `ERROR: $JOBNOTIFY_ID_FROM: "nope" is not build`},
		{name: "a bad flag value is the call's", config: "soft_fail = true\n",
			args: []string{"--attempts", "0"}, code: 2, want: "--attempts"},
		{name: "a flag's URL is the call's", config: "soft_fail = true\n",
			args: []string{"--url", "ftp://127.0.0.1/x"}, code: 2, want: "--url"},
		{name: "a target the config lacks is the rollout's", config: "soft_fail = true\n",
			args: []string{"--target", "gone"}, code: 0, want: "no [targets.gone]"},
		{name: "--phase against the config's format", config: "soft_fail = true\n",
			args: []string{"--phase", "STARTED"}, code: 0, want: "--phase: applies to format notification-plugin only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.requests())
			cfg := fmt.Sprintf("url = %q\n", srv.URL) + tt.config
			r := jobnotify(t, runOpts{config: cfg, env: tt.env}, append([]string{"send"}, tt.args...)...)
			wantCode(t, r, tt.code)
			wantStderr(t, r, tt.want)
			if len(srv.requests()) != before {
				t.Error("something was sent")
			}
		})
	}
}

// TestSoftFailJSON: under soft fail a config error is still one result
// object on stdout with -o json, saying it soft-failed.
func TestSoftFailJSON(t *testing.T) {
	r := jobnotify(t, runOpts{config: "url = \"http://127.0.0.1:1/\"\nheders = 1\n", env: []string{"JOBNOTIFY_SOFT_FAIL=true"}}, "send", "-o", "json")
	wantCode(t, r, 0)
	var res struct {
		Delivered  bool
		ErrorClass string `json:"error_class"`
		Error      string
		SoftFail   bool `json:"soft_fail"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("stdout: %v\n%s", err, r.stdout)
	}
	if res.Delivered || res.ErrorClass != "input" || !res.SoftFail || !strings.Contains(res.Error, "heders") {
		t.Errorf("result: %+v", res)
	}
}

// TestRequires: a config that requires a newer jobnotify than this one
// (a plain build is "dev", older than any) has its unknown keys warned
// about, and the send goes ahead; without requires the same key is an
// error and nothing is sent. validate --strict fails either way.
func TestRequires(t *testing.T) {
	srv := newRecorder(t)
	newer := fmt.Sprintf("requires = \"1.4\"\nurl = %q\nqueue_depth = 5\n[targets.chat]\nthread = \"x\"\n", srv.URL)
	r := jobnotify(t, runOpts{config: newer}, "send", "--id", "rollout")
	wantCode(t, r, 0)
	wantStderr(t, r, `warning: `, `:3: queue_depth: unknown key "queue_depth": ignored, since the file requires jobnotify 1.4 and this build (dev) does not know its version (upgrade it)`,
		`unknown key "targets.chat.thread"`)
	wantRequests(t, srv, 1)

	r = jobnotify(t, runOpts{config: newer}, "validate", "--strict")
	wantCode(t, r, 2)
	wantStderr(t, r, "validate --strict: unknown key(s) queue_depth, targets.chat.thread")

	r = jobnotify(t, runOpts{config: strings.TrimPrefix(newer, "requires = \"1.4\"\n")}, "send")
	wantCode(t, r, 2)
	wantStderr(t, r, `:2: queue_depth: unknown key "queue_depth"`)
	wantRequests(t, srv, 1)

	r = jobnotify(t, runOpts{config: strings.Replace(newer, `"1.4"`, `"latest"`, 1), env: []string{"JOBNOTIFY_SOFT_FAIL=1"}}, "send")
	wantCode(t, r, 0)
	wantStderr(t, r, `ERROR: `, `requires: "latest" is not a version`, "nothing was sent")
	wantRequests(t, srv, 1)
}

// TestIDFromBuild: --id-from build gives a repeated step the same id,
// and another status or body another one.
func TestIDFromBuild(t *testing.T) {
	srv := newRecorder(t)
	cfg := fmt.Sprintf("url = %q\n[fields]\nteam = \"platform\"\n", srv.URL)
	build := []string{"BUILD_TAG=jenkins-team-app-42", "STAGE_NAME=Deploy"}
	idOf := func(env []string, args ...string) string {
		t.Helper()
		r := jobnotify(t, runOpts{config: cfg, env: env}, append([]string{"send", "-o", "json", "--id-from", "build"}, args...)...)
		wantCode(t, r, 0)
		var res struct{ ID string }
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
			t.Fatal(err)
		}
		return res.ID
	}
	first := idOf(build, "-s", "SUCCESS", "-f", "stage=deploy")
	if again := idOf(build, "-s", "SUCCESS", "-f", "stage=deploy"); again != first {
		t.Errorf("a retried step: id %s, then %s", first, again)
	}
	if len(first) != 36 || first[14] != '5' {
		t.Errorf("id %s is not a UUIDv5", first)
	}
	for name, other := range map[string]string{
		"another status": idOf(build, "-s", "FAILURE", "-f", "stage=deploy"),
		"another field":  idOf(build, "-s", "SUCCESS", "-f", "stage=test"),
		"another stage":  idOf([]string{"BUILD_TAG=jenkins-team-app-42", "STAGE_NAME=Test"}, "-s", "SUCCESS", "-f", "stage=deploy"),
		"another build":  idOf([]string{"BUILD_TAG=jenkins-team-app-43", "STAGE_NAME=Deploy"}, "-s", "SUCCESS", "-f", "stage=deploy"),
	} {
		if other == first {
			t.Errorf("%s: the same id %s", name, first)
		}
	}
	for _, req := range srv.requests() {
		if got := req.Header.Get("Idempotency-Key"); len(got) != 36 {
			t.Errorf("Idempotency-Key %q", got)
		}
	}
	r := jobnotify(t, runOpts{config: cfg, env: build}, "send", "--id", "x", "--id-from", "build")
	wantCode(t, r, 2)
	wantStderr(t, r, "--id and --id-from: choose one")
}

// TestBreakerIsPerOrigin: two targets on one origin with different paths
// share one breaker, whose state names the origin only, not a path.
func TestBreakerIsPerOrigin(t *testing.T) {
	srv := newRecorder(t, status(503))
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := fmt.Sprintf(`url = "%[1]s/services/T1/B1/canary-path-token"
[spool]
dir = %[2]q
[breaker]
failures = 2
[retry]
attempts = 1
[targets.other]
url = "%[1]s/hooks/other"
`, srv.URL, dir)
	jobnotify(t, runOpts{config: cfg}, "send")
	r := jobnotify(t, runOpts{config: cfg}, "--target", "other", "send")
	wantStderr(t, r, "breaker: "+srv.URL+" failed 2 times in a row")
	before := len(srv.requests())
	r = jobnotify(t, runOpts{config: cfg}, "send")
	wantCode(t, r, 1)
	wantStderr(t, r, "the breaker is open")
	if len(srv.requests()) != before {
		t.Error("a send went out with the origin's breaker open")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if strings.HasPrefix(e.Name(), ".breaker-") && (strings.Contains(string(b), "canary-path-token") || strings.Contains(string(b), "/services")) {
			t.Errorf("%s names the path: %s", e.Name(), b)
		}
	}
	r = jobnotify(t, runOpts{config: cfg}, "spool", "status", "-o", "json")
	var rep struct {
		Spools []struct{ Breakers []struct{ Origin string } }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Spools) != 1 || len(rep.Spools[0].Breakers) != 1 || rep.Spools[0].Breakers[0].Origin != srv.URL {
		t.Errorf("spool status: %v\n%s", err, r.stdout)
	}
}

// TestBreakerOpenUnspoolable: a notification the spool may not keep (its
// [fields] hold a ${VAR}'s value) is sent even with the breaker open:
// spooled, it would be lost.
func TestBreakerOpenUnspoolable(t *testing.T) {
	srv := newRecorder(t, status(503), status(503), status(200))
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := fmt.Sprintf("url = %q\n[spool]\ndir = %q\n[breaker]\nfailures = 2\n[retry]\nattempts = 1\n[fields]\nsecretish = \"${SF}\"\n", srv.URL, dir)
	env := []string{"SF=canary-field-secret"}
	jobnotify(t, runOpts{config: cfg, env: env}, "send")
	jobnotify(t, runOpts{config: cfg, env: env}, "send")
	r := jobnotify(t, runOpts{config: cfg, env: env}, "send", "--id", "must-go")
	wantCode(t, r, 0)
	wantStderr(t, r, "may not wait in the spool", "sending it anyway")
	if reqs := srv.requests(); reqs[len(reqs)-1].Header.Get("Idempotency-Key") != "must-go" {
		t.Error("the notification was not sent")
	}
	noLeaks(t, r)
}

// downThenUp is a receiver that answers 503 until up is set, then as
// reply does (nil: 200).
func downThenUp(t *testing.T, reply http.HandlerFunc) (*recorder, *atomic.Bool) {
	t.Helper()
	up := new(atomic.Bool)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !up.Load():
			w.WriteHeader(http.StatusServiceUnavailable)
		case reply != nil:
			reply(w, r)
		}
	})
	return srv, up
}

// TestFlushOnSendSkipsRejected: a spooled notification its receiver
// rejects (a 4xx: the origin is up) stays, and does not stop flush on
// send from delivering the ones after it.
func TestFlushOnSendSkipsRejected(t *testing.T) {
	srv, up := downThenUp(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Idempotency-Key") == "poison" {
			w.WriteHeader(http.StatusUnprocessableEntity)
		}
	})
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := fmt.Sprintf("url = %q\n[spool]\ndir = %q\n[breaker]\nfailures = 0\n[retry]\nattempts = 1\n", srv.URL, dir)
	for _, id := range []string{"poison", "good1", "good2"} {
		wantCode(t, jobnotify(t, runOpts{config: cfg}, "send", "--id", id), 1)
	}
	up.Store(true)
	r := jobnotify(t, runOpts{config: cfg}, "send", "--id", "new")
	wantCode(t, r, 0)
	wantStderr(t, r, "422 Unprocessable Entity (kept)", "flushed good1", "flushed good2")
	if got := sentIDs(srv); got["good1"] != 2 || got["good2"] != 2 { // once refused with 503, once delivered
		t.Errorf("sent: %v", got)
	}
	if got := notifications(t, dir); len(got) != 1 || !strings.HasSuffix(got[0], "-poison.json") {
		t.Errorf("left in the spool: %v, want only poison", got)
	}
}

// TestFlushOnSendOff: with [spool] flush_on_send = false a send leaves
// the spool to flush.
func TestFlushOnSendOff(t *testing.T) {
	srv, up := downThenUp(t, nil)
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := fmt.Sprintf("url = %q\n[spool]\ndir = %q\nflush_on_send = false\n[retry]\nattempts = 1\n", srv.URL, dir)
	wantCode(t, jobnotify(t, runOpts{config: cfg}, "send", "--id", "old"), 1)
	up.Store(true)
	wantCode(t, jobnotify(t, runOpts{config: cfg}, "send", "--id", "new"), 0)
	if got := notifications(t, dir); len(got) != 1 {
		t.Errorf("spool: %v, want old left in it", got)
	}
}

// TestFlushBadSpoolFile: a spooled file no request can be made of (its
// method mangled) is skipped and left, by flush on send and by flush,
// and counts nothing against the breaker.
func TestFlushBadSpoolFile(t *testing.T) {
	srv, up := downThenUp(t, nil)
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := fmt.Sprintf("url = %q\n[spool]\ndir = %q\n[retry]\nattempts = 1\n", srv.URL, dir)
	wantCode(t, jobnotify(t, runOpts{config: cfg}, "send", "--id", "mangled"), 1)
	files := notifications(t, dir)
	if len(files) != 1 {
		t.Fatalf("spool: %v", files)
	}
	path := filepath.Join(dir, files[0])
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, strings.Replace(string(b), `"method":"POST"`, `"method":"B AD"`, 1))
	up.Store(true)
	r := jobnotify(t, runOpts{config: cfg}, "send", "--id", "fine", "-o", "json")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, `"delivered":true`) || strings.Contains(r.stderr, "panic") {
		t.Errorf("send: %s\n%s", r.stdout, r.stderr)
	}
	r = jobnotify(t, runOpts{config: cfg}, "flush")
	wantCode(t, r, 1)
	if strings.Contains(r.stderr, "panic") {
		t.Errorf("flush: %s", r.stderr)
	}
	if got := notifications(t, dir); len(got) != 1 {
		t.Errorf("spool: %v, want the mangled file left", got)
	}
}

// TestSpoolStatusUntrusted: spool status reports a spool directory others
// may write, reads nothing from it, and exits 2; -o json says so too.
func TestSpoolStatusUntrusted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	chmod(t, dir, 0o777)
	cfg := fmt.Sprintf("url = \"http://127.0.0.1:1/\"\n[spool]\ndir = %q\n", dir)
	r := jobnotify(t, runOpts{config: cfg}, "spool", "status", "-o", "json")
	wantCode(t, r, 2)
	var rep struct{ Spools []struct{ Error string } }
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Spools) != 1 || !strings.Contains(rep.Spools[0].Error, "not trusted") {
		t.Errorf("spool status: %v\n%s", err, r.stdout)
	}
	wantStderr(t, r, "writable by group or others")
}
