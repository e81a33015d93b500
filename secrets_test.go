package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// canaries are planted secrets; none may appear in any output, raw or encoded.
var canaries = []string{
	"canary-env-token-1234", "canary-literal-apikey", "canary-flag-secret", "canary-url-password",
	"canary-query-secret", "ghp_canaryGithubToken0123456789", "canary-aws-secret-access-key",
	"gh-canary-userinfo-token", "canary-deploy-api-key", "canary-deploy-hook-id",
}

func leaks(out string) []string {
	var found []string
	for _, c := range canaries {
		for _, form := range []string{c, base64.StdEncoding.EncodeToString([]byte(c)), base64.RawURLEncoding.EncodeToString([]byte(c)), url.QueryEscape(c)} {
			if strings.Contains(out, form) {
				found = append(found, form)
			}
		}
	}
	return found
}

func TestCanarySecrets(t *testing.T) {
	echo := func(code int) http.HandlerFunc {
		// A server that echoes back everything it got, as some do in errors.
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			r.Header.Write(w)
			fmt.Fprintf(w, "%s %s", r.URL, base64.StdEncoding.EncodeToString([]byte(r.Header.Get("X-Api-Key"))))
		}
	}
	okSrv, failSrv := newRecorder(t, echo(200)), newRecorder(t, echo(400))
	cfgFor := func(srv *recorder) string {
		u, _ := url.Parse(srv.URL)
		return fmt.Sprintf(`url = "http://deploy:canary-url-password@%s/hook?token=canary-query-secret"
[headers]
Authorization = "Bearer ${NOTIFY_TOKEN}"
X-Api-Key = "canary-literal-apikey"
X-Hook-Id = "${DEPLOY_HOOK}"
[env]
include = ["DEPLOY_*", "*"]
`, u.Host)
	}
	// DEPLOY_HOOK matches the include glob and is not secret-named: only
	// its use in a ${VAR} keeps it out of the payload.
	env := append(jenkinsEnv(t), "NOTIFY_TOKEN=canary-env-token-1234", "DEPLOY_HOOK=canary-deploy-hook-id")
	flagHeader := []string{"-H", "X-Auth-Token: canary-flag-secret"}
	runs := []struct {
		name string
		srv  *recorder
		args []string
		code int
	}{
		{"send", okSrv, append([]string{"send", "-s", "SUCCESS"}, flagHeader...), 0},
		{"send verbose", okSrv, append([]string{"--verbose", "send"}, flagHeader...), 0},
		{"send failure", failSrv, append([]string{"send", "-v"}, flagHeader...), 1},
		{"send json", failSrv, append([]string{"send", "-o", "json"}, flagHeader...), 1},
		{"dry run", okSrv, append([]string{"send", "--dry-run", "-X", "GET"}, flagHeader...), 0},
		{"validate", okSrv, []string{"validate"}, 0},
		{"env", okSrv, []string{"env"}, 0},
	}
	for _, tt := range runs {
		t.Run(tt.name, func(t *testing.T) {
			r := jobnotify(t, runOpts{config: cfgFor(tt.srv), env: env}, tt.args...)
			wantCode(t, r, tt.code)
			if found := leaks(r.stdout + r.stderr); len(found) > 0 {
				t.Errorf("output leaks %q:\nstdout: %s\nstderr: %s", found, r.stdout, r.stderr)
			}
		})
	}
	// What the endpoint received: the configured headers, and no
	// secret-named variable or userinfo in the payload.
	req := okSrv.requests()[0]
	if req.Header.Get("Authorization") != "Bearer canary-env-token-1234" || req.Header.Get("X-Api-Key") != "canary-literal-apikey" {
		t.Errorf("configured headers not sent: %v", req.Header)
	}
	penv := decode(t, req.Body)["env"].(map[string]any)
	for _, k := range []string{"GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "SSH_PRIVATE_KEY", "DEPLOY_API_KEY", "NOTIFY_TOKEN", "DEPLOY_HOOK"} {
		if _, ok := penv[k]; ok {
			t.Errorf("payload env has %s", k)
		}
	}
	if strings.Contains(string(req.Body), "canary") {
		t.Errorf("payload carries a canary: %s", req.Body)
	}
}

