//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
	"testing"
)

// wantPeakRSS fails the test when the finished process used more than
// limit bytes of memory at its peak.
func wantPeakRSS(t testing.TB, ps *os.ProcessState, limit int64) {
	t.Helper()
	// A child's ru_maxrss also counts the memory of the process it was
	// forked from, up to its exec: this test process, which can be large
	// under -race. So the bound is limit or this process's own peak.
	var self syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		t.Fatal(err)
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return
	}
	unit := int64(1 << 10) // ru_maxrss is in KiB on Linux and the BSDs
	if runtime.GOOS == "darwin" {
		unit = 1 // and in bytes on macOS
	}
	got, bound := int64(ru.Maxrss)*unit, max(limit, int64(self.Maxrss)*unit)
	if got > bound {
		t.Errorf("peak RSS: got %d MiB, want at most %d MiB", got>>20, bound>>20)
	}
}
