package redact_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/jobnotify/jobnotify/redact"
)

// benchSecrets returns n secrets of the shapes CI jobs carry.
func benchSecrets(n int) []string {
	out := make([]string, n)
	for i := range out {
		switch i % 4 {
		case 0:
			out[i] = fmt.Sprintf("ghp_%032d", i)
		case 1:
			out[i] = fmt.Sprintf("bench/aws+secret/key=%d/0123456789", i)
		case 2:
			out[i] = fmt.Sprintf("p@ss word %d!", i)
		default:
			out[i] = fmt.Sprintf("xoxb-%d-0123456789-abcdefABCDEF", i)
		}
	}
	return out
}

// benchOutput returns about size bytes of log lines in which every tenth
// line carries one of the secrets, raw or in one of its encodings.
func benchOutput(size int, secrets []string) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		line := fmt.Sprintf("jobnotify: attempt %d/4: 503 Service Unavailable; retrying in 1.2s", i)
		if i%10 == 0 {
			s := secrets[i/10%len(secrets)]
			switch i / 10 % 3 {
			case 0:
				line += " token=" + s
			case 1:
				line += " q=" + url.QueryEscape(s)
			default:
				line += " basic " + base64.StdEncoding.EncodeToString([]byte("user:"+s))
			}
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// BenchmarkRedact is redaction of output against 20 secrets and all their
// encodings, at two sizes, as a string and through the line writer every
// byte of output passes.
func BenchmarkRedact(b *testing.B) {
	secrets := benchSecrets(20)
	r := redact.New(secrets...)
	for _, size := range []int{64 << 10, 640 << 10} {
		out := benchOutput(size, secrets)
		if got := r.String(out); strings.Contains(got, secrets[0]) {
			b.Fatal("a secret survived redaction")
		}
		b.Run(fmt.Sprintf("String/out=%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_ = r.String(out)
			}
		})
		b.Run(fmt.Sprintf("Writer/out=%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				w := r.Writer(io.Discard)
				for rest := out; rest != ""; {
					line, tail, _ := strings.Cut(rest, "\n")
					_, _ = io.WriteString(w, line+"\n")
					rest = tail
				}
				_ = w.Flush()
			}
		})
	}
	// One line of 4 MiB written 32 KiB at a time, as a dry run writes a
	// large compact JSON body: linear, not a search of all of it per write.
	line := strings.Repeat(`{"log":"step finished in 12ms, `, 4<<20/32)
	b.Run("Writer/one-line=4MiB", func(b *testing.B) {
		b.SetBytes(int64(len(line)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			w := r.Writer(io.Discard)
			for rest := line; rest != ""; {
				k := min(len(rest), 32<<10)
				_, _ = io.WriteString(w, rest[:k])
				rest = rest[k:]
			}
			_ = w.Flush()
		}
	})
}

// BenchmarkNewRedactor is New teaching a redactor 20 secrets: every form of
// each, then the matcher built once, by the first line redacted.
func BenchmarkNewRedactor(b *testing.B) {
	secrets := benchSecrets(20)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = redact.New(secrets...).String("jobnotify: a line")
	}
}
