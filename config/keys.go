package config

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/internal/weburl"
)

// keys is the one table of the file's keys. Each entry says where its
// value goes in Settings and, for a key that send can override, its flag
// and environment variable. Everything else that names a key is derived
// from this table: which keys are known (and the suggestion for a typo),
// how each layer is laid over the one below, the flag and variable in an
// error message, send's flags, and validate's output.
//
// Order matters where one key reads another: url comes before headers,
// which remember the URL they were configured with; template before
// template_file, which replaces it.
//
// The table is built once, on first use, and never changed.
var keys = sync.OnceValue(func() []key {
	return []key{
		text("url", func(s *Settings) *string { return &s.URL }).
			override("url", "", "JOBNOTIFY_URL", "endpoint `URL`").display(showURL),
		text("method", func(s *Settings) *string { return &s.Method }).upper().
			override("method", "X", "JOBNOTIFY_METHOD", "HTTP `METHOD`: "+human.Join(methods, "or")),
		duration("timeout", func(s *Settings) *time.Duration { return &s.Timeout }).
			override("timeout", "", "JOBNOTIFY_TIMEOUT", "per attempt, a `DURATION` such as 10s or 1m30s"),
		boolean("soft_fail", func(s *Settings) *bool { return &s.SoftFail }).
			override("soft-fail", "", "JOBNOTIFY_SOFT_FAIL", "a failed delivery prints a warning and exits 0"),
		boolean("optional", func(s *Settings) *bool { return &s.Optional }),
		outcomesKey().override("on", "", "JOBNOTIFY_ON", "send only for these `OUTCOMES`, comma-separated: "+strings.Join(outcomeWords, ", ")+" (replaces the config's on)"),
		text("format", func(s *Settings) *string { return &s.Format }).lower().
			override("format", "", "JOBNOTIFY_FORMAT", "payload `FORMAT`: "+strings.Join(formats, ", ")),
		size("max_body", func(s *Settings) *int64 { return &s.MaxBody }),
		headersKey(),
		fieldsKey(),
		number("retry.attempts", func(s *Settings) *int { return &s.Retry.Attempts }).
			override("attempts", "", "JOBNOTIFY_ATTEMPTS", "try `N` times in all, the first try included"),
		duration("retry.min_wait", func(s *Settings) *time.Duration { return &s.Retry.MinWait }),
		duration("retry.max_wait", func(s *Settings) *time.Duration { return &s.Retry.MaxWait }),
		duration("retry.max_time", func(s *Settings) *time.Duration { return &s.Retry.MaxTime }),
		patterns("env.include", func(s *Settings) *[]string { return &s.Env.Include }),
		patterns("env.exclude", func(s *Settings) *[]string { return &s.Env.Exclude }),
		templateKey(),
		regularFile("template_file", func(s *Settings) *string { return &s.templateFile }).then(func(s *Settings, where string) {
			s.Options.Template, s.Options.TemplateName = "", where
		}),
		text("content_type", func(s *Settings) *string { return &s.Options.ContentType }).trim(),
		text("cdevents_subject", func(s *Settings) *string { return &s.Options.CDEventsSubject }).trim(),
		text("cdevents_unstable", func(s *Settings) *string { return &s.Options.CDEventsUnstable }).trim(),
		text("cloudevents_mode", func(s *Settings) *string { return &s.Options.CloudEventsMode }).trim(),
		boolean("markdown", func(s *Settings) *bool { return &s.Options.Markdown }),
		text("signing.scheme", func(s *Settings) *string { return &s.Signing.Scheme }).trim(),
		text("signing.secret", func(s *Settings) *string { return &s.signingSecret }).display(func(s *Settings) any {
			if s.Signing.Scheme == "" || len(s.Signing.Keys) == 0 {
				return nil // none, or not decoded: an unset ${VAR} (see Vars)
			}
			return len(s.Signing.Keys) // how many, never what
		}).showAs("secrets"),
		text("signing.header", func(s *Settings) *string { return &s.Signing.Header }).trim(),
		filePath("spool.dir", func(s *Settings) *string { return &s.SpoolDir }),
		boolean("spool.flush_on_send", func(s *Settings) *bool { return &s.FlushOnSend }),
		number("breaker.failures", func(s *Settings) *int { return &s.Breaker.Failures }),
		duration("breaker.cooldown", func(s *Settings) *time.Duration { return &s.Breaker.Cooldown }),
		regularFile("tls.ca_file", func(s *Settings) *string { return &s.TLS.CAFile }),
		regularFile("tls.cert_file", func(s *Settings) *string { return &s.TLS.CertFile }),
		regularFile("tls.key_file", func(s *Settings) *string { return &s.TLS.KeyFile }),
		boolean("tls.insecure_skip_verify", func(s *Settings) *bool { return &s.TLS.InsecureSkipVerify }),
	}
})

