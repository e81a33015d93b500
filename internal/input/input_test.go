package input

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		limit   int64
		want    string
		tooBig  bool
		notHere bool
	}{
		{name: "shorter than the limit", path: write("a", "hello"), limit: 10, want: "hello"},
		{name: "exactly the limit", path: write("b", "0123456789"), limit: 10, want: "0123456789"},
		{name: "one byte over", path: write("c", "0123456789x"), limit: 10, tooBig: true},
		{name: "empty", path: write("d", ""), limit: 10, want: ""},
		{name: "missing", path: filepath.Join(dir, "missing"), limit: 10, notHere: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadFile(context.Background(), tt.path, tt.limit)
			var tl *TooLargeError
			switch {
			case tt.tooBig:
				if !errors.As(err, &tl) || tl.Limit != tt.limit || err.Error() != "larger than 10B" {
					t.Fatalf("got %q, %v, want a *TooLargeError of %d", got, err, tt.limit)
				}
			case tt.notHere:
				if !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), dir) {
					t.Fatalf("got %v, want not-exist without the path", err)
				}
			case err != nil || got != tt.want:
				t.Fatalf("got %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

// TestReadLimitUnknownSize: a reader of no known size is read to one byte
// past the limit, and no further.
func TestReadLimitUnknownSize(t *testing.T) {
	r := &counting{r: strings.NewReader(strings.Repeat("z", 1<<20))}
	_, err := Read(context.Background(), r, 1000)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1000 {
		t.Fatalf("got %v, want a *TooLargeError of 1000", err)
	}
	if r.n != 1001 {
		t.Errorf("read %d bytes, want 1001", r.n)
	}
	got, err := Read(context.Background(), strings.NewReader("ok"), 2)
	if err != nil || got != "ok" {
		t.Errorf("got %q, %v, want ok", got, err)
	}
}

type counting struct {
	r io.Reader
	n int
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestReadInterrupted: a read that never ends returns when the context is
// cancelled, with its cause.
func TestReadInterrupted(t *testing.T) {
	cause := errors.New("received terminated")
	pr, pw := io.Pipe() // never written to
	defer pw.Close()
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Read(ctx, pr, 1<<20)
		done <- err
	}()
	cancel(cause)
	if err := <-done; !errors.Is(err, cause) || !strings.HasPrefix(err.Error(), "interrupted: ") {
		t.Fatalf("got %v, want interrupted: %v", err, cause)
	}

	// Already cancelled: nothing is read at all.
	r := &counting{r: strings.NewReader("text")}
	if _, err := Read(ctx, r, 10); !errors.Is(err, cause) || r.n != 0 {
		t.Errorf("got %v after reading %d bytes, want the cause and nothing read", err, r.n)
	}
}
