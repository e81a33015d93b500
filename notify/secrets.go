package notify

import (
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/redact"
)

// Secrets lists the secrets an endpoint's requests carry: the values of
// sensitive headers (and the credential after an auth scheme, and a Basic
// password), the URL's userinfo and the values of its query parameters
// long enough to be secrets. The values ${VAR} expansions produced are the
// settings' Secrets, which the caller adds.
func Secrets(e Endpoint) []string {
	var out []string
	for _, h := range e.Headers {
		if !config.Sensitive(h.Name) {
			continue
		}
		out = append(out, h.Value)
		if scheme, cred, ok := strings.Cut(h.Value, " "); ok {
			cred = strings.TrimSpace(cred)
			out = append(out, cred)
			if strings.EqualFold(scheme, "basic") {
				if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
					user, pass, _ := strings.Cut(string(dec), ":")
					out = append(out, string(dec), pass, user)
				}
			}
		}
	}
	if u, err := url.Parse(e.URL); err == nil {
		if u.User != nil {
			p, _ := u.User.Password()
			out = append(out, u.User.String(), u.User.Username(), p)
		}
		// Every query value long enough to be one counts: a hook URL's
		// ?key=… is as secret as a header.
		for _, vs := range u.Query() {
			for _, v := range vs {
				if len(v) >= redact.MinSecret {
					out = append(out, v)
				}
			}
		}
	}
	return out
}
