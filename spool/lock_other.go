//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || solaris || windows)

package spool

import (
	"errors"
	"os"
)

// openLocked fails where jobnotify knows no file lock: flush then sends
// nothing rather than risk sending a notification twice.
func openLocked(path string) (*os.File, error) {
	return nil, &os.PathError{Op: "lock", Path: path, Err: errors.ErrUnsupported}
}

// replaceNeedsClose: nothing is claimed here (see Claim.Update).
const replaceNeedsClose = false
