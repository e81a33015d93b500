package listen

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/notify"
)

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestListenAddr(t *testing.T) {
	for _, tt := range []struct{ in, want, wantErr string }{
		{in: "", want: "127.0.0.1:8787"},
		{in: "127.0.0.1:0", want: "127.0.0.1:0"},
		{in: ":9000", want: "127.0.0.1:9000"},
		{in: "9000", want: "127.0.0.1:9000"},
		{in: "[::1]:9000", want: "[::1]:9000"},
		{in: "0.0.0.0:9000", want: "0.0.0.0:9000"},
		{in: "localhost:9000", want: "localhost:9000"},
		{in: "127.0.0.1", wantErr: `address "127.0.0.1": want HOST:PORT, e.g. 127.0.0.1:8787`},
		{in: "127.0.0.1:http", wantErr: `address "127.0.0.1:http": port "http" is not a number from 0 to 65535`},
		{in: "127.0.0.1:70000", wantErr: `address "127.0.0.1:70000": port "70000" is not a number from 0 to 65535`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := listenAddr(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	for _, tt := range []struct{ in, line, text string }{
		{in: "plain text", line: "plain text", text: "plain text"},
		{in: "a\nb\tc", line: `a\nb\tc`, text: "a\nb\tc"},
		{in: "crlf\r\nline", line: `crlf\r\nline`, text: "crlf\nline"},
		{in: "lone\rCR", line: `lone\rCR`, text: `lone\rCR`},
		{in: "\x1b[31mred\x1b[0m", line: `\x1b[31mred\x1b[0m`, text: `\x1b[31mred\x1b[0m`},
		{in: "bell\a del\x7f", line: `bell\x07 del\x7f`, text: `bell\x07 del\x7f`},
		{in: "bad \xff utf8", line: `bad \xff utf8`, text: `bad \xff utf8`},
		{in: "c1 \u009b bidi \u202e", line: `c1 \u009b bidi \u202e`, text: `c1 \u009b bidi \u202e`},
		{in: "héllo → 世界", line: "héllo → 世界", text: "héllo → 世界"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := escape(tt.in); got != tt.line {
				t.Errorf("escape: got %q, want %q", got, tt.line)
			}
			if got := escapeText([]byte(tt.in)); got != tt.text {
				t.Errorf("escapeText: got %q, want %q", got, tt.text)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	short := []byte("short")
	if got := truncate(short); !bytes.Equal(got, short) {
		t.Errorf("short: got %q, want it unchanged", got)
	}
	// A 3-byte character straddles the cut: it goes whole.
	long := append(bytes.Repeat([]byte("a"), maxPrint-1), []byte("€€")...)
	got := string(truncate(long))
	if want := strings.Repeat("a", maxPrint-1) + "\n(… 6 more bytes)"; got != want {
		t.Errorf("long: got …%q, want …%q", got[len(got)-30:], want[len(want)-30:])
	}
}

// syncBuffer is a bytes.Buffer safe to read while Run writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a receiver on 127.0.0.1:0 and returns its base URL and
// output; it is stopped, and must return nil, when the test ends.
func start(t *testing.T, o Options) (string, *syncBuffer) {
	t.Helper()
	o.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, o, out, func(a string) { addrc <- a }) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-errc:
		cancel()
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Run after cancel: got %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	return "http://" + addr, out
}

func post(t testing.TB, url string, h http.Header, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRunPrintsRequests(t *testing.T) {
	key := []byte("listen-unit-test-key")
	now := time.Unix(1_800_000_000, 0)
	base, out := start(t, Options{
		Signing: config.Signing{Scheme: config.StandardWebhooks, Keys: [][]byte{key}},
		Now:     func() time.Time { return now },
	})
	body := `{"status":"SUCCESS","job":{"name":"team/app"}}`
	h := headers(
		"Content-Type", "application/json",
		"Authorization", "Bearer unit-test-token-value",
		"X-Api-Key", "unit-test-api-key",
		"Idempotency-Key", "id-1",
		"webhook-id", "id-1",
		"webhook-timestamp", strconv.FormatInt(now.Unix(), 10),
		"webhook-signature", notify.StandardWebhookSignature(key, "id-1", now.Unix(), []byte(body)),
	)
	code, resp := post(t, base+"/hook?build.number=42&access_token=unit-test-query-token", h, body)
	if code != 200 || resp != "{\"received\": 1}\n" {
		t.Errorf("answer: got %d %q, want 200 {\"received\": 1}", code, resp)
	}
	got := out.String()
	for _, want := range []string{
		"--- 1 POST /hook (from 127.0.0.1:",
		") -> 200\n",
		"Authorization: ***\n",
		"X-Api-Key: ***\n",
		"Webhook-Signature: ***\n",
		"Idempotency-Key: id-1\n",
		"Webhook-Id: id-1\n",
		"Content-Type: application/json\n",
		"query:\n  access_token=***\n  build.number=42\n",
		"signature: valid\n",
		"\n{\n  \"status\": \"SUCCESS\",\n  \"job\": {\n    \"name\": \"team/app\"\n  }\n}\n\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, secret := range []string{"unit-test-token-value", "unit-test-api-key", "unit-test-query-token", "v1,"} {
		if strings.Contains(got, secret) {
			t.Errorf("output shows the secret %q:\n%s", secret, got)
		}
	}
	// Headers are sorted.
	var names []string
	for _, line := range strings.Split(got, "\n")[1:] {
		if line == "query:" {
			break
		}
		name, _, _ := strings.Cut(line, ":")
		names = append(names, name)
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("headers not sorted: %q", names)
	}

	// A bad signature, and then a missing one.
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32)))
	post(t, base+"/hook", h, body)
	post(t, base+"/plain", nil, "not JSON \x1b[2J\x1b[H plain text")
	got = out.String()
	for _, want := range []string{
		"--- 2 POST /hook",
		"signature: INVALID (no signature matches)\n",
		"--- 3 POST /plain",
		"signature: INVALID (missing webhook-id, webhook-timestamp and webhook-signature headers)\n",
		"\nnot JSON \\x1b[2J\\x1b[H plain text\n\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b") {
		t.Errorf("output has a raw escape character:\n%q", got)
	}
}

func TestRunHMACHeaderAndNoSigning(t *testing.T) {
	key := []byte("hub-key")
	base, out := start(t, Options{Signing: config.Signing{Scheme: config.HMACSHA256, Keys: [][]byte{key}, Header: "X-Sig"}})
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("{}"))
	post(t, base+"/", headers("X-Sig", "sha256="+hex.EncodeToString(mac.Sum(nil))), "{}")
	got := out.String()
	for _, want := range []string{"X-Sig: ***\n", "signature: valid\n", "\n{}\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}

	base, out = start(t, Options{})
	post(t, base+"/", nil, "")
	if got := out.String(); strings.Contains(got, "signature:") || !strings.Contains(got, "\n(no body)\n") {
		t.Errorf("unsigned receiver, empty body: got\n%s\nwant no signature line and (no body)", got)
	}
}

func TestRunFailThenStatus(t *testing.T) {
	base, out := start(t, Options{Fail: 2, Status: 202})
	var codes []int
	for range 4 {
		code, _ := post(t, base+"/hook", nil, "{}")
		codes = append(codes, code)
	}
	if want := []int{503, 503, 202, 202}; fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Errorf("answers: got %v, want %v", codes, want)
	}
	got := out.String()
	for _, want := range []string{
		") -> 503 (failing on purpose: 1 of 2)\n",
		") -> 503 (failing on purpose: 2 of 2)\n",
		"--- 3 POST /hook (from ",
		"--- 4 POST /hook (from ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestRunNoContent(t *testing.T) {
	base, _ := start(t, Options{Status: 204})
	code, body := post(t, base+"/", nil, "{}")
	if code != 204 || body != "" {
		t.Errorf("got %d %q, want 204 and no body", code, body)
	}
}

func TestRunLargeBodies(t *testing.T) {
	base, out := start(t, Options{})
	big := `{"pad":"` + strings.Repeat("x", maxPrint) + `"}`
	if code, _ := post(t, base+"/big", nil, big); code != 200 {
		t.Errorf("64 KiB body: got %d, want 200", code)
	}
	// Pretty-printing adds 5 bytes: "\n  " after {, a space after the colon, "\n" before }.
	if want := fmt.Sprintf("(… %d more bytes)\n", len(big)+5-maxPrint); !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q", want)
	}
	if code, _ := post(t, base+"/huge", nil, strings.Repeat("y", maxRead+1)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("body over 10 MiB: got %d, want 413", code)
	}
	if got := out.String(); !strings.Contains(got, "-> 413 (body over 10 MiB)\n") || len(got) > 3*maxPrint {
		t.Errorf("output after a huge body: %d bytes, ends %q", len(got), got[max(0, len(got)-300):])
	}
}

// TestRunConcurrent checks that blocks printed at once never interleave
// and are numbered once each.
func TestRunConcurrent(t *testing.T) {
	base, out := start(t, Options{})
	const n = 30
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			post(t, fmt.Sprintf("%s/r%d", base, i), nil, fmt.Sprintf(`{"i": %d}`, i))
		}()
	}
	wg.Wait()
	blocks := strings.Split(strings.TrimPrefix(out.String(), "--- "), "\n\n--- ")
	if len(blocks) != n {
		t.Fatalf("blocks: got %d, want %d", len(blocks), n)
	}
	head := regexp.MustCompile(`^(\d+) POST /r(\d+) `)
	seen := map[string]bool{}
	for i, b := range blocks {
		m := head.FindStringSubmatch(b)
		if m == nil || m[1] != strconv.Itoa(i+1) {
			t.Fatalf("block %d starts %q", i+1, b[:min(len(b), 40)])
		}
		if want := fmt.Sprintf("{\n  \"i\": %s\n}", m[2]); !strings.Contains(b, want) {
			t.Errorf("block %d for /r%s lacks its own body %q:\n%s", i+1, m[2], want, b)
		}
		seen[m[2]] = true
	}
	if len(seen) != n {
		t.Errorf("distinct paths: got %d, want %d", len(seen), n)
	}
}

func TestRunBadOptions(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    Options
		want string
	}{
		{"status", Options{Addr: "127.0.0.1:0", Status: 42}, "status: 42 is not an HTTP status code from 200 to 599"},
		{"1xx status", Options{Addr: "127.0.0.1:0", Status: 101}, "status: 101 is not an HTTP status code from 200 to 599"},
		{"fail", Options{Addr: "127.0.0.1:0", Fail: -1}, "fail: -1: want 0 or more requests"},
		{"addr", Options{Addr: "nowhere"}, `addr: address "nowhere": want HOST:PORT, e.g. 127.0.0.1:8787`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Run(context.Background(), tt.o, io.Discard, func(string) { t.Error("ready called") })
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRunAddressInUse(t *testing.T) {
	base, _ := start(t, Options{})
	err := Run(context.Background(), Options{Addr: strings.TrimPrefix(base, "http://")}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("got %v, want address already in use", err)
	}
}
