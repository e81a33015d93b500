package fastjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// validCases are inputs on which Valid must agree with json.Valid:
// escapes, \u and surrogates, numbers, literals, nesting, control
// characters and invalid UTF-8 (accepted inside strings, as json.Valid
// does).
var validCases = []string{
	``, ` `, `{}`, `[]`, ` {} `, "\t\r\n{}\n", `{`, `}`, `[`, `]`, `{]`, `[}`, `{"a"}`, `{"a":}`,
	`{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{"a":1 "b":2}`, `{"a":1}{}`, `{} x`, `{"a" : 1 , "b" : [ ] }`,
	`{1:2}`, `{'a':1}`, `{"a":1}` + "\x00", "\ufeff{}", "\u00a0{}", "\v{}", "\f{}",
	`""`, `"abc"`, `"a\"b"`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\a"`, `"\x41"`, `"\'"`, `"\u0041"`,
	`"\u00e9"`, `"\ud800"`, `"\udc00\ud800"`, `"\ud83d\ude00"`, `"\u12"`, `"\u12g4"`, `"\uABCD"`,
	`"\U0041"`, `"\`, `"\"`, `"abc`, `"a` + "\n" + `b"`, "\"\x1f\"", "\"\x7f\"", "\"\x00\"",
	"\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"é\"", "\"\u2028\u2029\"", "\xff", "{\"\xff\":1}",
	`0`, `-0`, `01`, `-01`, `1`, `-`, `--1`, `+1`, `1.`, `.5`, `1.5`, `1.5.5`, `1e5`, `1E5`, `1e+5`,
	`1e-5`, `1e`, `1e+`, `1.e5`, `0e0`, `-0.0e-0`, `1x`, `[1x]`, `12345678901234567890`, `1_000`,
	`0x10`, `Infinity`, `NaN`, `[-]`, `[1 2]`, `[1,2]`, `[01]`, `{"a":01}`, `{"a":-}`,
	`true`, `false`, `null`, `tru`, `nul`, `nulll`, `truefalse`, `[true,false,null]`, `[truex]`,
	`True`, `NULL`, `{"a":nul}`, ` true `, `{"a":{"b":{"c":[1,{"d":null}]}}}`, `[[[]]]`, `[[[]]`,
	`[1,[2,[3,{"a":[4]}]]]`, `{"a":[}`, `{"a":{]}`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 9999) + "[]" + strings.Repeat("}", 9999),
	strings.Repeat(`{"a":`, 10000) + "[]" + strings.Repeat("}", 10000),
	strings.Repeat("[", 20000),
	`"` + strings.Repeat("abcdefgh", 9) + `"`, `"` + strings.Repeat("abcdefg\\n", 9) + `"`,
	`"` + strings.Repeat("x", 13) + "\x01" + `"`, `"` + strings.Repeat("é", 11) + `"`,
	`"` + strings.Repeat("x", 15) + "\xff" + strings.Repeat("x", 7) + `"`,
	`"` + strings.Repeat("x", 16) + `\u00`, `"` + strings.Repeat("\"x", 9),
}

func TestValid(t *testing.T) {
	for _, s := range validCases {
		if got, want := Valid(s), json.Valid([]byte(s)); got != want {
			t.Errorf("got Valid(%q) = %v, want %v as json.Valid", truncate(s, 80), got, want)
		}
	}
}

// FuzzValid checks Valid against json.Valid on every input.
//
//	go test -run '^$' -fuzz '^FuzzValid$' -fuzztime 60s ./internal/fastjson
func FuzzValid(f *testing.F) {
	for _, s := range validCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(string(b)), json.Valid(b); got != want {
			t.Errorf("got Valid(%q) = %v, want %v as json.Valid", b, got, want)
		}
		// The splitter scans the same grammar.
		sc := scanner{s: string(b), split: true}
		if trimmed := bytes.TrimLeft(b, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
			if got, want := sc.scan(), json.Valid(b); got != want {
				t.Errorf("got split scan(%q) = %v, want %v as json.Valid", b, got, want)
			}
		}
	})
}

// testLimit is the limit notify's ParseBody passes to SplitObject.
const testLimit = 4 << 10

// decodeWhole decodes text as one JSON object with numbers as json.Number
// and nothing after it: what a caller does when SplitObject declines
// (notify's decodeObject, less its line and column in errors).
func decodeWhole(text string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected text after the JSON object (%v)", err)
	}
	return obj, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// decodeAll decodes every raw value in v, deeply.
func decodeAll(v any) any {
	switch v := v.(type) {
	case Raw:
		return decodeAll(v.Decode())
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = decodeAll(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = decodeAll(e)
		}
		return out
	}
	return v
}

// checkSplit checks SplitObject(text, limit) against decodeWhole: the
// same object once raw values are decoded, raw values only where allowed,
// and an encoding that is valid JSON, means the same and, when text has
// no escapes and no U+2028 or U+2029, compacts to Marshal's bytes.
func checkSplit(t *testing.T, text string, limit int) (map[string]any, bool) {
	t.Helper()
	obj, ok := SplitObject(text, limit)
	if !ok {
		return nil, false
	}
	want, err := decodeWhole(text)
	if err != nil {
		t.Fatalf("SplitObject(%q) accepted what decodeWhole rejects: %v", text, err)
	}
	if got := decodeAll(obj); !reflect.DeepEqual(got, any(want)) {
		t.Fatalf("SplitObject(%q): got %#v, want %#v", text, got, want)
	}
	for k, v := range obj {
		if r, ok := v.(Raw); ok {
			if len(r) <= limit {
				t.Errorf("%q: raw value of %d bytes, want only those over %d", k, len(r), limit)
			}
			if !strings.Contains(text, string(r)) {
				t.Errorf("%q: raw value %q is not a span of the text", k, r)
			}
		}
	}
	parts, err := EncodeObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	got := []byte(strings.Join(parts, ""))
	canon, err := Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(got) {
		t.Fatalf("EncodeObject gave invalid JSON %q", got)
	}
	back, err := decodeWhole(string(got))
	if err != nil || !reflect.DeepEqual(back, want) {
		t.Fatalf("EncodeObject gave %s, which decodes to %#v (%v), want %#v", got, back, err, want)
	}
	if !strings.ContainsAny(text, "\\\u2028\u2029") {
		var compact bytes.Buffer
		if err := json.Compact(&compact, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(compact.Bytes(), canon) {
			t.Fatalf("EncodeObject compacted:\n%s\nwant Marshal's\n%s", compact.Bytes(), canon)
		}
	}
	return obj, true
}

func TestSplitObject(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 512) // 8 KiB
	tests := []struct {
		name string
		text string
		raw  []string // the keys that must stay raw
	}{
		{name: "big string", text: `{"message": "hi", "log": "` + big + `"}`, raw: []string{"log"}},
		{name: "big string with escapes", text: `{"log": "` + big + `\n\"\u00e9\ud83d\ude00\/"}`, raw: []string{"log"}},
		{name: "big array, white space", text: "{\n  \"a\" : [ 1 , \"" + big + "\" , {\"x\": 2, \"y\": null} ]\n}", raw: []string{"a"}},
		{name: "big sorted object", text: `{"o": {"a": 1, "b": {"c": "` + big + `", "d": [{"e": 1, "f": 2}]}}}`, raw: []string{"o"}},
		{name: "big object, keys out of order", text: `{"o": {"b": 1, "a": "` + big + `"}}`},
		{name: "big object, duplicate key", text: `{"o": {"a": 1, "a": "` + big + `"}}`},
		{name: "big object, nested keys out of order", text: `{"o": {"a": [{"y": 1, "x": "` + big + `"}]}}`},
		{name: "big object, escaped key", text: `{"o": {"\u0061": "` + big + `"}}`},
		{name: "big object, prefix keys", text: `{"o": {"a": 1, "ab": 2, "b": "` + big + `"}}`, raw: []string{"o"}},
		{name: "big string, invalid UTF-8", text: `{"log": "` + big + "\xff" + `"}`},
		{name: "big string, non-ASCII", text: `{"log": "` + big + `é€😀"}`, raw: []string{"log"}},
		{name: "duplicate: big then small", text: `{"a": "` + big + `", "a": 1, "b": "` + big + `"}`, raw: []string{"b"}},
		{name: "duplicate: small then big", text: `{"a": 1, "a": "` + big + `"}`, raw: []string{"a"}},
		{name: "escaped top-level key", text: `{"\u006cog": "` + big + `", "n\u00e9": 1, "\ud800": 2}`, raw: []string{"log"}},
		{name: "invalid UTF-8 top-level key", text: "{\"\xff\": \"" + big + "\", \"k\": 1.50}", raw: []string{"\ufffd"}},
		{name: "numbers stay exact", text: `{"n": 12345678901234567890, "f": 1.50, "e": -0e+1, "log": "` + big + `"}`, raw: []string{"log"}},
		{name: "big number array", text: `{"a": [` + strings.Repeat("1.5e3,", 2000) + `0]}`, raw: []string{"a"}},
		{name: "empty containers", text: `{"a": {}, "b": [], "c": [{}, [], {"x": {}}], "log": "` + big + `"}`, raw: []string{"log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, ok := checkSplit(t, tt.text, testLimit)
			if !ok {
				if len(tt.raw) > 0 {
					t.Fatalf("SplitObject declined, want raw %v", tt.raw)
				}
				return
			}
			for k, v := range obj {
				_, isRaw := v.(Raw)
				want := false
				for _, r := range tt.raw {
					want = want || r == k
				}
				if isRaw != want {
					t.Errorf("%q: got raw %v, want %v", k, isRaw, want)
				}
			}
		})
	}
	for _, text := range []string{`{"a": "` + big + `"`, `{"a": "` + big + `"} x`, `{"a": "` + big + "\x01\"}", "{\"a\": 1}" + strings.Repeat(" ", 5000)} {
		if _, ok := SplitObject(text, testLimit); ok {
			t.Errorf("SplitObject(%q) accepted it, want it left to decodeWhole", truncate(text, 40))
		}
	}
}

// FuzzSplitObject checks the splitter against decodeWhole with every
// value long enough to stay raw.
func FuzzSplitObject(f *testing.F) {
	for _, s := range validCases {
		if strings.HasPrefix(strings.TrimSpace(s), "{") && len(s) < 1000 {
			f.Add(s, 0)
		}
	}
	f.Add(`{"a": {"b": 1, "c": [1, "x\n"]}, "d": "é", "\u0065": 2}`, 3)
	f.Add(`{"a": {"c": 1, "b": 2}, "a": "last"}`, 0)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if trimmed := strings.TrimSpace(text); trimmed == "" || trimmed[0] != '{' {
			return
		}
		checkSplit(t, text, limit%64)
	})
}

// TestEncodeObject checks the encoder against encoding/json on the
// shapes a payload has.
func TestEncodeObject(t *testing.T) {
	p := map[string]any{
		"id": "3b0c", "timestamp": "2026-11-27T03:20:00Z", "status": "SUCCESS",
		"build": map[string]any{"number": int64(42), "executor": int64(0), "n": 7, "ok": true, "no": false},
		"env":   map[string]string{"B": "2", "A": "<a & b>", "C": "tab\there"},
		"nums":  []any{json.Number("12345678901234567890"), json.Number("1.50"), json.Number(""), 1.5, float64(1e21), int32(3)},
		"strs": []any{"", "\"\\/\b\f\n\r\t\x00\x01\x1f\x7f", "é😀", "\u2028\u2029", "\xff\xfe bad", "\xed\xa0\x80",
			"<script>&</script>"},
		"nil": nil, "nilmap": map[string]any(nil), "nilslice": []any(nil), "emptymap": map[string]any{}, "emptyslice": []any{},
		"when":   time.Date(2026, 11, 27, 3, 20, 0, 0, time.UTC),
		"tables": []map[string]any{{"name": "runbook"}, {"name": "dash"}},
		"keys":   map[string]any{"b": 1, "a": 2, "\xff": 3, "é": 4, "": 5, "\n": 6, "A": 7},
	}
	parts, err := EncodeObject(p)
	if err != nil {
		t.Fatal(err)
	}
	got := []byte(strings.Join(parts, ""))
	want, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got\n%s\nwant Marshal's\n%s", got, want)
	}
	for _, v := range []any{math.NaN(), math.Inf(1), json.Number("x")} {
		_, gotErr := EncodeObject(map[string]any{"v": v})
		_, wantErr := Marshal(map[string]any{"v": v})
		if gotErr == nil || wantErr == nil || gotErr.Error() != wantErr.Error() {
			t.Errorf("%v: got error %v, want %v", v, gotErr, wantErr)
		}
	}
}

// A large raw value is one piece of the encoding, the very string it was
// given, never copied.
func TestEncodeObjectLargeRaw(t *testing.T) {
	log := `"` + strings.Repeat("0123456789abcde\n", 1<<16) + `"`
	p := map[string]any{"a": "x", "log": Raw(log), "z": Raw(`[1, 2]`)}
	parts, err := EncodeObject(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(parts, ""), `{"a":"x","log":`+log+`,"z":[1, 2]}`; got != want {
		t.Errorf("got %d bytes %q…, want %d bytes %q…", len(got), truncate(got, 40), len(want), truncate(want, 40))
	}
	i := slices.IndexFunc(parts, func(s string) bool { return len(s) == len(log) })
	if i < 0 || unsafe.StringData(parts[i]) != unsafe.StringData(log) {
		t.Errorf("the log is not a piece of its own, in place: pieces of %v bytes", lens(parts))
	}
}

func lens(parts []string) []int {
	n := make([]int, len(parts))
	for i, p := range parts {
		n[i] = len(p)
	}
	return n
}

// FuzzAppendString checks the string encoder against encoding/json.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "abc", "\"\\\x00\x1f\x7f", "é\u2028\u2029", "\xff\xc3", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q): got %s, want %s", s, got, want)
		}
	})
}

