package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// b64Secret encodes to different text in the standard and URL alphabets,
// and needs padding.
const b64Secret = "canary>?>?>?~~~~secret"

// escSecret changes under every escaping.
const escSecret = `p@ss w0rd/&="q\canary`

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func TestRedactorForms(t *testing.T) {
	if base64.StdEncoding.EncodeToString([]byte(b64Secret)) == base64.URLEncoding.EncodeToString([]byte(b64Secret)) {
		t.Fatal("test secret encodes the same in both base64 alphabets")
	}
	tests := []struct {
		name   string
		secret string
		form   string
		// prefix is the length of the plain text encoded before the secret
		// in a base64 form; -1 for forms that must be replaced exactly.
		prefix int
	}{
		{name: "raw", secret: escSecret, form: escSecret, prefix: -1},
		{name: "query escaped", secret: escSecret, form: url.QueryEscape(escSecret), prefix: -1},
		{name: "path escaped", secret: escSecret, form: url.PathEscape(escSecret), prefix: -1},
		{name: "JSON escaped", secret: escSecret, form: jsonEscaped(escSecret), prefix: -1},
		{name: "HTML escaped", secret: escSecret, form: html.EscapeString(escSecret), prefix: -1},
		{name: "upper case", secret: escSecret, form: strings.ToUpper(escSecret), prefix: -1},
		{name: "lower case", secret: "Canary-Mixed-Case", form: "canary-mixed-case", prefix: -1},
		{name: "upper case, URL-escaped", secret: escSecret, form: url.QueryEscape(strings.ToUpper(escSecret)), prefix: -1},
		{name: "upper case, JSON escaped", secret: escSecret, form: jsonEscaped(strings.ToUpper(escSecret)), prefix: -1},
		{name: "base64 of the upper case", secret: b64Secret, form: base64.StdEncoding.EncodeToString([]byte(strings.ToUpper(b64Secret))), prefix: 0},
		{name: "base64 std padded", secret: b64Secret, form: base64.StdEncoding.EncodeToString([]byte(b64Secret)), prefix: 0},
		{name: "base64 std raw", secret: b64Secret, form: base64.RawStdEncoding.EncodeToString([]byte(b64Secret)), prefix: 0},
		{name: "base64 URL padded", secret: b64Secret, form: base64.URLEncoding.EncodeToString([]byte(b64Secret)), prefix: 0},
		{name: "base64 URL raw", secret: b64Secret, form: base64.RawURLEncoding.EncodeToString([]byte(b64Secret)), prefix: 0},
		{name: "base64 at offset 1", secret: b64Secret, form: base64.StdEncoding.EncodeToString([]byte("u" + b64Secret)), prefix: 1},
		{name: "base64 at offset 2", secret: b64Secret, form: base64.StdEncoding.EncodeToString([]byte("us" + b64Secret)), prefix: 2},
		{name: "base64 of user:secret", secret: b64Secret, form: base64.StdEncoding.EncodeToString([]byte("user:" + b64Secret)), prefix: 5},
		{name: "base64 URL of user:secret", secret: b64Secret, form: base64.RawURLEncoding.EncodeToString([]byte("user:" + b64Secret)), prefix: 5},
		{name: "base64 of secret with a suffix", secret: b64Secret, form: base64.StdEncoding.EncodeToString([]byte("ab" + b64Secret + ":more")), prefix: 2},
		{name: "base64 of an escaped secret", secret: escSecret, form: base64.StdEncoding.EncodeToString([]byte("x:" + escSecret)), prefix: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(tt.secret)
			in := "before " + tt.form + " after"
			got := r.String(in)
			if tt.prefix < 0 {
				if want := "before *** after"; got != want {
					t.Errorf("got %q, want %q", got, want)
				}
				return
			}
			if strings.Count(got, "***") != 1 || !strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") {
				t.Fatalf("got %q, want one *** inside the base64 text %q", got, tt.form)
			}
			// What is left of the encoded text may only be the characters
			// that carry the prefix's bits, a partial last one and padding.
			left := len(got) - len("before  after") - len("***")
			if max := (8*tt.prefix+5)/6 + 1 + 2 + len(":more")*8/6 + 1; left > max {
				t.Errorf("got %q: %d base64 characters left around ***, want at most %d", got, left, max)
			}
		})
	}
}

