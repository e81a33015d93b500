package notify

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jobnotify/jobnotify/internal/fastjson"
)

// Run one with, for example:
//
//	go test -run '^$' -fuzz '^FuzzRedact$' -fuzztime 30s ./notify

func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		"", " ", "\n", "deployed", "deployed\n", "deployed\r\n\r\n", "  two\nlines \n",
		`{}`, ` {"a":1} `, "{\"a\":\n  {\"b\": [1, 2.50, 1e400]}}\n", `{"n": 12345678901234567890}`,
		`{"a":1} {"b":2}`, `{"a":1}x`, `{"a":1}]`, `{"a":`, "{\n\"a\": tru\n}", `{"a":"\ud800"}`,
		`[1,2]`, `[`, "\t[", "null", "true", `"string"`, "42", "\xff\xfe", "{\xff}", `{"a":"` + "\xff" + `"}`,
		"\u00a0{}", "\ufeff{}", "x{", "ü{\"a\":1}", "{\"a\":1}\n\n\n", "{\"é\":\"ö\"\n,\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		b, err := ParseBody(text, "--body")
		trimmed := strings.TrimSpace(text)
		plain := trimmed == "" || trimmed[0] != '{' && trimmed[0] != '['
		if err != nil {
			if b != nil {
				t.Errorf("got body %+v and error %v, want one or the other", b, err)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Where != "--body" {
				t.Fatalf("got error %v (%T), want an *InputError at --body", err, err)
			}
			switch {
			case plain && utf8.ValidString(text):
				t.Fatalf("got error %v for plain UTF-8 text, want {\"message\": text}", err)
			case trimmed != "" && trimmed[0] == '{':
				fzCheckPosition(t, text, err.Error())
				if json.Valid([]byte(text)) {
					t.Errorf("got error %v for valid JSON %q, want it accepted", err, text)
				}
			}
			return
		}
		if b == nil || b.Object == nil {
			t.Fatalf("got body %+v and no error, want a body with an object", b)
		}
		if b.Raw != text {
			t.Errorf("got Raw %q, want the text %q", b.Raw, text)
		}
		if plain {
			want := map[string]any{"message": strings.TrimRight(text, "\r\n")}
			if !reflect.DeepEqual(b.Object, want) {
				t.Errorf("got %#v, want %#v", b.Object, want)
			}
			return
		}
		if trimmed[0] != '{' {
			t.Fatalf("got %#v for text starting with %q, want an error", b.Object, trimmed[0])
		}
		if !json.Valid([]byte(text)) {
			t.Errorf("got %#v for invalid JSON %q, want an error", b.Object, text)
		}
		// The object is the text's, exactly: it survives a round trip.
		enc, err := fastjson.Marshal(b.Object)
		if err != nil {
			t.Fatalf("encoding %#v: %v", b.Object, err)
		}
		again, err := ParseBody(string(enc), "--body")
		// Large values stay raw text, whose spacing a round trip may
		// change: compare what they mean.
		if err != nil || !reflect.DeepEqual(fzDecoded(again.Object), fzDecoded(b.Object)) {
			t.Errorf("re-parsing %s: got %#v, %v; want %#v", enc, again, err, b.Object)
		}
	})
}

// fzDecoded returns m with its raw (undecoded) values decoded.
func fzDecoded(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if r, ok := v.(fastjson.Raw); ok {
			v = r.Decode()
		}
		out[k] = v
	}
	return out
}

// fzCheckPosition checks a message names "line L, column C" with L a line
// of text and C at most one past that line's length in runes.
func fzCheckPosition(t *testing.T, text, msg string) {
	t.Helper()
	i := strings.Index(msg, "line ")
	if i < 0 || !strings.Contains(msg, "column ") {
		t.Fatalf("got error %q, want it to name a line and column", msg)
	}
	var line, col int
	if _, err := fmt.Sscanf(msg[i:], "line %d, column %d", &line, &col); err != nil {
		t.Fatalf("got error %q: want \"line L, column C\": %v", msg, err)
	}
	lines := strings.Split(text, "\n")
	if line < 1 || line > len(lines) {
		t.Fatalf("got line %d in %q, want 1 to %d", line, msg, len(lines))
	}
	if n := utf8.RuneCountInString(lines[line-1]); col < 1 || col > n+1 {
		t.Errorf("got column %d of line %d (%d runes) in %q, want 1 to %d", col, line, n, msg, n+1)
	}
}

func FuzzParseField(f *testing.F) {
	for _, kv := range [][2]string{
		{"stage", "deploy"}, {"stage", ""}, {"k", "a=b=c"}, {"k", "x:=y"}, {"ü", "\xff"},
		{"a b", " spaced "}, {"k", `{"a":1}`}, {"k", "1e400"}, {"k", "[1, 2"}, {"k", "true false"},
		{"", "v"}, {"a.b", "c"}, {`a\.b`, "c"}, {"a..b", "c"}, {"k:", "v"}, {"k", "null"}, {"k", " 12 "},
	} {
		f.Add(kv[0], kv[1])
	}
	f.Fuzz(func(t *testing.T, k, v string) {
		// Any argument: an *InputError or a field with no empty key.
		for _, arg := range []string{k, k + "=" + v, k + ":=" + v} {
			fld, err := ParseField(arg)
			if err != nil {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Where != "--field" {
					t.Fatalf("ParseField(%q): got error %v (%T), want an *InputError at --field", arg, err, err)
				}
				continue
			}
			if len(fld.Path) == 0 {
				t.Fatalf("ParseField(%q): got an empty path", arg)
			}
			for _, p := range fld.Path {
				if p == "" {
					t.Fatalf("ParseField(%q): got path %q with an empty key", arg, fld.Path)
				}
			}
		}
		if k == "" || strings.ContainsAny(k, `.\=:`) {
			return
		}
		// K=V is a string, whatever V holds.
		fld, err := ParseField(k + "=" + v)
		if err != nil {
			t.Fatalf("ParseField(%q): got error %v, want a field", k+"="+v, err)
		}
		if len(fld.Path) != 1 || fld.Path[0] != k {
			t.Errorf("ParseField(%q): got path %q, want [%q]", k+"="+v, fld.Path, k)
		}
		if s, ok := fld.Value.(string); !ok || s != v {
			t.Errorf("ParseField(%q): got value %#v, want the string %q", k+"="+v, fld.Value, v)
		}
		// K:=JSON takes exactly the valid JSON values.
		fld, err = ParseField(k + ":=" + v)
		if valid := json.Valid([]byte(v)); valid != (err == nil) {
			t.Fatalf("ParseField(%q): got error %v, want one exactly when the JSON is invalid (valid: %v)", k+":="+v, err, valid)
		}
		if err == nil && (len(fld.Path) != 1 || fld.Path[0] != k) {
			t.Errorf("ParseField(%q): got path %q, want [%q]", k+":="+v, fld.Path, k)
		}
	})
}

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
			"JSON-escaped": fzJSONInner(secret),
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
		r := NewRedactor(secret)
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

// fzJSONInner is s as it appears inside a JSON string.
func fzJSONInner(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
