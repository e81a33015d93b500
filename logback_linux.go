package main

import (
	"fmt"
	"os"
)

// openForReading opens the file f is open to once more, for reading:
// a log a shell opened with > is write-only. /proc/self/fd/N names the
// file itself, even when it was renamed or removed since, and opening it
// checks the file's own permissions.
func openForReading(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var r *os.File
	cerr := rc.Control(func(fd uintptr) {
		r, err = os.Open(fmt.Sprintf("/proc/self/fd/%d", fd))
	})
	if cerr != nil {
		return nil, cerr
	}
	return r, err
}
