package notify

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/redact"
)

func TestSecrets(t *testing.T) {
	const toml = `url = "https://hook-user:userinfo-pass-canary@127.0.0.1:8443/hook?token=query-token-canary&page=2&api_key=k1&long=a-long-query-value"

[headers]
X-Auth-Token = "${NOTIFY_TOKEN}"
Proxy-Authorization = "Basic dXNlcjpiYXNpYy1wYXNzLWNhbmFyeQ=="
X-Api-Key = "static-api-key-canary"
X-Hub-Signature-256 = "sha256=sig-canary"
Content-Type = "application/vnd.not-a-secret+json"
Webhook-Id = "idempotency-not-secret"

[fields]
deploy = "${DEPLOY_SECRET}"
`
	env := map[string]string{"NOTIFY_TOKEN": "bearer-token-canary", "DEPLOY_SECRET": "field-secret-canary"}
	auth, err := config.NewHeader("Authorization: Bearer flag-bearer-canary", "--header")
	if err != nil {
		t.Fatal(err)
	}
	s := resolve(t, toml, config.Overrides{Headers: []config.Header{auth}}, env)
	got := append(Secrets(EndpointOf(s)), s.Secrets...)
	for _, want := range []string{
		"bearer-token-canary",       // ${VAR} value
		"Bearer flag-bearer-canary", // sensitive header value
		"flag-bearer-canary",        // the credential after the scheme
		"field-secret-canary",       // ${VAR} value in [fields]
		"Basic dXNlcjpiYXNpYy1wYXNzLWNhbmFyeQ==",
		"dXNlcjpiYXNpYy1wYXNzLWNhbmFyeQ==", // the credential after the scheme
		"user:basic-pass-canary",           // Basic decoded
		"basic-pass-canary",                // Basic password
		"static-api-key-canary",
		"sha256=sig-canary",
		"userinfo-pass-canary", // URL userinfo
		"query-token-canary",   // every query value long enough to be a secret
		"a-long-query-value",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("got %q, want %q in it", got, want)
		}
	}
	for _, not := range []string{"2", "k1", "application/vnd.not-a-secret+json", "idempotency-not-secret", "127.0.0.1"} {
		if slices.Contains(got, not) {
			t.Errorf("got %q, want no %q in it", got, not)
		}
	}

	// And a redactor made of them leaves none of them in a request dump.
	r, err := Build(testContext(), s, Input{ID: testID, Time: testTime}, "1")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.Dump(&buf); err != nil {
		t.Fatal(err)
	}
	red := redact.New(got...)
	line := red.String(buf.String() + "\nerror: " + r.URL + " " + r.Header.Get("Authorization") + " " + r.Header.Get("Proxy-Authorization"))
	for _, secret := range []string{"bearer-token-canary", "flag-bearer-canary", "basic-pass-canary", "static-api-key-canary", "sig-canary", "userinfo-pass-canary", "query-token-canary", "field-secret-canary", "dXNlcjpiYXNpYy1wYXNzLWNhbmFyeQ"} {
		if strings.Contains(line, secret) {
			t.Errorf("redacted output has %q in it:\n%s", secret, line)
		}
	}
}
