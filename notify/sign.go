package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jobnotify/jobnotify/config"
)

// This file holds the two signature schemes, each MAC written once and
// used both to sign (Sign) and to check (Verify). The signer's tests hold
// them to the schemes' published test vectors, so that a round trip
// through code that shares the MAC still means something.

// Sign sets the signature headers for an attempt made at now: for
// standard-webhooks webhook-id, webhook-timestamp and webhook-signature
// (one v1 entry per key); for hmac-sha256 "sha256=<hex>" in the configured
// header. GET requests are signed over the empty body. Send signs every
// attempt anew, so each carries its own timestamp.
func (r *Request) Sign(now time.Time) {
	signHeaders(r.Header, r.Signing, r.ID, r.Body, now)
}

func signHeaders(h http.Header, s config.Signing, id string, body Pieces, now time.Time) {
	switch s.Scheme {
	case config.StandardWebhooks:
		ts := now.Unix()
		sigs := make([]string, len(s.Keys))
		for i, k := range s.Keys {
			sigs[i] = standardSignature(k, id, ts, body)
		}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		h.Set("webhook-signature", strings.Join(sigs, " "))
	case config.HMACSHA256:
		h.Set(s.Header, hubSignature(s.Keys[0], body))
	}
}

// StandardWebhookSignature is the Standard Webhooks v1 signature:
// "v1," and the base64 HMAC-SHA256 of "{id}.{timestamp}.{body}".
func StandardWebhookSignature(key []byte, id string, timestamp int64, body []byte) string {
	return standardSignature(key, id, timestamp, bytes.NewReader(body))
}

func standardSignature(key []byte, id string, timestamp int64, body io.WriterTo) string {
	return "v1," + base64.StdEncoding.EncodeToString(standardMAC(key, id, strconv.FormatInt(timestamp, 10), body))
}

// standardMAC is the HMAC-SHA256 of "{id}.{timestamp}.{body}", timestamp
// as the text of the webhook-timestamp header. The body is fed to it as
// it is held (a request's Pieces, one piece after the other), never joined.
func standardMAC(key []byte, id, timestamp string, body io.WriterTo) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	_, _ = body.WriteTo(mac) // a hash never fails to write
	return mac.Sum(nil)
}

// HubSignature is GitHub's X-Hub-Signature-256 value: "sha256=" and the
// hex HMAC-SHA256 of the body.
func HubSignature(key, body []byte) string {
	return hubSignature(key, bytes.NewReader(body))
}

func hubSignature(key []byte, body io.WriterTo) string {
	return "sha256=" + hex.EncodeToString(hubMAC(key, body))
}

// hubMAC is the HMAC-SHA256 of the body.
func hubMAC(key []byte, body io.WriterTo) []byte {
	mac := hmac.New(sha256.New, key)
	_, _ = body.WriteTo(mac)
	return mac.Sum(nil)
}

// tolerance is how far a Standard Webhooks timestamp may be from the
// receiver's clock, either way, as the specification recommends.
const tolerance = 5 * time.Minute

// Verify checks a request's signature under s, as a receiver would, at
// now. It returns the index in s.Keys of the key that matched, or an error
// whose text is the reason the signature is not valid. Signatures are
// compared in constant time, and no error quotes a key.
func Verify(s config.Signing, h http.Header, body []byte, now time.Time) (key int, err error) {
	if len(s.Keys) == 0 {
		return -1, errors.New("no signing secret configured")
	}
	switch s.Scheme {
	case config.StandardWebhooks:
		return verifyStandard(s.Keys, h, body, now)
	case config.HMACSHA256:
		name := s.Header
		if name == "" {
			name = config.HubHeader
		}
		return verifyHub(s.Keys, name, h, body)
	default:
		return -1, fmt.Errorf("unknown signing scheme %q", s.Scheme)
	}
}