// A key is one key of the config file.
type key struct {
	name string // dotted, as written in the file: "retry.attempts"
	// Flag is send's flag for the key and Env its variable; "" for none.
	// Usage is the flag's help text, Short a one-letter alias.
	// Usage names the flag's value between backquotes ("per attempt, a
	// `DURATION` such as 10s"); its default is not written there but
	// taken from Default() (see Flags).
	flag, short, env, usage string

	parse   func(v any) (any, error)                             // a TOML value to the Go value set stores
	fromEnv func(text string) (any, error)                       // a flag's or variable's text to the same; nil for none
	set     func(s *Settings, v any, at func(key string) string) // at names a key with its place
	show    func(s *Settings) any                                // validate's output; nil when not shown
	shown   string                                               // the name in validate's output; "" for the key's own
	isPath  bool                                                 // relative to the config file's directory
	file    func(s *Settings) string                             // for a file jobnotify reads: its path, which must be a regular file
	isMap   bool                                                 // any key below it is the user's (headers, fields)
	isBool  bool                                                 // its flag takes no value
}

func (k key) override(flag, short, env, usage string) key {
	k.flag, k.short, k.env, k.usage = flag, short, env, usage
	return k
}

func (k key) display(show func(s *Settings) any) key { k.show = show; return k }
func (k key) showAs(name string) key                 { k.shown = name; return k }

// then runs after set, for a key whose value changes another.
func (k key) then(f func(s *Settings, where string)) key {
	set := k.set
	k.set = func(s *Settings, v any, at func(string) string) { set(s, v, at); f(s, at(k.name)) }
	return k
}

// trim, upper and lower normalise a text key's value as it is set:
// methods are upper case and format names lower case, whatever case they
// were given in.
func (k key) trim() key { return k.mapText(strings.TrimSpace) }
func (k key) upper() key {
	return k.mapText(func(v string) string { return strings.ToUpper(strings.TrimSpace(v)) })
}
func (k key) lower() key {
	return k.mapText(func(v string) string { return strings.ToLower(strings.TrimSpace(v)) })
}

func (k key) mapText(f func(string) string) key {
	set := k.set
	k.set = func(s *Settings, v any, at func(string) string) { set(s, f(v.(string)), at) }
	return k
}

// Flag describes one of send's flags that overrides a config key.
type Flag struct {
	Key   string // the config key, as given to Overrides.Set
	Name  string // the flag, without dashes
	Short string // a one-letter alias; "" for none
	Env   string // its JOBNOTIFY_* variable
	Usage string // its value's name between backquotes: "endpoint `URL`"
	// Default is the built-in default as help shows it ("10s"); "" for
	// none, and for a boolean, which is off unless given.
	Default string
	Bool    bool // takes no value
}

// Flags lists the flags that override config keys, in the table's order.
func Flags() []Flag { return slices.Clone(flags()) }

// flags is the table Flags copies, made once: each command that takes the
// flags, and each send reading them, asks for it.
var flags = sync.OnceValue(func() []Flag {
	var out []Flag
	d := Default()
	for _, k := range keys() {
		if k.flag == "" {
			continue
		}
		f := Flag{Key: k.name, Name: k.flag, Short: k.short, Env: k.env, Usage: k.usage, Bool: k.isBool}
		if v := k.show(d); v != nil && !k.isBool {
			f.Default = fmt.Sprint(v)
		}
		out = append(out, f)
	}
	return out
})

