package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jobnotify/jobnotify/internal/fastjson"
	"github.com/jobnotify/jobnotify/internal/input"
)

// Run one with, for example:
//
//	go test -run '^$' -fuzz '^FuzzParseBody$' -fuzztime 30s ./notify

func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		"", " ", "\n", "deployed", "deployed\n", "deployed\r\n\r\n", "  two\nlines \n",
		`{}`, ` {"a":1} `, "{\"a\":\n  {\"b\": [1, 2.50, 1e400]}}\n", `{"n": 12345678901234567890}`,
		`{"a":1} {"b":2}`, `{"a":1}x`, `{"a":1}]`, `{"a":`, "{\n\"a\": tru\n}", `{"a":"\ud800"}`,
		`[1,2]`, `[`, "\t[", "null", "true", `"string"`, "42", "\xff\xfe", "{\xff}", `{"a":"` + "\xff" + `"}`,
		"\u00a0{}", "\ufeff{}", "\ufeffdone\r\n", "\xff\xfe{\x00}\x00", "{\x00}\x00", "x{", "ü{\"a\":1}", "{\"a\":1}\n\n\n", "{\"é\":\"ö\"\n,\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, given string) {
		b, err := ParseBody(given, "--body")
		// What is parsed: the text less a UTF-8 byte order mark; UTF-16
		// is always an error.
		text, encErr := input.UTF8(given)
		if encErr != nil {
			if err == nil || !strings.Contains(err.Error(), "UTF-16") {
				t.Fatalf("got %+v, %v for UTF-16 %q, want an error naming UTF-16", b, err, given)
			}
			return
		}
		// The rule: a JSON object is merged; any other text is a message,
		// JSON that is not an object included; but text that starts
		// with { or [ must be JSON.
		trimmed := strings.TrimSpace(text)
		plain := trimmed == "" || trimmed[0] != '{' && (trimmed[0] != '[' || json.Valid([]byte(trimmed)))
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
			t.Errorf("got Raw %q, want the text %q (of %q)", b.Raw, text, given)
		}
		if plain {
			want := map[string]any{"message": strings.TrimRight(text, "\r\n")}
			if !reflect.DeepEqual(b.Object, want) {
				t.Errorf("got %#v, want %#v", b.Object, want)
			}
			return
		}
		if trimmed[0] != '{' {
			t.Fatalf("got %#v for %q, which is neither a JSON object nor text, want an error", b.Object, text)
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

// FuzzFitEnd: whatever the log tail and the room, fitEnd keeps within
// the room, keeps what fits whole, cuts only the tail's start (what is
// left is the end of the tail, after "…"), and the code of a ``` block
// never holds a ``` that would end it.
func FuzzFitEnd(f *testing.F) {
	for _, s := range []string{"", "a", "a\nb\nc", "```\n````", "x & <y>\n- z\n\n    w", "é\nü\nö", "``\n`", "…\n…", "1. a\n2) b\n# c"} {
		f.Add(s, 5)
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<12 || !utf8.ValidString(s) {
			return
		}
		for name, esc := range map[string]func(string) string{
			"plain": plainMarkup.esc, "slack": slackMarkup.block, "teams": teamsMarkup.block, "discord": discordMarkup.block,
		} {
			got := fitEnd(s, max, esc)
			if n := utf8.RuneCountInString(got); n > max {
				t.Fatalf("%s: fitEnd(%q, %d) = %q: %d characters", name, s, max, got, n)
			}
			if whole := esc(s); utf8.RuneCountInString(whole) <= max && got != whole {
				t.Fatalf("%s: fitEnd(%q, %d) = %q, want all of it, %q", name, s, max, got, whole)
			}
			if name == "plain" && got != s && got != "" {
				rest, ok := strings.CutPrefix(got, chatEllipsis)
				if !ok || !strings.HasSuffix(s, strings.TrimPrefix(rest, "\n")) {
					t.Fatalf("fitEnd(%q, %d) = %q: not the end of the tail after …", s, max, got)
				}
			}
			if (name == "slack" || name == "discord") && strings.Contains(got, "``") {
				t.Fatalf("%s: fitEnd(%q, %d) = %q holds two backticks in a row", name, s, max, got)
			}
		}
	})
}
