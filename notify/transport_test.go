package notify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/redact"
)

// trPKI is a throw-away CA with a server certificate for 127.0.0.1 and a
// client certificate, all as PEM files in a temporary directory.
type trPKI struct {
	caFile, certFile, keyFile string // CA; client certificate and key
	server                    tls.Certificate
	caPool                    *x509.CertPool
}

func trNewPKI(t testing.TB) *trPKI {
	t.Helper()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jobnotify test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		k := newKey()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	p := &trPKI{caPool: x509.NewCertPool()}
	p.caPool.AddCert(ca)
	p.caFile = write("ca.pem", "CERTIFICATE", caDER)

	srvDER, srvKey := leaf(2, x509.ExtKeyUsageServerAuth)
	p.server = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}

	cliDER, cliKey := leaf(3, x509.ExtKeyUsageClientAuth)
	p.certFile = write("client.pem", "CERTIFICATE", cliDER)
	keyDER, err := x509.MarshalPKCS8PrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	p.keyFile = write("client-key.pem", "PRIVATE KEY", keyDER)
	return p
}

// trServer starts a TLS server on 127.0.0.1 with the PKI's server
// certificate; with clientCAs it requires a client certificate.
func trServer(t testing.TB, p *trPKI, clientCAs *x509.CertPool) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			w.Header().Set("X-Client", r.TLS.PeerCertificates[0].Subject.CommonName)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.server}}
	if clientCAs != nil {
		srv.TLS.ClientCAs = clientCAs
		srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// trGet makes one GET with tr and returns the response or the error.
func trGet(t testing.TB, tr *http.Transport, u string) (*http.Response, error) {
	t.Helper()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	resp, err := c.Get(u)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestNewTransportDefault(t *testing.T) {
	calls := 0
	want, _ := url.Parse("http://127.0.0.1:1")
	proxy := func(*http.Request) (*url.URL, error) { calls++; return want, nil }
	tr, err := NewTransport(config.TLS{}, proxy)
	if err != nil {
		t.Fatal(err)
	}
	if tr == http.DefaultTransport {
		t.Error("got http.DefaultTransport itself, want a clone")
	}
	got, err := tr.Proxy(httptest.NewRequest("GET", "https://127.0.0.1/", nil))
	if err != nil || got != want || calls != 1 {
		t.Errorf("Proxy: got %v, %v after %d calls; want the given func's %v", got, err, calls, want)
	}
	if tr.TLSClientConfig != nil && (tr.TLSClientConfig.InsecureSkipVerify || tr.TLSClientConfig.RootCAs != nil) {
		t.Errorf("got TLS config %+v, want the defaults", tr.TLSClientConfig)
	}

	tr, err = NewTransport(config.TLS{}, nil)
	if err != nil || tr.Proxy != nil {
		t.Errorf("got proxy set %v, err %v; want no proxy", tr.Proxy != nil, err)
	}
}

func TestNewTransportCAFile(t *testing.T) {
	p := trNewPKI(t)
	srv := trServer(t, p, nil)

	// Without the CA the server is not trusted.
	tr, err := NewTransport(config.TLS{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trGet(t, tr, srv.URL); err == nil {
		t.Fatal("without ca_file: got a response, want a certificate error")
	} else if ue := new(tls.CertificateVerificationError); !errors.As(err, &ue) {
		t.Errorf("without ca_file: got %v, want a certificate verification error", err)
	}

	// With it, it is; and a proxy func given alongside is kept.
	proxied := 0
	tr, err = NewTransport(config.TLS{CAFile: p.caFile}, func(*http.Request) (*url.URL, error) { proxied++; return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	resp, err := trGet(t, tr, srv.URL)
	if err != nil {
		t.Fatalf("with ca_file: got %v, want a response", err)
	}
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("got status %d, want 204", resp.StatusCode)
	}
	if proxied == 0 {
		t.Error("with ca_file: the proxy func was never asked, want it kept")
	}
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("got TLS config %+v, want verification on", tr.TLSClientConfig)
	}
}

func TestNewTransportClientCertificate(t *testing.T) {
	p := trNewPKI(t)
	srv := trServer(t, p, p.caPool)

	tr, err := NewTransport(config.TLS{CAFile: p.caFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trGet(t, tr, srv.URL); err == nil {
		t.Error("without a client certificate: got a response, want the server to refuse")
	}

	tr, err = NewTransport(config.TLS{CAFile: p.caFile, CertFile: p.certFile, KeyFile: p.keyFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := trGet(t, tr, srv.URL)
	if err != nil {
		t.Fatalf("with a client certificate: got %v, want a response", err)
	}
	if got := resp.Header.Get("X-Client"); got != "127.0.0.1" {
		t.Errorf("got client certificate %q at the server, want 127.0.0.1", got)
	}
}

func TestNewTransportInsecureSkipVerify(t *testing.T) {
	p := trNewPKI(t)
	srv := trServer(t, p, nil)
	tr, err := NewTransport(config.TLS{InsecureSkipVerify: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr.TLSClientConfig == nil || !tr.TLSClientConfig.InsecureSkipVerify {
		t.Fatalf("got TLS config %+v, want InsecureSkipVerify", tr.TLSClientConfig)
	}
	if _, err := trGet(t, tr, srv.URL); err != nil {
		t.Errorf("got %v, want an unverified connection to succeed", err)
	}
}

func TestNewTransportErrors(t *testing.T) {
	p := trNewPKI(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("this is not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyAsCA := p.keyFile // PEM, but no CERTIFICATE block
	missing := filepath.Join(dir, "missing.pem")
	garbageKey := filepath.Join(dir, "garbage-key.pem")
	const keySecret = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcy1uZXZlci1wcmludGVk\n-----END PRIVATE KEY-----\n"
	if err := os.WriteFile(garbageKey, []byte(keySecret), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		tls     config.TLS
		want    []string
		notWant []string
	}{
		{
			name: "ca_file without PEM",
			tls:  config.TLS{CAFile: notPEM},
			want: []string{"tls.ca_file", notPEM, "no PEM certificate"},
		},
		{
			name: "ca_file with a key, not a certificate",
			tls:  config.TLS{CAFile: keyAsCA},
			want: []string{"tls.ca_file", keyAsCA},
		},
		{
			name: "ca_file missing",
			tls:  config.TLS{CAFile: missing},
			want: []string{"tls.ca_file", missing, "no such file"},
		},
		{
			name: "cert_file not a certificate",
			tls:  config.TLS{CertFile: notPEM, KeyFile: p.keyFile},
			want: []string{"tls.cert_file", notPEM, p.keyFile},
		},
		{
			name:    "key_file garbage",
			tls:     config.TLS{CertFile: p.certFile, KeyFile: garbageKey},
			want:    []string{"tls.cert_file", p.certFile, garbageKey},
			notWant: []string{"c2VjcmV0LWtleS1ieXRlcy1uZXZlci1wcmludGVk", "secret-key-bytes"},
		},
		{
			name: "cert and key that do not match",
			tls:  config.TLS{CertFile: p.certFile, KeyFile: trNewPKI(t).keyFile},
			want: []string{"tls.cert_file", p.certFile},
		},
		{
			name: "key_file missing",
			tls:  config.TLS{CertFile: p.certFile, KeyFile: missing},
			want: []string{"tls.cert_file", missing},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := NewTransport(tt.tls, nil)
			if err == nil {
				t.Fatalf("got transport %v, want an error", tr)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("got error of type %T (%v), want *InputError", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to contain %q", err, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it not to contain %q", err, w)
				}
			}
		})
	}
}

// TestProxyDecision checks NO_PROXY and the proxy choice for made-up hosts:
// the decision never resolves a name, so no DNS query happens.
func TestProxyDecision(t *testing.T) {
	env := map[string]string{
		"HTTP_PROXY":  "http://proxy.internal:3128",
		"https_proxy": "http://secure-proxy.internal:3129",
		"NO_PROXY":    "skip.invalid,.corp.invalid",
	}
	proxy, err := Proxy(env)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url, want string
	}{
		{"http://notify.invalid/hook", "http://proxy.internal:3128"},
		{"https://notify.invalid/hook", "http://secure-proxy.internal:3129"},
		{"http://skip.invalid/hook", ""},
		{"http://api.corp.invalid/hook", ""},
		{"http://127.0.0.1:8080/hook", ""}, // never a proxy for loopback
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("POST", tt.url, nil)
		got, err := proxy(req)
		if err != nil {
			t.Fatal(err)
		}
		if g := fmt.Sprint(got); (got == nil && tt.want != "") || (got != nil && g != tt.want) {
			t.Errorf("%s: got proxy %v, want %q", tt.url, got, tt.want)
		}
	}
}

func TestProxyBadURL(t *testing.T) {
	_, err := Proxy(map[string]string{"HTTP_PROXY": "http://user:canary-proxy-pass@[::1"})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Where != "$HTTP_PROXY" {
		t.Fatalf("got %v, want an *InputError for $HTTP_PROXY", err)
	}
	if strings.Contains(err.Error(), "canary-proxy-pass") {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestProxySecrets(t *testing.T) {
	got := ProxySecrets(map[string]string{"http_proxy": "http://puser:canary-pp@127.0.0.1:3128", "HTTPS_PROXY": "127.0.0.1:3129"})
	red := redact.New(got...)
	echo := "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("puser:canary-pp")) + " canary-pp; user puser " + base64.StdEncoding.EncodeToString([]byte("puser"))
	if out := red.String(echo); strings.Contains(out, "canary-pp") || strings.Contains(out, "cHVzZXI") || strings.Contains(out, "puser") {
		t.Errorf("got %q, want the proxy credentials redacted", out)
	}
}
