//go:build unix

package input

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
)

// TestReadFileFIFO: opening a FIFO no one writes to blocks; cancelling
// the context ends ReadFile all the same.
func TestReadFileFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cause := errors.New("received terminated")
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := ReadFile(ctx, fifo, 1<<20)
		done <- err
	}()
	cancel(cause)
	if err := <-done; !errors.Is(err, cause) {
		t.Fatalf("got %v, want %v", err, cause)
	}
}

// TestReadFileDevZero: a file that never ends stops at the limit.
func TestReadFileDevZero(t *testing.T) {
	_, err := ReadFile(context.Background(), "/dev/zero", 1<<20)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1<<20 || err.Error() != "larger than 1MiB" {
		t.Fatalf("got %v, want larger than 1MiB", err)
	}
}
