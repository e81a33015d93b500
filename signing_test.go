package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Signing keys for the tests, and their whsec_ forms.
var (
	whKey1    = []byte("jobnotify-test-signing-key-one!!")
	whKey2    = []byte("jobnotify-test-signing-key-two??")
	whSecrets = "whsec_" + base64.StdEncoding.EncodeToString(whKey1) + " whsec_" + base64.StdEncoding.EncodeToString(whKey2)
)

// verifyStandardWebhook checks a request's Standard Webhooks headers with
// its own HMAC, and returns its timestamp.
func verifyStandardWebhook(t testing.TB, req received, keys ...[]byte) int64 {
	t.Helper()
	id, tsText := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	if id == "" || id != req.Header.Get("Idempotency-Key") {
		t.Errorf("webhook-id %q, Idempotency-Key %q: want the same id", id, req.Header.Get("Idempotency-Key"))
	}
	if p := decode(t, req.Body); p["id"] != id {
		t.Errorf("payload id %v, webhook-id %q", p["id"], id)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || ts < time.Now().Add(-time.Hour).Unix() || ts > time.Now().Add(time.Hour).Unix() {
		t.Errorf("webhook-timestamp %q is not the Unix time now", tsText)
	}
	sigs := strings.Fields(req.Header.Get("webhook-signature"))
	if len(sigs) != len(keys) {
		t.Errorf("webhook-signature has %d entries, want %d", len(sigs), len(keys))
	}
	for i, key := range keys {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + tsText + "."))
		mac.Write(req.Body)
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		found := false
		for _, s := range sigs {
			found = found || hmac.Equal([]byte(s), []byte(want))
		}
		if !found {
			t.Errorf("no v1 signature verifies with key %d: got %q", i+1, sigs)
		}
	}
	return ts
}

func hubSignature(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// noSigningSecret checks that no form of the signing secrets is printed.
func noSigningSecret(t testing.TB, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s))} {
			if strings.Contains(r.stdout+r.stderr, form) {
				t.Errorf("output shows the signing secret %q\nstdout: %s\nstderr: %s", form, r.stdout, r.stderr)
			}
		}
	}
}

func TestStandardWebhooks(t *testing.T) {
	// A 503 asking for 2 s puts the retry in a later second, so its
	// timestamp, and so its signatures, differ from the first attempt's.
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(503)
	}, status(200))
	cfg := fmt.Sprintf("url = %q\n[retry]\nmin_wait = \"10ms\"\nmax_wait = \"5s\"\n[signing]\nscheme = \"standard-webhooks\"\nsecret = \"${WEBHOOK_SECRET}\"\n", srv.URL) + tokenHeaders
	env := append([]string{"WEBHOOK_SECRET=" + whSecrets}, tokenEnv...)
	r := jobnotify(t, runOpts{config: cfg, env: env}, "send", "-s", "SUCCESS")
	wantCode(t, r, 0)
	reqs := wantRequests(t, srv, 2)
	wantSameDelivery(t, reqs)
	ts1 := verifyStandardWebhook(t, reqs[0], whKey1, whKey2)
	ts2 := verifyStandardWebhook(t, reqs[1], whKey1, whKey2)
	if ts2 <= ts1 {
		t.Errorf("the retry's webhook-timestamp %d is not later than the first's %d", ts2, ts1)
	}
	if reqs[0].Header.Get("webhook-signature") == reqs[1].Header.Get("webhook-signature") {
		t.Error("the retry reused the first attempt's signature")
	}
	noLeaks(t, r)
	noSigningSecret(t, r, whSecrets, string(whKey1), string(whKey2))
}

func TestHMACSignature(t *testing.T) {
	const secret = "canary hmac secret taken whole"
	tests := []struct {
		name, method, header, wantHeader string
	}{
		{"default header", "POST", "", "X-Hub-Signature-256"},
		{"custom header", "PUT", "X-Signature", "X-Signature"},
		{"GET over the empty body", "GET", "", "X-Hub-Signature-256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t)
			cfg := fmt.Sprintf("url = %q\nmethod = %q\n[signing]\nscheme = \"hmac-sha256\"\nsecret = \"${HOOK_SECRET}\"\n", srv.URL, tt.method)
			if tt.header != "" {
				cfg += fmt.Sprintf("header = %q\n", tt.header)
			}
			cfg += tokenHeaders
			r := jobnotify(t, runOpts{config: cfg, env: append([]string{"HOOK_SECRET=" + secret}, tokenEnv...)}, "send", "-s", "SUCCESS")
			wantCode(t, r, 0)
			req := wantRequests(t, srv, 1)[0]
			if tt.method == "GET" && len(req.Body) != 0 {
				t.Fatalf("GET sent a body of %d bytes", len(req.Body))
			}
			if got, want := req.Header.Get(tt.wantHeader), hubSignature([]byte(secret), req.Body); got != want {
				t.Errorf("%s: got %q, want %q (HMAC-SHA256 of the body with the whole secret)", tt.wantHeader, got, want)
			}
			if tt.wantHeader != "X-Hub-Signature-256" && req.Header.Get("X-Hub-Signature-256") != "" {
				t.Error("X-Hub-Signature-256 sent as well as the custom header")
			}
			noLeaks(t, r)
			noSigningSecret(t, r, secret)
		})
	}
}

