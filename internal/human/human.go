// Package human holds the one copy of the small formatting helpers that
// messages share: a counted noun, durations rounded for reading, sizes,
// and a string cut to length.
package human

import (
	"strconv"
	"time"
)

// Plural returns n and word, with an s unless n is 1: "1 attempt",
// "3 attempts".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// Elapsed renders how long something took: whole milliseconds under a
// second ("84ms"), else to 10ms ("1.23s").
func Elapsed(d time.Duration) string {
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	return d.Round(10 * time.Millisecond).String()
}

// Round rounds a wait or a limit for a message, to about two figures:
// to the second from 10s ("12s"), to 100ms from 1s ("1.2s"), else to the
// millisecond ("350ms").
func Round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}

// Bytes renders a size in the largest binary unit that divides it:
// "16MiB", "512KiB", "1GiB", else "1000B" — the forms max_body accepts.
func Bytes(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// Cut shortens s to at most n bytes and marks the cut with "…".
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