// benchBody is a 1 MiB body that is mostly one string with an escape
// every 70 bytes.
func benchBody() string {
	var sb strings.Builder
	sb.WriteString(`{"message":"build log attached","tests":{"passed":412,"failed":0},"log":"`)
	for i := 0; sb.Len() < 1<<20; i++ {
		sb.WriteString(`[00000042] INFO  com.example.app.DeployStep - step 42 finished in 12ms\n`)
	}
	sb.WriteString(`"}`)
	return sb.String()
}

// BenchmarkValidJSON is the validator against encoding/json.Valid on
// benchBody.
func BenchmarkValidJSON(b *testing.B) {
	text := benchBody()
	b.Run("Valid", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for i := 0; i < b.N; i++ {
			if !Valid(text) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("SplitObject", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, ok := SplitObject(text, testLimit); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		data := []byte(text)
		b.SetBytes(int64(len(text)))
		for i := 0; i < b.N; i++ {
			if !json.Valid(data) {
				b.Fatal("invalid")
			}
		}
	})
}

// BenchmarkEncodeObject is the encoder on a payload shaped like notify's:
// a few sections, 3,000 environment variables as a map[string]string, and
// benchBody's values merged in, its log raw.
func BenchmarkEncodeObject(b *testing.B) {
	env := make(map[string]string, 3000)
	for i := range 3000 {
		env[fmt.Sprintf("BUILD_STEP_%d", i)] = fmt.Sprintf("https://ci.example.com/job/team/job/app/%d/value", i)
	}
	payload := func() map[string]any {
		return map[string]any{
			"id": "3b0c5c1e-0000-4000-8000-000000000001", "status": "SUCCESS", "timestamp": "2026-11-27T03:20:00Z",
			"job":   map[string]any{"name": "team/app", "url": "https://ci.example.com/job/team/job/app/"},
			"build": map[string]any{"number": int64(1287), "executor": int64(1), "url": "https://ci.example.com/job/team/job/app/1287/"},
			"scm":   map[string]any{"commit": "0123456789abcdef0123456789abcdef01234567", "branch": "main", "dirty": false},
			"env":   env,
		}
	}
	body, ok := SplitObject(benchBody(), testLimit)
	if !ok {
		b.Fatal("declined")
	}
	for _, tc := range []struct {
		name string
		body map[string]any
	}{{"body=none", nil}, {"body=1MiB", body}} {
		b.Run(tc.name, func(b *testing.B) {
			p := payload()
			for k, v := range tc.body {
				p[k] = v
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := EncodeObject(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
