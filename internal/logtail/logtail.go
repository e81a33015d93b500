// Package logtail keeps the end of a command's output while it streams
// past, and makes of it the few last lines a notification can carry.
package logtail

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"unicode/utf8"
)

// Ring is an io.Writer that keeps the last Size bytes written to it, for
// any amount of output: memory stays at Size. It is safe for concurrent
// use (a command's stdout and stderr write to one).
type Ring struct {
	Size int

	mu   sync.Mutex
	buf  []byte // grows to Size, then wraps
	next int    // once full, where the oldest byte is, and the next goes
	full bool
}

// Window returns a ring that holds b, the end of an output: cut says
// that older output came before it, so that Tail treats b's first line
// as the partial line it may be. It is for output read back whole, not
// written.
func Window(b []byte, cut bool) *Ring {
	return &Ring{Size: len(b), buf: b, full: cut && len(b) > 0}
}

// Write keeps the end of p. It never fails.
func (r *Ring) Write(p []byte) (int, error) {
	n := len(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Size <= 0 {
		return n, nil
	}
	if len(p) >= r.Size {
		if r.buf == nil {
			r.buf = make([]byte, r.Size)
		}
		r.buf = r.buf[:r.Size]
		copy(r.buf, p[len(p)-r.Size:])
		r.next, r.full = 0, true
		return n, nil
	}
	if !r.full {
		if r.buf == nil {
			r.buf = make([]byte, 0, r.Size)
		}
		room := r.Size - len(r.buf)
		if len(p) < room {
			r.buf = append(r.buf, p...)
			return n, nil
		}
		r.buf = append(r.buf, p[:room]...)
		p = p[room:]
		r.full = true
	}
	k := copy(r.buf[r.next:], p)
	copy(r.buf, p[k:])
	r.next = (r.next + len(p)) % r.Size
	return n, nil
}

// Copy passes everything src gives on to dst, unchanged, keeping its end
// in the ring, until src ends or its read deadline passes (the output of
// a process that outlived the command). A failure to write to dst ends
// it with that error.
func (r *Ring) Copy(dst io.Writer, src *os.File) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
			r.Write(buf[:n])
		}
		switch {
		case err == io.EOF, errors.Is(err, os.ErrDeadlineExceeded):
			return nil
		case err != nil:
			return err
		}
	}
}

// window returns what the ring holds, oldest first, and whether older
// output was dropped to make room.
func (r *Ring) window() (b []byte, cut bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return bytes.Clone(r.buf), false
	}
	return append(bytes.Clone(r.buf[r.next:]), r.buf[:r.next]...), true
}

// Tail returns the last n lines the ring holds, made safe to send:
//
//   - When older output was dropped, the first, partial line goes too:
//     it may hold the end of a secret that redact cannot recognise. When
//     the ring holds no line break at all, guard bytes go instead (the
//     longest form of a secret redact knows).
//   - Terminal escape sequences (colours, cursor moves) go, before
//     redact sees the text: a secret printed in two colours is whole
//     again when redact looks for it.
//   - redact replaces the secrets, also in base64 that base64(1) or a PEM
//     block wrapped: such a run of lines is looked at joined, and sent
//     joined when it held one.
//   - Each line shows what a terminal would: a progress bar's updates,
//     separated by carriage returns, leave their last one.
//   - escape makes each line plain text (binary output, control
//     characters).
//   - The text is at most max bytes: the oldest lines go first, and a
//     single line longer than that keeps its end, after "…".
func (r *Ring) Tail(n, max, guard int, redact, escape func(string) string) string {
	b, cut := r.window()
	if n <= 0 || len(b) == 0 {
		return ""
	}
	if cut {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		} else {
			b = b[min(guard, len(b)):]
		}
	}
	text := redact(joinWrapped(stripEscapes(string(b)), redact))
	text = strings.TrimSuffix(text, "\n")
	lines := strings.Split(text, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		if j := strings.LastIndexByte(l, '\r'); j >= 0 {
			l = l[j+1:]
		}
		lines[i] = escape(l)
	}
	size := 0
	keep := len(lines)
	for keep > 0 && size+len(lines[keep-1])+1 <= max+1 {
		size += len(lines[keep-1]) + 1
		keep--
	}
	if keep == len(lines) && len(lines) > 0 {
		// The newest line alone is too long: its end.
		return "…" + lastBytes(lines[len(lines)-1], max-len("…"))
	}
	return strings.Join(lines[keep:], "\n")
}

// joinWrapped joins each run of lines that looks like wrapped base64
// (lines of one width, but the last, of base64 characters alone) into
// one line when redact finds a secret in it joined: a secret encoded in
// the middle of a stream has its lines cut anywhere in it, where no
// form redact knows begins or ends.
func joinWrapped(text string, redact func(string) string) string {
	lines := strings.Split(text, "\n")
	out := make([]string, 0, len(lines))
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && base64Line(lines[j]) && (j == i || len(lines[j-1]) == len(lines[i])) {
			j++
		}
		if j-i >= 2 {
			var joined strings.Builder
			for _, l := range lines[i:j] {
				joined.WriteString(strings.TrimSuffix(l, "\r"))
			}
			if red := redact(joined.String()); red != joined.String() {
				out = append(out, red)
				i = j
				continue
			}
		}
		out = append(out, lines[i])
		i++
	}
	return strings.Join(out, "\n")
}

// base64Line reports whether l could be a line of wrapped base64.
func base64Line(l string) bool {
	l = strings.TrimSuffix(l, "\r")
	if len(l) < 16 {
		return false
	}
	for i := 0; i < len(l); i++ {
		if c := l[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// lastBytes is the end of s, at most max bytes, starting at a whole rune.
func lastBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := len(s) - max
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// stripEscapes removes ANSI terminal escape sequences: CSI (ESC [ …
// final byte, colours among them), OSC (ESC ] … BEL or ESC \, a
// terminal title or hyperlink) and two-byte escapes; a stray ESC goes
// alone.
func stripEscapes(s string) string {
	if strings.IndexByte(s, 0x1b) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != 0x1b || i+1 >= len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		switch s[i+1] {
		case '[':
			j := i + 2
			for j < len(s) && s[j] >= 0x20 && s[j] <= 0x3f { // parameters and intermediates
				j++
			}
			if j < len(s) && s[j] >= 0x40 && s[j] <= 0x7e {
				j++ // the final byte
			}
			i = j
		case ']':
			// Up to BEL or ESC \, and never past the end of its line: an
			// OSC left open must not swallow the rest of the output.
			j := i + 2
			for j < len(s) && s[j] != 0x07 && s[j] != '\n' && !(s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\') {
				j++
			}
			switch {
			case j < len(s) && s[j] == 0x07:
				i = j + 1
			case j < len(s) && s[j] == 0x1b:
				i = j + 2
			default:
				i = j // the line break stays
			}
		default:
			if c := s[i+1]; c >= 0x40 && c <= 0x5f {
				i += 2 // a two-byte escape (ESC M, ESC P…)
			} else {
				i++ // a stray ESC: only it goes
			}
		}
	}
	return b.String()
}
