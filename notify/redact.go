package notify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
)

// MinSecret is the shortest value treated as a secret. Shorter values
// (a port, "1", "main") cannot be meaningful secrets, and replacing every
// occurrence of them would garble all output.
const MinSecret = 4

// Redactor replaces every known secret, and its base64, URL-encoded and
// JSON-escaped forms, with ***. It is safe for concurrent use.
type Redactor struct {
	mu    sync.Mutex
	known map[string]bool
	r     *strings.Replacer
}

// NewRedactor returns a redactor that knows secrets.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{known: map[string]bool{}}
	r.Add(secrets...)
	return r
}

// Add teaches the redactor more secrets.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	added := false
	for _, s := range secrets {
		// A multi-line secret (a PEM key) is also redacted line by line,
		// since output is redacted a line at a time.
		for _, v := range append([]string{s}, strings.Split(s, "\n")...) {
			for _, form := range forms(strings.TrimRight(v, "\r")) {
				if len(form) >= MinSecret && !r.known[form] {
					r.known[form] = true
					added = true
				}
			}
		}
	}
	if !added {
		return
	}
	all := make([]string, 0, len(r.known))
	for k := range r.known {
		all = append(all, k)
	}
	// Longest first, so a secret inside a longer one does not leave the rest.
	sort.Slice(all, func(i, j int) bool {
		if len(all[i]) != len(all[j]) {
			return len(all[i]) > len(all[j])
		}
		return all[i] < all[j]
	})
	pairs := make([]string, 0, 2*len(all))
	for _, k := range all {
		pairs = append(pairs, k, "***")
	}
	r.r = strings.NewReplacer(pairs...)
}

// forms returns s and the encodings it may be printed in.
func forms(s string) []string {
	if len(s) < MinSecret {
		return nil
	}
	out := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	if j, err := json.Marshal(s); err == nil {
		out = append(out, string(j[1:len(j)-1]))
	}
	// base64 of s at each of the three alignments it can have inside a
	// longer encoded string, keeping only the characters s alone decides.
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

// String returns s with every secret replaced by ***.
func (r *Redactor) String(s string) string {
	r.mu.Lock()
	rep := r.r
	r.mu.Unlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
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
	w.buf = append(w.buf, p...)
	if i := bytes.LastIndexByte(w.buf, '\n'); i >= 0 {
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

// Secrets lists the secrets of a send's settings: the values ${VAR}
// expansion produced, the values of sensitive headers (and the credential
// after an auth scheme, and a Basic password), the URL's userinfo and the
// values of its query parameters that look secret.
func Secrets(s *config.Settings) []string {
	out := append([]string(nil), s.Secrets...)
	for _, h := range s.Headers {
		if !Sensitive(h.Name) {
			continue
		}
		out = append(out, h.Value)
		if scheme, cred, ok := strings.Cut(h.Value, " "); ok {
			cred = strings.TrimSpace(cred)
			out = append(out, cred)
			if strings.EqualFold(scheme, "basic") {
				if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
					user, pass, _ := strings.Cut(string(dec), ":")
					out = append(out, string(dec), pass, user)
				}
			}
		}
	}
	if u, err := url.Parse(s.URL); err == nil {
		if u.User != nil {
			p, _ := u.User.Password()
			out = append(out, u.User.String(), u.User.Username(), p)
		}
		for k, vs := range u.Query() {
			for _, v := range vs {
				if envcollect.LooksSecret(k) || Sensitive(k) || len(v) >= 8 {
					out = append(out, v)
				}
			}
		}
	}
	return out
}
