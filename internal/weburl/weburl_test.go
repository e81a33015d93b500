package weburl

import (
	"net/url"
	"testing"
)

func TestDisplayAndOrigin(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		display string
		origin  string
	}{
		{name: "plain", raw: "https://api.example.com/x", display: "https://api.example.com/x", origin: "https://api.example.com/x"},
		{name: "userinfo", raw: "https://u:p4ss@api.example.com/x", display: "https://api.example.com/x", origin: "https://api.example.com/x"},
		{name: "query", raw: "http://127.0.0.1:8080/x?token=abc&a=1&flag", display: "http://127.0.0.1:8080/x?token=***&a=***&flag", origin: "http://127.0.0.1:8080/x"},
		{name: "fragment", raw: "http://127.0.0.1/x?t=s#frag", display: "http://127.0.0.1/x?t=***#frag", origin: "http://127.0.0.1/x"},
		{name: "invalid", raw: "http://[::1", display: "(invalid URL)", origin: "(invalid URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Display(tt.raw); got != tt.display {
				t.Errorf("Display: got %q, want %q", got, tt.display)
			}
			if got := Origin(tt.raw); got != tt.origin {
				t.Errorf("Origin: got %q, want %q", got, tt.origin)
			}
		})
	}
}

func TestSafe(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{name: "plain", raw: "https://h.test:8443/a", want: "https://h.test:8443/a"},
		{name: "userinfo, query and fragment", raw: "https://u:canary@h.test/x?t=canary#f", want: "https://%2A%2A%2A@h.test/x?***"},
		{name: "user alone", raw: "http://canary@h.test", want: "http://%2A%2A%2A@h.test"},
		{name: "query without values", raw: "https://h.test/a?canary", want: "https://h.test/a?***"},
		{name: "no scheme: user:pass@host is opaque", raw: "user:canary@host.test", want: "user:***"},
		{name: "relative", raw: "/relative?q=canary", want: "/relative?***"},
		{name: "other scheme", raw: "ftp://h.test/x", want: "ftp://h.test/x"},
		{name: "unparseable", raw: "https://u:canary@h.test:port/", want: "(unparseable URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Safe(tt.raw); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOriginKey(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{name: "https default port, lower case", raw: "https://API.Example.com/x", want: "https://api.example.com:443"},
		{name: "http default port", raw: "http://h.test", want: "http://h.test:80"},
		{name: "scheme in upper case", raw: "HTTPS://h.test", want: "https://h.test:443"},
		{name: "explicit port", raw: "http://u:p@h.test:8080/a?q=1", want: "http://h.test:8080"},
		{name: "explicit default port", raw: "https://h.test:443", want: "https://h.test:443"},
		{name: "https port on http is another origin", raw: "http://h.test:443/x", want: "http://h.test:443"},
		{name: "IPv6", raw: "http://[::1]/x", want: "http://[::1]:80"},
		{name: "other scheme has no default", raw: "ftp://h.test", want: "ftp://h.test:"},
		{name: "host to be expanded", raw: "https://$HOST/x", want: ""},
		{name: "relative", raw: "/rel", want: ""},
		{name: "unparseable", raw: "http://[::1", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OriginKey(tt.raw); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		from, to string
		want     bool
	}{
		{"http://h.test/a", "http://h.test/b", true},
		{"http://h.test/a", "http://H.TEST/b", true},
		{"http://h.test/a", "http://h.test:80/b", true},
		{"HTTP://h.test/a", "http://h.test/b", true},
		{"https://h.test/a", "https://h.test:443/b", true},
		{"http://h.test/a", "https://h.test/a", true},           // 80 -> 443 upgrade
		{"http://h.test:8080/a", "https://h.test:8080/a", true}, // same port upgrade
		{"http://h.test:8080/a", "https://h.test/a", false},
		{"http://h.test/a", "https://h.test:8443/a", false},
		{"https://h.test/a", "http://h.test/a", false},
		{"https://h.test/a", "http://h.test:443/a", false},
		{"http://127.0.0.1:1/a", "http://127.0.0.1:2/a", false},
		{"http://h.test/a", "http://g.test/a", false},
		{"http://h.test/a", "http://h.test.evil/a", false},
		{"http://h.test/a", "http://u@h.test/a", false},
		{"http://h.test/a", "http://u:p@h.test/a", false},
		{"http://h.test/a", "ftp://h.test/a", false},
	}
	for _, tt := range tests {
		t.Run(tt.from+" to "+tt.to, func(t *testing.T) {
			from, err := url.Parse(tt.from)
			if err != nil {
				t.Fatal(err)
			}
			to, err := url.Parse(tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if got := SameOrigin(from, to); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