func lookupKey(name string) (key, bool) {
	k, ok := keyIndex()[name]
	return k, ok
}

// keyIndex is the table by name.
var keyIndex = sync.OnceValue(func() map[string]key {
	m := make(map[string]key, len(keys()))
	for _, k := range keys() {
		m[k.name] = k
	}
	return m
})

// The kinds of value a key can hold. Each takes its value from TOML and
// from text (a flag or variable), and stores it through a pointer into
// Settings; its show is the value itself.

func text(name string, p func(*Settings) *string) key {
	return key{
		name:    name,
		parse:   func(v any) (any, error) { return want[string](v, "a string") },
		fromEnv: func(t string) (any, error) { return t, nil },
		set:     func(s *Settings, v any, _ func(string) string) { *p(s) = v.(string) },
		show: func(s *Settings) any {
			if *p(s) == "" {
				return nil
			}
			return *p(s)
		},
	}
}

// filePath is a path, relative to the config file. It is never expanded:
// a ${VAR} in it is refused rather than taken as part of a file's name.
func filePath(name string, p func(*Settings) *string) key {
	k := text(name, p)
	k.isPath = true
	parse := k.parse
	k.parse = func(v any) (any, error) {
		t, err := parse(v)
		if err == nil && strings.Contains(t.(string), "${") {
			return nil, errors.New("${…} is not expanded in a path: write the path itself")
		}
		return t, err
	}
	return k
}

// regularFile is a path to a file that is read, such as a template or a
// certificate: it must be a regular file (see Settings.checkFiles).
func regularFile(name string, p func(*Settings) *string) key {
	k := filePath(name, p)
	k.file = func(s *Settings) string { return *p(s) }
	return k
}

func number(name string, p func(*Settings) *int) key {
	return key{
		name: name,
		parse: func(v any) (any, error) {
			n, err := want[int64](v, "a whole number")
			return int(n), err
		},
		fromEnv: func(t string) (any, error) {
			n, err := strconv.Atoi(strings.TrimSpace(t))
			if err != nil {
				return nil, fmt.Errorf("%q is not a whole number", t)
			}
			return n, nil
		},
		set:  func(s *Settings, v any, _ func(string) string) { *p(s) = v.(int) },
		show: func(s *Settings) any { return *p(s) },
	}
}

func duration(name string, p func(*Settings) *time.Duration) key {
	return key{
		name: name,
		parse: func(v any) (any, error) {
			t, err := want[string](v, `a duration such as "10s"`)
			if err != nil {
				return nil, err
			}
			return parseDuration(t)
		},
		fromEnv: func(t string) (any, error) { return parseDuration(t) },
		set:     func(s *Settings, v any, _ func(string) string) { *p(s) = v.(time.Duration) },
		show:    func(s *Settings) any { return p(s).String() },
	}
}

// parseDuration reads a Go duration such as "10s" or "1m30s".
func parseDuration(t string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(t))
	if err != nil {
		if _, nerr := strconv.ParseFloat(strings.TrimSpace(t), 64); nerr == nil {
			return 0, fmt.Errorf("invalid duration %q: a unit is needed, as in %ss", t, strings.TrimSpace(t))
		}
		return 0, fmt.Errorf("invalid duration %q (want a Go duration such as 10s or 1m30s)", t)
	}
	return d, nil
}

// size is a number of bytes, at least 1: a TOML integer, or a string of
// one with a unit, B, KiB, MiB or GiB ("16MiB", "512KiB").
func size(name string, p func(*Settings) *int64) key {
	return key{
		name: name,
		parse: func(v any) (any, error) {
			switch v := v.(type) {
			case int64:
				if v < 1 {
					return nil, fmt.Errorf("size %d: want at least 1 byte", v)
				}
				return v, nil
			case string:
				return parseSize(v)
			}
			return nil, fmt.Errorf(`want a size such as "16MiB" or a number of bytes, got %s`, tomlType(v))
		},
		set:  func(s *Settings, v any, _ func(string) string) { *p(s) = v.(int64) },
		show: func(s *Settings) any { return human.Bytes(*p(s)) },
	}
}

