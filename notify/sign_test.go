package notify

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/redact"
)

// The Standard Webhooks test vector, from the specification's reference
// implementations (standard-webhooks/standard-webhooks, libraries/*).
const (
	sgWhsec     = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	sgVectorID  = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	sgVectorTS  = 1614265330
	sgVectorMsg = `{"test": 2432232314}`
	sgVectorSig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// GitHub's example for X-Hub-Signature-256,
// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
const (
	sgHubSecret = "It's a Secret to Everybody"
	sgHubMsg    = "Hello, World!"
	sgHubSig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

// sgKey decodes a whsec_ secret the way the specification says: base64 of
// what follows the prefix.
func sgKey(t testing.TB, secret string) []byte {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("decoding %q: %v", secret, err)
	}
	return k
}

func TestStandardWebhookSignatureVector(t *testing.T) {
	got := StandardWebhookSignature(sgKey(t, sgWhsec), sgVectorID, sgVectorTS, []byte(sgVectorMsg))
	if got != sgVectorSig {
		t.Errorf("got %s, want %s", got, sgVectorSig)
	}
	// Any change to id, timestamp or body changes the signature.
	for name, sig := range map[string]string{
		"id":        StandardWebhookSignature(sgKey(t, sgWhsec), sgVectorID+"x", sgVectorTS, []byte(sgVectorMsg)),
		"timestamp": StandardWebhookSignature(sgKey(t, sgWhsec), sgVectorID, sgVectorTS+1, []byte(sgVectorMsg)),
		"body":      StandardWebhookSignature(sgKey(t, sgWhsec), sgVectorID, sgVectorTS, []byte(sgVectorMsg+" ")),
	} {
		if sig == sgVectorSig {
			t.Errorf("changing the %s left the signature %s unchanged", name, sig)
		}
	}
}

func TestHubSignatureGitHubExample(t *testing.T) {
	if got, want := HubSignature([]byte(sgHubSecret), []byte(sgHubMsg)), sgHubSig; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestVerifyStandardWebhooks(t *testing.T) {
	key, other := sgKey(t, sgWhsec), []byte("another key, not the sender's")
	at := time.Unix(sgVectorTS, 0)
	ts := strconv.Itoa(sgVectorTS)
	signed := func(sig string) http.Header {
		return sgHeaders("webhook-id", sgVectorID, "webhook-timestamp", ts, "webhook-signature", sig)
	}
	for _, tt := range []struct {
		name    string
		keys    [][]byte
		h       http.Header
		body    string
		now     time.Time
		wantKey int
		wantErr string // "" means valid
	}{
		{name: "spec test vector", keys: [][]byte{key}, h: signed(sgVectorSig), body: sgVectorMsg, now: at},
		{name: "second of two keys (rotation)", keys: [][]byte{other, key}, h: signed(sgVectorSig), body: sgVectorMsg, now: at, wantKey: 1},
		{name: "second of several entries", keys: [][]byte{key}, h: signed("v1,bm9wZQ== " + sgVectorSig), body: sgVectorMsg, now: at},
		{name: "other versions skipped", keys: [][]byte{key}, h: signed("v1a,bm9wZQ== " + sgVectorSig), body: sgVectorMsg, now: at},
		{name: "4m59s old", keys: [][]byte{key}, h: signed(sgVectorSig), body: sgVectorMsg, now: at.Add(4*time.Minute + 59*time.Second)},
		{name: "4m in the future", keys: [][]byte{key}, h: signed(sgVectorSig), body: sgVectorMsg, now: at.Add(-4 * time.Minute)},
		{name: "body changed", keys: [][]byte{key}, h: signed(sgVectorSig), body: `{"test": 2432232315}`, now: at, wantErr: "no signature matches"},
		{name: "wrong key", keys: [][]byte{other}, h: signed(sgVectorSig), body: sgVectorMsg, now: at, wantErr: "no signature matches"},
		{name: "id changed", keys: [][]byte{key}, h: sgHeaders("webhook-id", "msg_other", "webhook-timestamp", ts, "webhook-signature", sgVectorSig), body: sgVectorMsg, now: at, wantErr: "no signature matches"},
		{name: "not base64", keys: [][]byte{key}, h: signed("v1,!!!"), body: sgVectorMsg, now: at, wantErr: "no signature matches"},
		{name: "no v1 entry", keys: [][]byte{key}, h: signed("v2,abc v1a,def"), body: sgVectorMsg, now: at, wantErr: "webhook-signature has no v1 entry"},
		{name: "12m old", keys: [][]byte{key}, h: signed(sgVectorSig), body: sgVectorMsg, now: at.Add(12 * time.Minute), wantErr: "timestamp 1614265330 is 12m ago (more than 5m)"},
		{name: "5m30s old", keys: [][]byte{key}, h: signed(sgVectorSig), body: sgVectorMsg, now: at.Add(5*time.Minute + 30*time.Second), wantErr: "timestamp 1614265330 is 5m30s ago (more than 5m)"},
		{name: "3h in the future", keys: [][]byte{key}, h: signed(sgVectorSig), body: sgVectorMsg, now: at.Add(-3 * time.Hour), wantErr: "timestamp 1614265330 is 3h in the future (more than 5m)"},
		{name: "wrong key and old", keys: [][]byte{other}, h: signed(sgVectorSig), body: sgVectorMsg, now: at.Add(72 * time.Hour), wantErr: "no signature matches; timestamp 1614265330 is 3d ago (more than 5m)"},
		{name: "no headers", keys: [][]byte{key}, h: http.Header{}, body: sgVectorMsg, now: at, wantErr: "missing webhook-id, webhook-timestamp and webhook-signature headers"},
		{name: "no signature", keys: [][]byte{key}, h: sgHeaders("webhook-id", sgVectorID, "webhook-timestamp", ts), body: sgVectorMsg, now: at, wantErr: "missing webhook-signature header"},
		{name: "no timestamp", keys: [][]byte{key}, h: sgHeaders("webhook-id", sgVectorID, "webhook-signature", sgVectorSig), body: sgVectorMsg, now: at, wantErr: "missing webhook-timestamp header"},
		// The MAC covers the header's text as sent: the same second written
		// another way is another message.
		{name: "timestamp written with a sign", keys: [][]byte{key}, h: sgHeaders("webhook-id", sgVectorID, "webhook-timestamp", "+"+ts, "webhook-signature", sgVectorSig), body: sgVectorMsg, now: at, wantErr: "no signature matches"},
		{name: "timestamp in ms", keys: [][]byte{key}, h: sgHeaders("webhook-id", sgVectorID, "webhook-timestamp", "1614265330.5", "webhook-signature", sgVectorSig), body: sgVectorMsg, now: at, wantErr: `webhook-timestamp "1614265330.5" is not a Unix time in seconds`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := config.Signing{Scheme: config.StandardWebhooks, Keys: tt.keys}
			i, err := Verify(s, tt.h, []byte(tt.body), tt.now)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want valid", err)
			}
			if i != tt.wantKey {
				t.Errorf("matching key: got %d, want %d", i, tt.wantKey)
			}
		})
	}
}

