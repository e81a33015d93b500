package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNoLeakInEdgeCases covers the paths where a secret once escaped: a
// config error about an expanded URL, a server echo cut at the snippet
// boundary, a proxy echoing its credentials, an unparseable proxy
// variable, a malformed TOML value, and a custom hmac signature header.
func TestNoLeakInEdgeCases(t *testing.T) {
	t.Run("expanded url in a config error", func(t *testing.T) {
		r := jobnotify(t, runOpts{config: "url = \"${HOOK_URL}\"\n", env: []string{"HOOK_URL=hooks.example.com/services/T0/B0/SuperSecretPathTok"}}, "send")
		wantCode(t, r, 2)
		if strings.Contains(r.stderr, "SuperSecretPathTok") || !strings.Contains(r.stderr, "url") {
			t.Errorf("stderr: %s", r.stderr)
		}
	})
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
	t.Run("literal token in malformed TOML", func(t *testing.T) {
		r := jobnotify(t, runOpts{config: "url = \"http://127.0.0.1:9/\"\n[headers]\nAuthorization = abcdefSecret12345\n"}, "send")
		wantCode(t, r, 2)
		if strings.Contains(r.stderr, "abcdefSecret") || !strings.Contains(r.stderr, ":3:") {
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

// TestSpoolRefusesExpandedSecrets: a payload carrying a ${VAR} value from
// [fields] is not written to the spool, and send says so.
func TestSpoolRefusesExpandedSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	cfg := fmt.Sprintf("url = %q\n[fields]\nf = \"${FIELDSEC}\"\n[spool]\ndir = %q\n", deadURL(t), dir) + fast
	r := jobnotify(t, runOpts{config: cfg, env: []string{"FIELDSEC=CanaryFieldSec"}}, "send", "--attempts", "1")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "not saved to the spool") {
		t.Errorf("stderr: %s", r.stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the spool holds %d files, want none", len(entries))
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

// TestSignalWhileReadingStdin: SIGTERM stops a send still waiting for
// --body - on a pipe that never closes; nothing is sent.
func TestSignalWhileReadingStdin(t *testing.T) {
	srv := newRecorder(t)
	cmd := command(t, runOpts{}, "send", "--url", srv.URL, "-b", "-")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	cmd.Stdin = pr
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	// -v prints the config line first: once it is out, stdin is being read.
	cmd.Args = append(cmd.Args[:1], append([]string{"-v"}, cmd.Args[1:]...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	buf := make([]byte, 1)
	if _, err := stderr.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 143 {
		t.Fatalf("exit: got %v, want 143; stderr: %s%s", err, buf, rest)
	}
	wantRequests(t, srv, 0)
}

// TestBashCompletion sources the bash script and completes, as a shell
// does on Tab: flags after "--" are listed and no command runs (urfave/cli
// would run it, and listen would never return).
func TestBashCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash on this machine")
	}
	tests := []struct{ words, want string }{
		{"jobnotify se", "send"},
		{"jobnotify send --ur", "--url"},
		{"jobnotify listen --", "--fail"},
		{"jobnotify send --", "--status"},
	}
	for _, tt := range tests {
		script := `source <(jobnotify completion bash); COMP_WORDS=(` + tt.words + `); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _jobnotify; echo "${COMPREPLY[*]}"`
		// A generous bound, so a completion that runs the command instead
		// (listen never returns) fails the test rather than hanging it.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-c", script)
		cmd.Env = []string{"PATH=" + filepath.Dir(binary) + ":/usr/bin:/bin", "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tt.words, err, out)
		}
		if !strings.Contains(string(out), tt.want) || strings.Contains(string(out), "listening") {
			t.Errorf("%s<TAB>: got %q, want %q among the completions", tt.words, out, tt.want)
		}
	}
}

func TestPhaseNeedsNotificationPlugin(t *testing.T) {
	r := jobnotify(t, runOpts{}, "send", "-n", "--url", "http://127.0.0.1:9/x", "--phase", "STARTED")
	wantCode(t, r, 2)
	if !strings.Contains(r.stderr, "--phase") {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = jobnotify(t, runOpts{}, "send", "-n", "--url", "http://127.0.0.1:9/x", "--format", "notification-plugin", "--phase", "QUEUED")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, `"phase":"QUEUED"`) {
		t.Errorf("stdout: %s", r.stdout)
	}
}
