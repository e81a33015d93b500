//go:build !unix

package main

import (
	"os"
	"testing"
)

// wantPeakRSS checks nothing where there is no getrusage.
func wantPeakRSS(testing.TB, *os.ProcessState, int64) {}
