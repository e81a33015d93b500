package redact

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Run it with, for example:
//
//	go test -run '^$' -fuzz '^FuzzRedact$' -fuzztime 30s ./redact

// fzMiddle returns the characters of enc(prefix+secret) that the secret's
// bits alone decide: character i carries bits [6i, 6i+6), the secret bits
// [8·len(prefix), 8·(len(prefix)+len(secret))).
func fzMiddle(enc *base64.Encoding, prefix []byte, secret string) string {
	e := enc.EncodeToString(append(append([]byte(nil), prefix...), secret...))
	start := (8*len(prefix) + 5) / 6
	end := 8 * (len(prefix) + len(secret)) / 6
	if end <= start {
		return ""
	}
	return e[start:end]
}

func FuzzRedact(f *testing.F) {
	f.Add("s3cr3t-token-value", "Authorization: Bearer ", "\n", byte(0), byte(0))
	f.Add("hunter22", "password=", "&x=1", byte('a'), byte('b'))
	f.Add("abcd", "", "", byte(0), byte(1))
	f.Add("aaaa", "aaa", "aa", byte('a'), byte('a'))
	f.Add("abcde", "***", "**", byte(0xff), byte(0xfe))
	f.Add("a b+c/d=e&f?g", "q=", "", byte(' '), byte('/'))
	f.Add("päss wörd\xff", "{\"p\":\"", "\"}", byte(0x80), byte(0))
	f.Add("line one\nline two", "", "", byte(0), byte(0))
	f.Add("crlf-secret\r", "x", "\r\n", byte(0), byte(0))
	f.Add(`quote"back\slash`, `"`, `"`, byte('"'), byte('\\'))
	f.Add("ababab", "ab", "ba", byte('a'), byte('b'))
	f.Fuzz(func(t *testing.T, secret, before, after string, p1, p2 byte) {
		// The redactor trims a trailing \r (a value read from a CRLF file)
		// and ignores what is shorter than MinSecret.
		core := strings.TrimRight(secret, "\r")
		if len(core) < MinSecret || strings.Contains(secret, "*") {
			// A secret with * in it can be re-formed from *** and the
			// text around it ("a***" in "aa***"): nothing to assert.
			return
		}
		plant := map[string]string{
			"raw":          secret,
			"QueryEscape":  url.QueryEscape(secret),
			"PathEscape":   url.PathEscape(secret),
			"JSON-escaped": jsonEscaped(secret),
		}
		// base64 forms are only promised from MinSecret+1 bytes: forms()
		// keeps no fragment shorter than MinSecret+2 characters, and the
		// fragment a 4-byte secret decides alone is 5 characters long.
		if len(core) > MinSecret {
			encs := map[string]*base64.Encoding{
				"std": base64.StdEncoding, "raw std": base64.RawStdEncoding,
				"url": base64.URLEncoding, "raw url": base64.RawURLEncoding,
			}
			for name, enc := range encs {
				plant["base64 "+name] = enc.EncodeToString([]byte(secret))
				for _, prefix := range [][]byte{{p1}, {p1, p2}} {
					full := enc.EncodeToString(append(append([]byte(nil), prefix...), secret...))
					mid := fzMiddle(enc, prefix, secret)
					if want := fzMiddle(enc, make([]byte, len(prefix)), secret); mid != want {
						t.Fatalf("middle of %s base64 after %q: got %q, want %q whatever the prefix", name, prefix, mid, want)
					}
					plant[fmt.Sprintf("base64 %s after %d bytes", name, len(prefix))] = full
					plant[fmt.Sprintf("middle of base64 %s after %d bytes", name, len(prefix))] = mid
				}
			}
		}
		r := New(secret)
		for how, form := range plant {
			text := before + form + after
			got := r.String(text)
			if !strings.Contains(got, "***") {
				t.Errorf("%s: redacting %q gave %q, want *** in it", how, text, got)
			}
			// Nothing of the secret's forms is left: a form with no *
			// in it that is in the output lies between two ***, in text
			// the redactor left alone, which would hold a form it knows.
			for what, f := range plant {
				if strings.Contains(got, f) {
					t.Errorf("%s planted: redacting %q gave %q, which still holds the %s form %q", how, text, got, what, f)
				}
			}
		}
		// Redacting again changes nothing more: *** is not a secret.
		once := r.String(before + secret + after)
		if twice := r.String(once); twice != once {
			t.Errorf("redacting %q again gave %q, want it unchanged", once, twice)
		}
	})
}
