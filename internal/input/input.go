// Package input reads what jobnotify is given to read before it sends —
// the config file, a --body @FILE, stdin — so that a signal stops the
// read and a limit bounds its size. A FIFO with no writer, a pipe that
// never closes and /dev/zero all end: the first two with the context, the
// last at the limit.
//
// UTF8 takes off the byte order mark Windows tools write, decodes UTF-16
// that has one, and tells UTF-16 without one apart from UTF-8.
package input

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"
	"unicode/utf16"
	"unsafe"

	"github.com/jobnotify/jobnotify/internal/human"
)

// TooLargeError is input longer than the limit it was read with.
type TooLargeError struct {
	Limit int64 // bytes
}

func (e *TooLargeError) Error() string { return "larger than " + human.Bytes(e.Limit) }

// ReadFile opens the file at path and reads it whole, at most limit
// bytes: more is a *TooLargeError. Both the open (which, for a FIFO,
// waits for a writer) and the read happen in the background, so when ctx
// is done ReadFile returns at once, with an error wrapping
// context.Cause(ctx); the abandoned read ends with the process. Errors do
// not name the path: the caller says where.
//
// The text is read straight into the string returned, without the second
// copy string(os.ReadFile(path)) would make: for a 10 MiB --body @file,
// 10 MiB less memory.
func ReadFile(ctx context.Context, path string, limit int64) (string, error) {
	return background(ctx, func() (string, error) {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		return readAll(f, limit)
	})
}

// Read is ReadFile for a reader that is already open, such as stdin.
func Read(ctx context.Context, r io.Reader, limit int64) (string, error) {
	return background(ctx, func() (string, error) { return readAll(r, limit) })
}

// background runs read in a goroutine and waits for it or for ctx,
// whichever ends first.
func background(ctx context.Context, read func() (string, error)) (string, error) {
	if ctx.Err() != nil {
		return "", interrupted(ctx)
	}
	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1) // the goroutine never blocks on it
	go func() {
		text, err := read()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // "no such file or directory", without the path
		}
		done <- result{text, err}
	}()
	select {
	case <-ctx.Done():
		return "", interrupted(ctx)
	case r := <-done:
		return r.text, r.err
	}
}

func interrupted(ctx context.Context) error {
	return fmt.Errorf("interrupted: %w", context.Cause(ctx))
}

// hugeMin is the smallest buffer that is memory of its own (see buffer).
const hugeMin = 4 << 20

// readAll reads r to its end, or to one byte past limit. A regular file
// longer than limit is refused before anything is read, and a shorter one
// is read straight into a buffer of its size (and one byte, to see its
// end), which becomes the text without a copy: a 10 MiB --body @file is
// in memory once.
func readAll(r io.Reader, limit int64) (text string, err error) {
	size := int64(512)
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			if fi.Size() > limit {
				return "", &TooLargeError{Limit: limit}
			}
			size = fi.Size() + 1
		}
	}
	r = io.LimitReader(r, min(limit, math.MaxInt64-1)+1)
	b, free := buffer(int(size))
	defer func() {
		if err != nil {
			free()
		}
	}()
	for {
		if len(b) == cap(b) {
			grown := append(b, 0)[:len(b)] // a copy, grown as append grows it
			free()
			b, free = grown, func() {}
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	if int64(len(b)) > limit {
		return "", &TooLargeError{Limit: limit}
	}
	// b is not kept, nor written to, anywhere else: the string may have
	// its bytes, as strings.Builder gives its own.
	return unsafe.String(unsafe.SliceData(b), len(b)), nil
}

// bom is the UTF-8 byte order mark, U+FEFF, which Windows PowerShell 5
// writes at the start of a file (Out-File, Set-Content -Encoding UTF8).
const bom = "\ufeff"

// UTF16Error is text in UTF-16 without a byte order mark, which
// jobnotify does not guess at.
type UTF16Error struct {
	BigEndian bool
}

func (e *UTF16Error) Error() string {
	if e.BigEndian {
		return "UTF-16 (big-endian) without a byte order mark"
	}
	return "UTF-16 (little-endian) without a byte order mark"
}

// UTF8 returns text as UTF-8: without a leading UTF-8 byte order mark,
// and decoded when it is UTF-16 that starts with its byte order mark (FF
// FE, FE FF): what Windows PowerShell 5 writes with > and Out-File. It is
// a *UTF16Error when the text looks like UTF-16 without a mark (its first
// bytes are NUL every other byte, as text of ASCII characters is), or
// when UTF-16 ends in half a character. Anything else is returned as it
// is; whether it is valid UTF-8 is for the caller to say.
func UTF8(text string) (string, error) {
	switch {
	case strings.HasPrefix(text, bom):
		return text[len(bom):], nil
	case strings.HasPrefix(text, "\xff\xfe"):
		return decodeUTF16(text[2:], binary.LittleEndian)
	case strings.HasPrefix(text, "\xfe\xff"):
		return decodeUTF16(text[2:], binary.BigEndian)
	}
	// Without a mark: NUL in every odd (little-endian) or every even
	// (big-endian) byte of the first few pairs, and never in the others.
	n := min(len(text), 16) &^ 1
	if n == 0 {
		return text, nil
	}
	odd, even := true, true
	for i := 0; i < n; i += 2 {
		odd = odd && text[i] != 0 && text[i+1] == 0
		even = even && text[i] == 0 && text[i+1] != 0
	}
	switch {
	case odd:
		return "", &UTF16Error{}
	case even:
		return "", &UTF16Error{BigEndian: true}
	}
	return text, nil
}

// decodeUTF16 turns UTF-16 text after its byte order mark into UTF-8; a
// lone surrogate becomes U+FFFD.
func decodeUTF16(text string, order binary.ByteOrder) (string, error) {
	if len(text)%2 != 0 {
		return "", errors.New("UTF-16 that ends in half a character")
	}
	b := []byte(text)
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = order.Uint16(b[2*i:])
	}
	return string(utf16.Decode(units)), nil
}
