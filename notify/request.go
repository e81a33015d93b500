package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/internal/fastjson"
	"github.com/jobnotify/jobnotify/internal/weburl"
)

// Request is a notification ready to send: the same bytes on every attempt.
type Request struct {
	Method  string
	URL     string      // the full URL, with the payload's query for GET
	Host    string      // a Host header override; "" for the URL's host
	Header  http.Header // every header sent, defaults included
	Body    Pieces      // none for GET
	Query   string      // GET: the payload's query parameters, also in URL
	ID      string
	Signing config.Signing
	Target  string // the config target it goes to, for messages; "" for the top level
	// PostsOnce is set for a chat format's message, which its receiver
	// cannot deduplicate: Client.Send retries it only when it provably
	// was not posted (see PostsOnce).
	PostsOnce bool
	// FormatHeader are the headers the payload format set: saved with a
	// spooled notification, since they belong to its bytes.
	FormatHeader http.Header

	display string // URL for dry-run output, the configured query's values as ***
}

// Build turns the context, settings and input into the request to send.
func Build(c envcollect.Context, s *config.Settings, in Input, version string) (*Request, error) {
	if in.ID == "" || len(in.ID) > 200 || config.CheckHeader("Idempotency-Key", in.ID) != nil {
		return nil, &InputError{Where: "--id", Err: fmt.Errorf("want 1 to 200 printable characters")}
	}
	if f := formatters[s.Format]; f != nil {
		return buildFormatted(f, c, s, in, version)
	}
	p, err := payload(c, s, in)
	if err != nil {
		return nil, err
	}
	var body Pieces
	var query string
	if s.Method == http.MethodGet {
		query = Query(p)
	} else {
		parts, err := fastjson.EncodeObject(p) // the body's large values in place, not copied
		if err != nil {
			return nil, &InputError{Where: "payload", Err: err}
		}
		body = NewPieces(parts...)
	}
	return NewRequest(EndpointOf(s), s.Method, in.ID, body, query, version, in.Trace.header(nil))
}

// Endpoint is where a notification goes and what every request to it
// carries besides the payload.
type Endpoint struct {
	URL     string          // absolute http(s) URL
	Headers []config.Header // set in order: an empty value removes a header, Host sets the Host
	Signing config.Signing  // Scheme "" for unsigned
	Target  string          // the config target ([targets.NAME]) it came from, for messages; "" for the top level
	Format  string          // the payload's format: how it is retried (PostsOnce), and Discord's ?wait=true
}

// EndpointOf is the endpoint of resolved settings.
func EndpointOf(s *config.Settings) Endpoint {
	return Endpoint{URL: s.URL, Headers: s.Headers, Signing: s.Signing, Target: s.Target, Format: s.Format}
}

// NewRequest assembles a request around an encoded payload — body for
// methods that have one, query for GET — with the default headers, then
// the endpoint's headers, and its signing. flush uses it to resend a
// saved notification under the current config.
//
// formatHeader holds headers a payload format sets (its Content-Type,
// CloudEvents attributes); configured headers still win over them.
func NewRequest(e Endpoint, method, id string, body Pieces, query, version string, formatHeader ...http.Header) (*Request, error) {
	u, err := url.Parse(e.URL)
	if err != nil {
		return nil, &InputError{Where: "url", Err: errors.New("not a valid URL")}
	}
	r := &Request{Method: method, ID: id, Header: http.Header{}, Body: body, Query: query, Signing: e.Signing, Target: e.Target,
		PostsOnce: PostsOnce(e.Format)}
	r.Header.Set("User-Agent", "jobnotify/"+version)
	r.Header.Set("Idempotency-Key", id)
	r.display = weburl.Display(e.URL)
	if e.Format == "discord" {
		// Without ?wait=true Discord answers 204 even for a message it
		// did not save; with it, a 200 means the message exists.
		switch q := u.Query(); {
		case !q.Has("wait"):
			query = strings.TrimPrefix(query+"&wait=true", "&")
		case q.Get("wait") != "true" || len(q["wait"]) > 1:
			q.Set("wait", "true")
			u.RawQuery = q.Encode()
			r.display = weburl.Display(u.String())
		}
	}
	if query != "" {
		sep := "?"
		if u.RawQuery != "" {
			u.RawQuery += "&"
			sep = "&"
		}
		u.RawQuery += query
		r.display += sep + query
	}
	if method != http.MethodGet {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, fh := range formatHeader {
		for k, v := range fh {
			r.Header[k] = v
			if r.FormatHeader == nil {
				r.FormatHeader = http.Header{}
			}
			r.FormatHeader[k] = v
		}
	}
	r.URL = u.String()
	for _, h := range e.Headers {
		switch {
		case http.CanonicalHeaderKey(h.Name) == "Host":
			r.Host = h.Value
		case h.Value == "":
			r.Header.Del(h.Name)
		default:
			r.Header.Set(h.Name, h.Value)
		}
	}
	return r, nil
}

// chatFormats are the formats of chat webhooks (Slack, Microsoft Teams,
// Google Chat, Discord): none of them has an idempotency key, so a
// message sent twice is posted twice.
var chatFormats = []string{"slack", "teams", "googlechat", "discord"}

// PostsOnce reports whether a format's messages are retried only when
// they provably were not posted: a failure before the request was
// written, 429, 503 with Retry-After. A timeout, a reset or another 5xx
// once the body was written may come after the message was posted, and
// ends the delivery (not spooled either). Every other format keeps the
// full set of retries: its receivers deduplicate by the id.
func PostsOnce(format string) bool { return slices.Contains(chatFormats, format) }

// Where names the request in a result or failure line: its method, its
// URL as weburl.Origin shows it (no userinfo, no query) and the target,
// "POST https://api.example.com/hook (target chat)".
func (r *Request) Where() string {
	w := r.Method + " " + weburl.Origin(r.URL)
	if r.Target != "" {
		w += " (target " + r.Target + ")"
	}
	return w
}

// Query flattens a payload into query parameters with dotted keys
// (job.name=…&build.number=42), sorted by key.
func Query(p map[string]any) string {
	flat := make(map[string]string)
	flatten("", p, flat)
	keys := slices.Sorted(maps.Keys(flat))
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(flat[k]))
	}
	return b.String()
}

