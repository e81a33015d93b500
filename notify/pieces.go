package notify

import (
	"io"
	"strings"
	"unsafe"
)

// Pieces is a request's body, the same bytes on every attempt, held as
// pieces written one after the other: the payload's own text, and a large
// value of the --body in its place as it was read. A 10 MiB --body is
// never copied into the payload: each attempt reads the pieces afresh,
// the signature is computed over them, and a dry run writes them. The zero
// Pieces is no body (GET).
type Pieces struct {
	parts []string
	n     int
}

// NewPieces is a body of the pieces, in order.
func NewPieces(parts ...string) Pieces {
	b := Pieces{parts: parts}
	for _, p := range parts {
		b.n += len(p)
	}
	return b
}

// PiecesOf is a body of the bytes, which the caller gives up: they are
// not copied, and must not change (a format's encoding, a spooled
// record's body).
func PiecesOf(b []byte) Pieces {
	if b == nil {
		return Pieces{}
	}
	return NewPieces(unsafe.String(unsafe.SliceData(b), len(b)))
}

// Len is the body's length in bytes.
func (b Pieces) Len() int { return b.n }

// String is the whole body, joined.
func (b Pieces) String() string { return strings.Join(b.parts, "") }

// Bytes is the whole body, a copy of its own; nil for no body.
func (b Pieces) Bytes() []byte {
	if b.parts == nil {
		return nil
	}
	out := make([]byte, 0, b.n)
	for _, p := range b.parts {
		out = append(out, p...)
	}
	return out
}

// WriteTo writes the body to w. A writer that takes strings gets each
// piece whole; any other gets it through one small buffer, not as a copy of
// the piece: io.WriteString would convert a 10 MiB piece to bytes.
func (b Pieces) WriteTo(w io.Writer) (int64, error) {
	var total int64
	sw, takesStrings := w.(io.StringWriter)
	var buf []byte
	for _, p := range b.parts {
		for p != "" {
			var n int
			var err error
			if takesStrings {
				n, err = sw.WriteString(p)
			} else {
				if buf == nil {
					buf = make([]byte, min(b.n, writeChunk))
				}
				k := copy(buf, p)
				n, err = w.Write(buf[:k])
			}
			total += int64(n)
			p = p[n:]
			if err == nil && n == 0 {
				err = io.ErrShortWrite // as io.Copy says of a writer that takes nothing
			}
			if err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// writeChunk is the size of WriteTo's buffer.
const writeChunk = 32 << 10

// Reader returns a reader of the body from its start. It has Len, the
// bytes left, by which go-retryablehttp sets the request's Content-Length.
// A body of one piece (any without a large --body value) is read by a
// strings.Reader, which net/http knows to be in memory: it writes the
// headers and the body at once, as it did the []byte bodies before
// Pieces. Of another reader it sends the headers first, and a server
// that hangs up on them (a TLS 1.3 server refusing a client without a
// certificate) then fails the write with "use of closed network
// connection" instead of its own reason, which is retried.
func (b Pieces) Reader() io.Reader {
	if len(b.parts) == 1 {
		return strings.NewReader(b.parts[0])
	}
	return &bodyReader{parts: b.parts, left: b.n}
}

type bodyReader struct {
	parts []string // the body's own: never written to
	off   int      // into parts[0]
	left  int
}

func (r *bodyReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(r.parts) > 0 {
		k := copy(p[n:], r.parts[0][r.off:])
		n, r.off = n+k, r.off+k
		if r.off == len(r.parts[0]) {
			r.parts, r.off = r.parts[1:], 0
		}
	}
	r.left -= n
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (r *bodyReader) Len() int { return r.left }
