package config

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/internal/weburl"
)

// Settings are the resolved settings of one send.
type Settings struct {
	Path   string // config file read; "" when none
	Target string // [targets.NAME] used; "" for the top level

	URL      string        // absolute http(s) URL
	Method   string        // upper case, one of Methods
	Timeout  time.Duration // per attempt
	SoftFail bool          // a failed delivery exits 0 with a warning
	Format   string        // one of Formats
	Headers  []Header      // configured then command-line headers, in that order
	Fields   map[string]any
	Retry    Retry
	Env      envcollect.Options
	Signing  Signing
	Options  FormatOptions
	SpoolDir string // where failed notifications are saved; "" for nowhere
	TLS      TLS

	// Secrets are the values that ${VAR} expansions produced. They must
	// never be printed.
	Secrets []string
	// SecretVars are the names of the variables those values came from;
	// they never enter a payload's environment.
	SecretVars []string
	// Dropped names config headers left out because the URL was changed to
	// another host than the one they were configured for.
	Dropped []string

	signingSecret string            // before expansion
	templateFile  string            // template_file, read after paths are resolved
	src           map[string]string // key -> where it was set, for error messages
	raw           map[string]bool   // keys whose value still needs ${VAR} expansion
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
}

// TLS is the resolved [tls] table, paths made absolute.
type TLS struct {
	CAFile             string // PEM CA certificates added to the system roots
	CertFile, KeyFile  string // client certificate and key for mutual TLS
	InsecureSkipVerify bool   // no certificate verification at all
}

// Retry is the resolved [retry] table.
type Retry struct {
	Attempts int           // total tries including the first, at least 1
	MinWait  time.Duration // shortest wait between tries, and floor of Retry-After
	MaxWait  time.Duration // longest wait between tries, and cap of Retry-After
	MaxTime  time.Duration // the whole send, waits included
}

// Default returns the built-in settings.
func Default() *Settings {
	return &Settings{
		Method:  "POST",
		Timeout: 10 * time.Second,
		Format:  "jobnotify",
		Retry:   Retry{Attempts: 4, MinWait: time.Second, MaxWait: 30 * time.Second, MaxTime: 60 * time.Second},
		Options: FormatOptions{ContentType: "application/json", CDEventsSubject: "pipelinerun", CDEventsUnstable: "failure", CloudEventsMode: "structured"},
		src:     map[string]string{},
		raw:     map[string]bool{},
	}
}

