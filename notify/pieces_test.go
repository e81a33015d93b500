package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
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
	for _, w := range []io.Writer{zeroWriter{}, &failingWriter{after: 10}} {
		n, err := NewPieces(piecesCases[1]...).WriteTo(w)
		if err == nil || n > 10 {
			t.Errorf("WriteTo %T: %d bytes, error %v; want it to stop with an error", w, n, err)
		}
	}
	if b := (Pieces{}); b.Bytes() != nil || b.Len() != 0 {
		t.Errorf("no body: Bytes %v, Len %d", b.Bytes(), b.Len())
	}
}

// zeroWriter takes nothing and says nothing of it.
type zeroWriter struct{}

func (zeroWriter) Write([]byte) (int, error) { return 0, nil }

// failingWriter takes after bytes, then fails.
type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	n := min(len(p), w.after)
	w.after -= n
	if n < len(p) {
		return n, errors.New("disk full")
	}
	return n, nil
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
// length, and signed over all of it, in either scheme.
func TestSendPiecesEachAttempt(t *testing.T) {
	key := [][]byte{[]byte("a-signing-key-of-some-length")}
	for _, signing := range []config.Signing{
		{Scheme: config.HMACSHA256, Header: "X-Sig", Keys: key},
		{Scheme: config.StandardWebhooks, Keys: key},
	} {
		want, reqs := sendPieces(t, func(url string) Endpoint { return Endpoint{URL: url, Signing: signing} }, statuses(503, 503, 200))
		if len(reqs) != 3 {
			t.Fatalf("%s: %d requests, want 3", signing.Scheme, len(reqs))
		}
		for i, got := range reqs {
			if string(got.Body) != want || got.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
				t.Errorf("%s, attempt %d: %d bytes, Content-Length %q; want the %d bytes of the pieces", signing.Scheme, i+1, len(got.Body), got.Header.Get("Content-Length"), len(want))
			}
			if _, err := Verify(signing, got.Header, []byte(want), time.Now()); err != nil {
				t.Errorf("%s, attempt %d: the signature is not over the whole body: %v", signing.Scheme, i+1, err)
			}
		}
	}
}

// A followed 307 sends a body of several pieces again, whole: net/http
// reads it afresh through GetBody.
func TestSendPiecesRedirected(t *testing.T) {
	want, reqs := sendPieces(t, func(url string) Endpoint { return Endpoint{URL: url + "/old"} }, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/old" {
			w.Header().Set("Location", "/new")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}
	})
	if len(reqs) != 2 || reqs[1].Path != "/new" {
		t.Fatalf("%d requests, want /old then /new", len(reqs))
	}
	for _, got := range reqs {
		if string(got.Body) != want {
			t.Errorf("%s: %d bytes, want the %d of the pieces", got.Path, len(got.Body), len(want))
		}
	}
}

// sendPieces sends the body of several pieces to the endpoint at a server
// that answers with handle, with up to 4 attempts, and returns the body
// and what the server got.
func sendPieces(t *testing.T, endpoint func(url string) Endpoint, handle func(http.ResponseWriter, *http.Request, int)) (string, []recorded) {
	t.Helper()
	srv := newServer(t, handle)
	c, _ := testClient(4)
	parts := piecesCases[1]
	r, err := NewRequest(endpoint(srv.URL), http.MethodPost, testID, NewPieces(parts...), "", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return strings.Join(parts, ""), srv.requests()
}
