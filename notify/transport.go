package notify

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"golang.org/x/net/http/httpproxy"

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

// proxyVars are the variables that choose a proxy, upper case first as
// net/http reads them.
var proxyVars = [][2]string{{"HTTP_PROXY", "http_proxy"}, {"HTTPS_PROXY", "https_proxy"}, {"NO_PROXY", "no_proxy"}}

func lookupEither(env map[string]string, names [2]string) (name, value string) {
	for _, n := range names {
		if v := env[n]; v != "" {
			return n, v
		}
	}
	return names[0], ""
}

// Proxy returns the proxy decision for the environment env, with the
// rules net/http applies to the process environment (HTTP_PROXY,
// HTTPS_PROXY, NO_PROXY; never a proxy for loopback). Reading env rather
// than the process lets a test check NO_PROXY for a made-up host without
// resolving it. A proxy URL that does not parse is an *InputError naming
// the variable, not its value (it may hold a password); left alone it
// would be taken for a host name and looked up.
func Proxy(env map[string]string) (func(*http.Request) (*url.URL, error), error) {
	var vals [3]string
	for i, names := range proxyVars {
		name, v := lookupEither(env, names)
		vals[i] = v
		if i == 2 || v == "" {
			continue
		}
		raw := v
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw
		}
		if u, err := url.Parse(raw); err != nil || u.Hostname() == "" {
			return nil, &InputError{Where: "$" + name, Err: errors.New("not a valid proxy URL (value not shown: it may hold a password)")}
		}
	}
	cfg := &httpproxy.Config{HTTPProxy: vals[0], HTTPSProxy: vals[1], NoProxy: vals[2], CGI: env["REQUEST_METHOD"] != ""}
	f := cfg.ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return f(r.URL) }, nil
}

// ProxySecrets returns the credentials in the proxy variables of env —
// the userinfo, the user name and the password, each on its own — so a
// proxy that echoes its Proxy-Authorization, or names the user in a 407,
// is redacted too. A user name shorter than redact.MinSecret (4 bytes)
// cannot be redacted: the redactor ignores values that short.
func ProxySecrets(env map[string]string) []string {
	var out []string
	for _, names := range proxyVars[:2] {
		_, v := lookupEither(env, names)
		if !strings.Contains(v, "@") {
			continue
		}
		if !strings.Contains(v, "://") {
			v = "http://" + v
		}
		if u, err := url.Parse(v); err == nil && u.User != nil {
			p, _ := u.User.Password()
			out = append(out, u.User.String(), u.User.Username()+":"+p, u.User.Username(), p)
		}
	}
	return out
}