// TestRedactorContains: Contains finds a secret in each form String
// replaces, and nothing else.
func TestRedactorContains(t *testing.T) {
	r := New(escSecret)
	for _, form := range forms(escSecret, nil) {
		if !r.Contains("x" + form + "y") {
			t.Errorf("Contains misses the form %q", form)
		}
		if got := r.String("x" + form + "y"); got != "x***y" && !strings.Contains(got, "***") {
			t.Errorf("String leaves the form %q: %q", form, got)
		}
	}
	for _, s := range []string{"", "x", "canary", "p@ss w0rd", strings.Repeat("a", 100)} {
		if r.Contains(s) {
			t.Errorf("Contains(%q) is true", s)
		}
	}
	if New().Contains(escSecret) {
		t.Error("a redactor without secrets finds one")
	}
}

// TestRedactorJSONWithoutHTMLEscaping: the payload is JSON written
// without HTML escaping, so a secret with <, > or & appears there as
// neither its raw nor encoding/json's \u003c form.
func TestRedactorJSONWithoutHTMLEscaping(t *testing.T) {
	const secret = `ca<n"ary&XYZ>`
	r := New(secret)
	for _, in := range []string{`{"t":"ca<n\"ary&XYZ>"}`, `{"t":"ca\u003cn\"ary\u0026XYZ\u003e"}`} {
		if got := r.String(in); got != `{"t":"***"}` {
			t.Errorf("String(%s) = %s", in, got)
		}
	}
}

// TestRedactorAddEncodings: an encoding the program writes text in (a
// chat format's markdown escape) is learnt for the secrets known before
// and after, also JSON-escaped around it.
func TestRedactorAddEncodings(t *testing.T) {
	escape := strings.NewReplacer("_", `\_`, "*", `\*`).Replace
	r := New("ghp_canary_XYZ123")
	if r.Contains(`rotated to ghp\_canary\_XYZ123`) {
		t.Fatal("found the escaped form before learning the encoding")
	}
	r.AddEncodings(escape)
	r.Add("later*secret*1")
	for _, in := range []string{`rotated to ghp\_canary\_XYZ123`, `{"content":"rotated to ghp\\_canary\\_XYZ123"}`, `GHP\_CANARY\_XYZ123`, `a later\*secret\*1`} {
		if got := r.String(in); !strings.Contains(got, "***") || strings.Contains(got, "canary") || strings.Contains(got, "later") {
			t.Errorf("String(%s) = %s", in, got)
		}
	}
}

func TestRedactorMultiLineSecret(t *testing.T) {
	pem := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEcanaryline1\r\nAAAAC3NzaC1lZDI1NTE5canaryline2\n-----END OPENSSH PRIVATE KEY-----\n"
	r := New(pem)
	tests := []struct {
		name string
		text string
	}{
		{name: "whole", text: "key:\n" + pem + "done\n"},
		{name: "line by line", text: "one line: b3BlbnNzaC1rZXktdjEcanaryline1\nanother: AAAAC3NzaC1lZDI1NTE5canaryline2\n"},
		{name: "JSON escaped", text: `{"key":"` + jsonEscaped(pem) + `"}`},
		{name: "base64", text: base64.StdEncoding.EncodeToString([]byte(pem))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.String(tt.text)
			for _, frag := range []string{"canaryline1", "canaryline2", "b3BlbnNzaC1rZXkt", base64.StdEncoding.EncodeToString([]byte(pem))[8:40]} {
				if strings.Contains(got, frag) {
					t.Errorf("got %q, want no %q in it", got, frag)
				}
			}
			if !strings.Contains(got, "***") {
				t.Errorf("got %q, want *** in it", got)
			}
		})
	}
}