// flatten writes v into out with dotted keys; arrays use their index.
func flatten(prefix string, v any, out map[string]string) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			flatten(join(k), e, out)
		}
	case []any:
		for i, e := range v {
			flatten(join(strconv.Itoa(i)), e, out)
		}
	case []map[string]any:
		for i, e := range v {
			flatten(join(strconv.Itoa(i)), e, out)
		}
	case fastjson.Raw:
		flatten(prefix, v.Decode(), out)
	case string:
		out[prefix] = v
	case nil:
		out[prefix] = ""
	case time.Time:
		out[prefix] = v.Format(time.RFC3339Nano)
	case json.Number:
		out[prefix] = v.String()
	default:
		b, err := fastjson.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprint(v))
		}
		out[prefix] = string(b)
	}
}

// Shown is a request as a dry run shows it, secrets as ***: the URL with
// its configured query values as *** (see weburl.Display; a GET's payload
// query stays readable), and the values of sensitive headers and of the
// signature header as ***. Dump prints it as text; send --dry-run
// --output json prints it, through MarshalJSON, as its result's "request".
type Shown struct {
	Method string
	URL    string
	Host   string      // a Host override; "" for the URL's host
	Header http.Header // every header sent, sensitive values as ***
	Body   Pieces      // none for GET
}

// Show returns the request as a dry run shows it. It is the one place that
// decides what a dry run may show, in text and in JSON.
func (r *Request) Show() *Shown {
	return &Shown{Method: r.Method, URL: r.display, Host: r.Host, Header: shownHeader(r.Header, r.Signing.Header), Body: r.Body}
}

// Dump writes the request as it would go on the wire, as Show shows it:
// the request line, the headers in sorted order, a blank line and the body.
func (r *Request) Dump(w io.Writer) error {
	s := r.Show()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", s.Method, s.URL)
	if s.Host != "" {
		fmt.Fprintf(&b, "Host: %s\n", s.Host)
	}
	writeHeaders(&b, "", s.Header, nil)
	b.WriteByte('\n')
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if s.Body.Len() > 0 {
		if _, err := s.Body.WriteTo(w); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\n")
		return err
	}
	return nil
}

// MarshalJSON writes {"method", "url", "headers", "body"}: the headers as
// one object of strings, Host first when set, several values of one header
// joined by ", "; the body as JSON when it is JSON, else as a string, and
// left out when there is none. Nothing is HTML-escaped: the body reads as
// it is sent.
func (s *Shown) MarshalJSON() ([]byte, error) {
	headers := make(map[string]string, len(s.Header)+1)
	for k, vs := range s.Header {
		headers[k] = strings.Join(vs, ", ")
	}
	if s.Host != "" {
		headers["Host"] = s.Host
	}
	var body any
	switch b := s.Body.Bytes(); {
	case len(b) == 0:
	case json.Valid(b):
		body = json.RawMessage(b)
	default:
		body = string(b)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Body    any               `json:"body,omitempty"`
	}{s.Method, s.URL, headers, body})
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

// shownHeader returns a copy of h with the values of sensitive headers, and
// of the header named also (a signature header of any name), as ***.
func shownHeader(h http.Header, also string) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if config.Sensitive(k) || also != "" && http.CanonicalHeaderKey(also) == k {
			masked := make([]string, len(vs))
			for i := range masked {
				masked[i] = "***"
			}
			vs = masked
		}
		out[k] = vs
	}
	return out
}

// writeHeaders writes h sorted by name, one line each value, prefixed.
// show, when not nil, renders each name and value for the console (see
// Client.oneLine); nil writes them as they are. It shows what it is given:
// pass it shownHeader's copy.
func writeHeaders(b *strings.Builder, prefix string, h http.Header, show func(string) string) {
	if show == nil {
		show = func(s string) string { return s }
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, show(k), show(v))
		}
	}
}
