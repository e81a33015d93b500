package config

import (
	"strings"
	"testing"
)

// The [env] patterns are checked with the syntax envcollect matches them with.
func TestValidPattern(t *testing.T) {
	tests := []struct {
		pattern string
		wantErr bool
	}{
		{pattern: "DEPLOY_*"},
		{pattern: "*"},
		{pattern: "X?"},
		{pattern: "APP_[A-Z]*"},
		{pattern: "EXACT_NAME"},
		{pattern: "[", wantErr: true},
		{pattern: "DEPLOY_[*", wantErr: true},
		{pattern: `\`, wantErr: true},
		{pattern: "[a-]", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			err := validPattern(tt.pattern)
			if (err != nil) != tt.wantErr {
				t.Errorf("got error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// A URL that is a host without its scheme says so, shows the fix, and
// never its password or query.
func TestCheckURLNoScheme(t *testing.T) {
	tests := []struct{ url, want string }{
		{url: "127.0.0.1:9/x", want: "127.0.0.1:9/x: no scheme: want an absolute URL such as http://127.0.0.1:9/x"},
		{url: "localhost:8080/hook", want: "localhost:8080/hook: no scheme: want an absolute URL such as http://localhost:8080/hook"},
		{url: "api.example.com", want: "api.example.com: no scheme: want an absolute URL such as http://api.example.com"},
		{url: "user:canarypass@h/x?token=canaryq", want: "%2A%2A%2A@h/x?***: no scheme: want an absolute URL such as http://%2A%2A%2A@h/x?***"},
		{url: "/hook", want: "/hook: want an absolute http:// or https:// URL"},
		{url: "ftp://h/x", want: "ftp://h/x: want an absolute http:// or https:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := checkURL(tt.url)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

func TestParseDurationNeedsUnit(t *testing.T) {
	for _, text := range []string{"10", " 10 ", "1.5"} {
		_, err := parseDuration(text)
		if err == nil || !strings.Contains(err.Error(), "a unit is needed, as in "+strings.TrimSpace(text)+"s") {
			t.Errorf("parseDuration(%q): got %v, want a unit is needed", text, err)
		}
	}
	if d, err := parseDuration("0"); err != nil || d != 0 {
		t.Errorf(`parseDuration("0"): got %v, %v; want 0, nil`, d, err)
	}
}
