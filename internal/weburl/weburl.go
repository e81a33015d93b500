// Package weburl holds the one copy of each form an http(s) URL is shown
// in (to a user, in a log line, in an error message) and of the host and
// port comparisons that decide where a header or a redirect may go.
//
// Each form drops what may be secret: userinfo always, query values in
// Display, the whole query in Safe and the query itself in Origin.
package weburl

import (
	"net"
	"net/url"
	"strings"
)

// Display renders a URL without userinfo and with every query value as
// ***, keeping the keys and the fragment: the form a dry run and validate
// show. An unparseable URL is "(invalid URL)".
func Display(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := strings.Split(c.RawQuery, "&")
		for i, kv := range q {
			if k, _, ok := strings.Cut(kv, "="); ok {
				q[i] = k + "=***"
			}
		}
		c.RawQuery = strings.Join(q, "&")
	}
	return c.String()
}

// Origin renders a URL as scheme://host/path, the form used in log lines:
// no userinfo, query or fragment. An unparseable URL is "(invalid URL)".
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// Safe renders a URL for an error message about the URL itself: userinfo,
// an opaque part and a query each become ***, so the message shows where
// the problem is without what may be secret; the fragment is dropped. An
// unparseable URL is "(unparseable URL)".
func Safe(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User("***")
	}
	if u.Opaque != "" {
		u.Opaque = "***" // "user:pass@host" parses as scheme "user" and an opaque rest
	}
	if u.RawQuery != "" {
		u.RawQuery = "***"
	}
	u.Fragment = ""
	return u.String()
}

// OriginKey returns a URL's origin — scheme, host and port, the port
// made explicit — in lower case, for comparing: "https://api.example.com:443".
// It is "" when raw is not an absolute URL or its host is still a ${VAR}
// to be expanded. Two URLs share credentials only when their keys are
// equal: the same host on http is another origin than on https.
func OriginKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || strings.Contains(u.Host, "$") {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port(u))
}

// SameOrigin reports whether a redirect from one URL to another stays on
// the same server: the same host, and the same scheme and port or an
// upgrade from http to https (on the same port, or from 80 to 443). A
// target with userinfo never does.
func SameOrigin(from, to *url.URL) bool {
	if !strings.EqualFold(from.Hostname(), to.Hostname()) || to.User != nil {
		return false
	}
	fs, ts := strings.ToLower(from.Scheme), strings.ToLower(to.Scheme)
	fp, tp := port(from), port(to)
	switch {
	case fs == ts:
		return fp == tp
	case fs == "http" && ts == "https":
		return fp == tp || fp == "80" && tp == "443"
	}
	return false
}

// port returns u's port, or its scheme's default: 80 for http, 443 for
// https, "" for any other scheme.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}