// sizeUnits are the units a size may have; decimal ones (MB) are not
// among them, so "16MB" is an error rather than a guess.
var sizeUnits = map[string]int64{"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}

// parseSize reads a size such as "16MiB", "512 KiB" or "1000".
func parseSize(t string) (int64, error) {
	bad := fmt.Errorf(`invalid size %q (want a number of bytes, or one with B, KiB, MiB or GiB, such as "16MiB")`, t)
	digits := strings.TrimSpace(t)
	i := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' })
	unit := ""
	if i >= 0 {
		digits, unit = digits[:i], strings.TrimSpace(digits[i:])
	}
	mult, ok := sizeUnits[unit]
	if !ok || digits == "" {
		return 0, bad
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	switch {
	case err != nil || n > math.MaxInt64/mult:
		return 0, fmt.Errorf("size %q is too large", t)
	case n < 1:
		return 0, fmt.Errorf("size %q: want at least 1 byte", t)
	}
	return n * mult, nil
}

func boolean(name string, p func(*Settings) *bool) key {
	return key{
		name:  name,
		parse: func(v any) (any, error) { return want[bool](v, "true or false") },
		fromEnv: func(t string) (any, error) {
			b, err := strconv.ParseBool(strings.TrimSpace(t))
			if err != nil {
				return nil, fmt.Errorf("%q is not true or false", t)
			}
			return b, nil
		},
		set:    func(s *Settings, v any, _ func(string) string) { *p(s) = v.(bool) },
		show:   func(s *Settings) any { return *p(s) },
		isBool: true,
	}
}

// stringList is a TOML list of strings.
func stringList(v any) ([]string, error) {
	list, err := want[[]any](v, "a list of strings")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("want a list of strings, got %s in it", tomlType(e))
		}
		out = append(out, s)
	}
	return out, nil
}

// patterns is a list of glob patterns; each layer adds to the one below.
func patterns(name string, p func(*Settings) *[]string) key {
	return key{
		name: name,
		parse: func(v any) (any, error) {
			list, err := stringList(v)
			if err != nil {
				return nil, err
			}
			for _, s := range list {
				if err := validPattern(s); err != nil {
					return nil, err
				}
			}
			return list, nil
		},
		set:  func(s *Settings, v any, _ func(string) string) { *p(s) = append(*p(s), v.([]string)...) },
		show: func(s *Settings) any { return append([]string{}, *p(s)...) },
	}
}

// headersKey is the [headers] table: merged name by name over the layer
// below, each header remembering the URL it was configured with.
func headersKey() key {
	return key{
		name:  "headers",
		isMap: true,
		parse: func(v any) (any, error) {
			m, err := want[map[string]any](v, "a table of header names and values")
			if err != nil {
				return nil, err
			}
			out := make(map[string]string, len(m))
			for name, e := range m {
				s, ok := e.(string)
				if !ok {
					return nil, &subKeyError{sub: name, err: fmt.Errorf("want a string, got %s", tomlType(e))}
				}
				if err := CheckHeader(name, ""); err != nil {
					return nil, &subKeyError{sub: name, err: err}
				}
				out[name] = s
			}
			return out, nil
		},
		set: func(s *Settings, v any, at func(string) string) {
			m := v.(map[string]string)
			for _, name := range sortedKeys(m) {
				s.setHeader(Header{Name: name, Value: m[name], where: at("headers." + name), fromFile: true, url: s.URL})
			}
		},
		show: func(s *Settings) any {
			out := map[string]string{}
			for _, h := range s.Headers {
				v := h.Value
				if Sensitive(h.Name) {
					v = "***"
				}
				out[h.Name] = v
			}
			return out
		},
	}
}