func TestSigningDryRunAndValidate(t *testing.T) {
	srv := newRecorder(t)
	wh := fmt.Sprintf("url = %q\n[signing]\nscheme = \"standard-webhooks\"\nsecret = \"${WEBHOOK_SECRET}\"\n", srv.URL) + tokenHeaders
	env := append([]string{"WEBHOOK_SECRET=" + whSecrets}, tokenEnv...)

	t.Run("dry run standard-webhooks", func(t *testing.T) {
		r := jobnotify(t, runOpts{config: wh, env: env}, "send", "--dry-run", "--id", "dry-id-1")
		wantCode(t, r, 0)
		out := strings.ToLower(r.stdout)
		for _, want := range []string{"webhook-signature: ***\n", "webhook-id: dry-id-1\n", "webhook-timestamp: ", "authorization: ***\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("dry run lacks %q:\n%s", want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, "v1,") {
			t.Errorf("dry run shows a signature:\n%s", r.stdout)
		}
		noLeaks(t, r)
		noSigningSecret(t, r, whSecrets, string(whKey1), string(whKey2))
	})

	t.Run("dry run hmac-sha256", func(t *testing.T) {
		const secret = "canary-hmac-dry-secret"
		cfg := fmt.Sprintf("url = %q\n[signing]\nscheme = \"hmac-sha256\"\nsecret = \"${HOOK_SECRET}\"\n", srv.URL)
		r := jobnotify(t, runOpts{config: cfg, env: []string{"HOOK_SECRET=" + secret}}, "send", "--dry-run")
		wantCode(t, r, 0)
		if !strings.Contains(r.stdout, "X-Hub-Signature-256: ***\n") {
			t.Errorf("dry run lacks the redacted signature header:\n%s", r.stdout)
		}
		_, body, _ := strings.Cut(r.stdout, "\n\n")
		if sig := hubSignature([]byte(secret), []byte(strings.TrimSuffix(body, "\n"))); strings.Contains(r.stdout, strings.TrimPrefix(sig, "sha256=")) {
			t.Errorf("dry run shows the real signature")
		}
		noSigningSecret(t, r, secret)
	})

	t.Run("validate", func(t *testing.T) {
		r := jobnotify(t, runOpts{config: wh, env: env}, "validate")
		wantCode(t, r, 0)
		var v struct {
			Signing struct {
				Scheme  string `json:"scheme"`
				Secrets int    `json:"secrets"`
			} `json:"signing"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Fatalf("validate output: %v\n%s", err, r.stdout)
		}
		if v.Signing.Scheme != "standard-webhooks" || v.Signing.Secrets != 2 {
			t.Errorf("signing: got %+v, want standard-webhooks with 2 secrets", v.Signing)
		}
		noLeaks(t, r)
		noSigningSecret(t, r, whSecrets, string(whKey1), string(whKey2))
	})
	wantRequests(t, srv, 0)
}

// TestBadSigning: a signing table that cannot work is a config
// error: exit 2, nothing sent, no secret in the message.
func TestBadSigning(t *testing.T) {
	const badSecret = "whsec_canary!!not*base64"
	srv := newRecorder(t)
	tests := []struct {
		name, signing string
		want          []string
	}{
		{"unknown scheme", "scheme = \"hmac-md5\"\nsecret = \"${SIGNING_SECRET}\"\n", []string{"signing.scheme", "hmac-md5"}},
		{"whsec secret not base64", "scheme = \"standard-webhooks\"\nsecret = \"${BAD_WHSEC}\"\n", []string{"signing.secret", "base64"}},
		{"header with standard-webhooks", "scheme = \"standard-webhooks\"\nsecret = \"${SIGNING_SECRET}\"\nheader = \"X-Signature\"\n", []string{"signing.header"}},
		{"no secret", "scheme = \"hmac-sha256\"\n", []string{"secret"}},
		{"secret without a scheme", "secret = \"${SIGNING_SECRET}\"\n", []string{"signing.scheme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fmt.Sprintf("url = %q\n[signing]\n%s", srv.URL, tt.signing) + tokenHeaders
			env := append([]string{"BAD_WHSEC=" + badSecret, "SIGNING_SECRET=" + whSecrets}, tokenEnv...)
			r := jobnotify(t, runOpts{config: cfg, env: env}, "send")
			wantCode(t, r, 2)
			wantStderr(t, r, tt.want...)
			noLeaks(t, r)
			noSigningSecret(t, r, badSecret, "canary!!not*base64", whSecrets, string(whKey1))
		})
	}
	wantRequests(t, srv, 0)
}
