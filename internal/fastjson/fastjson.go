// Package fastjson is the fast path for large JSON bodies (a 10 MiB
// --body @log.json): a validator with encoding/json.Valid's exact verdict
// that skips string contents eight bytes at a time, a splitter that keeps
// an object's large top-level values as the text they came in (Raw)
// instead of decoding them into maps and re-encoding them, and an object
// encoder that writes what encoding/json would, byte for byte, and raw
// values through unchanged.
package fastjson

import (
	"bytes"
	"encoding/json"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// maxDepth is encoding/json's nesting limit: a 10,001st open bracket makes
// the input invalid.
const maxDepth = 10000

// Raw is one JSON value kept as the text it came in (SplitObject's are
// substrings of its text, never copied). It is valid JSON, its strings
// are valid UTF-8 and the keys of every object in it are unescaped,
// unique and sorted, so written through as it is it means what
// encoding/json would write for its decoded form, and differs from those
// bytes at most in white space and escapes. A Raw made by hand must hold
// the same.
type Raw string

// MarshalJSON returns exactly what encoding/json writes for the decoded
// value, so that encoding a Raw with encoding/json (as formats and
// templates do) gives the same bytes as if it had been decoded.
func (r Raw) MarshalJSON() ([]byte, error) { return Marshal(r.Decode()) }

// IsObject reports whether the value is a JSON object.
func (r Raw) IsObject() bool { return len(r) > 0 && r[0] == '{' }

// Decode decodes the value with numbers as json.Number, as SplitObject
// decodes the small values beside it.
func (r Raw) Decode() any {
	dec := json.NewDecoder(strings.NewReader(string(r)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(r) // cannot happen: r was validated
	}
	return v
}

// Valid reports whether s is one valid JSON value with optional
// surrounding white space: the verdict of encoding/json.Valid, invalid
// UTF-8 inside strings accepted as it does.
func Valid(s string) bool {
	sc := scanner{s: s}
	return sc.scan()
}

// member is one top-level key and value of an object as spans of the text.
type member struct {
	key        string // the key's text with its quotes
	start, end int    // the value's span
	pure       bool   // the value may stay raw: see Raw
}

// scanner checks JSON text in one pass. With split set it also records the
// top-level members of an object and whether each could stay raw.
type scanner struct {
	s       string
	i       int
	split   bool
	members []member
	impure  bool     // split: the current top-level value cannot stay raw
	last    []string // split: the previous key of each open object
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// load64 reads 8 bytes of s at i, little-endian (the compiler merges the
// loads into one).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// stringEnd scans a string whose opening quote is at sc.i and returns the
// index just past its closing quote, or -1 when the string is invalid. With
// split set it marks the value impure at invalid UTF-8.
func (sc *scanner) stringEnd() int {
	s := sc.s
	i := sc.i + 1
	var stop uint64
	if sc.split {
		stop = highs // also stop at non-ASCII bytes, to check UTF-8
	}
	for {
		// Skip eight bytes at a time while none is '"', '\\', below
		// 0x20 or (when splitting) above 0x7f.
		for i+8 <= len(s) {
			w := load64(s, i)
			q := w ^ (ones * '"')
			b := w ^ (ones * '\\')
			m := ((q - ones) &^ q) | ((b - ones) &^ b) | ((w - ones*0x20) &^ w)
			m = m&highs | w&stop
			if m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		if i >= len(s) {
			return -1
		}
		c := s[i]
		switch {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 >= len(s) {
				return -1
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) {
					return -1
				}
				for _, h := range []byte(s[i+2 : i+6]) {
					if !isHex(h) {
						return -1
					}
				}
				i += 6
			default:
				return -1
			}
		case c < 0x20:
			return -1
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				sc.impure = true
			}
			i += size
		default:
			i++
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// numberEnd returns the index just past the number at sc.i, or -1.
func (sc *scanner) numberEnd() int {
	s, i := sc.s, sc.i
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	default:
		return -1
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return -1
		}
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return -1
		}
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (sc *scanner) space() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// key scans an object key at sc.i (after white space) and the colon after
// it. depth is the number of open objects and arrays, this one included.
func (sc *scanner) key(depth int) bool {
	if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
		return false
	}
	start := sc.i
	end := sc.stringEnd()
	if end < 0 {
		return false
	}
	sc.i = end
	if sc.split {
		k := sc.s[start:end]
		if depth == 1 {
			sc.members = append(sc.members, member{key: k})
		} else {
			// Inside a top-level value: its keys must be unescaped and
			// strictly increasing, as encoding/json would write them.
			prev := &sc.last[len(sc.last)-1]
			if strings.IndexByte(k, '\\') >= 0 || *prev != "" && k[1:len(k)-1] <= (*prev)[1:len(*prev)-1] {
				sc.impure = true
			}
			*prev = k
		}
	}
	sc.space()
	if sc.i >= len(sc.s) || sc.s[sc.i] != ':' {
		return false
	}
	sc.i++
	sc.space()
	return true
}

// scan checks the whole text.
func (sc *scanner) scan() bool {
	var stack []byte // the open brackets, '{' or '['
	sc.space()
	for {
		// A value starts at sc.i.
		if sc.i >= len(sc.s) {
			return false
		}
		if sc.split && len(stack) == 1 {
			sc.members[len(sc.members)-1].start = sc.i
			sc.impure = false
		}
		switch c := sc.s[sc.i]; {
		case c == '{' || c == '[':
			if len(stack) == maxDepth {
				return false
			}
			stack = append(stack, c)
			if sc.split && c == '{' && len(stack) > 1 {
				sc.last = append(sc.last, "")
			}
			sc.i++
			sc.space()
			if sc.i < len(sc.s) && sc.s[sc.i] == c+2 { // '}' or ']'
				sc.i++
				stack = stack[:len(stack)-1]
				if sc.split && c == '{' && len(stack) > 0 {
					sc.last = sc.last[:len(sc.last)-1]
				}
				break
			}
			if c == '{' && !sc.key(len(stack)) {
				return false
			}
			continue
		case c == '"':
			if sc.i = sc.stringEnd(); sc.i < 0 {
				return false
			}
		case c == '-' || isDigit(c):
			if sc.i = sc.numberEnd(); sc.i < 0 {
				return false
			}
		case c == 't':
			if !strings.HasPrefix(sc.s[sc.i:], "true") {
				return false
			}
			sc.i += 4
		case c == 'f':
			if !strings.HasPrefix(sc.s[sc.i:], "false") {
				return false
			}
			sc.i += 5
		case c == 'n':
			if !strings.HasPrefix(sc.s[sc.i:], "null") {
				return false
			}
			sc.i += 4
		default:
			return false
		}
		// A value ended at sc.i: close brackets until a comma.
		for {
			if sc.split && len(stack) == 1 {
				m := &sc.members[len(sc.members)-1]
				if m.end == 0 {
					m.end, m.pure = sc.i, !sc.impure
				}
			}
			sc.space()
			if len(stack) == 0 {
				return sc.i == len(sc.s)
			}
			if sc.i >= len(sc.s) {
				return false
			}
			top := stack[len(stack)-1]
			c := sc.s[sc.i]
			if c == top+2 {
				sc.i++
				stack = stack[:len(stack)-1]
				if sc.split && top == '{' && len(stack) > 0 {
					sc.last = sc.last[:len(sc.last)-1]
				}
				continue
			}
			if c != ',' {
				return false
			}
			sc.i++
			sc.space()
			if top == '{' && !sc.key(len(stack)) {
				return false
			}
			break
		}
	}
}

// SplitObject parses text, known to start with '{' after white space, into
// an object whose top-level values longer than limit bytes stay Raw; the
// others are decoded as encoding/json decodes them with numbers as
// json.Number. It reports false when text is invalid or has no such value:
// then the caller decodes text whole, as before, and reports its errors.
func SplitObject(text string, limit int) (map[string]any, bool) {
	if len(text) <= limit {
		return nil, false
	}
	sc := scanner{s: text, split: true}
	if !sc.scan() {
		return nil, false
	}
	raw := 0
	for _, m := range sc.members {
		if m.pure && m.end-m.start > limit {
			raw++
		}
	}
	if raw == 0 {
		return nil, false
	}
	// The small values are decoded by one decoder reading them in turn,
	// so numbers, strings and duplicate keys come out as they would from
	// decoding the whole object.
	var small []io.Reader
	for _, m := range sc.members {
		if !m.pure || m.end-m.start <= limit {
			small = append(small, strings.NewReader(text[m.start:m.end]), strings.NewReader(" "))
		}
	}
	dec := json.NewDecoder(io.MultiReader(small...))
	dec.UseNumber()
	obj := make(map[string]any, len(sc.members))
	for _, m := range sc.members {
		k := m.key[1 : len(m.key)-1]
		if strings.IndexByte(k, '\\') >= 0 || !utf8.ValidString(k) {
			if err := json.Unmarshal([]byte(m.key), &k); err != nil {
				return nil, false
			}
		}
		if m.pure && m.end-m.start > limit {
			obj[k] = Raw(text[m.start:m.end])
			continue
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		obj[k] = v
	}
	return obj, true
}

// encoder writes values as Marshal does (compact, no HTML escaping,
// map keys sorted), without reflection for the types a payload holds. Raw
// values are not copied into buf but noted as splices, to be written
// through where they are.
type encoder struct {
	buf     []byte
	splices []splice
}

// splice is a raw value to be inserted into buf at offset at.
type splice struct {
	at  int
	raw Raw
}

// EncodeObject encodes obj as Marshal would, in pieces to be written one
// after the other: the encoder's own text, with each Raw value in its
// place as it is, never copied (a 10 MiB --body stays where it was read).
// It writes the types a payload holds (nested map[string]any and []any,
// map[string]string, strings, bools, ints, nil) without reflection and
// leaves the others to Marshal.
func EncodeObject(obj map[string]any) ([]string, error) {
	var e encoder
	e.buf = make([]byte, 0, 1024)
	if err := e.value(obj); err != nil {
		return nil, err
	}
	// The encoder's own text, as a string without a copy: buf is not
	// written to again, nor kept anywhere else.
	own := unsafe.String(unsafe.SliceData(e.buf), len(e.buf))
	parts := make([]string, 0, 2*len(e.splices)+1)
	prev := 0
	for _, s := range e.splices {
		if s.at > prev {
			parts = append(parts, own[prev:s.at])
		}
		parts = append(parts, string(s.raw))
		prev = s.at
	}
	return append(parts, own[prev:]), nil
}

func (e *encoder) value(v any) error {
	switch v := v.(type) {
	case map[string]any:
		return object(e, v)
	case map[string]string:
		return object(e, v)
	case []any:
		if v == nil {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		e.buf = append(e.buf, '[')
		for i, x := range v {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(x); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case string:
		e.buf = appendString(e.buf, v)
	case Raw:
		e.splices = append(e.splices, splice{at: len(e.buf), raw: v})
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, v)
	case int64:
		e.buf = strconv.AppendInt(e.buf, v, 10)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	default:
		// json.Number (checked there), floats, times, TOML's tables:
		// encoding/json itself, for the same bytes and errors.
		b, err := Marshal(v)
		if err != nil {
			return err
		}
		e.buf = append(e.buf, b...)
	}
	return nil
}

// object writes a map[string]any or a map[string]string with its keys
// sorted. A string value is written here, as value would write it: all of
// a map[string]string's values are strings, so they need no call to value
// (nor a conversion to any).
func object[V any](e *encoder, m map[string]V) error {
	if m == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, k)
		e.buf = append(e.buf, ':')
		v := m[k]
		if s, ok := any(v).(string); ok {
			e.buf = appendString(e.buf, s)
		} else if err := e.value(v); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// AppendString appends s as a JSON string, quoted, as Marshal writes it:
// encoding/json's escapes without its HTML ones.
func AppendString(dst []byte, s string) []byte { return appendString(dst, s) }

// appendString appends s as a JSON string exactly as encoding/json does
// without HTML escaping: ", \ and control characters escaped (\b \f \n \r
// \t by name), invalid UTF-8 as \ufffd, U+2028 and U+2029 as \u escapes.

func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Marshal encodes v as encoding/json does, compactly and without HTML
// escaping: the bytes the rest of this package matches.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
