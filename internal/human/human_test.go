package human

import (
	"testing"
	"time"
)

func TestPlural(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want string
	}{
		{name: "none", n: 0, want: "0 attempts"},
		{name: "one", n: 1, want: "1 attempt"},
		{name: "two", n: 2, want: "2 attempts"},
		{name: "many", n: 12, want: "12 attempts"},
		{name: "minus one", n: -1, want: "-1 attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Plural(tt.n, "attempt"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestElapsed(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{name: "zero", d: 0, want: "0ms"},
		{name: "under a millisecond", d: 900 * time.Microsecond, want: "0ms"},
		{name: "milliseconds truncated", d: 84*time.Millisecond + 900*time.Microsecond, want: "84ms"},
		{name: "just under a second", d: 999*time.Millisecond + 999*time.Microsecond, want: "999ms"},
		{name: "a second", d: time.Second, want: "1s"},
		{name: "to 10ms", d: 1234 * time.Millisecond, want: "1.23s"},
		{name: "rounded up", d: 1235 * time.Millisecond, want: "1.24s"},
		{name: "minutes", d: 90*time.Second + 4*time.Millisecond, want: "1m30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Elapsed(tt.d); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRound(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{name: "zero", d: 0, want: "0s"},
		{name: "to the millisecond", d: 350*time.Millisecond + 400*time.Microsecond, want: "350ms"},
		{name: "just under a second", d: 999*time.Millisecond + 400*time.Microsecond, want: "999ms"},
		{name: "to 100ms from a second", d: 1249 * time.Millisecond, want: "1.2s"},
		{name: "to 100ms, up", d: 1250 * time.Millisecond, want: "1.3s"},
		{name: "just under 10s", d: 9940 * time.Millisecond, want: "9.9s"},
		{name: "to the second from 10s", d: 12400 * time.Millisecond, want: "12s"},
		{name: "minutes", d: 5*time.Minute + 600*time.Millisecond, want: "5m1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Round(tt.d).String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCut(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a bit longer", 5, "a bit…"},
		{"", 0, ""},
	} {
		if got := Cut(tt.in, tt.n); got != tt.want {
			t.Errorf("Cut(%q, %d): got %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestBytes(t *testing.T) {
	tests := []struct {
		name string
		n    int64
		want string
	}{
		{name: "zero", n: 0, want: "0B"},
		{name: "bytes", n: 1000, want: "1000B"},
		{name: "KiB", n: 512 << 10, want: "512KiB"},
		{name: "not a whole MiB", n: 1536 << 10, want: "1536KiB"},
		{name: "MiB", n: 16 << 20, want: "16MiB"},
		{name: "GiB", n: 2 << 30, want: "2GiB"},
		{name: "a KiB and a byte", n: 1025, want: "1025B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Bytes(tt.n); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	known := []string{"headers", "fields", "send", "flush", "status"}
	tests := []struct {
		name, word, want string
	}{
		{name: "one letter dropped", word: "heders", want: "headers"},
		{name: "two letters swapped", word: "sned", want: "send"},
		{name: "two edits", word: "stats", want: "status"},
		{name: "too far", word: "validate", want: ""},
		{name: "known itself", word: "send", want: ""},
		{name: "empty", word: "", want: ""},
		{name: "the first of the nearest", word: "flelds", want: "fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Closest(tt.word, known); got != tt.want {
				t.Errorf("Closest(%q): got %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		name  string
		words []string
		want  string
	}{
		{name: "none", want: ""},
		{name: "one", words: []string{"GET"}, want: "GET"},
		{name: "two", words: []string{"text", "json"}, want: "text or json"},
		{name: "three", words: []string{"a", "b", "c"}, want: "a, b or c"},
	}
	if got := Join([]string{"send", "flush"}, "and"); got != "send and flush" {
		t.Errorf("and: got %q, want %q", got, "send and flush")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Join(tt.words, "or"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