// Overrides are the values given on the command line or in JOBNOTIFY_*
// variables; Where names the flag for each key in error messages.
type Overrides struct {
	Table
	Headers []Header // from --header, in order
	Where   func(key string) string
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
func Resolve(f *File, target string, ov Overrides, env map[string]string) (*Settings, error) {
	s := Default()
	if f != nil {
		s.Path = f.Path
		if err := s.apply(f.Table, f.layerWhere("")); err != nil {
			return nil, err
		}
		if target != "" {
			t, ok := f.Targets[target]
			if !ok {
				return nil, &Error{Where: "--target", Err: fmt.Errorf("no [targets.%s] in %s%s", target, f.Path, f.targetList())}
			}
			if err := s.apply(t, f.layerWhere("targets."+target+".")); err != nil {
				return nil, err
			}
		}
	} else if target != "" {
		return nil, &Error{Where: "--target", Err: fmt.Errorf("target %q needs a config file, and none was found", target)}
	}
	s.Target = target
	for k := range s.src {
		s.raw[k] = true // everything so far came from the file
	}
	if f != nil {
		// Paths in the file are relative to the file, not to the
		// workspace the build happens to run in.
		for _, p := range []*string{&s.SpoolDir, &s.TLS.CAFile, &s.TLS.CertFile, &s.TLS.KeyFile, &s.templateFile} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(filepath.Dir(f.Path), *p)
			}
		}
	}
	if ov.Where == nil {
		ov.Where = func(k string) string { return k }
	}
	if err := s.apply(ov.Table, ov.Where); err != nil {
		return nil, err
	}
	for _, h := range ov.Headers {
		s.setHeader(h)
	}
	if err := s.finish(env); err != nil {
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

// finish expands, reads the template file and validates.
func (s *Settings) finish(env map[string]string) error {
	if err := s.expand(env); err != nil {
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
	if len(f.Targets) == 0 {
		return " (it defines no targets)"
	}
	names := make([]string, 0, len(f.Targets))
	for n := range f.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return " (targets: " + strings.Join(names, ", ") + ")"
}

// apply lays t over s. A key set in t replaces s's; headers and fields
// are merged key by key.
func (s *Settings) apply(t Table, where func(string) string) error {
	set := func(key string) {
		s.src[key] = where(key)
		delete(s.raw, key)
	}
	if t.URL != nil {
		s.URL = *t.URL
		set("url")
	}
	if t.Method != nil {
		s.Method = strings.ToUpper(strings.TrimSpace(*t.Method))
		set("method")
	}
	if t.Timeout != nil {
		s.Timeout = time.Duration(*t.Timeout)
		set("timeout")
	}
	if t.SoftFail != nil {
		s.SoftFail = *t.SoftFail
		set("soft_fail")
	}
	if t.Format != nil {
		s.Format = strings.TrimSpace(*t.Format)
		set("format")
	}
	if t.Retry.Attempts != nil {
		s.Retry.Attempts = *t.Retry.Attempts
		set("retry.attempts")
	}
	if t.Retry.MinWait != nil {
		s.Retry.MinWait = time.Duration(*t.Retry.MinWait)
		set("retry.min_wait")
	}
	if t.Retry.MaxWait != nil {
		s.Retry.MaxWait = time.Duration(*t.Retry.MaxWait)
		set("retry.max_wait")
	}
	if t.Retry.MaxTime != nil {
		s.Retry.MaxTime = time.Duration(*t.Retry.MaxTime)
		set("retry.max_time")
	}
	if t.Env.Include != nil {
		s.Env.Include = append(s.Env.Include, t.Env.Include...)
		set("env.include")
	}
	if t.Template != nil {
		s.Options.Template, s.Options.TemplateName, s.templateFile = *t.Template, where("template"), ""
		set("template")
	}
	if t.TemplateFile != nil {
		s.templateFile, s.Options.Template = *t.TemplateFile, ""
		s.Options.TemplateName = where("template_file")
		set("template_file")
	}
	if t.ContentType != nil {
		s.Options.ContentType = strings.TrimSpace(*t.ContentType)
		set("content_type")
	}
	if t.CDEventsSubject != nil {
		s.Options.CDEventsSubject = strings.TrimSpace(*t.CDEventsSubject)
		set("cdevents_subject")
	}
	if t.CDEventsUnstable != nil {
		s.Options.CDEventsUnstable = strings.TrimSpace(*t.CDEventsUnstable)
		set("cdevents_unstable")
	}
	if t.CloudEventsMode != nil {
		s.Options.CloudEventsMode = strings.TrimSpace(*t.CloudEventsMode)
		set("cloudevents_mode")
	}
	if t.Signing.Scheme != nil {
		s.Signing.Scheme = strings.TrimSpace(*t.Signing.Scheme)
		set("signing.scheme")
	}
	if t.Signing.Secret != nil {
		s.signingSecret = *t.Signing.Secret
		set("signing.secret")
	}
	if t.Signing.Header != nil {
		s.Signing.Header = strings.TrimSpace(*t.Signing.Header)
		set("signing.header")
	}
	if t.Spool.Dir != nil {
		s.SpoolDir = *t.Spool.Dir
		set("spool.dir")
	}
	if t.TLS.CAFile != nil {
		s.TLS.CAFile = *t.TLS.CAFile
		set("tls.ca_file")
	}
	if t.TLS.CertFile != nil {
		s.TLS.CertFile = *t.TLS.CertFile
		set("tls.cert_file")
	}
	if t.TLS.KeyFile != nil {
		s.TLS.KeyFile = *t.TLS.KeyFile
		set("tls.key_file")
	}
	if t.TLS.InsecureSkipVerify != nil {
		s.TLS.InsecureSkipVerify = *t.TLS.InsecureSkipVerify
		set("tls.insecure_skip_verify")
	}
	if t.Env.Exclude != nil {
		s.Env.Exclude = append(s.Env.Exclude, t.Env.Exclude...)
		set("env.exclude")
	}
	for _, p := range slices.Concat(t.Env.Include, t.Env.Exclude) {
		if err := envcollect.ValidPattern(p); err != nil {
			return &Error{Where: where("env"), Err: fmt.Errorf("bad pattern %q: %w", p, err)}
		}
	}
	for _, name := range sortedKeys(t.Headers) {
		s.setHeader(Header{Name: name, Value: t.Headers[name], where: where("headers." + name), fromFile: true, url: s.URL})
	}
	if len(t.Fields) > 0 {
		if s.Fields == nil {
			s.Fields = map[string]any{}
		}
		for _, k := range sortedKeys(t.Fields) {
			s.Fields[k] = t.Fields[k]
		}
		set("fields")
	}
	return nil
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

// expand replaces ${VAR} in the file's url, header values and field strings.
func (s *Settings) expand(env map[string]string) error {
	x := expander{env: env}
	// Recorded even when expansion fails half way, for the error's sake.
	defer func() { s.Secrets, s.SecretVars = x.values, x.names }()
	var err error
	if s.raw["url"] {
		if s.URL, err = x.expand(s.URL); err != nil {
			return &Error{Where: s.src["url"], Err: err}
		}
	}
	// Drop headers bound to another host before expanding header values, so
	// a variable only a dropped header needs does not have to be set.
	s.dropForeignHeaders(env)
	for i, h := range s.Headers {
		if !h.fromFile {
			continue // from --header: the shell already expanded it
		}
		if s.Headers[i].Value, err = x.expand(h.Value); err != nil {
			return &Error{Where: h.where, Err: err}
		}
	}
	if s.Fields != nil {
		v, err := x.expandAny(s.Fields)
		if err != nil {
			return &Error{Where: s.src["fields"], Err: err}
		}
		s.Fields = v.(map[string]any)
	}
	if s.Signing.Scheme != "" {
		secret, err := x.expand(s.signingSecret)
		if err != nil {
			return &Error{Where: s.src["signing.secret"], Err: err}
		}
		if s.Signing.Keys, err = signingKeys(s.Signing.Scheme, secret); err != nil {
			where := s.src["signing.secret"]
			if where == "" {
				where = s.src["signing.scheme"]
			}
			return &Error{Where: where, Err: err}
		}
		// The whole secret, the keys it decodes to and, for
		// standard-webhooks, each of its space-separated secrets (an
		// hmac-sha256 secret is one secret, spaces and all).
		x.values = append(x.values, secret)
		if s.Signing.Scheme == StandardWebhooks {
			x.values = append(x.values, strings.Fields(secret)...)
		}
		for _, k := range s.Signing.Keys {
			x.values = append(x.values, string(k))
		}
	}
	s.Secrets, s.SecretVars = x.values, x.names
	return nil
}

type expander struct {
	env    map[string]string
	values []string
	names  []string
}

func (x *expander) expand(v string) (string, error) {
	if !strings.Contains(v, "$") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '$' {
			b.WriteByte(v[i])
			continue
		}
		switch {
		case i+1 < len(v) && v[i+1] == '$':
			b.WriteByte('$')
			i++
		case i+1 < len(v) && v[i+1] == '{':
			end := strings.IndexByte(v[i+2:], '}')
			if end < 0 {
				return "", errors.New("unterminated ${ (write $$ for a literal $)")
			}
			name := v[i+2 : i+2+end]
			if !validName(name) {
				return "", fmt.Errorf("bad variable name %q in ${…}", name)
			}
			val, ok := x.env[name]
			if !ok {
				return "", fmt.Errorf("environment variable %s is not set", name)
			}
			b.WriteString(val)
			if !slices.Contains(x.names, name) {
				x.names = append(x.names, name)
				x.values = append(x.values, val)
			}
			i += 2 + end
		default:
			return "", errors.New("a $ must start ${NAME} (write $$ for a literal $)")
		}
	}
	return b.String(), nil
}

func (x *expander) expandAny(v any) (any, error) {
	switch v := v.(type) {
	case string:
		return x.expand(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			e, err := x.expandAny(v[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = e
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			var err error
			if out[i], err = x.expandAny(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []map[string]any:
		out := make([]any, len(v))
		for i, e := range v {
			var err error
			if out[i], err = x.expandAny(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	default:
		return v, nil
	}
}

func validName(n string) bool {
	if n == "" {
		return false
	}
	for i, r := range n {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// dropForeignHeaders leaves out config headers configured alongside a URL
// on another host than the one the request goes to: a token for
// api.example.com must not travel to whatever --url names. A configured
// URL whose host is a ${VAR} is expanded to find its host; when that
// variable is unset the URL cannot be the one in use, so its headers go.
func (s *Settings) dropForeignHeaders(env map[string]string) {
	final := weburl.HostPort(s.URL)
	s.Headers = slices.DeleteFunc(s.Headers, func(h Header) bool {
		o := weburl.HostPort(h.url)
		if o == "" && strings.Contains(h.url, "$") {
			x := expander{env: env} // its values are not recorded as secrets
			if u, err := x.expand(h.url); err == nil {
				o = weburl.HostPort(u)
			} else {
				o = "(unresolved)"
			}
		}
		if o != "" && final != "" && o != final {
			s.Dropped = append(s.Dropped, h.Name)
			return true
		}
		return false
	})
}

// setKey returns the first of keys that was set, so an error points at
// the line the user wrote; "" when none was.
func setKey(src map[string]string, keys ...string) string {
	for _, k := range keys {
		if src[k] != "" {
			return k
		}
	}
	return ""
}

// checkStatic validates values that need no environment.
func (s *Settings) checkStatic() error {
	bad := func(key string, format string, args ...any) error {
		where := s.src[key]
		if where == "" {
			where = key
		}
		return &Error{Where: where, Err: fmt.Errorf(format, args...)}
	}
	if s.src["method"] != "" && !slices.Contains(Methods, s.Method) {
		return bad("method", "%q is not one of %s", s.Method, strings.Join(Methods, ", "))
	}
	if s.src["format"] != "" && !slices.Contains(Formats, s.Format) {
		return bad("format", "%q is not one of %s", s.Format, strings.Join(Formats, ", "))
	}
	if s.Timeout <= 0 {
		return bad("timeout", "must be more than 0")
	}
	r := s.Retry
	switch {
	case r.Attempts < 1 || r.Attempts > 100:
		return bad("retry.attempts", "must be between 1 and 100, got %d", r.Attempts)
	case r.MinWait < 0:
		return bad("retry.min_wait", "must not be negative")
	case r.MaxWait < r.MinWait:
		if s.src["retry.max_wait"] == "" {
			// max_wait is the default: the min_wait that was set is the problem.
			return bad("retry.min_wait", "%s is more than retry.max_wait %s", r.MinWait, r.MaxWait)
		}
		return bad("retry.max_wait", "%s is less than retry.min_wait %s", r.MaxWait, r.MinWait)
	case r.MaxTime <= 0:
		return bad("retry.max_time", "must be more than 0")
	}
	for _, h := range s.Headers {
		if err := CheckHeader(h.Name, ""); err != nil {
			return &Error{Where: h.where, Err: err}
		}
	}
	switch s.Signing.Scheme {
	case "":
		if key := setKey(s.src, "signing.secret", "signing.header"); key != "" {
			return bad(key, "signing.secret or signing.header is set but signing.scheme is not: set scheme = %q or %q", StandardWebhooks, HMACSHA256)
		}
	case HMACSHA256:
		if s.Signing.Header == "" {
			s.Signing.Header = "X-Hub-Signature-256"
		}
		if err := CheckHeader(s.Signing.Header, ""); err != nil {
			return bad("signing.header", "%w", err)
		}
	case StandardWebhooks:
		if s.Signing.Header != "" {
			return bad("signing.header", "applies to %s only: %s uses webhook-id, webhook-timestamp and webhook-signature", HMACSHA256, StandardWebhooks)
		}
	default:
		return bad("signing.scheme", "%q is not %q or %q", s.Signing.Scheme, StandardWebhooks, HMACSHA256)
	}
	o := s.Options
	switch {
	case !slices.Contains([]string{"pipelinerun", "taskrun"}, o.CDEventsSubject):
		return bad("cdevents_subject", "%q is not pipelinerun or taskrun", o.CDEventsSubject)
	case !slices.Contains([]string{"failure", "success"}, o.CDEventsUnstable):
		return bad("cdevents_unstable", "%q is not failure or success", o.CDEventsUnstable)
	case !slices.Contains([]string{"structured", "binary"}, o.CloudEventsMode):
		return bad("cloudevents_mode", "%q is not structured or binary", o.CloudEventsMode)
	case o.ContentType == "" || strings.ContainsAny(o.ContentType, "\r\n"):
		return bad("content_type", "want a media type such as application/json")
	case s.Format == "template" && o.Template == "" && s.templateFile == "":
		return bad("format", "format %q needs template = '''…''' or template_file = \"…\"", s.Format)
	case s.Method == "GET" && slices.Contains(BodyFormats, s.Format):
		return bad("method", "format %q needs a request body, so it cannot be sent with GET", s.Format)
	}
	if (s.TLS.CertFile == "") != (s.TLS.KeyFile == "") {
		return bad(setKey(s.src, "tls.cert_file", "tls.key_file"), "tls.cert_file and tls.key_file go together: set both for mutual TLS, or neither")
	}
	return nil
}

// validate checks the resolved settings.
func (s *Settings) validate() error {
	if err := s.checkStatic(); err != nil {
		return err
	}
	if s.URL != "" {
		if err := checkURL(s.URL); err != nil {
			return &Error{Where: s.src["url"], Err: err}
		}
	}
	for _, h := range s.Headers {
		if err := CheckHeader(h.Name, h.Value); err != nil {
			return &Error{Where: h.where, Err: err}
		}
	}
	return nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a valid URL: %s", weburl.Safe(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s: want an absolute http:// or https:// URL", weburl.Safe(raw))
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%s: no host", weburl.Safe(raw))
	}
	return nil
}

// CheckHeader reports a header name that is not an HTTP token or a value
// with control characters. It never quotes the value.
func CheckHeader(name, value string) error {
	if name == "" {
		return errors.New("empty header name")
	}
	for _, r := range name {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return fmt.Errorf("header name %q has a character not allowed in a header name", name)
		}
	}
	for _, r := range value {
		if r < ' ' && r != '\t' || r == 0x7f {
			return fmt.Errorf("header %s: value has a control character (CR, LF or similar); value not shown", name)
		}
	}
	return nil
}
