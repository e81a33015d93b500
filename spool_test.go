package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jobnotify/jobnotify/internal/owner"
)

// spooled is a spool file as the test reads it, independently of notify.
type spooled struct {
	path string
	raw  []byte
	mode os.FileMode
	rec  struct {
		Version   int    `json:"version"`
		Target    string `json:"target"`
		URL       string `json:"url"`
		Method    string `json:"method"`
		ID        string `json:"id"`
		Attempts  int    `json:"attempts"`
		LastError string `json:"last_error"`
		Query     string `json:"query"`
		Body      []byte `json:"body"`
	}
}

// notifications lists the names of the notifications in dir: its
// entries but the dot files (temporary files, the breaker's state).
func notifications(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names
}

// spoolFiles returns the notifications in dir (not dot files), checking
// the directory is 0700.
func spoolFiles(t testing.TB, dir string) []spooled {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("spool: %v", err)
	}
	if m := fi.Mode().Perm(); owner.Modes(runtime.GOOS) && m != 0o700 {
		t.Errorf("spool dir mode: got %04o, want 0700", m)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []spooled
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		s := spooled{path: filepath.Join(dir, e.Name())}
		if s.raw, err = os.ReadFile(s.path); err != nil {
			t.Fatal(err)
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		s.mode = info.Mode().Perm()
		_ = json.Unmarshal(s.raw, &s.rec) // foreign files stay zero
		out = append(out, s)
	}
	return out
}

// wantSpooled checks that dir holds exactly one notification, 0600, with
// no header value or secret in it, and returns it.
func wantSpooled(t testing.TB, dir string) spooled {
	t.Helper()
	files := spoolFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("spool files: got %d, want 1", len(files))
	}
	f := files[0]
	if f.mode != 0o600 {
		t.Errorf("spool file mode: got %04o, want 0600", f.mode)
	}
	for _, bad := range append(leaks(string(f.raw)), "canary-query-token", "Bearer") {
		if strings.Contains(string(f.raw), bad) {
			t.Errorf("spool file holds %q:\n%s", bad, f.raw)
		}
	}
	return f
}

// spoolConfig is a config that sends to url, once, and spools to dir. It
// holds a literal API key and the canary token.
func spoolConfig(url, dir string) string {
	return fmt.Sprintf("url = %q\n[retry]\nattempts = 1\n[spool]\ndir = %q\n", url, dir) +
		tokenHeaders + "X-Api-Key = \"canary-literal-apikey\"\n"
}

// spoolOne sends one notification to a dead endpoint so that it is saved.
func spoolOne(t testing.TB, dir string, env []string, args ...string) result {
	t.Helper()
	r := jobnotify(t, runOpts{config: spoolConfig(deadURL(t), dir), env: append(env, tokenEnv...)}, append([]string{"send"}, args...)...)
	wantCode(t, r, 1)
	wantStderr(t, r, "connection refused", "saved to the spool")
	noLeaks(t, r)
	return r
}

