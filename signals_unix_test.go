//go:build unix

package main

import (
	"context"
	"errors"
	"syscall"
	"testing"
)

// TestSignalContextWatching: once watching returns, SIGTERM is caught —
// it cancels the context with its signalError rather than ending the
// process — so every command, which waits for watching, can stop cleanly.
func TestSignalContextWatching(t *testing.T) {
	ctx, watching, stop := signalContext()
	defer stop()
	watching()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	var sig signalError
	if !errors.As(context.Cause(ctx), &sig) || sig.sig != syscall.SIGTERM {
		t.Fatalf("cause %v, want SIGTERM", context.Cause(ctx))
	}
}
