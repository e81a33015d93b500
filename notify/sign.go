package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jobnotify/jobnotify/config"
)

// Sign sets the signature headers for an attempt made at now: for
// standard-webhooks webhook-id, webhook-timestamp and webhook-signature
// (one v1 entry per key); for hmac-sha256 "sha256=<hex>" in the configured
// header. GET requests are signed over the empty body. Send signs every
// attempt anew, so each carries its own timestamp.
func (r *Request) Sign(now time.Time) {
	signHeaders(r.Header, r.Signing, r.ID, r.Body, now)
}

func signHeaders(h http.Header, s config.Signing, id string, body []byte, now time.Time) {
	switch s.Scheme {
	case config.StandardWebhooks:
		ts := now.Unix()
		sigs := make([]string, len(s.Keys))
		for i, k := range s.Keys {
			sigs[i] = StandardWebhookSignature(k, id, ts, body)
		}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		h.Set("webhook-signature", strings.Join(sigs, " "))
	case config.HMACSHA256:
		h.Set(s.Header, HubSignature(s.Keys[0], body))
	}
}

// StandardWebhookSignature is the Standard Webhooks v1 signature:
// "v1," and the base64 HMAC-SHA256 of "{id}.{timestamp}.{body}".
func StandardWebhookSignature(key []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, timestamp, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// HubSignature is GitHub's X-Hub-Signature-256 value: "sha256=" and the
// hex HMAC-SHA256 of the body.
func HubSignature(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