func TestSpoolAndFlush(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, nil, "--id", "spool-id-1", "-s", "FAILURE", "-b", `{"msg": "bytes \u00e9 kept"}`)
	f := wantSpooled(t, dir)
	if f.rec.ID != "spool-id-1" || f.rec.Method != "POST" || f.rec.Attempts != 1 || f.rec.LastError == "" {
		t.Errorf("spooled: id %q method %q attempts %d last_error %q", f.rec.ID, f.rec.Method, f.rec.Attempts, f.rec.LastError)
	}
	if p := decode(t, f.rec.Body); p["id"] != "spool-id-1" || p["status"] != "FAILURE" {
		t.Errorf("spooled body: %s", f.rec.Body)
	}

	// --soft-fail: exit 0, and the notification is still kept.
	r := jobnotify(t, runOpts{config: spoolConfig(deadURL(t), dir), env: tokenEnv}, "send", "--soft-fail", "--id", "spool-id-2")
	wantCode(t, r, 0)
	wantStderr(t, r, "saved to the spool")
	if n := len(spoolFiles(t, dir)); n != 2 {
		t.Fatalf("spool files after --soft-fail: got %d, want 2", n)
	}

	srv := newRecorder(t)
	r = jobnotify(t, runOpts{config: spoolConfig(srv.URL+"/hook", dir), env: tokenEnv}, "flush")
	wantCode(t, r, 0)
	reqs := wantRequests(t, srv, 2)
	wantToken(t, reqs)
	if got := reqs[0].Header.Get("Idempotency-Key"); got != "spool-id-1" {
		t.Errorf("first flushed Idempotency-Key: got %q, want spool-id-1 (oldest first)", got)
	}
	if !bytes.Equal(reqs[0].Body, f.rec.Body) {
		t.Errorf("flushed body differs from the spooled bytes:\n%s\n%s", reqs[0].Body, f.rec.Body)
	}
	if reqs[0].Header.Get("X-Api-Key") != "canary-literal-apikey" || reqs[0].URL.Path != "/hook" {
		t.Errorf("flush did not use the current config's URL and headers")
	}
	if n := len(spoolFiles(t, dir)); n != 0 {
		t.Errorf("spool files after flush: got %d, want 0", n)
	}
	wantStderr(t, r, "flushed spool-id-1")
	noLeaks(t, r)
}

func TestFlushPartialFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, nil, "--id", "partial-ok")
	spoolOne(t, dir, nil, "--id", "partial-rejected")
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Idempotency-Key") == "partial-rejected" {
			w.WriteHeader(400)
			io.WriteString(w, "rejected by the test")
		}
	})
	r := jobnotify(t, runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}, "flush")
	wantCode(t, r, 1)
	wantRequests(t, srv, 2)
	f := wantSpooled(t, dir)
	if f.rec.ID != "partial-rejected" || f.rec.Attempts != 2 || !strings.Contains(f.rec.LastError, "400 Bad Request") {
		t.Errorf("left in the spool: id %q attempts %d last_error %q; want partial-rejected, 2, a 400", f.rec.ID, f.rec.Attempts, f.rec.LastError)
	}
	wantStderr(t, r, "400 Bad Request")
	noLeaks(t, r)
}

// TestConcurrentFlush: two flushes at once deliver each
// notification exactly once.
func TestConcurrentFlush(t *testing.T) {
	const n = 20
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := spoolConfig(deadURL(t), dir)
	for i := range n {
		r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send", "-q", "--id", fmt.Sprintf("concurrent-%02d", i))
		wantCode(t, r, 1)
	}
	if got := len(spoolFiles(t, dir)); got != n {
		t.Fatalf("spooled: got %d, want %d", got, n)
	}
	srv := newRecorder(t)
	flushCfg := spoolConfig(srv.URL, dir)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range 2 {
		cmd := command(t, runOpts{config: flushCfg, env: tokenEnv}, "flush")
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		cmds, outs = append(cmds, cmd), append(outs, &b)
	}
	for _, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("flush %d: exit %d\n%s", i+1, code, outs[i])
		}
		noLeaks(t, result{stderr: outs[i].String()})
	}
	count := map[string]int{}
	for _, req := range srv.requests() {
		count[req.Header.Get("Idempotency-Key")]++
	}
	for i := range n {
		if id := fmt.Sprintf("concurrent-%02d", i); count[id] != 1 {
			t.Errorf("%s delivered %d times, want 1", id, count[id])
		}
	}
	if len(count) != n {
		t.Errorf("delivered ids: got %d, want %d", len(count), n)
	}
	if got := len(spoolFiles(t, dir)); got != 0 {
		t.Errorf("spool files left: %d", got)
	}
	if entries := notifications(t, dir); len(entries) != 0 {
		t.Errorf("spool dir not empty: %v", entries)
	}
}

