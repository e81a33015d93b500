package logtail

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/jobnotify/jobnotify/redact"
)

func plain(s string) string { return s }

func TestRingKeepsTheEnd(t *testing.T) {
	for _, chunk := range []int{1, 3, 7, 10, 64} {
		r := &Ring{Size: 10}
		var all bytes.Buffer
		for i := 0; i < 50; i++ {
			fmt.Fprintf(&all, "%d,", i)
		}
		data := all.Bytes()
		for len(data) > 0 {
			k := min(chunk, len(data))
			r.Write(data[:k])
			data = data[k:]
		}
		got, cut := r.window()
		if want := all.Bytes()[all.Len()-10:]; !bytes.Equal(got, want) || !cut {
			t.Errorf("chunks of %d: window %q (cut %v), want %q", chunk, got, cut, want)
		}
	}
}

func TestTail(t *testing.T) {
	upper := strings.ToUpper
	for _, tc := range []struct {
		name   string
		size   int
		writes []string
		n, max int
		redact func(string) string
		want   string
	}{
		{"last lines", 1 << 10, []string{"a\nb\nc\nd\n"}, 2, 100, plain, "c\nd"},
		{"no final newline", 1 << 10, []string{"a\nb\nc"}, 2, 100, plain, "b\nc"},
		{"fewer lines than asked", 1 << 10, []string{"a\n"}, 5, 100, plain, "a"},
		{"crlf", 1 << 10, []string{"a\r\nb\r\n"}, 5, 100, plain, "a\nb"},
		{"progress bar", 1 << 10, []string{"start\n10%\r20%\r", "100%\ndone\n"}, 5, 100, plain, "start\n100%\ndone"},
		{"colours", 1 << 10, []string{"\x1b[31mERR\x1b[0m ok\n\x1b]0;title\x07x\n"}, 5, 100, plain, "ERR ok\nx"},
		{"an OSC left open ends at its line", 1 << 10, []string{"before\n\x1b]junk\nERROR: the real failure\n"}, 5, 100, plain, "before\n\nERROR: the real failure"},
		{"a stray ESC goes alone", 1 << 10, []string{"a\x1b\nb\x1b1c\n"}, 5, 100, plain, "a\nb1c"},
		{"partial first line dropped", 8, []string{"secret-value\nab\ncd\n"}, 5, 100, plain, "ab\ncd"},
		{"redacted before lines are cut", 1 << 10, []string{"x\nyz\n"}, 1, 100, upper, "YZ"},
		{"bounded in bytes: oldest lines go", 1 << 10, []string{"aaaa\nbbbb\ncccc\n"}, 5, 9, plain, "bbbb\ncccc"},
		{"one long line keeps its end", 1 << 10, []string{"0123456789\n"}, 5, 7, plain, "…6789"},
		{"no line break: guard bytes go", 8, []string{"abcdefghijkl"}, 5, 100, plain, "hijkl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Ring{Size: tc.size}
			for _, w := range tc.writes {
				r.Write([]byte(w))
			}
			if got := r.Tail(tc.n, tc.max, 3, tc.redact, plain); got != tc.want {
				t.Errorf("Tail = %q, want %q", got, tc.want)
			}
		})
	}
}

// A secret whose start the ring dropped must not show its end.
func TestTailNeverShowsPartOfASecret(t *testing.T) {
	const secret = "s3cr3t-t0ken-value"
	redact := func(s string) string { return strings.ReplaceAll(s, secret, "***") }
	for size := 4; size < 40; size++ {
		for _, out := range []string{"log " + secret + " more\nend\n", "xx" + secret + "yy"} {
			r := &Ring{Size: size}
			r.Write([]byte(out))
			got := r.Tail(10, 1000, len(secret), redact, plain)
			for k := 4; k <= len(secret); k++ {
				for i := 0; i+k <= len(secret); i++ {
					if part := secret[i : i+k]; strings.Contains(got, part) && !strings.Contains("log  more\nend\nxxyy***", part) {
						t.Fatalf("size %d: tail %q shows %q of the secret", size, got, part)
					}
				}
			}
		}
	}
}

func FuzzTail(f *testing.F) {
	f.Add([]byte("a\r\nb\x1b[1mc\x1b]x\n"), 3, 5)
	f.Fuzz(func(t *testing.T, out []byte, n, max int) {
		if max < 4 || max > 1<<12 || n > 1<<10 {
			return
		}
		r := &Ring{Size: 64}
		r.Write(out)
		if got := r.Tail(n, max, 8, plain, plain); len(got) > max {
			t.Errorf("Tail is %d bytes, more than %d", len(got), max)
		}
	})
}

// TestTailWrappedBase64: base64(1) of a text holding a secret wraps its
// lines anywhere in the secret's encoding; joined, it is found.
func TestTailWrappedBase64(t *testing.T) {
	secret := "9f2c41d7e8b05a63c1f4e2d9a7b8c6051e3f7a2d4c9b8e60f1a5d3c7b2e94f08a6c1d5e3f7b9a2c4"
	stream := base64.StdEncoding.EncodeToString([]byte("token=" + secret + "\n"))
	var wrapped strings.Builder
	for k := 0; k < len(stream); k += 76 {
		wrapped.WriteString(stream[k:min(k+76, len(stream))] + "\n")
	}
	red := redact.New(secret)
	r := &Ring{Size: 1 << 10}
	r.Write([]byte("before\n" + wrapped.String() + "after\n"))
	got := r.Tail(10, 1000, red.Longest(), red.String, plain)
	enc := base64.StdEncoding.EncodeToString([]byte(secret))
	for k := 8; k+12 <= len(enc)-8; k += 4 {
		if strings.Contains(got, enc[k:k+12]) {
			t.Fatalf("the tail shows %q of the secret's base64:\n%s", enc[k:k+12], got)
		}
	}
	if !strings.HasPrefix(got, "before\n") || !strings.HasSuffix(got, "\nafter") {
		t.Errorf("tail %q", got)
	}
}

// TestWindow: a window read back from a log drops its first line when
// older output came before it, as a ring that wrapped does.
func TestWindow(t *testing.T) {
	id := func(s string) string { return s }
	if got := Window([]byte("ret-tail\nnext\nlast"), true).Tail(10, 1000, 4, id, id); got != "next\nlast" {
		t.Errorf("cut: %q", got)
	}
	if got := Window([]byte("first\nnext\nlast"), false).Tail(10, 1000, 4, id, id); got != "first\nnext\nlast" {
		t.Errorf("whole: %q", got)
	}
	if got := Window(nil, true).Tail(10, 1000, 4, id, id); got != "" {
		t.Errorf("empty: %q", got)
	}
}