func TestVerifyHMACSHA256(t *testing.T) {
	key, body := []byte(sgHubSecret), []byte(sgHubMsg)
	const github = sgHubSig
	for _, tt := range []struct {
		name    string
		header  string // configured; "" means the default
		h       http.Header
		wantErr string
	}{
		{name: "GitHub's example", h: sgHeaders("X-Hub-Signature-256", github)},
		{name: "own header", header: "X-Signature", h: sgHeaders("X-Signature", github)},
		{name: "header name in any case", header: "x-signature", h: sgHeaders("X-SIGNATURE", github)},
		{name: "missing", h: http.Header{}, wantErr: "missing X-Hub-Signature-256 header"},
		{name: "missing own header", header: "X-Signature", h: sgHeaders("X-Hub-Signature-256", github), wantErr: "missing X-Signature header"},
		{name: "no sha256= prefix", h: sgHeaders("X-Hub-Signature-256", strings.TrimPrefix(github, "sha256=")), wantErr: "X-Hub-Signature-256 is not sha256=<hex>"},
		{name: "not hex", h: sgHeaders("X-Hub-Signature-256", "sha256=xyz"), wantErr: "X-Hub-Signature-256 is not sha256=<hex>"},
		{name: "wrong", h: sgHeaders("X-Hub-Signature-256", "sha256="+strings.Repeat("00", 32)), wantErr: "no signature matches"},
		{name: "truncated", h: sgHeaders("X-Hub-Signature-256", github[:len(github)-2]), wantErr: "no signature matches"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := config.Signing{Scheme: config.HMACSHA256, Keys: [][]byte{key}, Header: tt.header}
			_, err := Verify(s, tt.h, body, time.Time{})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got %v, want valid", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestVerifyAgainstSigner checks that what the signer writes, Verify
// accepts, with keys in rotation. The two share each MAC, so this proves
// the plumbing (headers, entries, key order), not the MAC: the published
// vectors do that (TestSignAndVerifyPublishedVectors).
func TestVerifyAgainstSigner(t *testing.T) {
	body := []byte(`{"status":"SUCCESS"}`)
	now := time.Unix(1_800_000_000, 0)
	keys := [][]byte{[]byte("old key, rotating out"), []byte("new key, rotating in")}
	sigs := []string{
		StandardWebhookSignature(keys[0], "id-1", now.Unix(), body),
		StandardWebhookSignature(keys[1], "id-1", now.Unix(), body),
	}
	h := sgHeaders("webhook-id", "id-1", "webhook-timestamp", strconv.FormatInt(now.Unix(), 10), "webhook-signature", strings.Join(sigs, " "))
	if _, err := Verify(config.Signing{Scheme: config.StandardWebhooks, Keys: keys[1:]}, h, body, now); err != nil {
		t.Errorf("standard-webhooks: got %v, want valid", err)
	}
	hub := sgHeaders("X-Hub-Signature-256", HubSignature(keys[0], body))
	if _, err := Verify(config.Signing{Scheme: config.HMACSHA256, Keys: keys[:1]}, hub, body, now); err != nil {
		t.Errorf("hmac-sha256: got %v, want valid", err)
	}
}

func TestApprox(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{40 * time.Second, "40s"},
		{5 * time.Minute, "5m"},
		{5*time.Minute + 30*time.Second, "5m30s"},
		{12*time.Minute + 30*time.Second, "12m"},
		{3 * time.Hour, "3h"},
		{3*time.Hour + 5*time.Minute, "3h5m"},
		{50 * time.Hour, "2d2h"},
		{72 * time.Hour, "3d"},
	} {
		if got := approx(tt.d); got != tt.want {
			t.Errorf("approx(%v): got %q, want %q", tt.d, got, tt.want)
		}
	}
}

// TestSignAndVerifyPublishedVectors holds both directions to the schemes'
// published examples, written out here rather than computed: Sign writes
// exactly the published header, Verify accepts it with the first key, and
// a signature one character off is rejected.
func TestSignAndVerifyPublishedVectors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		signing config.Signing
		id      string
		at      time.Time
		body    string
		header  string // the signature's header
		sig     string // the published value
		h       http.Header
	}{
		{
			name:    "Standard Webhooks",
			signing: config.Signing{Scheme: config.StandardWebhooks, Keys: [][]byte{sgKey(t, sgWhsec)}},
			id:      sgVectorID, at: time.Unix(sgVectorTS, 0), body: sgVectorMsg,
			header: "webhook-signature", sig: sgVectorSig,
			h: sgHeaders("webhook-id", sgVectorID, "webhook-timestamp", "1614265330"),
		},
		{
			name:    "GitHub X-Hub-Signature-256",
			signing: config.Signing{Scheme: config.HMACSHA256, Keys: [][]byte{[]byte(sgHubSecret)}, Header: "X-Hub-Signature-256"},
			id:      "id-1", at: time.Unix(sgVectorTS, 0), body: sgHubMsg,
			header: "X-Hub-Signature-256", sig: sgHubSig,
			h: http.Header{},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Method: http.MethodPost, ID: tt.id, Header: http.Header{}, Body: NewPieces(tt.body), Signing: tt.signing}
			r.Sign(tt.at)
			if got := r.Header.Get(tt.header); got != tt.sig {
				t.Errorf("Sign: got %s %s, want %s", tt.header, got, tt.sig)
			}
			tt.h.Set(tt.header, tt.sig)
			if i, err := Verify(tt.signing, tt.h, []byte(tt.body), tt.at); err != nil || i != 0 {
				t.Errorf("Verify: got key %d, error %v; want key 0, valid", i, err)
			}
			off := tt.sig[:len(tt.sig)-2] + "A" + tt.sig[len(tt.sig)-1:]
			if off == tt.sig {
				off = tt.sig[:len(tt.sig)-2] + "B" + tt.sig[len(tt.sig)-1:]
			}
			tt.h.Set(tt.header, off)
			if _, err := Verify(tt.signing, tt.h, []byte(tt.body), tt.at); err == nil || err.Error() != "no signature matches" {
				t.Errorf("Verify of %s: got %v, want \"no signature matches\"", off, err)
			}
		})
	}
}

