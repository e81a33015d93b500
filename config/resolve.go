package config

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jobnotify/jobnotify/internal/weburl"
)

// Settings are the resolved settings of one send. Which key of the file
// sets which field is said once, in keys.
type Settings struct {
	Path   string // config file read; "" when none
	Target string // [targets.NAME] used; "" for the top level

	URL      string        // absolute http(s) URL
	Method   string        // upper case, one of GET, POST, PUT, PATCH, DELETE
	Timeout  time.Duration // per attempt
	SoftFail bool          // a failed delivery exits 0 with a warning
	Optional bool          // a failed delivery warns and never fails the call (optional)
	On       []string      // the outcomes notifications go out for (on, --on); nil for all
	MaxBody  int64         // the longest --body text, in bytes; resolved, at least 1 (default DefaultMaxBody)
	Format   string        // one of Formats
	Headers  []Header      // configured then command-line headers, in that order
	Fields   map[string]any
	Retry    Retry
	Env      Env
	Signing  Signing
	Options  FormatOptions
	SpoolDir string // where failed notifications are saved; "" for nowhere
	// FlushOnSend: a send first delivers a few of its target's spooled
	// notifications (spool.flush_on_send).
	FlushOnSend bool
	Breaker     Breaker
	TLS         TLS

	// Secrets are the values of the variables any ${VAR} in the file
	// names (expanded by this send or not) and the signing keys. They
	// must never be printed.
	Secrets []string
	// SecretVars are the names of every variable a ${VAR} in the file
	// names; they never enter a payload's environment.
	SecretVars []string
	// SecretFields is true when [fields] took a value from a ${VAR}: the
	// payload then carries a secret, in whatever form its format gives it.
	SecretFields bool
	// Dropped names config headers left out because the URL was changed to
	// another origin than the one they were configured for.
	Dropped []string
	// Vars are the variables the ${VAR}s this send expands name, in the
	// order first used, set or not: not those of a header left out for
	// another origin, nor of a target not used. Set is false only after
	// ResolveOffline; Resolve fails at the first unset one.
	Vars []Var
	// Unchecked says, a sentence each, what ResolveOffline did not check
	// because its value holds an unset variable ("url is not checked: …").
	Unchecked []string

	signingSecret string            // before expansion
	templateFile  string            // template_file, read after paths are resolved
	src           map[string]string // key -> where it was set, for error messages
	raw           map[string]bool   // keys whose value still needs ${VAR} expansion
	fieldSrc      map[string]string // a [fields] key -> where it was set
	overridden    map[string]string // key -> the flag or variable that set it
	urlUnset      []string          // variables the URL still holds as ${NAME} (ResolveOffline)
}

// Header is one request header. An empty Value removes the header.
type Header struct {
	Name, Value string
	where       string
	fromFile    bool   // needs ${VAR} expansion
	url         string // the URL it was configured alongside; "" for any
}

// FormatOptions are the settings of the event, chat and template formats.
type FormatOptions struct {
	Template         string // format "template": the template's source
	TemplateName     string // where it came from, for error messages
	ContentType      string // format "template": the Content-Type; default application/json
	CDEventsSubject  string // "pipelinerun" or "taskrun"
	CDEventsUnstable string // the outcome UNSTABLE maps to: "failure" or "success"
	CloudEventsMode  string // "structured" or "binary"
	// Markdown: the chat formats send the user's message as the platform's
	// markup (links, bold, mentions) rather than as plain text. Values from
	// the build's environment are plain text either way.
	Markdown bool
}

// TLS is the resolved [tls] table, paths made absolute.
type TLS struct {
	CAFile             string // PEM CA certificates added to the system roots
	CertFile, KeyFile  string // client certificate and key for mutual TLS
	InsecureSkipVerify bool   // no certificate verification at all
}

// Env is the resolved [env] table: which variables a payload's env adds
// to the built-in allow-list, and which it leaves out.
type Env struct {
	Include []string // glob patterns added to the allow-list
	Exclude []string // glob patterns or names left out; exclude always wins
}

// Breaker is the resolved [breaker] table: after Failures consecutive
// failed deliveries to an origin (0: never), sends to it are spooled
// without trying for Cooldown, then one probes. It needs a spool.
type Breaker struct {
	Failures int
	Cooldown time.Duration
}

// SpoolMaxTime is retry.max_time's default when a spool is set: the
// spool carries the rest, so a receiver's outage costs each build
// seconds, not a minute.
const SpoolMaxTime = 15 * time.Second

// Retry is the resolved [retry] table.
type Retry struct {
	Attempts int           // total tries including the first, at least 1
	MinWait  time.Duration // shortest wait between tries, and floor of Retry-After
	MaxWait  time.Duration // longest wait between tries, and cap of Retry-After
	MaxTime  time.Duration // the whole send, waits included
}