// fieldsKey is the [fields] table: static fields merged key by key.
func fieldsKey() key {
	return key{
		name:  "fields",
		isMap: true,
		parse: func(v any) (any, error) { return want[map[string]any](v, "a table") },
		set: func(s *Settings, v any, at func(string) string) {
			m := v.(map[string]any)
			if len(m) == 0 {
				return
			}
			if s.Fields == nil {
				s.Fields = map[string]any{}
			}
			for _, k := range sortedKeys(m) {
				s.Fields[k] = m[k]
				s.fieldSrc[k] = at("fields." + k)
			}
		},
		show: func(s *Settings) any {
			if s.Fields == nil {
				return map[string]any{}
			}
			return s.Fields
		},
	}
}

// templateKey is format "template"'s source, which replaces a
// template_file of the layer below.
func templateKey() key {
	k := text("template", func(s *Settings) *string { return &s.Options.Template }).then(func(s *Settings, where string) {
		s.Options.TemplateName, s.templateFile = where, ""
	})
	k.show = nil // the source itself is long; template_file or the config says where it is
	return k
}

// want returns v as a T, or an error naming what was wanted.
func want[T any](v any, what string) (T, error) {
	t, ok := v.(T)
	if !ok {
		return t, fmt.Errorf("want %s, got %s", what, tomlType(v))
	}
	return t, nil
}

// tomlType names a decoded TOML value's type as TOML does.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	default:
		return "a date or time"
	}
}

// showURL is the URL as validate prints it: no userinfo, query values as
// ***. A ${NAME} left unexpanded (ResolveOffline) is shown as written.
func showURL(s *Settings) any {
	if s.URL == "" {
		return nil
	}
	if len(s.urlUnset) == 0 {
		return weburl.Display(s.URL)
	}
	// url.Parse refuses "${HOST}" as a host: show the display form of the
	// URL's shape, then put each ${NAME} back.
	return s.unshape(weburl.Display(s.urlShape()))
}

// Show returns the resolved settings as validate prints them: every key of
// the table that has something to show, nested by its dots; tables with
// nothing set are left out. Secrets are *** or counted, never shown.
func (s *Settings) Show() map[string]any {
	out := map[string]any{"config": s.Path, "target": s.Target}
	if len(s.Vars) > 0 {
		vars := map[string]any{}
		for _, v := range s.Vars {
			vars[v.Name] = map[string]any{"set": v.Set, "used_at": v.UsedAt}
		}
		out["variables"] = vars
	}
	var tables []string // the top-level tables the dots made
	for _, k := range keys() {
		if k.show == nil {
			continue
		}
		v := k.show(s)
		if v == nil {
			continue
		}
		parts := strings.Split(k.name, ".")
		if k.shown != "" {
			parts[len(parts)-1] = k.shown
		}
		m := out
		for i, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				if i == 0 {
					tables = append(tables, p)
				}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = v
	}
	for _, t := range tables {
		if allZero(out[t].(map[string]any)) {
			delete(out, t)
		}
	}
	return out
}

// allZero reports whether a table of shown values has nothing set.
func allZero(m map[string]any) bool {
	for _, v := range m {
		if v != false {
			return false
		}
	}
	return true
}

// knownNames lists every key's last part and the tables, for suggestions.
func knownNames() []string {
	names := []string{"targets", "requires", "default_targets"}
	for _, k := range keys() {
		for _, p := range strings.Split(k.name, ".") {
			if !slices.Contains(names, p) {
				names = append(names, p)
			}
		}
	}
	return names
}

// Formats are the payload formats jobnotify can send.
func Formats() []string { return slices.Clone(formats) }

// Methods are the HTTP methods a notification may be sent with.
func Methods() []string { return slices.Clone(methods) }

// BodyFormats are the formats that need a request body: with GET they are
// a config error.
func BodyFormats() []string { return slices.Clone(bodyFormats) }

var (
	formats = []string{"jobnotify", "job-status-notification", "notification-plugin", "cdevents", "cloudevents",
		"slack", "teams", "googlechat", "discord", "template"}
	// bodyFormats need a request body: with GET they are a config error.
	bodyFormats = []string{"notification-plugin", "cdevents", "cloudevents", "slack", "teams", "googlechat", "discord", "template"}
	methods     = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
)