func sgHeaders(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestRequestSign(t *testing.T) {
	k1, k2 := []byte("first key bytes!"), []byte("second key bytes")
	now := time.Unix(sgVectorTS, 999_000_000) // the fraction is dropped
	body := []byte(`{"status":"SUCCESS"}`)
	tests := []struct {
		name    string
		method  string
		body    []byte
		signing config.Signing
		want    map[string]string // header -> value; every other header absent
	}{
		{
			name:    "unsigned",
			method:  http.MethodPost,
			body:    body,
			signing: config.Signing{},
			want:    map[string]string{},
		},
		{
			name:    "standard webhooks, one key",
			method:  http.MethodPost,
			body:    body,
			signing: config.Signing{Scheme: config.StandardWebhooks, Keys: [][]byte{k1}},
			want: map[string]string{
				"Webhook-Id":        "id-1",
				"Webhook-Timestamp": strconv.Itoa(sgVectorTS),
				"Webhook-Signature": StandardWebhookSignature(k1, "id-1", sgVectorTS, body),
			},
		},
		{
			name:    "standard webhooks, keys in rotation: one v1 entry each, in order",
			method:  http.MethodPut,
			body:    body,
			signing: config.Signing{Scheme: config.StandardWebhooks, Keys: [][]byte{k2, k1}},
			want: map[string]string{
				"Webhook-Id":        "id-1",
				"Webhook-Timestamp": strconv.Itoa(sgVectorTS),
				"Webhook-Signature": StandardWebhookSignature(k2, "id-1", sgVectorTS, body) + " " +
					StandardWebhookSignature(k1, "id-1", sgVectorTS, body),
			},
		},
		{
			name:    "standard webhooks, GET signs the empty body",
			method:  http.MethodGet,
			body:    nil,
			signing: config.Signing{Scheme: config.StandardWebhooks, Keys: [][]byte{k1}},
			want: map[string]string{
				"Webhook-Id":        "id-1",
				"Webhook-Timestamp": strconv.Itoa(sgVectorTS),
				"Webhook-Signature": StandardWebhookSignature(k1, "id-1", sgVectorTS, []byte{}),
			},
		},
		{
			name:    "hmac-sha256",
			method:  http.MethodPost,
			body:    body,
			signing: config.Signing{Scheme: config.HMACSHA256, Keys: [][]byte{k1}, Header: "X-Hub-Signature-256"},
			want:    map[string]string{"X-Hub-Signature-256": HubSignature(k1, body)},
		},
		{
			name:    "hmac-sha256 in a custom header, GET signs the empty body",
			method:  http.MethodGet,
			body:    nil,
			signing: config.Signing{Scheme: config.HMACSHA256, Keys: [][]byte{k1}, Header: "X-Signature"},
			want:    map[string]string{"X-Signature": HubSignature(k1, []byte{})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Method: tt.method, ID: "id-1", Header: http.Header{"Idempotency-Key": {"id-1"}}, Body: PiecesOf(tt.body), Signing: tt.signing}
			r.Sign(now)
			tt.want["Idempotency-Key"] = "id-1"
			for name, want := range tt.want {
				if got := r.Header.Values(name); len(got) != 1 || got[0] != want {
					t.Errorf("got %s %q, want %q", name, got, want)
				}
			}
			for name := range r.Header {
				if _, ok := tt.want[name]; !ok {
					t.Errorf("got header %s: %q, want none", name, r.Header[name])
				}
			}
			// Signing an attempt again replaces, never appends.
			r.Sign(now.Add(time.Minute))
			for name := range tt.want {
				if n := len(r.Header.Values(name)); n != 1 {
					t.Errorf("after a second Sign got %d %s headers, want 1", n, name)
				}
			}
			if tt.signing.Scheme == config.StandardWebhooks {
				if got, want := r.Header.Get("Webhook-Timestamp"), strconv.Itoa(sgVectorTS+60); got != want {
					t.Errorf("after a second Sign got timestamp %s, want %s", got, want)
				}
			}
		})
	}
	t.Run("GET with nil and with empty body sign the same", func(t *testing.T) {
		if a, b := HubSignature(k1, nil), HubSignature(k1, []byte{}); a != b {
			t.Errorf("got %s for nil, %s for empty, want the same", a, b)
		}
	})
}

