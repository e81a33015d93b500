package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestProxy: HTTP_PROXY is honoured. The made-up host is only ever seen by
// the proxy, a recorder on 127.0.0.1, so nothing resolves it.
func TestProxy(t *testing.T) {
	proxy := newRecorder(t)
	r := jobnotify(t, runOpts{env: []string{"HTTP_PROXY=" + proxy.URL}}, "send", "--url", "http://notify.invalid/hook", "-s", "SUCCESS")
	wantCode(t, r, 0)
	req := wantRequests(t, proxy, 1)[0]
	if req.URL.Host != "notify.invalid" || req.URL.Path != "/hook" {
		t.Errorf("proxy saw %s, want http://notify.invalid/hook", req.URL)
	}
	if p := decode(t, req.Body); p["status"] != "SUCCESS" {
		t.Errorf("status through the proxy: got %v", p["status"])
	}

	// NO_PROXY names the host, so the request goes direct, to the
	// recorder's own 127.0.0.1 address, and the proxy sees nothing more.
	direct := newRecorder(t)
	u, _ := url.Parse(direct.URL)
	r = jobnotify(t, runOpts{env: []string{"HTTP_PROXY=" + proxy.URL, "NO_PROXY=127.0.0.1"}}, "send", "--url", "http://"+u.Host+"/x")
	wantCode(t, r, 0)
	wantRequests(t, direct, 1)
	wantRequests(t, proxy, 1)
}

// newConnectProxy is an HTTP proxy on 127.0.0.1 that records what it is
// asked and tunnels every CONNECT to backend, whatever host it names.
func newConnectProxy(t testing.TB, backend string) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Host)
		mu.Unlock()
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", backend)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer up.Close()
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 200 Connection Established\r\n\r\n")
		ended := make(chan struct{}, 2)
		go func() { io.Copy(up, brw.Reader); ended <- struct{}{} }()
		go func() { io.Copy(c, up); ended <- struct{}{} }()
		<-ended
		c.Close()
		up.Close()
		<-ended
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func TestProxyConnect(t *testing.T) {
	p := pki()
	dir := t.TempDir()
	writePKI(t, dir)
	tlsCA := fmt.Sprintf("[tls]\nca_file = %q\n", filepath.Join(dir, "ca.pem"))

	for _, withTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("HTTP_PROXY, tls table %v", withTLS), func(t *testing.T) {
			proxy := newRecorder(t)
			cfg := "url = \"http://notify.invalid/hook?keep=me\"\n" + fast + tokenHeaders
			if withTLS {
				cfg += tlsCA
			}
			r := jobnotify(t, runOpts{config: cfg, env: append([]string{"HTTP_PROXY=" + proxy.URL}, tokenEnv...)}, "send", "-s", "SUCCESS")
			wantCode(t, r, 0)
			req := wantRequests(t, proxy, 1)[0]
			if req.URL.Scheme != "http" || req.URL.Host != "notify.invalid" || req.URL.Path != "/hook" || req.URL.Query().Get("keep") != "me" {
				t.Errorf("the proxy saw %q, want the absolute URL http://notify.invalid/hook?keep=me", req.URL)
			}
			wantToken(t, []received{req})
			if p := decode(t, req.Body); p["status"] != "SUCCESS" {
				t.Errorf("status: got %v", p["status"])
			}
			noLeaks(t, r)
		})
	}

	t.Run("HTTPS_PROXY with ca_file", func(t *testing.T) {
		hosts := make(chan string, 10)
		backend, ln := newTLSRecorder(t, p.server, nil, func(w http.ResponseWriter, r *http.Request) { hosts <- r.Host })
		proxy, seen := newConnectProxy(t, backend.Listener.Addr().String())
		cfg := "url = \"https://notify.invalid/hook\"\n" + fast + tokenHeaders + tlsCA
		r := jobnotify(t, runOpts{config: cfg, env: append([]string{"HTTPS_PROXY=" + proxy.URL}, tokenEnv...)}, "send")
		wantCode(t, r, 0)
		if got := seen(); len(got) != 1 || got[0] != "CONNECT notify.invalid:443" {
			t.Errorf("the proxy saw %q, want one CONNECT notify.invalid:443", got)
		}
		wantToken(t, wantRequests(t, backend, 1))
		if h := <-hosts; h != "notify.invalid" {
			t.Errorf("Host: got %q, want notify.invalid", h)
		}
		if n := ln.n.Load(); n != 1 {
			t.Errorf("TLS connections: got %d, want 1", n)
		}
		noLeaks(t, r)
	})

	t.Run("HTTPS_PROXY to a certificate for another name", func(t *testing.T) {
		backend, ln := newTLSRecorder(t, p.wrongName, nil)
		proxy, seen := newConnectProxy(t, backend.Listener.Addr().String())
		cfg := "url = \"https://notify.invalid/hook\"\n" + fast + tokenHeaders + tlsCA
		r := jobnotify(t, runOpts{config: cfg, env: append([]string{"HTTPS_PROXY=" + proxy.URL}, tokenEnv...)}, "send")
		wantCode(t, r, 1)
		wantRequests(t, backend, 0)
		if n := ln.n.Load(); n != 1 || len(seen()) != 1 {
			t.Errorf("TLS connections %d, CONNECTs %d: want 1 each (not retried)", n, len(seen()))
		}
		wantStderr(t, r, "delivery failed after 1 attempt", "other.example", "notify.invalid")
		noLeaks(t, r)
	})

	// Go never proxies a loopback address, whatever NO_PROXY says, and
	// NO_PROXY naming a made-up host would need a DNS lookup; so this only
	// shows the direct path works while a proxy is set.
	t.Run("NO_PROXY", func(t *testing.T) {
		proxy, direct := newRecorder(t), newRecorder(t)
		u, _ := url.Parse(direct.URL)
		env := append([]string{"HTTP_PROXY=" + proxy.URL, "NO_PROXY=other.invalid,127.0.0.1"}, tokenEnv...)
		cfg := fmt.Sprintf("url = %q\n", "http://"+u.Host+"/hook") + fast + tokenHeaders
		r := jobnotify(t, runOpts{config: cfg, env: env}, "send")
		wantCode(t, r, 0)
		wantToken(t, wantRequests(t, direct, 1))
		wantRequests(t, proxy, 0)

		// A NO_PROXY entry for another host leaves notify.invalid proxied.
		cfg = "url = \"http://notify.invalid/hook\"\n" + fast + tokenHeaders
		r = jobnotify(t, runOpts{config: cfg, env: env}, "send")
		wantCode(t, r, 0)
		if req := wantRequests(t, proxy, 1)[0]; req.URL.Host != "notify.invalid" {
			t.Errorf("the proxy saw %q", req.URL)
		}
		noLeaks(t, r)
	})
}

