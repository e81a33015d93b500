// Package config locates, parses and resolves jobnotify's global TOML
// configuration: defaults, then the file's top level, then a target table,
// then command-line and environment overrides, then ${VAR} expansion and
// validation.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Formats are the payload formats jobnotify can send.
var Formats = []string{"jobnotify", "job-status-notification", "notification-plugin", "cdevents", "cloudevents",
	"slack", "teams", "googlechat", "discord", "template"}

// BodyFormats are the formats that need a request body: with GET they
// are a config error.
var BodyFormats = []string{"notification-plugin", "cdevents", "cloudevents", "slack", "teams", "googlechat", "discord", "template"}

// Methods are the HTTP methods jobnotify sends with.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// Table is one level of settings: the file's top level, a [targets.NAME]
// table, or the overrides from flags and JOBNOTIFY_* variables. A nil
// pointer or map means "not set here".
type Table struct {
	URL      *string           `toml:"url"`
	Method   *string           `toml:"method"`
	Timeout  *Duration         `toml:"timeout"`
	SoftFail *bool             `toml:"soft_fail"`
	Format   *string           `toml:"format"`
	Headers  map[string]string `toml:"headers"`
	Fields   map[string]any    `toml:"fields"`
	Retry    RetryTable        `toml:"retry"`
	Env      EnvTable          `toml:"env"`
	// Options of the event, chat and template formats.
	Template         *string `toml:"template"`          // format "template": Go text/template source
	TemplateFile     *string `toml:"template_file"`     // or a file holding it, relative to the config file
	ContentType      *string `toml:"content_type"`      // format "template": default application/json
	CDEventsSubject  *string `toml:"cdevents_subject"`  // "pipelinerun" (default) or "taskrun"
	CDEventsUnstable *string `toml:"cdevents_unstable"` // outcome of UNSTABLE: "failure" (default) or "success"
	CloudEventsMode  *string `toml:"cloudevents_mode"`  // "structured" (default) or "binary"

	Signing SigningTable `toml:"signing"`
	Spool   SpoolTable   `toml:"spool"`
	TLS     TLSTable     `toml:"tls"`
}

// SigningTable is the [signing] table.
type SigningTable struct {
	Scheme *string `toml:"scheme"` // "standard-webhooks" or "hmac-sha256"
	Secret *string `toml:"secret"` // standard-webhooks: whsec_ secrets separated by spaces
	Header *string `toml:"header"` // hmac-sha256 only; default X-Hub-Signature-256
}

// SpoolTable is the [spool] table.
type SpoolTable struct {
	Dir *string `toml:"dir"` // where failed notifications are saved
}

// TLSTable is the [tls] table. Relative paths are relative to the config file.
type TLSTable struct {
	CAFile             *string `toml:"ca_file"`
	CertFile           *string `toml:"cert_file"`
	KeyFile            *string `toml:"key_file"`
	InsecureSkipVerify *bool   `toml:"insecure_skip_verify"`
}

// RetryTable is the [retry] table.
type RetryTable struct {
	Attempts *int      `toml:"attempts"`
	MinWait  *Duration `toml:"min_wait"`
	MaxWait  *Duration `toml:"max_wait"`
	MaxTime  *Duration `toml:"max_time"`
}

// EnvTable is the [env] table.
type EnvTable struct {
	Include []string `toml:"include"`
	Exclude []string `toml:"exclude"`
}

// File is a parsed config file.
type File struct {
	Table
	Targets map[string]Table `toml:"targets"`

	// Path is where the file was read from. It is not a key of the file.
	Path string `toml:"-"`
	// Warnings are problems worth a line on stderr that do not stop a
	// send, such as a literal secret in a file others can read.
	Warnings []string `toml:"-"`
	data     []byte
}

// Duration is a time.Duration written in TOML as a Go duration string.
type Duration time.Duration

// UnmarshalText parses a Go duration such as "10s" or "1m30s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want a Go duration such as 10s or 1m30s)", b)
	}
	*d = Duration(v)
	return nil
}

// Error is a problem with the configuration or the command line. Where is
// the flag, or the file, line and key, that the problem is in.
type Error struct {
	Where string
	Err   error
	// Secrets are values the message may contain that must be redacted
	// before it is printed (values ${VAR} expanded to); never printed.
	Secrets []string
}

func (e *Error) Error() string { return e.Where + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Find returns the config file to read: explicit (from --config) first, then
// $JOBNOTIFY_CONFIG, $XDG_CONFIG_HOME/jobnotify/config.toml (else
// ~/.config/jobnotify/config.toml), then /etc/jobnotify/config.toml. Never
// the working directory. It returns "" when no file exists at the implicit
// places; a named file that does not exist is an error.
func Find(explicit string, env map[string]string) (string, error) {
	for _, named := range []struct{ path, by string }{{explicit, "--config"}, {env["JOBNOTIFY_CONFIG"], "$JOBNOTIFY_CONFIG"}} {
		if named.path == "" {
			continue
		}
		if _, err := os.Stat(named.path); err != nil {
			return "", &Error{Where: named.by, Err: fmt.Errorf("config file %s: %w", named.path, errors.Unwrap(err))}
		}
		return named.path, nil
	}
	for _, p := range Candidates(env) {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", nil
}

// Candidates lists the implicit config locations, in the order Find tries them.
func Candidates(env map[string]string) []string {
	var c []string
	if x := env["XDG_CONFIG_HOME"]; x != "" && filepath.IsAbs(x) {
		c = append(c, filepath.Join(x, "jobnotify", "config.toml"))
	} else if h := env["HOME"]; h != "" && filepath.IsAbs(h) {
		c = append(c, filepath.Join(h, ".config", "jobnotify", "config.toml"))
	}
	return append(c, "/etc/jobnotify/config.toml")
}

// Load reads and parses the file at path. Unknown keys and bad TOML are
// errors naming the line.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Where: path, Err: errors.Unwrap(err)}
	}
	f, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Where: path, Err: errors.Unwrap(err)}
	}
	if err := f.checkMode(fi.Mode().Perm()); err != nil {
		return nil, err
	}
	return f, nil
}

