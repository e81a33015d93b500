//go:build windows

package spool

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// openLocked opens a saved notification for reading, never through a
// symbolic link or other reparse point, and locks it with LockFileEx
// without waiting. The file is opened with FILE_SHARE_DELETE so that the
// holder can remove it, or rename an updated copy over it, while it holds
// the lock. Windows drops the lock when the handle is closed or the
// process ends.
func openLocked(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var ol windows.Overlapped
	err = windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		windows.CloseHandle(h)
		return nil, errLocked
	}
	if err != nil {
		windows.CloseHandle(h)
		return nil, &os.PathError{Op: "lock", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// replaceNeedsClose: a rename may fail to replace a file that is open, also by this process (see Claim.Update).
const replaceNeedsClose = true
