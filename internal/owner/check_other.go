//go:build !windows

package owner

// Check has nothing to say outside Windows: there the callers read the
// owner and mode from fs.FileInfo.
func Check(string) string { return "" }
