//go:build !windows

package owner

// Check, CheckOwner and Restrict have nothing to do outside Windows:
// there the callers read the owner and mode from fs.FileInfo, and make
// directories with a mode.
func Check(string) string { return "" }

// CheckOwner: see Check.
func CheckOwner(string) string { return "" }

// Restrict: see Check.
func Restrict(string) error { return nil }
