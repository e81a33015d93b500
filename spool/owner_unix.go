//go:build unix

package spool

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// foreign says why the file or directory at path (fi, as Lstat or Stat
// describes it) may have been written by someone other than the user
// running jobnotify, or "" when it cannot have been: it is owned by that
// user and neither group nor others may write it.
func foreign(_ string, fi fs.FileInfo) string {
	if why := foreignOwner(fi); why != "" {
		return why
	}
	if m := fi.Mode().Perm(); m&0o022 != 0 {
		return fmt.Sprintf("writable by group or others (mode %04o)", m)
	}
	return ""
}

// foreignOwner says why fi is not owned by the user running jobnotify, or
// "" when it is.
func foreignOwner(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Sprintf("owned by uid %d, not by uid %d that runs jobnotify", st.Uid, os.Geteuid())
	}
	return ""
}
