package config

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Run one with, for example:
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 30s ./config

const fzPath = "/etc/jobnotify/fuzz-config.toml"

// fzPlants are the places a literal secret is written in a file: a
// secret followed by text that may make the file fail to parse.
var fzPlants = []func(secret string) string{
	func(s string) string { return "[headers]\nAuthorization = \"Bearer " + s + "\"\n" },
	func(s string) string { return "[signing]\nscheme = \"hmac-sha256\"\nsecret = \"" + s + "\"\n" },
	func(s string) string {
		return "url = \"https://127.0.0.1/\"\n[targets.t.headers]\nX-Api-Key = \"" + s + "\"\n"
	},
}

// fzBasicString reports whether s can be written between double quotes
// in TOML as it is, with no escapes: then the value parses as exactly s.
func fzBasicString(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '"' || r == '\\' || r < ' ' && r != '\t' || r == 0x7f {
			return false
		}
	}
	return true
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"url = \"https://api.example.com/\"\nmethod = \"POST\"\n",
		"heders = 1\n",
		"[headers]\nX = \"a\"\n[headers]\n",
		"url = \"unterminated\n",
		"timeout = \"10 parsecs\"\n",
		"[retry]\nattempts = 0\n",
		"[retry]\nmin_wait = \"1m\"\n",
		"[targets.chat]\nurl = 1\n",
		"[targets.chat.retry]\nmax_wait = \"1ms\"\n",
		"[fields]\na.b.c = [1, {x = 2}]\n",
		"method = \"TRACE\"\n",
		"format = \"xml\"\n",
		"[env]\ninclude = [\"[\"]\n",
		"[signing]\nscheme = \"md5\"\n",
		"[signing]\nscheme = \"standard-webhooks\"\nheader = \"X\"\n",
		"[headers]\n\"Bad Name\" = \"v\"\n",
		"[tls]\ncert_file = \"c.pem\"\n",
		"[[targets]]\n",
		"\"headers.Authorization\" = \"x\"\n",
		"signing = \"hmac-sha256\"\n",
		"[[retry]]\nattempts = 1\n",
		"targets = 3\n",
		"x = 1979-05-27T07:32:00Z\n",
		"a = \"\"\"\nmulti\n\"\"\"\n",
		"\xff\xfe",
		"[headers]\nAuthorization = 12345678\n",
		"[headers.Authorization]\n",
		"Authorization = \"Bearer dup\"\n",
	} {
		f.Add([]byte(s), "s3cr3t-token-value")
	}
	f.Add([]byte("url = 1"), "Authorization")
	f.Add([]byte("[headers]\nAuthorization = \"x\"\n"), "${TOKEN}xyz")
	f.Add([]byte("= \"secret-looking-text\"\n"), "secret-looking-text")
	f.Fuzz(func(t *testing.T, data []byte, secret string) {
		fzCheckParse(t, data)
		if len(secret) < 8 || !fzBasicString(secret) {
			return
		}
		ph := strings.Repeat("x", len(secret))
		if secret[0] == 'x' {
			ph = strings.Repeat("y", len(secret))
		}
		for _, plant := range fzPlants {
			src := plant(secret) + string(data)
			_, err := fzCheckParse(t, []byte(src))
			if err == nil || !strings.Contains(err.Error(), secret) {
				continue
			}
			// The error holds the secret. Fine only if it would hold it
			// with another value there: the text is also a key name, part
			// of the rest of the file or of the message itself.
			_, err2 := Parse(fzPath, []byte(plant(ph)+string(data)), testVersion)
			if err2 == nil || !strings.Contains(err2.Error(), secret) {
				t.Errorf("parsing %q: got error %q, which echoes the secret %q", src, err, secret)
			}
		}
	})
}

// fzCheckParse parses data and checks the error, if any, is a *Error
// naming the file.
func fzCheckParse(t *testing.T, data []byte) (*File, error) {
	t.Helper()
	cf, err := Parse(fzPath, data, testVersion)
	if err != nil {
		if cf != nil {
			t.Errorf("parsing %q: got a file and error %v, want one or the other", data, err)
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("parsing %q: got error %v (%T), want a *config.Error", data, err, err)
		}
		if !strings.Contains(err.Error(), fzPath) {
			t.Fatalf("parsing %q: got error %q, want it to name the file %s", data, err, fzPath)
		}
		return nil, err
	}
	if cf == nil || cf.Path != fzPath {
		t.Fatalf("parsing %q: got %+v, want a file at %s", data, cf, fzPath)
	}
	return cf, nil
}

// fzTchar holds the characters of an HTTP token besides letters and
// digits (RFC 9110, section 5.6.2).
const fzTchar = "!#$%&'*+-.^_`|~"

func fzToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(fzTchar, c) >= 0) {
			return false
		}
	}
	return true
}

// fzCleanValue reports a value free of ASCII control characters but tab:
// what HTTP/1.1 can carry in a field value.
func fzCleanValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func FuzzCheckHeader(f *testing.F) {
	for _, nv := range [][2]string{
		{"Authorization", "Bearer s3cr3t-token"},
		{"X-Token", "abc\r\nX-Injected: 1"},
		{"X-Token", "tab\tis fine"},
		{"X-Token", "nul\x00byte"},
		{"X-Token", "del\x7fchar"},
		{"X-Token", "ütf-8 and \xff bytes"},
		{"", "value"},
		{"Bad Name", "value"},
		{"Bad:Name", "value"},
		{"Bad\nName", "secret\nvalue"},
		{"Ünicode", "v"},
		{"!#$%&'*+-.^_`|~09azAZ", ""},
		{"X-Header", "X-Header"},
		{"header", "value has a control character\n"},
		{"X-A", "\"X-A\""},
	} {
		f.Add(nv[0], nv[1])
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		err := CheckHeader(name, value)
		valid := fzToken(name) && fzCleanValue(value)
		if (err == nil) != valid {
			t.Fatalf("CheckHeader(%q, %q): got %v, want an error exactly when the name is not a token or the value has a control character (token %v, clean value %v)",
				name, value, err, fzToken(name), fzCleanValue(value))
		}
		if err == nil {
			return
		}
		// The message does not depend on the value beyond its being bad,
		// so it cannot echo it.
		other := "\n"
		if !fzToken(name) {
			other = ""
		}
		if want := CheckHeader(name, other); want == nil || err.Error() != want.Error() {
			t.Errorf("CheckHeader(%q, %q): got %q, want the same message as for another bad value: %v", name, value, err, want)
		}
		if len(value) >= 4 && strings.Contains(err.Error(), value) &&
			!strings.Contains(name, value) && !strings.Contains(CheckHeader(name, other).Error(), value) {
			t.Errorf("CheckHeader(%q, %q): got %q, which echoes the value", name, value, err)
		}
	})
}
