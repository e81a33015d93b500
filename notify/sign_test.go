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
	// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
	const want = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got := HubSignature([]byte("It's a Secret to Everybody"), []byte("Hello, World!")); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
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
			r := &Request{Method: tt.method, ID: "id-1", Header: http.Header{"Idempotency-Key": {"id-1"}}, Body: tt.body, Signing: tt.signing}
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
	f, err := config.Parse("/etc/jobnotify/config.toml", []byte(src))
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
			red := redact.New(Secrets(s)...)
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
	r, err := NewRequest(s, http.MethodPost, sgVectorID, []byte(sgVectorMsg), "", "test")
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
