package notify

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"unicode/utf8"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/internal/fastjson"
)

// The template format runs a Go text/template over the jobnotify payload
// (a map[string]any: {{.status}}, {{.job.name}}, {{.env.BRANCH_NAME}}).
// Its functions are few on purpose:
//
//	json V         V as compact JSON: {{json .message}} is a quoted string
//	default D V    D when V is absent, null, "", [] or {}; else V
//	upper S        S in upper case
//	lower S        S in lower case
//	trunc N S      the first N characters of S
//	env "NAME"     a variable of the filtered environment: allow-listed
//	               names only; one not set is ""
//
// A key that is absent prints nothing, where text/template would print
// "<no value>".

// templateName is the name text/template uses in its messages, which
// templateError takes apart; users see the configured TemplateName.
const templateName = "template"

// noValue is what text/template prints for an absent key of a map[string]any.
const noValue = "<no value>"

// templateFuncs are the functions a template may call. env reads f.
func templateFuncs(f *formatInput) template.FuncMap {
	return template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := fastjson.Marshal(v)
			return string(b), err
		},
		"default": func(def any, v ...any) any {
			if len(v) == 0 || empty(v[len(v)-1]) {
				return def
			}
			return v[len(v)-1]
		},
		"upper": func(v any) string { return strings.ToUpper(text(v)) },
		"lower": func(v any) string { return strings.ToLower(text(v)) },
		"trunc": func(n int, v any) (string, error) {
			if n < 0 {
				return "", fmt.Errorf("want a length of 0 or more, got %d", n)
			}
			s := text(v)
			for i := range s {
				if n == 0 {
					return s[:i], nil
				}
				n--
			}
			return s, nil
		},
		"env": func(name string) (string, error) {
			if v, ok := f.Ctx.Env[name]; ok {
				return v, nil
			}
			// Allowed but not set in this build: empty, like an absent key.
			if f.S != nil && envcollect.Options(f.S.Env).Allowed(name) && !slices.Contains(f.S.SecretVars, name) {
				return "", nil
			}
			return "", fmt.Errorf("%s is not in the allow-list (add it to [env] include)", name)
		},
	}
}

// empty reports whether a template value counts as absent for default.
func empty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String, reflect.Map, reflect.Slice, reflect.Array:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// parseTemplate parses the settings' template with the functions of f.
func parseTemplate(s *config.Settings, f *formatInput) (*template.Template, error) {
	t, err := template.New(templateName).Option("missingkey=zero").Funcs(templateFuncs(f)).Parse(s.Options.Template)
	if err != nil {
		return nil, &InputError{Where: templateWhere(s), Err: templateError(err, s.Options.Template)}
	}
	return t, nil
}

func templateWhere(s *config.Settings) string {
	return cmp.Or(s.Options.TemplateName, "template")
}

// CheckTemplate parses the template of a "template" format, so that
// validate reports its errors without sending. Other formats have none:
// it returns nil.
func CheckTemplate(s *config.Settings) error {
	if s.Format != "template" {
		return nil
	}
	_, err := parseTemplate(s, &formatInput{S: s})
	return err
}

// templated runs the user's template. With a JSON content_type the output
// must parse as JSON.
func templated(f *formatInput) ([]byte, http.Header, error) {
	t, err := parseTemplate(f.S, f)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, f.Payload); err != nil {
		return nil, nil, &InputError{Where: templateWhere(f.S), Err: templateError(err, f.S.Options.Template)}
	}
	out := bytes.ReplaceAll(buf.Bytes(), []byte(noValue), nil)
	ct := cmp.Or(f.S.Options.ContentType, "application/json")
	if isJSONType(ct) {
		if err := checkJSON(out); err != nil {
			return nil, nil, &InputError{Where: templateWhere(f.S), Err: fmt.Errorf("the output is not valid JSON, which content_type %s requires: output %w", ct, err)}
		}
	}
	h := http.Header{}
	h.Set("Content-Type", ct)
	return out, h, nil
}

// isJSONType reports whether a media type is JSON: application/json or
// any +json type.
func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// checkJSON reports whether b is exactly one JSON value, naming the line
// and column of the first error.
func checkJSON(b []byte) error {
	text := string(b)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("line 1, column 1: invalid JSON: the output is empty")
		}
		return jsonError(text, err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		line, col := position(text, dec.InputOffset())
		return fmt.Errorf("line %d, column %d: unexpected text after the JSON value", line, col)
	}
	return nil
}

// text/template's messages: "template: NAME:LINE:COL: executing …" at run
// time, "template: NAME:LINE: …" when parsing.
var templateErrRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?s)^template: ` + templateName + `:(\d+)(?::(\d+))?: (.*)$`)
})

// locatable are parse errors whose quoted name can be found on its line.
var locatable = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:function|undefined variable) "([^"]+)"`) })

// templateError rewrites a text/template error as "line L, column C: …",
// the column in characters.
func templateError(err error, src string) error {
	m := templateErrRE().FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[3]
	msg = strings.Replace(msg, `executing "`+templateName+`" at `, "at ", 1)
	if strings.Contains(msg, "nil pointer evaluating interface {}") {
		msg += " (an absent object: guard it with {{with …}} or {{if …}})"
	}
	text := lineOf(src, line)
	col := 0
	if m[2] != "" {
		b, _ := strconv.Atoi(m[2]) // a 0-based byte offset in the line
		if b >= 0 && b <= len(text) {
			col = utf8.RuneCountInString(text[:b]) + 1
		}
	} else if lm := locatable().FindStringSubmatch(msg); lm != nil {
		if i := findName(text, lm[1]); i >= 0 {
			col = utf8.RuneCountInString(text[:i]) + 1
		}
	}
	if col > 0 {
		return fmt.Errorf("line %d, column %d: %s", line, col, msg)
	}
	return fmt.Errorf("line %d: %s", line, msg)
}

// findName returns the byte offset of name in line where it stands as a
// function or variable would: after {{, ( or | and spaces, else anywhere.
func findName(line, name string) int {
	first := -1
	for off := 0; ; {
		i := strings.Index(line[off:], name)
		if i < 0 {
			return first
		}
		i += off
		if first < 0 {
			first = i
		}
		before := strings.TrimRight(line[:i], " \t")
		if strings.HasSuffix(before, "{{") || strings.HasSuffix(before, "{{-") || strings.HasSuffix(before, "(") || strings.HasSuffix(before, "|") {
			return i
		}
		off = i + len(name)
	}
}

// lineOf returns line n (1-based) of s, or "".
func lineOf(s string, n int) string {
	for i := 1; i < n; i++ {
		j := strings.IndexByte(s, '\n')
		if j < 0 {
			return ""
		}
		s = s[j+1:]
	}
	if j := strings.IndexByte(s, '\n'); j >= 0 {
		s = s[:j]
	}
	return s
}