// DefaultMaxBody is max_body's default: well above the 10 MiB body of
// the benchmarks, well below what a CI agent's memory notices.
const DefaultMaxBody = 16 << 20

// Default returns the built-in settings.
func Default() *Settings {
	return &Settings{
		Method:      "POST",
		Timeout:     10 * time.Second,
		MaxBody:     DefaultMaxBody,
		Format:      "jobnotify",
		Retry:       Retry{Attempts: 4, MinWait: time.Second, MaxWait: 30 * time.Second, MaxTime: 60 * time.Second},
		Options:     FormatOptions{ContentType: "application/json", CDEventsSubject: "pipelinerun", CDEventsUnstable: "failure", CloudEventsMode: "structured"},
		FlushOnSend: true,
		Breaker:     Breaker{Failures: 3, Cooldown: time.Minute},
		src:         map[string]string{},
		raw:         map[string]bool{},
		fieldSrc:    map[string]string{},
	}
}

// Overrides are the values given on the command line or in JOBNOTIFY_*
// variables: the top layer of the settings. The zero value overrides
// nothing.
type Overrides struct {
	values  layer
	where   map[string]string // key -> the flag or variable that set it
	Headers []Header          // from --header, in order
}

// Set overrides the config key named key with the text of a flag or
// variable; where names which ("--attempts", "$JOBNOTIFY_ATTEMPTS") in
// error messages. Text that is not a value of the key's kind is an error.
func (o *Overrides) Set(key, text, where string) error {
	k, ok := lookupKey(key)
	if !ok || k.fromEnv == nil {
		return &Error{Where: where, Err: fmt.Errorf("%s is not a key that can be overridden", key)}
	}
	v, err := k.fromEnv(text)
	if err != nil {
		return &Error{Where: where, Err: err}
	}
	if o.values == nil {
		o.values, o.where = layer{}, map[string]string{}
	}
	o.values[key], o.where[key] = v, where
	return nil
}

// OverriddenBy returns the flag or variable that set key ("--url",
// "$JOBNOTIFY_URL"), or "" when the file or a default did.
func (s *Settings) OverriddenBy(key string) string { return s.overridden[key] }

// Unset returns the variables of Vars that are not set.
func (s *Settings) Unset() []Var {
	var out []Var
	for _, v := range s.Vars {
		if !v.Set {
			out = append(out, v)
		}
	}
	return out
}

// ErrNoURL is the error of a send with no endpoint.
var ErrNoURL = errors.New("no endpoint: give --url, set $JOBNOTIFY_URL, or set url in the config file")

// NeedURL reports ErrNoURL when no URL was resolved.
func (s *Settings) NeedURL() error {
	if s.URL == "" {
		return &Error{Where: "url", Err: ErrNoURL}
	}
	return nil
}

// NewHeader parses "Name: value" as given to --header.
func NewHeader(s, where string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return Header{}, &Error{Where: where, Err: errors.New(`want "Name: value"`)}
	}
	return Header{Name: strings.TrimSpace(name), Value: strings.TrimLeft(value, " \t"), where: where}, nil
}

// Resolve computes the settings of one send: defaults, then the file's top
// level, then target, then overrides; then expands ${VAR} from env in the
// values that came from the file, and validates. This is the one place
// where precedence is decided. f may be nil when there is no config file.
// A variable the send needs that env does not set is an error naming it.
func Resolve(f *File, target string, ov Overrides, env map[string]string) (*Settings, error) {
	return resolve(f, target, ov, env, false)
}

// ResolveOffline is Resolve for checking a config where a send's
// variables need not be set (validate, env, and flush before it knows
// what it will send): an unset variable is recorded in Vars, not an
// error, and its ${NAME} stays in the value as written. What needs its
// value (the URL's shape, the signing keys) is not checked, and
// Unchecked says so; everything else is. Such settings are for showing,
// never for a send.
func ResolveOffline(f *File, target string, ov Overrides, env map[string]string) (*Settings, error) {
	return resolve(f, target, ov, env, true)
}

