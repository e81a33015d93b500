//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || solaris

package spool

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openLocked opens a saved notification for reading, never through a
// symbolic link, and takes an exclusive flock(2) on it without waiting.
// The lock belongs to this open file: the kernel drops it when the file
// is closed or the process dies, however it dies, and it holds across
// PID namespaces (containers) that share the volume.
func openLocked(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, errSymlink
	}
	if err != nil {
		return nil, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	var lockErr error
	if err := rc.Control(func(fd uintptr) {
		for {
			lockErr = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB)
			if lockErr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		f.Close()
		return nil, err
	}
	if errors.Is(lockErr, unix.EWOULDBLOCK) {
		f.Close()
		return nil, errLocked
	}
	if lockErr != nil {
		f.Close()
		return nil, &os.PathError{Op: "flock", Path: path, Err: lockErr}
	}
	return f, nil
}

// replaceNeedsClose: a rename replaces an open file (see Claim.Update).
const replaceNeedsClose = false
