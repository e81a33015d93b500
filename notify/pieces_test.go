package notify

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/jobnotify/jobnotify/config"
)

// piecesCases are bodies of one piece and of several, with empty ones
// and one larger than WriteTo's buffer.
var piecesCases = [][]string{
	{`{"a":1}`},
	{`{"log":`, `"` + strings.Repeat("x", 3*writeChunk+5) + `"`, `,"z":`, ``, `[1]`, `}`},
}

// A body reads the same, whole, from every reader it gives, as each
// attempt reads it: the readers share the pieces and never change them.
func TestPiecesRead(t *testing.T) {
	for _, parts := range piecesCases {
		b := NewPieces(parts...)
		want := strings.Join(parts, "")
		for range 3 { // one reader per attempt
			r := b.Reader()
			if l, ok := r.(interface{ Len() int }); !ok || l.Len() != len(want) {
				t.Fatalf("%d pieces: the reader has no Len, or not %d", len(parts), len(want))
			}
			if err := iotest.TestReader(r, []byte(want)); err != nil {
				t.Fatalf("%d pieces: %v", len(parts), err)
			}
		}
		if b.Len() != len(want) || b.String() != want || string(b.Bytes()) != want {
			t.Errorf("%d pieces: Len %d, String or Bytes not the pieces joined", len(parts), b.Len())
		}
		for _, w := range []io.Writer{&strings.Builder{}, &onlyWriter{}} {
			n, err := b.WriteTo(w)
			if got := w.(interface{ String() string }).String(); err != nil || n != int64(len(want)) || got != want {
				t.Errorf("%d pieces: WriteTo %T wrote %d bytes (%v), not the body", len(parts), w, n, err)
			}
		}
	}
	if b := (Pieces{}); b.Bytes() != nil || b.Len() != 0 {
		t.Errorf("no body: Bytes %v, Len %d", b.Bytes(), b.Len())
	}
}

// onlyWriter is a writer without WriteString, as a hash is.
type onlyWriter struct{ b bytes.Buffer }

func (w *onlyWriter) Write(p []byte) (int, error) { return w.b.Write(p) }
func (w *onlyWriter) String() string              { return w.b.String() }

// A large value of the --body is a piece of the request's body, in place:
// the very bytes that were read, never copied into the payload.
func TestBuildKeepsLargeValuesInPlace(t *testing.T) {
	log := strings.Repeat("step finished\n", 4096)
	text := `{"log":` + strconv.Quote(log) + `}`
	s := resolve(t, "", urlOverride("http://127.0.0.1/hook"), nil)
	r, err := Build(testContext(), s, Input{ID: testID, Status: "SUCCESS", Body: mustBody(t, text), Time: testTime}, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(text, `"step`)
	inPlace := false
	for _, p := range r.Body.parts {
		inPlace = inPlace || len(p) == len(text)-start-1 && unsafe.StringData(p) == unsafe.StringData(text[start:])
	}
	if !inPlace {
		t.Errorf("the log is not a piece of the body where it was read: pieces of %d bytes in all", r.Body.Len())
	}
	if !strings.Contains(r.Body.String(), `"log":`+strconv.Quote(log)) {
		t.Errorf("the body lacks the log")
	}
}

// A body of several pieces is sent whole on every attempt, with its
// length, and signed over all of it.
func TestSendPiecesEachAttempt(t *testing.T) {
	srv := newServer(t, statuses(503, 503, 200))
	c, _ := testClient(4)
	parts := piecesCases[1]
	r, err := NewRequest(Endpoint{URL: srv.URL, Signing: config.Signing{Scheme: config.HMACSHA256, Header: "X-Sig", Keys: [][]byte{[]byte("k")}}},
		http.MethodPost, testID, NewPieces(parts...), "", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	want := strings.Join(parts, "")
	reqs := srv.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, got := range reqs {
		if string(got.Body) != want || got.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Errorf("attempt %d: %d bytes, Content-Length %q; want the %d bytes of the pieces", i+1, len(got.Body), got.Header.Get("Content-Length"), len(want))
		}
		if sig := got.Header.Get("X-Sig"); sig != HubSignature([]byte("k"), []byte(want)) {
			t.Errorf("attempt %d: signature %q is not over the whole body", i+1, sig)
		}
	}
}