func resolve(f *File, target string, ov Overrides, env map[string]string, offline bool) (*Settings, error) {
	s := Default()
	if f != nil {
		s.Path = f.Path
		s.apply(f.top, f.source(""))
		if target != "" {
			t, ok := f.targets[target]
			if !ok {
				return nil, &Error{Where: "--target", Err: fmt.Errorf("no [targets.%s] in %s%s", target, f.Path, f.targetList())}
			}
			s.apply(t, f.source("targets."+target+"."))
		}
	} else if target != "" {
		return nil, &Error{Where: "--target", Err: fmt.Errorf("target %q needs a config file, and none was found", target)}
	}
	s.Target = target
	for k := range s.src {
		s.raw[k] = true // everything so far came from the file
	}
	s.apply(ov.values, source{at: func(k string) string { return cmp.Or(ov.where[k], k) }})
	s.overridden = map[string]string{}
	for k := range ov.values {
		s.overridden[k] = cmp.Or(ov.where[k], k)
	}
	for _, h := range ov.Headers {
		s.setHeader(h)
	}
	if s.SpoolDir != "" && s.src["retry.max_time"] == "" {
		s.Retry.MaxTime = SpoolMaxTime
	}
	var vars []string
	if f != nil {
		vars = f.vars
	}
	if err := s.finish(env, vars, offline); err != nil {
		// A message about an expanded value (a URL that is not one) may
		// quote it: the error carries the secrets so the caller can
		// redact them before printing.
		var ce *Error
		if errors.As(err, &ce) {
			ce.Secrets = append(ce.Secrets, s.Secrets...)
		}
		return nil, err
	}
	return s, nil
}

// source says where a layer's values came from: at names a key with its
// file and line (or its flag), and dir is the directory relative paths in
// the layer are relative to ("" for the command line).
type source struct {
	at  func(key string) string
	dir string
}

func (f *File) source(prefix string) source {
	return source{at: func(key string) string { return f.where(prefix + key) }, dir: filepath.Dir(f.Path)}
}

// apply lays l over s, key by key in the table's order. A key set in l
// replaces s's; headers and fields are merged entry by entry, and env
// patterns added.
func (s *Settings) apply(l layer, src source) {
	for _, k := range keys() {
		v, ok := l[k.name]
		if !ok {
			continue
		}
		if p, ok := v.(string); ok && k.isPath && p != "" && src.dir != "" && !filepath.IsAbs(p) {
			// Paths in the file are relative to the file, not to the
			// workspace the build happens to run in.
			v = filepath.Join(src.dir, p)
		}
		k.set(s, v, src.at)
		s.src[k.name] = src.at(k.name)
		delete(s.raw, k.name)
	}
}

// finish expands, reads the template file and validates.
func (s *Settings) finish(env map[string]string, vars []string, offline bool) error {
	if err := s.expand(env, vars, offline); err != nil {
		return err
	}
	if err := s.checkFiles(); err != nil {
		return err
	}
	if s.Format == "template" && s.templateFile != "" {
		b, err := os.ReadFile(s.templateFile)
		if err != nil {
			return &Error{Where: s.src["template_file"], Err: errors.Unwrap(err)}
		}
		s.Options.Template, s.Options.TemplateName = string(b), s.templateFile
	}
	return s.validate()
}

func (f *File) targetList() string {
	if len(f.targets) == 0 {
		return " (it defines no targets)"
	}
	return " (targets: " + strings.Join(f.Targets(), ", ") + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// setHeader adds h, replacing any header of the same name.
func (s *Settings) setHeader(h Header) {
	s.Headers = slices.DeleteFunc(s.Headers, func(o Header) bool {
		return http.CanonicalHeaderKey(o.Name) == http.CanonicalHeaderKey(h.Name)
	})
	s.Headers = append(s.Headers, h)
}

// dropForeignHeaders leaves out config headers that do not belong to the
// origin (scheme, host and port) the request goes to: a token for
// https://api.example.com must not travel to whatever --url names, nor in
// cleartext to http://api.example.com:443. A header belongs to the URL of
// the level it was configured at (or of the level above). One configured
// where there was no URL belongs to no origin: it is sent only when the
// URL, too, comes from the file, never to one the command line or
// $JOBNOTIFY_URL chose. A configured URL whose host is a ${VAR} is
// expanded to find its origin; when that variable is unset the URL cannot
// be the one in use, so its headers go.
func (s *Settings) dropForeignHeaders(env map[string]string) {
	final := weburl.OriginKey(s.URL)
	s.Headers = slices.DeleteFunc(s.Headers, func(h Header) bool {
		o := weburl.OriginKey(h.url)
		if o == "" && strings.Contains(h.url, "$") {
			x := expander{env: env} // its values are not recorded as secrets
			if u, err := x.expand(h.url, ""); err == nil {
				o = weburl.OriginKey(u)
			} else {
				o = "(unresolved)"
			}
		}
		switch {
		case !h.fromFile:
			return false // --header: sent where the command line sends
		case o == "" && !s.raw["url"]:
			// Configured where no URL was: bound to no origin, so not
			// to one the command line (or $JOBNOTIFY_URL) chose either.
		case o == "" || final == "" || o == final:
			return false
		}
		s.Dropped = append(s.Dropped, h.Name)
		return true
	})
}