// TestConfigMode: a literal secret in a file others can read is
// worth a warning; a file anyone can change is refused.
func TestConfigMode(t *testing.T) {
	tests := []struct {
		name    string
		headers string
		mode    os.FileMode
		exit    int
		warn    bool
	}{
		{"literal secret readable by others", "X-Api-Key = \"literal-canary-key\"\n", 0o644, 0, true},
		{"literal secret private", "X-Api-Key = \"literal-canary-key\"\n", 0o600, 0, false},
		{"secret from a variable", "Authorization = \"Bearer ${NOTIFY_TOKEN}\"\n", 0o644, 0, false},
		{"world-writable", "Authorization = \"Bearer ${NOTIFY_TOKEN}\"\n", 0o666, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t)
			path := writeConfig(t, t.TempDir(), fmt.Sprintf("url = %q\n[headers]\n%s", srv.URL, tt.headers), tt.mode)
			r := jobnotifyConfig(t, path, tokenEnv, "send")
			wantCode(t, r, tt.exit)
			wantRequests(t, srv, map[bool]int{true: 1, false: 0}[tt.exit == 0])
			var warnings []string
			for _, line := range strings.Split(r.stderr, "\n") {
				if strings.Contains(strings.ToLower(line), "warning") {
					warnings = append(warnings, line)
				}
			}
			switch {
			case tt.warn && len(warnings) != 1:
				t.Errorf("warnings: got %d, want 1:\n%s", len(warnings), r.stderr)
			case tt.warn && !(strings.Contains(warnings[0], path) && strings.Contains(warnings[0], "0644")):
				t.Errorf("the warning does not name the path and the mode: %s", warnings[0])
			case !tt.warn && len(warnings) != 0:
				t.Errorf("unexpected warning:\n%s", r.stderr)
			}
			if tt.exit == 2 {
				wantStderr(t, r, path, "world-writable")
			}
			if strings.Contains(r.stderr+r.stdout, "literal-canary-key") {
				t.Errorf("output shows the literal key: %s", r.stderr)
			}
			noLeaks(t, r)
		})
	}
}

// TestNoLeakInEdgeCases covers the paths where a secret once escaped: a
// server echo cut at the snippet boundary, a proxy echoing its
// credentials, an unparseable proxy variable, and a custom hmac signature
// header. Two more need no server and are scripts: a config error about
// an expanded URL (testdata/script/validate_bad_values.txtar) and a
// malformed TOML value (validate_bad_toml.txtar).
func TestNoLeakInEdgeCases(t *testing.T) {
	t.Run("echo across the snippet cut", func(t *testing.T) {
		for _, pad := range []int{490, 500, 508} {
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(400)
				io.WriteString(w, strings.Repeat("x", pad)+r.Header.Get("Authorization"))
			})
			r := jobnotify(t, runOpts{}, "send", "--url", srv.URL, "-H", "Authorization: Bearer TOPSECRETtoken-abcdefghijklmnop", "--attempts", "1", "-o", "json")
			wantCode(t, r, 1)
			if out := r.stdout + r.stderr; strings.Contains(out, "TOPSE") || strings.Contains(out, "Bearer T") {
				t.Errorf("pad %d: output shows the start of the token:\n%s", pad, out)
			}
		}
	})
	t.Run("proxy echoing its credentials", func(t *testing.T) {
		proxy := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			io.WriteString(w, "proxy got: "+r.Header.Get("Proxy-Authorization"))
		})
		proxyURL := strings.Replace(proxy.URL, "http://", "http://proxyuser:ProxyPassw0rd@", 1)
		r := jobnotify(t, runOpts{env: []string{"HTTP_PROXY=" + proxyURL}}, "send", "--url", "http://notify.invalid/hook", "--attempts", "1")
		wantCode(t, r, 1)
		if got := proxy.requests()[0].Header.Get("Proxy-Authorization"); got == "" {
			t.Fatal("the proxy got no credentials: the test proves nothing")
		}
		b64 := base64.StdEncoding.EncodeToString([]byte("proxyuser:ProxyPassw0rd"))
		if strings.Contains(r.stderr, "ProxyPassw0rd") || strings.Contains(r.stderr, b64) {
			t.Errorf("stderr shows the proxy credentials: %s", r.stderr)
		}
	})
	t.Run("unparseable proxy variable", func(t *testing.T) {
		srv := newRecorder(t)
		r := jobnotify(t, runOpts{env: []string{"HTTP_PROXY=http://u:CanaryProxyPw@[::1"}}, "send", "--url", srv.URL)
		wantCode(t, r, 2)
		wantRequests(t, srv, 0)
		if strings.Contains(r.stderr, "CanaryProxyPw") || !strings.Contains(r.stderr, "$HTTP_PROXY") {
			t.Errorf("stderr: %s", r.stderr)
		}
	})
	t.Run("custom hmac header in dry run and verbose", func(t *testing.T) {
		srv := newRecorder(t)
		cfg := fmt.Sprintf("url = %q\n[signing]\nscheme = \"hmac-sha256\"\nsecret = \"${WHS}\"\nheader = \"X-Hub-Mac\"\n", srv.URL)
		for _, args := range [][]string{{"send", "-n"}, {"send", "-v"}} {
			r := jobnotify(t, runOpts{config: cfg, env: []string{"WHS=canary-hub-secret"}}, args...)
			wantCode(t, r, 0)
			if strings.Contains(r.stdout+r.stderr, "sha256=") {
				t.Errorf("%v shows the signature:\n%s%s", args, r.stdout, r.stderr)
			}
		}
		if got := srv.requests()[0].Header.Get("X-Hub-Mac"); !strings.HasPrefix(got, "sha256=") {
			t.Errorf("X-Hub-Mac sent: %q", got)
		}
	})
}
