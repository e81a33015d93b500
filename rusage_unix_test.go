//go:build unix

package main

import (
	"os"
	"syscall"
	"testing"
)

// wantPeakRSS checks the peak RSS of a finished child, in KiB. A child's
// ru_maxrss also counts the memory of the process it was forked from, up
// to its exec: this test process, which can be large under -race. So the
// bound is limit or this process's own peak.
func wantPeakRSS(t testing.TB, ps *os.ProcessState, limit int64) {
	t.Helper()
	var self syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		t.Fatal(err)
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		// Maxrss is an int32 on some platforms.
		if got, limit := int64(ru.Maxrss), max(limit, int64(self.Maxrss)); got > limit {
			t.Errorf("peak RSS: got %d MiB, want at most %d MiB", got>>10, limit>>10)
		}
	}
}