func TestRedactorShortSecrets(t *testing.T) {
	r := New("", "a", "ab", "abc")
	if in, got := "abc ab a", r.String("abc ab a"); got != in {
		t.Errorf("got %q, want %q: values shorter than MinSecret are not secrets", got, in)
	}
	r.Add("wxyz") // exactly MinSecret
	if got, want := r.String("abc wxyz"), "abc ***"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRedactorOverlappingSecrets(t *testing.T) {
	const inner, outer = "inner-canary-1234", "outer-inner-canary-1234-tail"
	tests := []struct {
		name  string
		order []string
	}{
		{name: "inner first", order: []string{inner, outer}},
		{name: "outer first", order: []string{outer, inner}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			for _, s := range tt.order {
				r.Add(s) // one at a time, so the replacer is rebuilt
			}
			for in, want := range map[string]string{
				"a " + outer + " b":           "a *** b",
				"a " + inner + " b":           "a *** b",
				"x" + outer + inner:           "x***",
				"q=" + url.QueryEscape(outer): "q=***",
			} {
				if got := r.String(in); got != want {
					t.Errorf("String(%q): got %q, want %q", in, got, want)
				}
			}
		})
	}
}

// Secrets that overlap without one containing the other: the end of one
// is the start of the next. Nothing of either may be left.
func TestRedactorPartlyOverlappingSecrets(t *testing.T) {
	r := New("abcd1234", "1234efgh5678")
	tests := []struct {
		name, in, want string
	}{
		{name: "first then second", in: "x abcd1234efgh5678 y", want: "x *** y"},
		{name: "second alone", in: "1234efgh5678", want: "***"},
		{name: "first alone", in: "abcd1234.", want: "***."},
		{name: "repeated", in: "abcd1234abcd1234 1234efgh56781234efgh5678", want: "*** ***"},
		{name: "none", in: "abcd123 234efgh5678", want: "abcd123 234efgh5678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.String(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRedactorWriter(t *testing.T) {
	const secret = "split-canary-secret"
	var buf bytes.Buffer
	w := New(secret).Writer(&buf)
	writes := []string{"attempt 1: token split-can", "ary-secret rejected\nnext split-canary", "-secret tail"}
	for _, s := range writes {
		n, err := w.Write([]byte(s))
		if err != nil || n != len(s) {
			t.Fatalf("Write(%q): got %d, %v, want %d, nil", s, n, err, len(s))
		}
	}
	if got, want := buf.String(), "attempt 1: token *** rejected\n"; got != want {
		t.Errorf("before Flush: got %q, want %q", got, want)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "attempt 1: token *** rejected\nnext *** tail"; got != want {
		t.Errorf("after Flush: got %q, want %q", got, want)
	}
	if err := w.Flush(); err != nil || buf.Len() != len("attempt 1: token *** rejected\nnext *** tail") {
		t.Errorf("a second Flush: got %q, %v, want nothing more written", buf.String(), err)
	}
}

func TestRedactorConcurrent(t *testing.T) {
	r := New("first-canary")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r.Add("second-canary")
		}()
		go func() {
			defer wg.Done()
			if got := r.String("x first-canary"); got != "x ***" {
				t.Errorf("got %q, want %q", got, "x ***")
			}
		}()
	}
	wg.Wait()
	if got := r.String("second-canary"); got != "***" {
		t.Errorf("got %q, want ***", got)
	}
}

// TestWrappedBase64: a long secret piped through base64(1), which wraps
// at 76 columns, is redacted line by line.
func TestWrappedBase64(t *testing.T) {
	secret := "9f2c41d7e8b05a63c1f4e2d9a7b8c6051e3f7a2d4c9b8e60f1a5d3c7b2e94f08a6c1d5e3f7b9a2c4d0e6f2a8b1c3d5e7f9a0b2c4d6e8f1a3b5c7d9e0f2a4b6"
	enc := base64.StdEncoding.EncodeToString([]byte(secret))
	var wrapped strings.Builder
	for k := 0; k < len(enc); k += 76 {
		wrapped.WriteString(enc[k:min(k+76, len(enc))] + "\n")
	}
	got := New(secret).String(wrapped.String())
	for k := 0; k+16 <= len(enc); k += 8 {
		if strings.Contains(got, enc[k:k+16]) {
			t.Fatalf("the wrapped base64 shows %q:\n%s", enc[k:k+16], got)
		}
	}
}