// TestFlushForeignFiles: files flush cannot read are reported and
// left alone, and do not stop the others.
func TestFlushForeignFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, nil, "--id", "among-strangers")
	foreign := map[string]string{
		"00000000000000000000-corrupt.json": `{"version": 1, "id": "trunc`,
		"notes.txt":                         "admin notes: do not delete\n",
	}
	for name, text := range foreign {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}, "flush")
	wantCode(t, r, 1)
	if got := wantRequests(t, srv, 1)[0].Header.Get("Idempotency-Key"); got != "among-strangers" {
		t.Errorf("delivered %q", got)
	}
	for name, text := range foreign {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != text {
			t.Errorf("%s: got %q, %v; want it left as it was", name, b, err)
		}
		wantStderr(t, r, name)
	}
	if n := len(spoolFiles(t, dir)); n != 2 {
		t.Errorf("files left: got %d, want the 2 foreign ones", n)
	}
	noLeaks(t, r)
}

// TestFlushRotatedToken: flush takes headers from the config and
// environment of the flush, not of the failed send.
func TestFlushRotatedToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := spoolConfig(deadURL(t), dir)
	r := jobnotify(t, runOpts{config: cfg, env: []string{"NOTIFY_TOKEN=canary-old-token-0000"}}, "send", "--id", "rotated")
	wantCode(t, r, 1)
	if strings.Contains(r.stderr, "canary-old-token-0000") {
		t.Errorf("stderr shows the old token: %s", r.stderr)
	}
	f := wantSpooled(t, dir)
	if strings.Contains(string(f.raw), "canary-old-token-0000") {
		t.Errorf("the spool file holds the old token")
	}
	srv := newRecorder(t)
	r = jobnotify(t, runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}, "flush")
	wantCode(t, r, 0)
	wantToken(t, wantRequests(t, srv, 1))
	noLeaks(t, r)
}

func TestFlushDryRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, nil, "--id", "dry-flush")
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}, "flush", "--dry-run")
	wantCode(t, r, 0)
	wantRequests(t, srv, 0)
	for _, want := range []string{"POST " + srv.URL + "\n", "Idempotency-Key: dry-flush\n", "Authorization: ***\n", "X-Api-Key: ***\n", `"id":"dry-flush"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("flush --dry-run lacks %q:\n%s", want, r.stdout)
		}
	}
	wantSpooled(t, dir)
	noLeaks(t, r)
}

func TestFlushGET(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, jenkinsEnv(t), "-X", "GET", "--id", "spooled-get", "-s", "UNSTABLE", "-f", "stage=test")
	f := wantSpooled(t, dir)
	if f.rec.Method != "GET" || f.rec.Query == "" || len(f.rec.Body) != 0 {
		t.Fatalf("spooled GET: method %q, query %q, body %d bytes", f.rec.Method, f.rec.Query, len(f.rec.Body))
	}
	spooledQuery, err := url.ParseQuery(f.rec.Query)
	if err != nil {
		t.Fatal(err)
	}
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{config: spoolConfig(srv.URL+"/hook?keep=me", dir), env: tokenEnv}, "flush")
	wantCode(t, r, 0)
	req := wantRequests(t, srv, 1)[0]
	q := req.URL.Query()
	if req.Method != "GET" || len(req.Body) != 0 || q.Get("keep") != "me" {
		t.Errorf("flushed %s with %d body bytes, keep=%q", req.Method, len(req.Body), q.Get("keep"))
	}
	q.Del("keep")
	if q.Encode() != spooledQuery.Encode() {
		t.Errorf("flushed query differs from the spooled one:\ngot  %s\nwant %s", q.Encode(), spooledQuery.Encode())
	}
	for k, want := range map[string]string{"id": "spooled-get", "status": "UNSTABLE", "stage": "test", "build.number": "42"} {
		if got := q.Get(k); got != want {
			t.Errorf("query %s: got %q, want %q", k, got, want)
		}
	}
	noLeaks(t, r)
}

// TestSpoolRefusesSecrets: a payload carrying a secret in any form is
// not written to the spool, and send says so. The review found the
// URL-encoded form (GET), the JSON-escaped one (POST) and a template's
// upper case in spool files; a secret given with --field is caught by
// the redactor's own matching.
func TestSpoolRefusesSecrets(t *testing.T) {
	const canary = `canary/XYZ+123="\x`
	forms := []string{canary, url.QueryEscape(canary), url.PathEscape(canary), strings.ToUpper(canary),
		strings.Trim(mustJSON(t, canary), `"`), base64.StdEncoding.EncodeToString([]byte(canary)), "Y2FuYXJ5"}
	fields := "[fields]\ndeploy_token = \"${DEPLOY_TOKEN}\"\n"
	for _, tt := range []struct {
		name, config string
		args         []string
		why          string
	}{
		{"GET, [fields]", fields, []string{"-X", "GET"}, "[fields] took a value from a ${VAR}"},
		{"POST, [fields]", fields, nil, "[fields] took a value from a ${VAR}"},
		{"template upper, [fields]", fields + "format = \"template\"\ntemplate = '{\"t\": \"{{ upper .deploy_token }}\"}'\n", nil, "[fields] took a value from a ${VAR}"},
		{"GET, --field", "[headers]\nX-Deploy-Token = \"${DEPLOY_TOKEN}\"\n", []string{"-X", "GET", "-f", "t=" + canary}, "the --body or a --field holds a secret"},
		{"POST, --field", "[headers]\nX-Deploy-Token = \"${DEPLOY_TOKEN}\"\n", []string{"-f", "t=" + canary}, "the --body or a --field holds a secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			cfg := fmt.Sprintf("url = %q\n[spool]\ndir = %q\n", deadURL(t), dir) + fast + tt.config
			r := jobnotify(t, runOpts{config: cfg, env: []string{"DEPLOY_TOKEN=" + canary}}, append([]string{"send", "--attempts", "1"}, tt.args...)...)
			wantCode(t, r, 1)
			wantStderr(t, r, "not saved to the spool: "+tt.why)
			if entries := notifications(t, dir); len(entries) != 0 {
				t.Errorf("the spool holds %d files, want none", len(entries))
			}
			for _, f := range forms {
				if strings.Contains(r.stdout+r.stderr, f) {
					t.Errorf("output holds the secret as %q:\n%s%s", f, r.stdout, r.stderr)
				}
			}
		})
	}
}

