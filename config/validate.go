package config

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/jobnotify/jobnotify/internal/weburl"
)

// check validates what can be checked without the environment: every table,
// not just the one a send will use, so a typo in any target fails validate.
func (f *File) check() error {
	for i, name := range append([]string{""}, f.Targets()...) {
		s := Default()
		if i > 0 {
			// A target is used over the top level, so check it that way:
			// a target's min_wait is compared with the top level's max_wait.
			s.apply(f.top, f.source(""))
			s.apply(f.targets[name], f.source("targets."+name+"."))
		} else {
			s.apply(f.top, f.source(""))
		}
		if err := s.checkStatic(); err != nil {
			return err
		}
	}
	return nil
}

// validPattern reports whether p is a well-formed glob pattern, as
// envcollect matches [env] patterns with path.Match.
func validPattern(p string) error {
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("bad pattern %q: %w", p, err)
	}
	return nil
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
	if s.src["method"] != "" && !slices.Contains(methods, s.Method) {
		return bad("method", "%q is not one of %s", s.Method, strings.Join(methods, ", "))
	}
	if s.src["format"] != "" && !slices.Contains(formats, s.Format) {
		return bad("format", "%q is not one of %s", s.Format, strings.Join(formats, ", "))
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
	switch b := s.Breaker; {
	case b.Failures < 0 || b.Failures > 1000:
		return bad("breaker.failures", "must be between 0 (no breaker) and 1000, got %d", b.Failures)
	case b.Cooldown <= 0:
		return bad("breaker.cooldown", "must be more than 0")
	}
	for _, h := range s.Headers {
		if err := CheckHeader(h.Name, ""); err != nil {
			return &Error{Where: h.where, Err: err}
		}
		if h.fromFile && h.Value != "" && isIDHeader(h.Name) {
			// One value for every notification would make a receiver
			// drop all but the first as duplicates.
			return &Error{Where: h.where, Err: errors.New("Idempotency-Key is each notification's id: choose it per send with --id")}
		}
	}
	switch s.Signing.Scheme {
	case "":
		if key := setKey(s.src, "signing.secret", "signing.header"); key != "" {
			return bad(key, "signing.secret or signing.header is set but signing.scheme is not: set scheme = %q or %q", StandardWebhooks, HMACSHA256)
		}
	case HMACSHA256:
		if s.Signing.Header == "" {
			s.Signing.Header = HubHeader
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
	case s.Method == "GET" && slices.Contains(bodyFormats, s.Format):
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
	switch {
	case s.URL == "":
	case len(s.urlUnset) == 0:
		if err := checkURL(s.URL); err != nil {
			return &Error{Where: s.src["url"], Err: err}
		}
	case staticOrigin(s.URL):
		// Only the path or query waits for a variable: the rest is checked.
		if err := checkURL(s.urlShape()); err != nil {
			return &Error{Where: s.src["url"], Err: errors.New(s.unshape(err.Error()))}
		}
	default:
		s.Unchecked = append(s.Unchecked, uncheckedNote("url", s.urlUnset))
	}
	for _, h := range s.Headers {
		if err := CheckHeader(h.Name, h.Value); err != nil {
			return &Error{Where: h.where, Err: err}
		}
	}
	return nil
}

func isIDHeader(name string) bool {
	return http.CanonicalHeaderKey(name) == "Idempotency-Key"
}

// CheckIDHeader refuses a --header Idempotency-Key that is not id, the
// notification's id (from --id, or "" for a random one): the payload's id
// and the Idempotency-Key are the same by design. Removing the header
// ('Idempotency-Key:') is allowed.
func (s *Settings) CheckIDHeader(id string) error {
	for _, h := range s.Headers {
		if !h.fromFile && h.Value != "" && isIDHeader(h.Name) && h.Value != id {
			return &Error{Where: h.where, Err: errors.New("Idempotency-Key is the notification's id: choose both with --id")}
		}
	}
	return nil
}

// CheckNoIDHeader refuses an Idempotency-Key header from the command
// line or the config: jobnotify run sends two notifications, and each
// has its own id.
func (s *Settings) CheckNoIDHeader() error {
	for _, h := range s.Headers {
		if !h.fromFile && h.Value != "" && isIDHeader(h.Name) {
			return &Error{Where: h.where, Err: errors.New("Idempotency-Key is each notification's id, and run sends two: leave it to jobnotify (name the run with --id)")}
		}
	}
	return nil
}

// staticOrigin reports whether a URL's scheme and host come before its
// first ${: "https://hooks.example.com/${ID}", not "https://${HOST}/".
func staticOrigin(raw string) bool {
	before, _, _ := strings.Cut(raw, "${")
	_, rest, ok := strings.Cut(before, "://")
	return ok && strings.ContainsAny(rest, "/?#")
}

// urlShape is the URL with a placeholder in the place of each ${NAME}
// ResolveOffline left in it: letters and digits, so it is a valid host,
// path segment or query value. unshape puts the ${NAME}s back in a text
// made from it.
func (s *Settings) urlShape() string {
	u := s.URL
	for i, name := range s.urlUnset {
		u = strings.ReplaceAll(u, "${"+name+"}", placeholder(i))
	}
	return u
}

func (s *Settings) unshape(text string) string {
	for i, name := range s.urlUnset {
		text = strings.ReplaceAll(text, placeholder(i), "${"+name+"}")
	}
	return text
}

func placeholder(i int) string { return fmt.Sprintf("jobnotifyunset%dx", i) }

func checkURL(raw string) error {
	if !strings.Contains(raw, "://") && !strings.HasPrefix(raw, "/") {
		// "127.0.0.1:9/x" does not parse, and "localhost:8080/x" parses
		// as scheme "localhost": both are a host without http://.
		if u, err := url.Parse("http://" + raw); err == nil && u.Host != "" {
			shown := strings.TrimPrefix(weburl.Safe(u.String()), "http://")
			return fmt.Errorf("%s: no scheme: want an absolute URL such as http://%s", shown, shown)
		}
	}
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
