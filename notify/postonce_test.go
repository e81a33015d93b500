package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/jobnotify/jobnotify/config"
)

// TestPostOnceHTTP2: net/http's HTTP/2 client sends a request again by
// itself when the server resets its stream with PROTOCOL_ERROR, even
// after the whole body was written (golang/go#47635). A chat message
// must not be: the server here reads it whole, resets the first stream
// and would answer 200 to a second.
func TestPostOnceHTTP2(t *testing.T) {
	for _, format := range []string{"slack", "jobnotify"} {
		var bodies atomic.Int32
		srv := httptest.NewUnstartedServer(http.NotFoundHandler())
		srv.EnableHTTP2 = true
		srv.TLS = &tls.Config{NextProtos: []string{"h2"}}
		srv.Config.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){
			"h2": func(_ *http.Server, c *tls.Conn, _ http.Handler) { resetFirstStream(c, &bodies) },
		}
		srv.StartTLS()
		c := NewClient(2*time.Second, config.Retry{Attempts: 3, MinWait: 10 * time.Millisecond, MaxWait: 20 * time.Millisecond, MaxTime: 5 * time.Second})
		c.Transport = srv.Client().Transport
		r, err := NewRequest(Endpoint{URL: srv.URL + "/hook", Format: format}, http.MethodPost, "id-1", []byte(`{"text":"hi"}`), "", "test")
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Send(context.Background(), r)
		t.Logf("%s: %v", format, err)
		srv.Close()
		var de *DeliveryError
		switch format {
		case "slack":
			if n := bodies.Load(); n != 1 || !errors.As(err, &de) || !de.MaybePosted || !res.MaybePosted {
				t.Errorf("slack: the receiver read the message %d times; %v", n, err)
			}
		default: // a webhook receiver deduplicates: the retry is welcome
			if n := bodies.Load(); n != 2 || err != nil {
				t.Errorf("jobnotify: the receiver read it %d times; %v", n, err)
			}
		}
	}
}

// resetFirstStream serves HTTP/2 on c: it reads each request whole, resets
// the first stream with PROTOCOL_ERROR and answers 200 to the others.
func resetFirstStream(c *tls.Conn, bodies *atomic.Int32) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil {
		return
	}
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.DataFrame:
			if !f.StreamEnded() {
				continue
			}
			if bodies.Add(1) == 1 {
				fr.WriteRSTStream(f.StreamID, http2.ErrCodeProtocol)
				continue
			}
			var b bytes.Buffer
			hpack.NewEncoder(&b).WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: f.StreamID, BlockFragment: b.Bytes(), EndHeaders: true, EndStream: true})
		}
	}
}
