// Package human holds the one copy of the small formatting helpers that
// messages share: a counted noun, a list in words, durations rounded
// for reading, sizes, a string cut to length, and the known word closest
// to a typo.
package human

import (
	"strconv"
	"strings"
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

// Join joins words for a sentence, the last two with and or or:
// Join(words, "or") is "a, b or c".
func Join(words []string, conj string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
}

// Cut shortens s to at most n bytes and marks the cut with "…".
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Closest returns the word of known nearest to word, for a "did you mean"
// in a message about an unknown key, command or flag: the first of the
// nearest within two edits (insertions, deletions, substitutions), or ""
// when none is that near or word is itself known.
func Closest(word string, known []string) string {
	best, bestD := "", 3
	for _, w := range known {
		d := distance(word, w)
		if d == 0 {
			return ""
		}
		if d < bestD {
			best, bestD = w, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