// Parse parses data as a config file named path.
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path, data: data}
	md, err := toml.Decode(string(data), f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			where := fmt.Sprintf("%s:%d:%d", path, pe.Position.Line, pe.Position.Col)
			msg := pe.Message
			if pe.LastKey != "" {
				where += ": " + pe.LastKey
				if secretKey(pe.LastKey) {
					// The parser quotes what it found: a literal token.
					msg = quoted.ReplaceAllString(msg, `"…"`)
				}
			}
			return nil, &Error{Where: where, Err: errors.New(msg)}
		}
		return nil, &Error{Where: path, Err: err}
	}
	for _, k := range md.Undecoded() {
		if inFields(k) {
			continue // [fields] holds any value; the decoder leaves nested keys undecoded
		}
		k = k[:unknownPart(k)+1] // "targets.chat.heders", not "….heders.Authorization"
		return nil, &Error{Where: f.where(k.String()), Err: fmt.Errorf("unknown key %q%s", k.String(), suggest(k))}
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

var quoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)

// secretKey reports whether a dotted key holds a secret: a sensitive
// header or a signing secret, at the top level or in a target.
func secretKey(key string) bool {
	parts := strings.Split(key, ".")
	n := len(parts)
	return n >= 2 && (parts[n-2] == "headers" && Sensitive(parts[n-1]) || parts[n-2] == "signing" && parts[n-1] == "secret")
}

// check validates what can be checked without the environment: every table,
// not just the one a send will use, so a typo in any target fails validate.
func (f *File) check() error {
	names := make([]string, 0, len(f.Targets))
	for n := range f.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	tables := []struct {
		prefix string
		t      Table
	}{{"", f.Table}}
	for _, n := range names {
		tables = append(tables, struct {
			prefix string
			t      Table
		}{"targets." + n + ".", f.Targets[n]})
	}
	for i, tb := range tables {
		s := Default()
		if i > 0 {
			// A target is used over the top level, so check it that way:
			// a target's min_wait is compared with the top level's max_wait.
			if err := s.apply(f.Table, f.layerWhere("")); err != nil {
				return err
			}
		}
		if err := s.apply(tb.t, f.layerWhere(tb.prefix)); err != nil {
			return err
		}
		if err := s.checkStatic(); err != nil {
			return err
		}
	}
	return nil
}

// inFields reports whether k lies inside a [fields] table, at the top level
// or in a target, where any key is allowed.
func inFields(k toml.Key) bool {
	switch {
	case len(k) > 1 && k[0] == "fields":
		return true
	case len(k) > 3 && k[0] == "targets" && k[2] == "fields":
		return true
	}
	return false
}

// where names a key of the file with its line, for error messages.
func (f *File) where(key string) string {
	if f == nil {
		return key
	}
	if line := keyLine(f.data, key); line > 0 {
		return fmt.Sprintf("%s:%d: %s", f.Path, line, key)
	}
	return fmt.Sprintf("%s: %s", f.Path, key)
}

func (f *File) layerWhere(prefix string) func(string) string {
	return func(key string) string { return f.where(prefix + key) }
}

var known = []string{"url", "method", "timeout", "soft_fail", "format", "headers", "fields", "retry", "env", "targets",
	"attempts", "min_wait", "max_wait", "max_time", "include", "exclude", "signing", "spool", "tls",
	"scheme", "secret", "header", "dir", "ca_file", "cert_file", "key_file", "insecure_skip_verify",
	"template", "template_file", "content_type", "cdevents_subject", "cdevents_unstable", "cloudevents_mode"}

// unknownPart returns the index of the first part of an undecoded key that
// is not a known key at its place: 2 for targets.chat.heders.Authorization.
func unknownPart(k toml.Key) int {
	i := 0
	if len(k) > 2 && k[0] == "targets" {
		i = 2 // targets.NAME. holds a table like the top level
	}
	switch k[i] {
	case "retry", "env", "signing", "spool", "tls":
		if i+1 < len(k) {
			i++
		}
	}
	return i
}

// suggest offers the known key closest to an unknown one.
func suggest(k toml.Key) string {
	last := k[len(k)-1]
	best, bestD := "", 3
	for _, w := range known {
		if d := distance(last, w); d < bestD && d > 0 {
			best, bestD = w, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// keyLine finds the line that defines a dotted key (such as
// "targets.chat.heders") by following table headers and key assignments.
// It is a reader of the common shapes, not a TOML parser: 0 means not found.
func keyLine(data []byte, key string) int {
	table := ""
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || t[0] == '#':
			continue
		case strings.HasPrefix(t, "[["):
			table = normKey(strings.Trim(strings.SplitN(t, "]]", 2)[0], "[ "))
			if table == key {
				return i + 1
			}
		case t[0] == '[':
			table = normKey(strings.TrimPrefix(strings.SplitN(t, "]", 2)[0], "["))
			if table == key || strings.HasPrefix(table, key+".") {
				return i + 1
			}
		default:
			name, _, ok := strings.Cut(t, "=")
			if !ok {
				continue
			}
			full := normKey(name)
			if table != "" {
				full = table + "." + full
			}
			if full == key || strings.HasPrefix(full, key+".") || strings.HasPrefix(key, full+".") {
				return i + 1
			}
		}
	}
	return 0
}

func normKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}