// sgResolve parses src as a config file and resolves it with env.
func sgResolve(t testing.TB, src string, env map[string]string) (*config.Settings, error) {
	t.Helper()
	f, err := config.Parse("/etc/jobnotify/config.toml", []byte(src), testVersion)
	if err != nil {
		return nil, err
	}
	return config.Resolve(f, "", config.Overrides{}, env)
}

func TestResolveSigning(t *testing.T) {
	vectorKey := sgKey(t, sgWhsec)
	otherB64 := base64.StdEncoding.EncodeToString([]byte("another signing key"))
	rawB64 := base64.RawStdEncoding.EncodeToString([]byte("unpadded key")) // 12 bytes: no padding anyway
	rawB64b := base64.RawStdEncoding.EncodeToString([]byte("unpadded key!"))
	const top = "url = \"https://127.0.0.1/hook\"\n[signing]\n"
	tests := []struct {
		name       string
		src        string
		env        map[string]string
		wantScheme string
		wantHeader string
		wantKeys   [][]byte
		wantSecret []string // must be among Settings.Secrets
	}{
		{
			name:       "standard-webhooks with the whsec_ prefix",
			src:        top + `scheme = "standard-webhooks"` + "\nsecret = \"${WH}\"\n",
			env:        map[string]string{"WH": sgWhsec},
			wantScheme: config.StandardWebhooks,
			wantKeys:   [][]byte{vectorKey},
			wantSecret: []string{sgWhsec, string(vectorKey)},
		},
		{
			name:       "standard-webhooks without the prefix",
			src:        top + `scheme = "standard-webhooks"` + "\nsecret = \"${WH}\"\n",
			env:        map[string]string{"WH": strings.TrimPrefix(sgWhsec, "whsec_")},
			wantScheme: config.StandardWebhooks,
			wantKeys:   [][]byte{vectorKey},
			wantSecret: []string{strings.TrimPrefix(sgWhsec, "whsec_"), string(vectorKey)},
		},
		{
			name:       "standard-webhooks, several secrets separated by spaces",
			src:        top + `scheme = "standard-webhooks"` + "\nsecret = \"${WH}\"\n",
			env:        map[string]string{"WH": sgWhsec + "  whsec_" + otherB64 + " " + rawB64b},
			wantScheme: config.StandardWebhooks,
			wantKeys:   [][]byte{vectorKey, []byte("another signing key"), []byte("unpadded key!")},
			wantSecret: []string{sgWhsec, "whsec_" + otherB64, rawB64b, string(vectorKey), "another signing key", "unpadded key!"},
		},
		{
			name:       "standard-webhooks, literal secret and unpadded base64",
			src:        top + `scheme = "standard-webhooks"` + "\nsecret = \"whsec_" + rawB64 + "\"\n",
			wantScheme: config.StandardWebhooks,
			wantKeys:   [][]byte{[]byte("unpadded key")},
			wantSecret: []string{"whsec_" + rawB64, "unpadded key"},
		},
		{
			name:       "hmac-sha256 takes the secret whole, spaces and all",
			src:        top + `scheme = "hmac-sha256"` + "\nsecret = \"${HS}\"\n",
			env:        map[string]string{"HS": "It's a Secret to Everybody"},
			wantScheme: config.HMACSHA256,
			wantHeader: "X-Hub-Signature-256",
			wantKeys:   [][]byte{[]byte("It's a Secret to Everybody")},
			wantSecret: []string{"It's a Secret to Everybody"},
		},
		{
			name:       "hmac-sha256 with its own header, literal secret",
			src:        top + `scheme = "hmac-sha256"` + "\nsecret = \"whsec_not base64\"\nheader = \"X-Signature\"\n",
			wantScheme: config.HMACSHA256,
			wantHeader: "X-Signature",
			wantKeys:   [][]byte{[]byte("whsec_not base64")},
			wantSecret: []string{"whsec_not base64"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sgResolve(t, tt.src, tt.env)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if s.Signing.Scheme != tt.wantScheme || s.Signing.Header != tt.wantHeader {
				t.Errorf("got scheme %q header %q, want %q %q", s.Signing.Scheme, s.Signing.Header, tt.wantScheme, tt.wantHeader)
			}
			if len(s.Signing.Keys) != len(tt.wantKeys) {
				t.Fatalf("got %d keys, want %d", len(s.Signing.Keys), len(tt.wantKeys))
			}
			for i := range tt.wantKeys {
				if !bytes.Equal(s.Signing.Keys[i], tt.wantKeys[i]) {
					t.Errorf("got key %d %q, want %q", i, s.Signing.Keys[i], tt.wantKeys[i])
				}
			}
			for _, w := range tt.wantSecret {
				if !slices.Contains(s.Secrets, w) {
					t.Errorf("got secrets %q, want them to include %q", s.Secrets, w)
				}
			}
			// And so they are redacted wherever they would be printed.
			red := redact.New(append(Secrets(EndpointOf(s)), s.Secrets...)...)
			for _, w := range tt.wantSecret {
				if got := red.String("x " + w + " x"); strings.Contains(got, w) {
					t.Errorf("redacted %q to %q, want the secret gone", w, got)
				}
			}
		})
	}
}

