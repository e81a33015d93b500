//go:build !linux

package input

// buffer returns a buffer of length 0 and capacity n for a file's text.
func buffer(n int) []byte { return make([]byte, 0, n) }
