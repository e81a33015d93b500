//go:build !unix

package spool

import (
	"io/fs"

	"github.com/jobnotify/jobnotify/internal/owner"
)

// foreign says why the file or directory at path may have been written by
// someone other than the user running jobnotify, or "" when it cannot
// have been. Outside Unix, file modes say nothing of that (Go makes them
// up on Windows) and the ACL decides who may write: the owner, who may
// always change the ACL, must be that user or the administrators, and
// the ACL must let no one else change it (owner.Check).
func foreign(path string, _ fs.FileInfo) string { return owner.Check(path) }

// foreignOwner is foreign's owner check, for a symbolic link to the
// spool directory: Windows reads no owner of the link itself, and
// creating one takes a privilege, so there is nothing to say.
func foreignOwner(fs.FileInfo) string { return "" }