// verifyStandard checks the Standard Webhooks headers: webhook-id,
// webhook-timestamp and webhook-signature, the last a space-separated
// list of "v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>". It is
// valid when any v1 entry matches any key and the timestamp is within
// tolerance of now.
func verifyStandard(keys [][]byte, h http.Header, body []byte, now time.Time) (int, error) {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	var missing []string
	for _, x := range []struct{ name, value string }{{"webhook-id", id}, {"webhook-timestamp", ts}, {"webhook-signature", sigs}} {
		if x.value == "" {
			missing = append(missing, x.name)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		return -1, fmt.Errorf("missing %s header", missing[0])
	default:
		return -1, fmt.Errorf("missing %s and %s headers", strings.Join(missing[:len(missing)-1], ", "), missing[len(missing)-1])
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return -1, fmt.Errorf("webhook-timestamp %q is not a Unix time in seconds", ts)
	}

	// The MAC is over the header's text as sent, which a sender may
	// have written differently from strconv ("+1614265330").
	var macs [][]byte
	for _, k := range keys {
		macs = append(macs, standardMAC(k, id, ts, bytes.NewReader(body)))
	}
	match, v1 := -1, 0
	for _, entry := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue // another version (v1a is asymmetric): not ours to check
		}
		v1++
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		for i, want := range macs {
			// hmac.Equal takes the same time whatever the bytes.
			if hmac.Equal(got, want) && match < 0 {
				match = i
			}
		}
	}

	var reasons []string
	if v1 == 0 {
		reasons = append(reasons, "webhook-signature has no v1 entry")
	} else if match < 0 {
		reasons = append(reasons, "no signature matches")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance {
		reasons = append(reasons, fmt.Sprintf("timestamp %d is %s ago (more than %s)", sec, approx(d), approx(tolerance)))
	} else if d < -tolerance {
		reasons = append(reasons, fmt.Sprintf("timestamp %d is %s in the future (more than %s)", sec, approx(-d), approx(tolerance)))
	}
	if len(reasons) > 0 {
		return -1, errors.New(strings.Join(reasons, "; "))
	}
	return match, nil
}

// verifyHub checks an hmac-sha256 signature: the header's value is
// "sha256=" and the hex HMAC-SHA256 of the body (GitHub's
// X-Hub-Signature-256).
func verifyHub(keys [][]byte, name string, h http.Header, body []byte) (int, error) {
	values := h.Values(name)
	if len(values) == 0 {
		return -1, fmt.Errorf("missing %s header", name)
	}
	var macs [][]byte
	for _, k := range keys {
		macs = append(macs, hubMAC(k, bytes.NewReader(body)))
	}
	match, wellFormed := -1, false
	for _, v := range values {
		hexSig, ok := strings.CutPrefix(strings.TrimSpace(v), "sha256=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(hexSig)
		if err != nil {
			continue
		}
		wellFormed = true
		for i, want := range macs {
			if hmac.Equal(got, want) && match < 0 {
				match = i
			}
		}
	}
	switch {
	case !wellFormed:
		return -1, fmt.Errorf("%s is not sha256=<hex>", name)
	case match < 0:
		return -1, errors.New("no signature matches")
	}
	return match, nil
}

// approx prints a duration the way a person would say it: "40s", "5m30s",
// "12m", "3h5m", "2d4h".
func approx(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int64(d/time.Second))
	case d < 10*time.Minute:
		return trimZero(fmt.Sprintf("%dm%ds", int64(d/time.Minute), int64(d%time.Minute/time.Second)))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int64(d/time.Minute))
	case d < 48*time.Hour:
		return trimZero(fmt.Sprintf("%dh%dm", int64(d/time.Hour), int64(d%time.Hour/time.Minute)))
	default:
		return trimZero(fmt.Sprintf("%dd%dh", int64(d/(24*time.Hour)), int64(d%(24*time.Hour)/time.Hour)))
	}
}

func trimZero(s string) string {
	for _, zero := range []string{"m0s", "h0m", "d0h"} {
		if strings.HasSuffix(s, zero) {
			return s[:len(s)-2]
		}
	}
	return s
}
