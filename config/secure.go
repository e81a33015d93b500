package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/jobnotify/jobnotify/internal/owner"
)

// Sensitive reports whether a header's value is a secret: Authorization,
// Proxy-Authorization, Cookie and any name with token, secret, signature,
// password, auth, session, api-key, apikey or access-key in it. Ids
// (Idempotency-Key, webhook-id) are not.
func Sensitive(name string) bool {
	n := strings.ToLower(name)
	if n == "cookie" || n == "set-cookie" {
		return true
	}
	for _, w := range []string{"token", "secret", "signature", "password", "auth", "api-key", "apikey", "access-key", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

var expansion = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{[^}]*\}|\$\$`) })

// literalSecret reports whether a value holds secret text written in the
// file rather than taken from ${VAR}: "Bearer ${TOKEN}" does not,
// "Bearer abc123" does.
func literalSecret(v string) bool {
	words := strings.Fields(expansion().ReplaceAllString(v, ""))
	if len(words) > 0 && authSchemes[strings.ToLower(words[0])] {
		words = words[1:]
	}
	n := 0
	for _, w := range words {
		// Each word: rotated secrets read "whsec_${OLD} whsec_${NEW}".
		n += len(strings.TrimPrefix(w, "whsec_"))
	}
	return n >= 4
}

var authSchemes = map[string]bool{"bearer": true, "basic": true, "token": true, "digest": true, "apikey": true, "key": true}

// checkAccess refuses a config file someone other than its user or the
// administrators could have written. Where goos's file modes mean
// something that is checkMode; on Windows, where they do not,
// ownerProblem says why the file, or the folder holding it, is not
// trusted there (owner.Check): any user may create
// %ProgramData%\jobnotify\config.toml where the administrator has not,
// and an ACL may let others change a file whatever its mode says. Whether
// others may read it is the ACL's to say, and not checked there.
func (f *File) checkAccess(goos string, mode fs.FileMode, ownerProblem func() string) error {
	if owner.Modes(goos) {
		return f.checkMode(mode)
	}
	if why := ownerProblem(); why != "" {
		return &Error{Where: f.Path, Err: errors.New(why)}
	}
	return nil
}

// windowsProblem is checkAccess's ownerProblem on Windows, with what to
// do about it: the file must pass check (owner.Check), and the folder
// holding it checkOwner (owner.CheckOwner), since that folder's owner
// could change its ACL and replace the file.
func windowsProblem(path string, check, checkOwner func(string) string) string {
	const risk = "another user could have written it, to redirect notifications and their credentials"
	if why := check(path); why != "" {
		return "the file is not trusted: " + why + "; " + risk + ": make it an administrator's, changeable by no one else (icacls FILE /setowner *S-1-5-32-544, then icacls FILE /inheritance:r /grant:r *S-1-5-32-544:F *S-1-5-18:F, and read access for whoever runs jobnotify)"
	}
	if dir := filepath.Dir(path); dir != path {
		if why := checkOwner(dir); why != "" {
			return fmt.Sprintf("its folder %s is not trusted: %s; %s: make the folder an administrator's (icacls \"%s\" /setowner *S-1-5-32-544)", dir, why, risk, dir)
		}
	}
	return ""
}

// checkMode refuses a config file anyone can change, and warns when a file
// others can read holds a literal secret.
func (f *File) checkMode(mode fs.FileMode) error {
	if mode&0o002 != 0 {
		return &Error{Where: f.Path, Err: fmt.Errorf("the file is world-writable (mode %04o): anyone on the machine could redirect notifications and their credentials; chmod o-w it", mode)}
	}
	if mode&0o044 == 0 {
		return nil
	}
	if key := f.literalSecretKey(); key != "" {
		f.Warnings = append(f.Warnings, fmt.Sprintf("%s holds a literal secret (%s) and others can read it (mode %04o): chmod 600 it, or take the value from ${VAR}", f.Path, key, mode))
	}
	return nil
}

// literalSecretKey names the first key, in any table, holding a literal
// secret: a sensitive header's value or a signing secret.
func (f *File) literalSecretKey() string {
	check := func(prefix string, l layer) string {
		headers, _ := l["headers"].(map[string]string)
		for _, name := range sortedKeys(headers) {
			if Sensitive(name) && literalSecret(headers[name]) {
				return prefix + "headers." + name
			}
		}
		if secret, ok := l["signing.secret"].(string); ok && literalSecret(secret) {
			return prefix + "signing.secret"
		}
		return ""
	}
	if k := check("", f.top); k != "" {
		return k
	}
	for _, n := range f.Targets() {
		if k := check("targets."+n+".", f.targets[n]); k != "" {
			return k
		}
	}
	return ""
}

// Signing schemes.
const (
	StandardWebhooks = "standard-webhooks"
	HMACSHA256       = "hmac-sha256"
)

// HubHeader carries an hmac-sha256 signature when [signing] names no
// header (GitHub's name for it).
const HubHeader = "X-Hub-Signature-256"

// Signing is the resolved [signing] table; Scheme "" means unsigned.
type Signing struct {
	Scheme string
	// Keys are the HMAC keys: for standard-webhooks each whsec_ secret
	// decoded from base64 (several mean key rotation); for hmac-sha256 the
	// secret's bytes, taken whole.
	Keys [][]byte
	// Header carries the hmac-sha256 signature.
	Header string
}

// signingKeys turns the expanded secret into keys for the scheme. Errors
// never quote the secret.
func signingKeys(scheme, secret string) ([][]byte, error) {
	if secret == "" {
		return nil, errors.New("no secret: set signing.secret (from ${VAR})")
	}
	if scheme == HMACSHA256 {
		return [][]byte{[]byte(secret)}, nil
	}
	var keys [][]byte
	for i, part := range strings.Fields(secret) {
		b64 := strings.TrimPrefix(part, "whsec_")
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			key, err = base64.RawStdEncoding.DecodeString(b64)
		}
		if err != nil || len(key) == 0 {
			return nil, fmt.Errorf("secret %d of %d is not whsec_ followed by base64 (value not shown)", i+1, len(strings.Fields(secret)))
		}
		keys = append(keys, key)
	}
	return keys, nil
}
