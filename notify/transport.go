package notify

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/jobnotify/jobnotify/config"
)

// NewTransport returns the HTTP transport for the [tls] settings, with
// proxy choosing a proxy per request (nil for none). Proxies keep working
// whatever the TLS settings. Its errors are *InputError: a CA or client
// certificate that cannot be loaded is a config problem, found before
// anything is sent.
func NewTransport(t config.TLS, proxy func(*http.Request) (*url.URL, error)) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = proxy
	if t == (config.TLS{}) {
		return tr, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			// Name the file: a relative ca_file was resolved against the
			// config file's directory, which the user may not expect.
			return nil, &InputError{Where: "tls.ca_file", Err: fmt.Errorf("%s: %w", t.CAFile, errors.Unwrap(err))}
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &InputError{Where: "tls.ca_file", Err: fmt.Errorf("%s holds no PEM certificate", t.CAFile)}
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			// The error names the files, never the key's contents.
			return nil, &InputError{Where: "tls.cert_file", Err: fmt.Errorf("loading %s and %s: %w", t.CertFile, t.KeyFile, err)}
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	tr.TLSClientConfig = tc
	return tr, nil
}
