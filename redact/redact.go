// Package redact holds the one redactor every line of output passes
// through: it knows every secret value of a run and replaces each, and
// its case-changed, base64, URL-escaped, HTML-escaped and JSON-escaped
// forms, with ***.
package redact

import (
	"bytes"
	"encoding/base64"
	"html"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/jobnotify/jobnotify/internal/fastjson"
)

// MinSecret is the shortest value treated as a secret. Shorter values
// (a port, "1", "main") cannot be meaningful secrets, and replacing every
// occurrence of them would garble all output.
const MinSecret = 4

// Redactor replaces every known secret, and its forms (see forms), with
// ***. It is safe for concurrent use.
type Redactor struct {
	mu       sync.Mutex
	secrets  []string              // as taught, each line of a multi-line one apart
	encoders []func(string) string // the program's own encodings of text (see AddEncodings)
	known    map[string]bool
	m        *matcher // nil until a secret is known
	stale    bool     // m lacks forms known since it was built
}

// matcher finds every form of every secret in one pass over a string. A
// 64 Ki-entry table of the forms' first two bytes rules out almost every
// position at the cost of one lookup; only the rest are compared.
type matcher struct {
	first [1 << 16]bool
	forms map[uint16][]string // by first two bytes, longest first
}

func bigram(a, b byte) uint16 { return uint16(a)<<8 | uint16(b) }

// New returns a redactor that knows secrets.
func New(secrets ...string) *Redactor {
	r := &Redactor{known: map[string]bool{}}
	r.Add(secrets...)
	return r
}

// Add teaches the redactor more secrets.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var added []string
	for _, s := range secrets {
		// A multi-line secret (a PEM key) is also redacted line by line,
		// since output is redacted a line at a time.
		for _, v := range append([]string{s}, strings.Split(s, "\n")...) {
			if v = strings.TrimRight(v, "\r"); len(v) >= MinSecret {
				added = append(added, v)
			}
		}
	}
	r.secrets = append(r.secrets, added...)
	r.learn(added)
}

// AddEncodings teaches the redactor encodings the program writes text in
// besides the standard ones forms knows (a chat format's markdown
// escaping): every secret is then also found in each of them, and in the
// standard encodings of each.
func (r *Redactor) AddEncodings(encoders ...func(string) string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.encoders = append(r.encoders, encoders...)
	r.learn(r.secrets)
}

// learn adds the forms of secrets; the matcher is rebuilt when it is next
// needed (a send teaches secrets several times before it prints a line).
// r.mu is held.
func (r *Redactor) learn(secrets []string) {
	for _, s := range secrets {
		for _, form := range forms(s, r.encoders) {
			if len(form) >= MinSecret && !r.known[form] {
				r.known[form] = true
				r.stale = true
			}
		}
	}
}

// build makes the matcher of every form known. r.mu is held.
func (r *Redactor) build() {
	all := make([]string, 0, len(r.known))
	for k := range r.known {
		all = append(all, k)
	}
	// A stable order: String marks every occurrence of every form, so the
	// order does not decide what is redacted.
	sort.Slice(all, func(i, j int) bool {
		if len(all[i]) != len(all[j]) {
			return len(all[i]) > len(all[j])
		}
		return all[i] < all[j]
	})
	m := &matcher{forms: make(map[uint16][]string)}
	for _, f := range all { // longest first, so each list is too
		k := bigram(f[0], f[1])
		m.first[k] = true
		m.forms[k] = append(m.forms[k], f)
	}
	r.m, r.stale = m, false
}

// forms returns s, its upper- and lower-case versions (a template's upper
// and lower), each also through every one of encoders, and the standard
// encodings of all of these.
func forms(s string, encoders []func(string) string) []string {
	if len(s) < MinSecret {
		return nil
	}
	var out []string
	for i, v := range []string{s, strings.ToUpper(s), strings.ToLower(s)} {
		if i > 0 && v == s {
			continue
		}
		out = append(out, encodings(v)...)
		for _, enc := range encoders {
			if e := enc(v); e != v {
				out = append(out, encodings(e)...)
			}
		}
	}
	return out
}

