package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/config"
)

// TestPostOnceHTTP1: a chat message goes over HTTP/1.1 even to a server
// that speaks HTTP/2, whose client resends a written request by itself
// after some stream resets (golang/go#47635), some of which mean it was
// processed. Other formats keep HTTP/2.
func TestPostOnceHTTP1(t *testing.T) {
	var (
		mu     sync.Mutex
		protos []string
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		protos = append(protos, r.Proto)
		mu.Unlock()
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	for _, format := range []string{"slack", "discord", "jobnotify", "cloudevents"} {
		c := NewClient(2*time.Second, config.Retry{Attempts: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond, MaxTime: 5 * time.Second})
		c.Transport = srv.Client().Transport.(*http.Transport).Clone()
		r, err := NewRequest(Endpoint{URL: srv.URL + "/hook", Format: format}, http.MethodPost, "id-1", NewPieces(`{"text":"hi"}`), "", "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Send(context.Background(), r); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
	}
	want := []string{"HTTP/1.1", "HTTP/1.1", "HTTP/2.0", "HTTP/2.0"}
	mu.Lock()
	defer mu.Unlock()
	if len(protos) != len(want) {
		t.Fatalf("protocols %v, want %v", protos, want)
	}
	for i := range want {
		if protos[i] != want[i] {
			t.Errorf("protocols %v, want %v", protos, want)
			break
		}
	}
}
