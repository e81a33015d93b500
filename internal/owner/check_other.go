//go:build !windows

package owner

import "os"

// Check and CheckOwner have nothing to say outside Windows: there the
// callers read the owner and mode from fs.FileInfo.
func Check(string) string { return "" }

// CheckOwner: see Check.
func CheckOwner(string) string { return "" }

// MkdirPrivate makes the directory at path with mode 0700 (less the
// umask); one that exists already is left as it is, for the caller to
// check.
func MkdirPrivate(path string) error {
	if err := os.Mkdir(path, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	return nil
}