// TestProxyUserRedacted: a proxy answering 407 with the user name in its
// body and headers never gets it printed, with -v too: the long name is
// a secret, and a 407's answer is not shown at all, since a name shorter
// than the redactor's minimum ("bob") cannot be redacted.
func TestProxyUserRedacted(t *testing.T) {
	for _, user := range []string{"canary-proxy-user", "bob"} {
		t.Run(user, func(t *testing.T) {
			const pass = "canary-proxy-pass"
			proxy := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-User", user)
				w.WriteHeader(http.StatusProxyAuthRequired)
				fmt.Fprintf(w, "user %s is not allowed (%s, %s)", user, base64.StdEncoding.EncodeToString([]byte(user)), r.Header.Get("Proxy-Authorization"))
			})
			u, _ := url.Parse(proxy.URL)
			env := []string{"HTTP_PROXY=http://" + user + ":" + pass + "@" + u.Host}
			r := jobnotify(t, runOpts{env: env}, "-v", "send", "--url", "http://notify.invalid/hook", "--attempts", "1")
			wantCode(t, r, 1)
			if got := wantRequests(t, proxy, 1)[0].Header.Get("Proxy-Authorization"); got == "" {
				t.Fatal("the proxy got no Proxy-Authorization: the test shows nothing")
			}
			wantStderr(t, r, "407 Proxy Authentication Required", "the proxy's answer is not shown")
			for _, s := range []string{"user " + user, user + " is", pass, base64.StdEncoding.EncodeToString([]byte(user)), "X-User"} {
				if strings.Contains(r.stdout+r.stderr, s) {
					t.Errorf("output shows %q:\n%s%s", s, r.stdout, r.stderr)
				}
			}
		})
	}
}

// TestServerTextInErrorsEscaped: a proxy's CONNECT reason phrase goes
// into the error line as Go reports it; a terminal escape in it (ESC, an
// OSC that sets the window title, BEL, a bidi override) reaches stderr
// escaped, not raw. (Every stderr line is escaped after redaction.)
func TestServerTextInErrorsEscaped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				io.WriteString(c, "HTTP/1.1 403 \x1b[31mRED\x1b]0;pwned\x07 \u202etxt.exe\r\nContent-Length: 0\r\n\r\n")
			}()
		}
	}()
	cfg := "url = \"https://notify.invalid/hook\"\n" + fast
	r := jobnotify(t, runOpts{config: cfg, env: []string{"HTTPS_PROXY=http://" + ln.Addr().String()}}, "send")
	wantCode(t, r, 1)
	if strings.ContainsAny(r.stderr, "\x1b\x07\u202e") {
		t.Errorf("stderr holds raw terminal controls: %q", r.stderr)
	}
	wantStderr(t, r, `\x1b[31mRED\x1b]0;pwned\x07`, `\u202e`)
}
