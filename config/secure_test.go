package config

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jobnotify/jobnotify/internal/owner"
)

func TestSecureSensitive(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"Accept", false},
		{"Webhook-Id", false},
		{"Webhook-Signature", true},
		{"X-Amz-Access-Key", true},
		{"X-Apikey", true},
		{"X-Client-Secret", true},
		{"X-Request-Id", false},
		{"Authorization", true},
		{"authorization", true},
		{"Proxy-Authorization", true},
		{"Cookie", true},
		{"Set-Cookie", true},
		{"X-Auth-Token", true},
		{"X-API-Key", true},
		{"X-Api-Key", true},
		{"Apikey", true},
		{"X-Access-Key", true},
		{"X-Hub-Signature-256", true},
		{"webhook-signature", true},
		{"X-Webhook-Secret", true},
		{"X-Password", true},
		{"X-Session-Id", true},
		{"PRIVATE-TOKEN", true}, // GitLab
		{"X-Gitlab-Token", true},
		{"Idempotency-Key", false},
		{"webhook-id", false},
		{"webhook-timestamp", false},
		{"Content-Type", false},
		{"User-Agent", false},
		{"X-Team", false},
		{"Cookies-Accepted", false}, // only the exact Cookie headers
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sensitive(tt.name); got != tt.want {
				t.Errorf("Sensitive(%q): got %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestSecureLiteralSecret(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"Bearer ${TOKEN}", false},
		{"Bearer abc123", true},
		{"bearer abc123", true},
		{"${A}${B}", false},
		{"${A} ${B}", false},
		{"token ${X}", false},
		{"Basic ${CREDS}", false},
		{"Basic dXNlcjpwYXNz", true},
		{"whsec_${S}", false},
		{"whsec_abcd1234", true},
		{"abcd1234", true},
		// $$ is a literal $: what follows it is written in the file.
		{"$$abcd", true},
		{"$$${X}", false},
		// Short leftovers are not secrets: a separator, a suffix.
		{"${A}:${B}", false},
		{"Bearer ${A}xyz", false},
		{"Bearer ${A}wxyz", true},
		{"", false},
		{"Bearer", false},
		{"Bearer ", false},
		// Rotated Standard Webhooks secrets, each from a variable.
		{"whsec_${OLD} whsec_${NEW}", false},
		{"${OLD} ${NEW}", false},
		{"whsec_${OLD} whsec_abcd1234", true},
		// An unterminated ${ is not an expansion: the text is literal (and
		// Resolve rejects it later).
		{"${TOKEN", true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if got := literalSecret(tt.value); got != tt.want {
				t.Errorf("literalSecret(%q): got %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

// scLoad writes src to a file with mode and loads it.
func scLoad(t testing.TB, src string, mode os.FileMode) (string, *File, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	f, err := Load(context.Background(), path, testVersion)
	return path, f, err
}

func TestSecureCheckMode(t *testing.T) {
	if !owner.Modes(runtime.GOOS) {
		t.Skip("file modes mean nothing on " + runtime.GOOS + ": TestSecureCheckAccessWindows")
	}
	const (
		literalHeader = "url = \"https://127.0.0.1/\"\n[headers]\nAuthorization = \"Bearer s3cr3t-token-value\"\n"
		literalTarget = "url = \"https://127.0.0.1/\"\n[targets.chat.signing]\nscheme = \"hmac-sha256\"\nsecret = \"hmac-s3cr3t-value\"\n"
		fromVars      = "url = \"https://127.0.0.1/\"\n[headers]\nAuthorization = \"Bearer ${TOKEN}\"\nX-Team = \"platform\"\n" +
			"[signing]\nscheme = \"standard-webhooks\"\nsecret = \"whsec_${OLD} whsec_${NEW}\"\n" +
			"[targets.chat.headers]\nX-Api-Key = \"${KEY}\"\n"
		plainHeaders = "url = \"https://127.0.0.1/\"\n[headers]\nX-Team = \"platform-engineering\"\n"
		both         = literalHeader + "[targets.chat.headers]\nPRIVATE-TOKEN = \"glpat-literal-value\"\n"
	)
	tests := []struct {
		name    string
		src     string
		mode    os.FileMode
		wantErr bool
		wantKey string // "" for no warning
	}{
		{name: "literal header, 0600", src: literalHeader, mode: 0o600},
		{name: "literal header, 0400", src: literalHeader, mode: 0o400},
		{name: "literal header, 0644", src: literalHeader, mode: 0o644, wantKey: "headers.Authorization"},
		{name: "literal header, 0640", src: literalHeader, mode: 0o640, wantKey: "headers.Authorization"},
		{name: "literal header, 0604", src: literalHeader, mode: 0o604, wantKey: "headers.Authorization"},
		{name: "literal target signing secret, 0644", src: literalTarget, mode: 0o644, wantKey: "targets.chat.signing.secret"},
		{name: "literal target signing secret, 0600", src: literalTarget, mode: 0o600},
		{name: "two literal secrets, one warning naming the first", src: both, mode: 0o644, wantKey: "headers.Authorization"},
		{name: "only ${VAR} secrets, 0644", src: fromVars, mode: 0o644},
		{name: "literal value in a header that is not secret, 0644", src: plainHeaders, mode: 0o644},
		{name: "world-writable", src: fromVars, mode: 0o666, wantErr: true},
		{name: "world-writable only", src: plainHeaders, mode: 0o602, wantErr: true},
		{name: "world-writable with a literal secret", src: literalHeader, mode: 0o646, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, f, err := scLoad(t, tt.src, tt.mode)
			mode := "mode " + scOctal(tt.mode)
			if tt.wantErr {
				var ce *Error
				if !errors.As(err, &ce) {
					t.Fatalf("got %v (%T), want a *config.Error", err, err)
				}
				for _, w := range []string{path, "world-writable", mode} {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("got error %q, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if tt.wantKey == "" {
				if len(f.Warnings) != 0 {
					t.Errorf("got warnings %q, want none", f.Warnings)
				}
				return
			}
			if len(f.Warnings) != 1 {
				t.Fatalf("got warnings %q, want exactly one", f.Warnings)
			}
			w := f.Warnings[0]
			for _, want := range []string{path, tt.wantKey, mode} {
				if !strings.Contains(w, want) {
					t.Errorf("got warning %q, want it to contain %q", w, want)
				}
			}
			for _, secret := range []string{"s3cr3t-token-value", "hmac-s3cr3t-value", "glpat-literal-value"} {
				if strings.Contains(w, secret) {
					t.Errorf("got warning %q, want it not to contain the secret %q", w, secret)
				}
			}
		})
	}
}

// TestSecureCheckAccessWindows: on Windows a config file is judged by its
// owner, never by the mode Go makes up (0666 for any file without the
// read-only attribute, which was refused as world-writable with advice
// to chmod, on every Windows agent).
func TestSecureCheckAccessWindows(t *testing.T) {
	const literal = "url = \"https://127.0.0.1/\"\n[headers]\nAuthorization = \"Bearer s3cr3t-token-value\"\n"
	path := `C:\ProgramData\jobnotify\config.toml`
	f, err := Parse(path, []byte(literal), testVersion)
	if err != nil {
		t.Fatal(err)
	}
	trusted := func() string { return "" }
	for _, mode := range []fs.FileMode{0o666, 0o444, 0o777} {
		if err := f.checkAccess("windows", mode, trusted); err != nil {
			t.Errorf("mode %04o, owned by the user: got %v, want none", mode, err)
		}
	}
	if len(f.Warnings) != 0 {
		t.Errorf("got warnings %q: whether others may read the file is the ACL's to say", f.Warnings)
	}

	foreign := func(string) string {
		return owner.Security{Owner: "S-1-5-21-1-2-3-1002"}.Problem("S-1-5-21-1-2-3-1001")
	}
	fine := func(string) string { return "" }
	err = f.checkAccess("windows", 0o666, func() string { return windowsProblem(path, foreign, fine) })
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("owned by another user: got %v (%T), want a *config.Error", err, err)
	}
	for _, want := range []string{path, "the file is not trusted", "S-1-5-21-1-2-3-1002", "icacls FILE /setowner *S-1-5-32-544"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to contain %q", err, want)
		}
	}
	for _, unwanted := range []string{"chmod", "mode", "s3cr3t"} {
		if strings.Contains(err.Error(), unwanted) {
			t.Errorf("got %q, want no %q in it", err, unwanted)
		}
	}

	// A file of its own in a folder another user owns: the folder is
	// named, and what to do about it.
	// (Forward slashes, which Windows takes too, so that filepath.Dir
	// finds the folder on every system.)
	dir := "C:/ProgramData/jobnotify"
	var checked string
	err = f.checkAccess("windows", 0o666, func() string {
		return windowsProblem(dir+"/config.toml", fine, func(d string) string { checked = d; return foreign(d) })
	})
	if checked != dir {
		t.Errorf("checked the owner of %q, want the folder %q", checked, dir)
	}
	if err == nil || !strings.Contains(err.Error(), "its folder "+dir+" is not trusted: owned by S-1-5-21-1-2-3-1002") ||
		!strings.Contains(err.Error(), `icacls "`+dir+`" /setowner *S-1-5-32-544`) {
		t.Errorf("folder owned by another user: got %v, want the folder named and its fix", err)
	}
	if err := f.checkAccess("windows", 0o666, func() string { return windowsProblem(path, fine, fine) }); err != nil {
		t.Errorf("trusted file and folder: got %v", err)
	}

	// And on Unix the same call is the mode check, not the owner's.
	if err := f.checkAccess("linux", 0o666, func() string { t.Error("owner checked on Unix"); return "" }); err == nil {
		t.Error("linux, mode 0666: got no error, want world-writable refused")
	}
}

// scOctal renders a permission as four octal digits, like the messages do.
func scOctal(m os.FileMode) string {
	const digits = "01234567"
	p := uint32(m.Perm())
	return string([]byte{digits[p>>9&7], digits[p>>6&7], digits[p>>3&7], digits[p&7]})
}
