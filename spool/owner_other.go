//go:build !unix

package spool

import "io/fs"

// foreign says why a file or directory may have been written by someone
// other than the user running jobnotify. Outside Unix, owners and
// permissions are access control lists that Go's file modes do not
// show, so the directory's ACL decides and this says nothing.
func foreign(fs.FileInfo) string { return "" }

// foreignOwner is foreign's owner check: nothing to say outside Unix.
func foreignOwner(fs.FileInfo) string { return "" }