// htmlInJSON is what encoding/json's HTML escaping adds.
var htmlInJSON = strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`)

// encodings returns s and the encodings it may be printed or sent in.
func encodings(s string) []string {
	out := []string{s, url.QueryEscape(s), url.PathEscape(s), html.EscapeString(s)}
	// JSON-escaped as the payload is written, and as encoding/json does
	// by default, also <, > and & (as \u003c…).
	j := fastjson.AppendString(nil, s)
	j = j[1 : len(j)-1]
	out = append(out, string(j))
	if strings.ContainsAny(s, "<>&") {
		out = append(out, htmlInJSON.Replace(string(j)))
	}
	// base64 of s on its own, padded and not (for short secrets these are
	// the only forms long enough to find)...
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out = append(out, enc.EncodeToString([]byte(s)))
	}
	// ...as base64(1) and PEM wrap it, 76 or 64 characters a line (a
	// line short enough to be anything's is left alone)...
	if e := base64.StdEncoding.EncodeToString([]byte(s)); len(e) > 64 {
		for _, width := range []int{76, 64} {
			for k := 0; k < len(e); k += width {
				if line := e[k:min(k+width, len(e))]; len(line) >= 16 {
					out = append(out, line)
				}
			}
		}
	}
	// ...and at each of the three alignments it can have inside a longer
	// encoded string, keeping only the characters s alone decides.
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for off := 0; off < 3; off++ {
			e := enc.EncodeToString(append(make([]byte, off), s...))
			start, end := (8*off+5)/6, 8*(off+len(s))/6
			if end-start >= MinSecret+2 {
				out = append(out, e[start:end])
			}
		}
	}
	return out
}

// Longest is the length of the longest form of a secret it knows: text
// cut from a longer text at least that far from a secret's start holds
// none of it.
func (r *Redactor) Longest() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k := range r.known {
		n = max(n, len(k))
	}
	return n
}

// matcher is the matcher of the secrets known now, nil for none.
func (r *Redactor) matcher() *matcher {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stale {
		r.build()
	}
	return r.m
}

// Contains reports whether s holds a secret in any of the forms String
// replaces.
func (r *Redactor) Contains(s string) bool {
	m := r.matcher()
	if m == nil {
		return false
	}
	for i := 0; i+1 < len(s); i++ {
		if m.at(s, i) > 0 {
			return true
		}
	}
	return false
}

// at returns the length of the longest form that starts s[i:], 0 for
// none: the one comparison String and Contains make at each position.
func (m *matcher) at(s string, i int) int {
	k := bigram(s[i], s[i+1])
	if !m.first[k] {
		return 0
	}
	for _, f := range m.forms[k] { // longest first
		if strings.HasPrefix(s[i:], f) {
			return len(f)
		}
	}
	return 0
}

// String returns s with every secret replaced by ***. Occurrences that
// overlap in s (the end of one secret is the start of another) become a
// single *** (as do secrets written back to back), so no part of either
// is left, which a strings.Replacer,
// resuming after its first match, would not guarantee.
func (r *Redactor) String(s string) string {
	m := r.matcher()
	if m == nil {
		return s
	}
	var b strings.Builder
	written, start, end := 0, -1, -1 // [start, end) is the stretch being covered
	for i := 0; i+1 < len(s); i++ {
		n := m.at(s, i) // the longest form at i decides how far it covers
		if n == 0 {
			continue
		}
		if e := i + n; i <= end {
			end = max(end, e)
		} else {
			if start >= 0 {
				b.WriteString(s[written:start])
				b.WriteString("***")
				written = end
			}
			start, end = i, e
		}
	}
	if start < 0 {
		return s
	}
	b.WriteString(s[written:start])
	b.WriteString("***")
	b.WriteString(s[end:])
	return b.String()
}

// Writer returns a writer that redacts what it passes on to w, a line at a
// time; Flush writes out a last line without a newline.
func (r *Redactor) Writer(w io.Writer) *Writer {
	return &Writer{r: r, w: w}
}

// Writer redacts lines on their way to an underlying writer.
type Writer struct {
	mu  sync.Mutex
	r   *Redactor
	w   io.Writer
	buf []byte
}

// Write buffers p and writes out every complete line, redacted.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	held := len(w.buf)
	w.buf = append(w.buf, p...)
	// Only p can end a line: the held text has no newline. A long line
	// written in pieces (a dry run's 10 MiB body) is searched once.
	if i := bytes.LastIndexByte(p, '\n'); i >= 0 {
		i += held
		out := w.r.String(string(w.buf[:i+1]))
		w.buf = append(w.buf[:0], w.buf[i+1:]...)
		if _, err := io.WriteString(w.w, out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	out := w.r.String(string(w.buf))
	w.buf = w.buf[:0]
	_, err := io.WriteString(w.w, out)
	return err
}
