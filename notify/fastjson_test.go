package notify

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/config"
)

// validCases are inputs on which validJSON must agree with json.Valid:
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

func TestValidJSON(t *testing.T) {
	for _, s := range validCases {
		if got, want := validJSON(s), json.Valid([]byte(s)); got != want {
			t.Errorf("got validJSON(%q) = %v, want %v as json.Valid", truncate(s, 80), got, want)
		}
	}
}

// FuzzValidJSON checks validJSON against json.Valid on every input.
//
//	go test -run '^$' -fuzz '^FuzzValidJSON$' -fuzztime 60s ./notify
func FuzzValidJSON(f *testing.F) {
	for _, s := range validCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(string(b)), json.Valid(b); got != want {
			t.Errorf("got validJSON(%q) = %v, want %v as json.Valid", b, got, want)
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

// decodeAll decodes every raw value in v, deeply.
func decodeAll(v any) any {
	switch v := v.(type) {
	case rawValue:
		return decodeAll(v.decode())
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

// checkSplit checks splitObject(text, limit) against decodeObject: the
// same object once raw values are decoded, raw values only where allowed,
// and an encoding that is valid JSON, means the same and, when text has
// no escapes and no U+2028 or U+2029, compacts to encodeJSON's bytes.
func checkSplit(t *testing.T, text string, limit int) (map[string]any, bool) {
	t.Helper()
	obj, ok := splitObject(text, limit)
	if !ok {
		return nil, false
	}
	want, err := decodeObject(text)
	if err != nil {
		t.Fatalf("splitObject(%q) accepted what decodeObject rejects: %v", text, err)
	}
	if got := decodeAll(obj); !reflect.DeepEqual(got, any(want)) {
		t.Fatalf("splitObject(%q): got %#v, want %#v", text, got, want)
	}
	for k, v := range obj {
		if r, ok := v.(rawValue); ok {
			if len(r) <= limit {
				t.Errorf("%q: raw value of %d bytes, want only those over %d", k, len(r), limit)
			}
			if !strings.Contains(text, string(r)) {
				t.Errorf("%q: raw value %q is not a span of the text", k, r)
			}
		}
	}
	got, err := encodePayload(obj)
	if err != nil {
		t.Fatal(err)
	}
	canon, err := encodeJSON(want)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(got) {
		t.Fatalf("encodePayload gave invalid JSON %q", got)
	}
	back, err := decodeObject(string(got))
	if err != nil || !reflect.DeepEqual(back, want) {
		t.Fatalf("encodePayload gave %s, which decodes to %#v (%v), want %#v", got, back, err, want)
	}
	if !strings.ContainsAny(text, "\\\u2028\u2029") {
		var compact bytes.Buffer
		if err := json.Compact(&compact, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(compact.Bytes(), canon) {
			t.Fatalf("encodePayload compacted:\n%s\nwant encodeJSON's\n%s", compact.Bytes(), canon)
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
			obj, ok := checkSplit(t, tt.text, rawMin)
			if !ok {
				if len(tt.raw) > 0 {
					t.Fatalf("splitObject declined, want raw %v", tt.raw)
				}
				return
			}
			for k, v := range obj {
				_, isRaw := v.(rawValue)
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
		if _, ok := splitObject(text, rawMin); ok {
			t.Errorf("splitObject(%q) accepted it, want it left to decodeObject", truncate(text, 40))
		}
	}
}

// FuzzSplitObject checks the splitter against decodeObject with every
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

// TestEncodePayload checks the encoder against encoding/json on the
// shapes a payload has.
func TestEncodePayload(t *testing.T) {
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
	got, err := encodePayload(p)
	if err != nil {
		t.Fatal(err)
	}
	want, err := encodeJSON(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got\n%s\nwant encodeJSON's\n%s", got, want)
	}
	for _, v := range []any{math.NaN(), math.Inf(1), json.Number("x")} {
		_, gotErr := encodePayload(map[string]any{"v": v})
		_, wantErr := encodeJSON(map[string]any{"v": v})
		if gotErr == nil || wantErr == nil || gotErr.Error() != wantErr.Error() {
			t.Errorf("%v: got error %v, want %v", v, gotErr, wantErr)
		}
	}
}

// A raw value larger than a copy chunk arrives whole, in place.
func TestEncodePayloadLargeRaw(t *testing.T) {
	log := `"` + strings.Repeat("0123456789abcde\n", 3*copyChunk/16+1) + `"`
	p := map[string]any{"a": "x", "log": rawValue(log), "z": rawValue(`[1, 2]`)}
	got, err := encodePayload(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"x","log":` + log + `,"z":[1, 2]}`; string(got) != want {
		t.Errorf("got %d bytes %q…, want %d bytes %q…", len(got), truncate(string(got), 40), len(want), truncate(want, 40))
	}
	if len(got) != cap(got) {
		t.Errorf("got a body of length %d in a buffer of %d, want it exact", len(got), cap(got))
	}
}

// FuzzAppendString checks the string encoder against encoding/json.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "abc", "\"\\\x00\x1f\x7f", "é\u2028\u2029", "\xff\xc3", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := encodeJSON(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q): got %s, want %s", s, got, want)
		}
	})
}

// TestRawValuesInPayload is a large body through Build: its big value goes
// through raw, merges decode it only where an object meets an object, and
// GET and the job-status-notification format still see the whole body.
func TestRawValuesInPayload(t *testing.T) {
	log := strings.Repeat("line of a build log\\n", 400)
	report := `{"failed": 0, "passed": 412, "suites": [` + strings.TrimSuffix(strings.Repeat(`{"name": "unit", "time": 1.5},`, 200), ",") + `]}`
	text := `{"message": "done", "log": "` + log + `", "report": ` + report + `}`
	body := mustBody(t, text)
	for _, k := range []string{"log", "report"} {
		if _, ok := body.Object[k].(rawValue); !ok {
			t.Fatalf("%s: got %T, want it raw", k, body.Object[k])
		}
	}
	if got := body.Object["message"]; got != "done" {
		t.Errorf("message: got %#v, want \"done\"", got)
	}
	decoded, err := decodeObject(text)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		toml   string
		fields []string
		raw    []string // what must appear in the body verbatim
	}{
		{name: "no merge", raw: []string{`"log":"` + log + `"`, `"report":` + report}},
		{name: "fields object under the raw key", toml: "[fields.report]\nowner = \"qa\"", raw: []string{`"log":"` + log + `"`}},
		{name: "a field into the raw object", fields: []string{"report.extra=1"}, raw: []string{`"log":"` + log + `"`}},
		{name: "a field replaces the raw value", fields: []string{"report=gone", "log.x=1"}},
		{name: "fields scalar under the raw key", toml: "[fields]\nreport = \"fields\"", raw: []string{`"report":` + report}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := resolve(t, "url = \"http://127.0.0.1:9/\"\n"+tt.toml, config.Overrides{}, nil)
			in := Input{ID: "ID", Status: "SUCCESS", Body: body, Fields: mustFields(t, tt.fields...), Time: testTime}
			r, err := Build(testContext(), s, in, "1")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.raw {
				if !bytes.Contains(r.Body, []byte(want)) {
					t.Errorf("the body does not carry %s verbatim", truncate(want, 60))
				}
			}
			// The same payload as from the body decoded whole.
			in.Body = &Body{Raw: text, Object: decoded}
			p, err := Payload(testContext(), s, in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := encodeJSON(p)
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, r.Body); err != nil {
				t.Fatalf("the body is not JSON: %v", err)
			}
			if !bytes.Equal(compact.Bytes(), want) {
				t.Errorf("got\n%s\nwant\n%s", truncate(compact.String(), 2000), truncate(string(want), 2000))
			}
			// GET flattens the raw values like decoded ones.
			raw, err := payload(testContext(), s, Input{ID: "ID", Status: "SUCCESS", Body: body, Fields: in.Fields, Time: testTime})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := Query(raw), Query(p); got != want {
				t.Errorf("Query differs with raw values:\ngot  %s\nwant %s", truncate(got, 300), truncate(want, 300))
			}
			// Payload, which formats and templates read, holds no raw value.
			for k, v := range mustPayload(t, s, Input{ID: "ID", Body: body, Fields: in.Fields, Time: testTime}) {
				if _, ok := v.(rawValue); ok {
					t.Errorf("Payload: %s is raw, want it decoded", k)
				}
			}
		})
	}
	if body.Object["report"] != rawValue(report) {
		t.Error("merging changed the body's raw value")
	}
	// encoding/json writes a raw value as it writes the decoded one.
	got, err := encodeJSON(body.Object)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := encodeJSON(decoded); !bytes.Equal(got, want) {
		t.Errorf("encodeJSON of the body with raw values:\ngot  %s\nwant %s", truncate(string(got), 300), truncate(string(want), 300))
	}

	s := resolve(t, "url = \"http://127.0.0.1:9/\"\nformat = \"job-status-notification\"", config.Overrides{}, nil)
	p := mustPayload(t, s, Input{ID: "ID", Body: body, Time: testTime})
	if p["body"] != text {
		t.Errorf("job-status-notification body: got %q, want the text as given", truncate(p["body"].(string), 60))
	}
}

func mustPayload(tb testing.TB, s *config.Settings, in Input) map[string]any {
	tb.Helper()
	p, err := Payload(testContext(), s, in)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkValidJSON is the validator against encoding/json.Valid on a
// 1 MiB body that is mostly one string with an escape every 70 bytes.
func BenchmarkValidJSON(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"message":"build log attached","tests":{"passed":412,"failed":0},"log":"`)
	for i := 0; sb.Len() < 1<<20; i++ {
		sb.WriteString(`[00000042] INFO  com.example.app.DeployStep - step 42 finished in 12ms\n`)
	}
	sb.WriteString(`"}`)
	text := sb.String()
	b.Run("validJSON", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for i := 0; i < b.N; i++ {
			if !validJSON(text) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("splitObject", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, ok := splitObject(text, rawMin); !ok {
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
