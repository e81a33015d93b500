package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testPKI is a CA and the certificates the TLS tests use.
type testPKI struct {
	caPEM                 []byte
	caPool                *x509.CertPool
	server                tls.Certificate // 127.0.0.1 and notify.invalid
	wrongName             tls.Certificate // other.example only
	clientCert, clientKey []byte          // PEM, for mutual TLS
}

var pki = sync.OnceValue(func() *testPKI {
	p, err := newPKI()
	if err != nil {
		panic(err)
	}
	return p
})

func newPKI() (*testPKI, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jobnotify test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	leaf := func(serial int64, cn string, ips []net.IP, names []string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte, err error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: ips, DNSNames: names,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return nil, nil, err
		}
		k, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), nil
	}
	p := &testPKI{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), caPool: x509.NewCertPool()}
	p.caPool.AddCert(ca)
	c, k, err := leaf(2, "127.0.0.1", []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"notify.invalid"}, x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	if p.server, err = tls.X509KeyPair(c, k); err != nil {
		return nil, err
	}
	if c, k, err = leaf(3, "other.example", nil, []string{"other.example"}, x509.ExtKeyUsageServerAuth); err != nil {
		return nil, err
	}
	if p.wrongName, err = tls.X509KeyPair(c, k); err != nil {
		return nil, err
	}
	if p.clientCert, p.clientKey, err = leaf(4, "jobnotify client", nil, nil, x509.ExtKeyUsageClientAuth); err != nil {
		return nil, err
	}
	return p, nil
}

// writePKI writes ca.pem, client.pem and client-key.pem into dir.
func writePKI(t testing.TB, dir string) {
	t.Helper()
	p := pki()
	for name, b := range map[string][]byte{"ca.pem": p.caPEM, "client.pem": p.clientCert, "client-key.pem": p.clientKey} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// countingListener counts the connections a server accepted, whether or
// not a request came of them.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// newTLSRecorder is a recorder serving TLS with cert; with clientCAs it
// requires a client certificate signed by them.
func newTLSRecorder(t testing.TB, cert tls.Certificate, clientCAs *x509.CertPool, script ...http.HandlerFunc) (*recorder, *countingListener) {
	t.Helper()
	r := &recorder{script: script, got: make(chan struct{}, 1000)}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	ln := &countingListener{Listener: r.Server.Listener}
	r.Server.Listener = ln
	r.Server.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point
	r.Server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	if clientCAs != nil {
		r.Server.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		r.Server.TLS.ClientCAs = clientCAs
	}
	r.Server.StartTLS()
	t.Cleanup(r.Close)
	return r, ln
}

func TestTLS(t *testing.T) {
	p := pki()
	dir := t.TempDir()
	writePKI(t, dir)
	ca := filepath.Join(dir, "ca.pem")
	tlsTable := func(lines ...string) string { return "[tls]\n" + strings.Join(lines, "\n") + "\n" }
	caFile := fmt.Sprintf("ca_file = %q", ca)

	tests := []struct {
		name      string
		cert      tls.Certificate
		clientCAs *x509.CertPool
		tls       string
		exit      int
		want      []string
	}{
		{name: "unknown authority", cert: p.server, exit: 1, want: []string{"certificate signed by unknown authority"}},
		{name: "wrong host name", cert: p.wrongName, tls: tlsTable(caFile), exit: 1, want: []string{"x509: cannot validate certificate for 127.0.0.1"}},
		{name: "ca_file", cert: p.server, tls: tlsTable(caFile), exit: 0, want: []string{"-> 200 OK (1 attempt"}},
		{name: "mutual TLS", cert: p.server, clientCAs: p.caPool, exit: 0,
			tls: tlsTable(caFile, fmt.Sprintf("cert_file = %q\nkey_file = %q", filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")))},
		{name: "mutual TLS without a client certificate", cert: p.server, clientCAs: p.caPool, tls: tlsTable(caFile), exit: 1,
			want: []string{"delivery failed after 1 attempt"}},
		{name: "insecure_skip_verify", cert: p.server, tls: tlsTable("insecure_skip_verify = true"), exit: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ln := newTLSRecorder(t, tt.cert, tt.clientCAs)
			cfg := fmt.Sprintf("url = %q\n", srv.URL+"/hook") + fast + tokenHeaders + tt.tls
			r := jobnotify(t, runOpts{config: cfg, env: tokenEnv}, "send")
			wantCode(t, r, tt.exit)
			if n := ln.n.Load(); n != 1 {
				t.Errorf("connections: got %d, want 1 (a TLS failure is not retried)", n)
			}
			if n := len(srv.requests()); tt.exit == 0 && n != 1 || tt.exit != 0 && n != 0 {
				t.Errorf("requests: got %d", n)
			}
			wantStderr(t, r, tt.want...)
			warnings := 0
			for _, line := range strings.Split(r.stderr, "\n") {
				if strings.Contains(line, "WARNING") {
					warnings++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[strings.Contains(tt.tls, "insecure")]; warnings != want {
				t.Errorf("WARNING lines: got %d, want %d:\n%s", warnings, want, r.stderr)
			}
			noLeaks(t, r)
		})
	}

	// The issue asks a verification failure to point at the fix.
	t.Run("unknown authority hints at ca_file", func(t *testing.T) {
		srv, _ := newTLSRecorder(t, p.server, nil)
		r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", srv.URL) + fast}, "send")
		wantCode(t, r, 1)
		wantStderr(t, r, "certificate signed by unknown authority", "ca_file")
	})

	t.Run("https to a plain http server", func(t *testing.T) {
		srv := &recorder{got: make(chan struct{}, 1000)}
		srv.Server = httptest.NewUnstartedServer(http.HandlerFunc(srv.serve))
		ln := &countingListener{Listener: srv.Server.Listener}
		srv.Server.Listener = ln
		srv.Server.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.Server.Start()
		t.Cleanup(srv.Close)
		u := strings.Replace(srv.URL, "http://", "https://", 1)
		r := jobnotify(t, runOpts{config: fmt.Sprintf("url = %q\n", u) + fast + tokenHeaders, env: tokenEnv}, "send")
		wantCode(t, r, 1)
		if n := ln.n.Load(); n != 1 {
			t.Errorf("connections: got %d, want 1", n)
		}
		wantStderr(t, r, "delivery failed after 1 attempt", "HTTP response to HTTPS client", "http://")
		noLeaks(t, r)
	})

	t.Run("relative paths are relative to the config file", func(t *testing.T) {
		srv, _ := newTLSRecorder(t, p.server, p.caPool)
		cfgDir := t.TempDir()
		writePKI(t, cfgDir)
		path := writeConfig(t, cfgDir, fmt.Sprintf("url = %q\n[tls]\nca_file = \"ca.pem\"\ncert_file = \"client.pem\"\nkey_file = \"client-key.pem\"\n", srv.URL), 0o600)
		cmd := command(t, runOpts{}, "--config", path, "send")
		cmd.Dir = t.TempDir() // somewhere else: a workspace
		r, _ := runCmd(t, cmd)
		wantCode(t, r, 0)
		wantRequests(t, srv, 1)
	})
}