// plant writes a valid spool file for id at path, as someone other than
// jobnotify's send would, with the given format headers.
func plant(t testing.TB, path, id string, header http.Header) {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"version": 1, "format": "jobnotify", "method": "POST", "id": id,
		"created": "2026-01-01T00:00:00Z", "format_headers": header,
		"body": []byte(`{"id":"` + id + `"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// sentIDs counts the requests the server got for each id.
func sentIDs(srv *recorder) map[string]int {
	count := map[string]int{}
	for _, req := range srv.requests() {
		count[req.Header.Get("Idempotency-Key")]++
	}
	return count
}

// TestFlushLeavesUntrustedFiles: a file in the spool that another user
// could have written (theirs, writable by others, or a symlink to a valid
// spool file) is never sent with our credentials: flush names each,
// leaves it alone and exits 1; the others are sent.
func TestFlushLeavesUntrustedFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, nil, "--id", "ours")
	outside := filepath.Join(t.TempDir(), "valid.json")
	plant(t, outside, "planted-link", nil)
	planted := map[string]func(path string){
		"00000000000000000001-link.json": func(path string) {
			if err := os.Symlink(outside, path); err != nil {
				t.Fatal(err)
			}
		},
		"00000000000000000002-open.json": func(path string) {
			plant(t, path, "planted-open", nil)
			if err := os.Chmod(path, 0o666); err != nil {
				t.Fatal(err)
			}
		},
	}
	if os.Geteuid() == 0 {
		planted["00000000000000000003-theirs.json"] = func(path string) {
			plant(t, path, "planted-theirs", nil)
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		t.Log("not root: no file owned by another user planted")
	}
	for name, mk := range planted {
		mk(filepath.Join(dir, name))
	}
	srv := newRecorder(t)
	r := jobnotify(t, runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}, "flush")
	wantCode(t, r, 1)
	if got := sentIDs(srv); len(got) != 1 || got["ours"] != 1 {
		t.Errorf("sent %v, want only ours, once", got)
	}
	for name := range planted {
		wantStderr(t, r, filepath.Join(dir, name)+" is not trusted")
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v, want it left alone", name, err)
		}
	}
	wantStderr(t, r, fmt.Sprintf("%d file(s) still in %s, %d of them not trusted", len(planted), dir, len(planted)))
	noLeaks(t, r)
}

// TestUntrustedSpoolDir: a spool directory others may write, or that is
// another user's, is not used: send does not spool and says why; flush
// sends nothing from it and exits 2.
func TestUntrustedSpoolDir(t *testing.T) {
	for _, tt := range []struct {
		name string
		make func(t *testing.T, dir string)
		why  string
	}{
		{"mode 0777", func(t *testing.T, dir string) { chmod(t, dir, 0o777) }, "writable by group or others (mode 0777)"},
		{"mode 0770", func(t *testing.T, dir string) { chmod(t, dir, 0o770) }, "writable by group or others (mode 0770)"},
		{"another user's", func(t *testing.T, dir string) {
			if os.Geteuid() != 0 {
				t.Skip("giving a directory to another user needs root")
			}
			if err := os.Chown(dir, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, "owned by uid 65534, not by uid 0 that runs jobnotify"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			spoolOne(t, dir, nil, "--id", "before")
			tt.make(t, dir)
			want := "spool directory " + dir + " is not trusted: " + tt.why

			srv := newRecorder(t)
			r := jobnotify(t, runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}, "flush")
			wantCode(t, r, 2)
			wantRequests(t, srv, 0)
			wantStderr(t, r, want)

			r = jobnotify(t, runOpts{config: spoolConfig(deadURL(t), dir), env: tokenEnv}, "send", "--id", "after")
			wantCode(t, r, 1)
			wantStderr(t, r, "not saved to the spool: "+want)
			if entries := notifications(t, dir); len(entries) != 1 {
				t.Errorf("the spool holds %d entries, want only the one saved before", len(entries))
			}
			noLeaks(t, r)
		})
	}
}

func chmod(t testing.TB, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// TestFlushTakesOnlyFormatHeaders: a spool file can set only the format's
// own headers (Content-Type, ce-*); an Authorization or any other header
// in it never reaches the server.
func TestFlushTakesOnlyFormatHeaders(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	plant(t, filepath.Join(dir, "00000000000000000001-headers.json"), "planted-headers", http.Header{
		"Authorization": {"x"},
		"X-Evil":        {"y"},
		"Content-Type":  {"application/json; charset=utf-8"},
		"ce-type":       {"dev.example.planted"},
	})
	srv := newRecorder(t)
	cfg := fmt.Sprintf("url = %q\n[retry]\nattempts = 1\n[spool]\ndir = %q\n", srv.URL, dir)
	r := jobnotify(t, runOpts{config: cfg}, "flush")
	wantCode(t, r, 0)
	h := wantRequests(t, srv, 1)[0].Header
	for k, want := range map[string]string{
		"Authorization": "", "X-Evil": "",
		"Content-Type": "application/json; charset=utf-8", "Ce-Type": "dev.example.planted",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
	wantStderr(t, r, "ignoring header(s) Authorization, X-Evil in the file")
}

// TestFlushEmptySpoolNeedsNoSecrets: the README's cron line runs outside
// any build, where no ${VAR} of the config is set: with nothing to send
// it has nothing to resolve, and exits 0 quietly.
func TestFlushEmptySpoolNeedsNoSecrets(t *testing.T) {
	for _, tt := range []struct {
		name string
		make bool
	}{{"no spool directory yet", false}, {"an empty spool directory", true}} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			if tt.make {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			srv := newRecorder(t)
			r := jobnotify(t, runOpts{config: spoolConfig(srv.URL, dir)}, "--quiet", "flush")
			wantCode(t, r, 0)
			if r.stderr != "" || r.stdout != "" {
				t.Errorf("--quiet flush printed:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
			}
			wantRequests(t, srv, 0)
		})
	}
}

// TestFlushResolvesEachFile: flush resolves each saved notification's
// own target when it sends it. A file whose target needs a variable that
// is not set is skipped, naming the variable, and stays (exit 1); the
// others are sent; once the variable is set, it is sent too.
func TestFlushResolvesEachFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	// The top level's header needs NOTIFY_TOKEN; chat is on another
	// origin, so it does not get that header, and needs CHAT_TOKEN.
	cfg := func(top, chat string) string {
		return fmt.Sprintf("url = %q\n[retry]\nattempts = 1\n[spool]\ndir = %q\n", top, dir) + tokenHeaders +
			fmt.Sprintf("[targets.chat]\nurl = %q\n[targets.chat.headers]\nX-Chat-Token = \"${CHAT_TOKEN}\"\n", chat)
	}
	chatEnv := []string{"CHAT_TOKEN=canary-chat-token-5678"}
	send := cfg(deadURL(t), deadURL(t))
	wantCode(t, jobnotify(t, runOpts{config: send, env: tokenEnv}, "send", "-q", "--id", "top-1"), 1)
	wantCode(t, jobnotify(t, runOpts{config: send, env: chatEnv}, "send", "-q", "--target", "chat", "--id", "chat-1"), 1)
	if n := len(spoolFiles(t, dir)); n != 2 {
		t.Fatalf("spooled: got %d, want 2", n)
	}

	top, chat := newRecorder(t), newRecorder(t)
	flush := cfg(top.URL+"/hook", chat.URL+"/chat")
	r := jobnotify(t, runOpts{config: flush, env: chatEnv}, "flush")
	wantCode(t, r, 1)
	wantRequests(t, top, 0)
	if req := wantRequests(t, chat, 1)[0]; req.Header.Get("Idempotency-Key") != "chat-1" || req.Header.Get("X-Chat-Token") != "canary-chat-token-5678" {
		t.Errorf("chat got %q with X-Chat-Token %q", req.Header.Get("Idempotency-Key"), req.Header.Get("X-Chat-Token"))
	}
	wantStderr(t, r, "headers.Authorization: environment variable NOTIFY_TOKEN is not set (left in place)", "1 file(s) still in "+dir)
	if f := wantSpooled(t, dir); f.rec.ID != "top-1" || f.rec.Attempts != 1 {
		t.Errorf("left in the spool: %q after %d attempts, want top-1 as it was (1 attempt)", f.rec.ID, f.rec.Attempts)
	}
	noLeaks(t, r)

	r = jobnotify(t, runOpts{config: flush, env: tokenEnv}, "flush")
	wantCode(t, r, 0)
	wantToken(t, wantRequests(t, top, 1))
	wantRequests(t, chat, 1)
	if n := len(spoolFiles(t, dir)); n != 0 {
		t.Errorf("spool files after the second flush: got %d, want 0", n)
	}
	noLeaks(t, r)
}

// TestFlushSendsWhereSendWent: a notification sent to a --url (or
// $JOBNOTIFY_URL) and spooled is flushed to that URL, not to the
// config's; config headers stay with their origin, as at send time.
func TestFlushSendsWhereSendWent(t *testing.T) {
	for _, how := range []string{"--url", "$JOBNOTIFY_URL"} {
		t.Run(how, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			a := newRecorder(t, status(503), status(200)) // down for the send, up for the flush
			b := newRecorder(t)
			cfg := spoolConfig(b.URL+"/hook", dir)
			args, env := []string{"send", "--id", "to-a"}, tokenEnv
			if how == "--url" {
				args = append(args, "--url", a.URL+"/x")
			} else {
				env = append(env, "JOBNOTIFY_URL="+a.URL+"/x")
			}
			r := jobnotify(t, runOpts{config: cfg, env: env}, args...)
			wantCode(t, r, 1)
			wantStderr(t, r, "saved to the spool")
			f := wantSpooled(t, dir)
			if f.rec.URL != a.URL+"/x" || f.rec.Version != 2 {
				t.Errorf("spooled url %q (version %d), want %q (version 2)", f.rec.URL, f.rec.Version, a.URL+"/x")
			}

			r = jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "flush")
			wantCode(t, r, 0)
			wantRequests(t, b, 0)
			reqs := wantRequests(t, a, 2)
			req := reqs[1]
			if req.Header.Get("Idempotency-Key") != "to-a" || req.URL.Path != "/x" {
				t.Errorf("A got %q at %s, want to-a at /x", req.Header.Get("Idempotency-Key"), req.URL.Path)
			}
			for _, h := range []string{"Authorization", "X-Api-Key"} {
				if req.Header.Get(h) != "" {
					t.Errorf("flush sent the config's %s to another origin than the config's", h)
				}
			}
			wantStderr(t, r, "flushed to-a: POST "+a.URL+"/x", "not sending config header(s) Authorization, X-Api-Key")
			noLeaks(t, r)
		})
	}
}

// TestSpoolRefusesSecretURL: a command-line URL that holds a secret
// (userinfo, a query value, a ${VAR}'s value) would have to be stored to
// be flushed to the same place, so the notification is not spooled, and
// send says so.
func TestSpoolRefusesSecretURL(t *testing.T) {
	addr := strings.TrimPrefix(strings.SplitN(deadURL(t), "/hook", 2)[0], "http://")
	for _, tt := range []struct{ name, url string }{
		{"query value", "http://" + addr + "/hook?token=canary-query-token"},
		// Every query value is printed as ***, so every one counts, also
		// one too short for the redactor.
		{"short query value", "http://" + addr + "/hook?k=abc"},
		{"userinfo", "http://hookuser:canary-url-password@" + addr + "/hook"},
		{"a variable's value", "http://" + addr + "/hook/canary-env-token-1234"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			r := jobnotify(t, runOpts{config: spoolConfig(deadURL(t), dir), env: tokenEnv}, "send", "--url", tt.url)
			wantCode(t, r, 1)
			wantStderr(t, r, "not saved to the spool: the URL from --url holds a secret")
			if entries := notifications(t, dir); len(entries) != 0 {
				t.Errorf("the spool holds %d files, want none", len(entries))
			}
			noLeaks(t, r)
		})
	}
}

// TestSecretInEveryFormat: a secret given with --field or --body, holding
// the characters each encoding changes (JSON without HTML escaping keeps
// < > &, markdown escapes _ and *), is neither spooled nor printed by a
// dry run, in the payload format and in each chat format. (The redactor
// once knew only encoding/json's \u003c form and no markdown escape.)
func TestSecretInEveryFormat(t *testing.T) {
	const canary = `tok<"&_*QQZZ9`
	for _, format := range []string{"jobnotify", "slack", "teams", "discord", "googlechat"} {
		for _, arg := range [][]string{{"--field", "t=" + canary}, {"--body", "rotated to " + canary}} {
			t.Run(format+"/"+arg[0], func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "spool")
				cfg := fmt.Sprintf("url = %q\nformat = %q\n[headers]\nX-Deploy-Token = \"${DEPLOY_TOKEN}\"\n[spool]\ndir = %q\n", deadURL(t), format, dir) + fast
				env := []string{"DEPLOY_TOKEN=" + canary}
				r := jobnotify(t, runOpts{config: cfg, env: env}, append([]string{"send", "--attempts", "1"}, arg...)...)
				wantCode(t, r, 1)
				wantStderr(t, r, "not saved to the spool: the --body or a --field holds a secret")
				if entries := notifications(t, dir); len(entries) != 0 {
					t.Errorf("the spool holds %d files, want none", len(entries))
				}
				dry := jobnotify(t, runOpts{config: cfg, env: env}, append([]string{"send", "-n"}, arg...)...)
				wantCode(t, dry, 0)
				if out := r.stderr + dry.stdout + dry.stderr; strings.Contains(out, "QQZZ9") {
					t.Errorf("output shows the secret:\n%s", out)
				}
			})
		}
	}
}