func TestResolveSigningVectorEndToEnd(t *testing.T) {
	s, err := sgResolve(t, "url = \"https://127.0.0.1/hook\"\n[signing]\nscheme = \"standard-webhooks\"\nsecret = \"${WH}\"\n",
		map[string]string{"WH": sgWhsec})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRequest(EndpointOf(s), http.MethodPost, sgVectorID, NewPieces(sgVectorMsg), "", "test")
	if err != nil {
		t.Fatal(err)
	}
	r.Sign(time.Unix(sgVectorTS, 0))
	if got := r.Header.Get("webhook-signature"); got != sgVectorSig {
		t.Errorf("got webhook-signature %s, want %s", got, sgVectorSig)
	}
}

func TestResolveSigningErrors(t *testing.T) {
	const top = "url = \"https://127.0.0.1/hook\"\n[signing]\n"
	tests := []struct {
		name    string
		src     string
		env     map[string]string
		want    []string
		notWant []string
	}{
		{
			name:    "bad base64 from a variable",
			src:     top + "scheme = \"standard-webhooks\"\nsecret = \"${WH}\"\n",
			env:     map[string]string{"WH": sgWhsec + " whsec_%%not-base64-secret%%"},
			want:    []string{"secret 2 of 2", "value not shown", "signing.secret"},
			notWant: []string{"%%not-base64-secret%%", "not-base64-secret", sgWhsec},
		},
		{
			name:    "bad base64 written literally",
			src:     top + "scheme = \"standard-webhooks\"\nsecret = \"whsec_literal!secret!value\"\n",
			want:    []string{"secret 1 of 1", "value not shown", "config.toml:4"},
			notWant: []string{"literal!secret!value"},
		},
		{
			name:    "empty decoded key",
			src:     top + "scheme = \"standard-webhooks\"\nsecret = \"whsec_\"\n",
			want:    []string{"secret 1 of 1"},
			notWant: nil,
		},
		{
			name: "no secret",
			src:  top + "scheme = \"hmac-sha256\"\n",
			want: []string{"no secret"},
		},
		{
			name:    "unset variable",
			src:     top + "scheme = \"hmac-sha256\"\nsecret = \"${NOPE}\"\n",
			want:    []string{"NOPE", "not set"},
			notWant: nil,
		},
		{
			name: "header with standard-webhooks",
			src:  top + "scheme = \"standard-webhooks\"\nsecret = \"" + sgWhsec + "\"\nheader = \"X-Sig\"\n",
			want: []string{"signing.header"},
			// The literal secret is in the file; the error must still not echo it.
			notWant: []string{sgWhsec, strings.TrimPrefix(sgWhsec, "whsec_")},
		},
		{
			name: "unknown scheme",
			src:  top + "scheme = \"md5\"\nsecret = \"s3cr3t-value\"\n",
			want: []string{`"md5"`, "signing.scheme"},
			// not checked for the secret: Parse rejects this before any value is read
			notWant: []string{"s3cr3t-value"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sgResolve(t, tt.src, tt.env)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Errorf("got error of type %T, want *config.Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to contain %q", err, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it not to contain %q", err, w)
				}
			}
		})
	}
}
