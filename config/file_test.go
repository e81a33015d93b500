package config

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// writeFile writes content to path, creating its directories.
func writeFile(t testing.TB, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeConfig writes src as config.toml in a fresh temporary directory.
func writeConfig(t testing.TB, src string) string {
	t.Helper()
	return writeFile(t, filepath.Join(t.TempDir(), "config.toml"), src)
}

// mustLoad writes src to a file and loads it, failing the test on error.
// testVersion is the version of jobnotify the tests parse configs for.
const testVersion = "1.0.0"

func mustLoad(t testing.TB, src string) *File {
	t.Helper()
	f, err := Load(context.Background(), writeConfig(t, src), testVersion)
	if err != nil {
		t.Fatalf("Load: got error %v, want none", err)
	}
	return f
}

// checkErr fails unless err is a *Error whose text contains every string
// in want and none in notWant.
func checkErr(t testing.TB, err error, want, notWant []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Errorf("got error of type %T (%v), want *config.Error", err, err)
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("got error %q, want it to contain %q", msg, w)
		}
	}
	for _, w := range notWant {
		if strings.Contains(msg, w) {
			t.Errorf("got error %q, want it not to contain %q", msg, w)
		}
	}
}

func etcConfigExists() bool {
	_, err := os.Stat("/etc/jobnotify/config.toml")
	return err == nil
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	named := writeFile(t, filepath.Join(dir, "named.toml"), "")
	fromEnv := writeFile(t, filepath.Join(dir, "fromenv.toml"), "")
	xdg := filepath.Join(dir, "xdg")
	xdgFile := writeFile(t, filepath.Join(xdg, "jobnotify", "config.toml"), "")
	home := filepath.Join(dir, "home")
	homeFile := writeFile(t, filepath.Join(home, ".config", "jobnotify", "config.toml"), "")
	emptyXDG := filepath.Join(dir, "empty-xdg")
	emptyHome := filepath.Join(dir, "empty-home")
	missing := filepath.Join(dir, "does-not-exist.toml")

	tests := []struct {
		name     string
		explicit string
		env      map[string]string
		want     string
		wantErr  []string // substrings of the error; nil for no error
		needsEtc bool     // the result depends on /etc/jobnotify/config.toml being absent
	}{
		{
			name:     "explicit wins over everything",
			explicit: named,
			env:      map[string]string{"JOBNOTIFY_CONFIG": fromEnv, "XDG_CONFIG_HOME": xdg, "HOME": home},
			want:     named,
		},
		{
			name: "JOBNOTIFY_CONFIG wins over XDG and HOME",
			env:  map[string]string{"JOBNOTIFY_CONFIG": fromEnv, "XDG_CONFIG_HOME": xdg, "HOME": home},
			want: fromEnv,
		},
		{
			name: "XDG_CONFIG_HOME wins over HOME",
			env:  map[string]string{"XDG_CONFIG_HOME": xdg, "HOME": home},
			want: xdgFile,
		},
		{
			name: "HOME when XDG_CONFIG_HOME is unset",
			env:  map[string]string{"HOME": home},
			want: homeFile,
		},
		{
			name: "HOME when XDG_CONFIG_HOME is empty",
			env:  map[string]string{"XDG_CONFIG_HOME": "", "HOME": home},
			want: homeFile,
		},
		{
			name: "relative XDG_CONFIG_HOME is ignored as the XDG spec says",
			env:  map[string]string{"XDG_CONFIG_HOME": "relative/xdg", "HOME": home},
			want: homeFile,
		},
		{
			name:     "XDG_CONFIG_HOME without the file replaces HOME rather than adding to it",
			env:      map[string]string{"XDG_CONFIG_HOME": emptyXDG, "HOME": home},
			want:     "",
			needsEtc: true,
		},
		{
			name:     "no file anywhere",
			env:      map[string]string{"XDG_CONFIG_HOME": emptyXDG, "HOME": emptyHome},
			want:     "",
			needsEtc: true,
		},
		{
			name:     "empty environment",
			env:      map[string]string{},
			want:     "",
			needsEtc: true,
		},
		{
			name:     "nil environment",
			env:      nil,
			want:     "",
			needsEtc: true,
		},
		{
			name:     "explicit file that does not exist is an error, not a fallback",
			explicit: missing,
			env:      map[string]string{"JOBNOTIFY_CONFIG": fromEnv, "XDG_CONFIG_HOME": xdg, "HOME": home},
			wantErr:  []string{"--config", missing, "no such file"},
		},
		{
			name:    "JOBNOTIFY_CONFIG file that does not exist is an error, not a fallback",
			env:     map[string]string{"JOBNOTIFY_CONFIG": missing, "XDG_CONFIG_HOME": xdg, "HOME": home},
			wantErr: []string{"$JOBNOTIFY_CONFIG", missing, "no such file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needsEtc && etcConfigExists() {
				t.Skip("/etc/jobnotify/config.toml exists on this machine")
			}
			got, err := Find(tt.explicit, tt.env)
			if tt.wantErr != nil {
				checkErr(t, err, tt.wantErr, nil)
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("got error %v, want one that is fs.ErrNotExist", err)
				}
				if got != "" {
					t.Errorf("got path %q with the error, want \"\"", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFindIgnoresWorkingDirectory puts a config file everywhere a relative
// lookup could find one and checks that Find finds none of them.
func TestFindIgnoresWorkingDirectory(t *testing.T) {
	if etcConfigExists() {
		t.Skip("/etc/jobnotify/config.toml exists on this machine")
	}
	cwd := t.TempDir()
	for _, p := range []string{
		"config.toml",
		"jobnotify.toml",
		".jobnotify.toml",
		filepath.Join("jobnotify", "config.toml"),
		filepath.Join(".config", "jobnotify", "config.toml"),
		filepath.Join("xdg", "jobnotify", "config.toml"),
	} {
		writeFile(t, filepath.Join(cwd, p), `url = "https://attacker.example.com/"`)
	}
	t.Chdir(cwd)

	tests := []struct {
		name string
		env  map[string]string
	}{
		{name: "no environment", env: map[string]string{}},
		{name: "empty HOME and XDG", env: map[string]string{"HOME": "", "XDG_CONFIG_HOME": ""}},
		{name: "relative HOME", env: map[string]string{"HOME": "."}},
		{name: "relative XDG_CONFIG_HOME", env: map[string]string{"XDG_CONFIG_HOME": "xdg"}},
		{name: "relative XDG and HOME", env: map[string]string{"XDG_CONFIG_HOME": "xdg", "HOME": "."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find("", tt.env)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got != "" {
				t.Errorf("got %q, want \"\" (the working directory is never searched)", got)
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	tests := []struct {
		name string
		goos string
		env  map[string]string
		want []string
	}{
		{
			name: "XDG",
			env:  map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"},
			want: []string{"/x/jobnotify/config.toml", "/etc/jobnotify/config.toml"},
		},
		{
			name: "HOME",
			env:  map[string]string{"HOME": "/h"},
			want: []string{"/h/.config/jobnotify/config.toml", "/etc/jobnotify/config.toml"},
		},
		{
			name: "relative XDG falls back to HOME",
			env:  map[string]string{"XDG_CONFIG_HOME": "x", "HOME": "/h"},
			want: []string{"/h/.config/jobnotify/config.toml", "/etc/jobnotify/config.toml"},
		},
		{
			name: "nothing",
			env:  map[string]string{},
			want: []string{"/etc/jobnotify/config.toml"},
		},
		{
			name: "macOS is Unix",
			goos: "darwin",
			env:  map[string]string{"HOME": "/Users/jenkins"},
			want: []string{"/Users/jenkins/.config/jobnotify/config.toml", "/etc/jobnotify/config.toml"},
		},
		{
			name: "Windows",
			goos: "windows",
			env: map[string]string{
				"APPDATA": `C:\Users\jenkins\AppData\Roaming`, "PROGRAMDATA": `C:\ProgramData`,
				"HOME": "/h", "XDG_CONFIG_HOME": "/x", // Git Bash and MSYS set these; not read on Windows
			},
			want: []string{`C:\Users\jenkins\AppData\Roaming\jobnotify\config.toml`, `C:\ProgramData\jobnotify\config.toml`},
		},
		{
			name: "Windows, trailing separators and a UNC profile",
			goos: "windows",
			env:  map[string]string{"APPDATA": `\\fs\profiles\jenkins\`, "PROGRAMDATA": `D:/ProgramData/`},
			want: []string{`\\fs\profiles\jenkins\jobnotify\config.toml`, `D:/ProgramData\jobnotify\config.toml`},
		},
		{
			// A service account may have no APPDATA; nothing replaces
			// the variables, least of all \etc\jobnotify on the current
			// drive, which any user may create.
			name: "Windows without the variables",
			goos: "windows",
			env:  map[string]string{"HOME": "/h"},
			want: nil,
		},
		{
			name: "Windows, relative or drive-relative values are ignored",
			goos: "windows",
			env:  map[string]string{"APPDATA": `AppData`, "PROGRAMDATA": `C:ProgramData`},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			goos := cmp.Or(tt.goos, "linux")
			got := Candidates(goos, tt.env)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.toml")
	f, err := Load(context.Background(), p, testVersion)
	if f != nil {
		t.Errorf("got file %+v, want nil", f)
	}
	checkErr(t, err, []string{p, "no such file"}, nil)
}

// sampleConfig is DESIGN.md's sample config, without the [signing], [spool]
// and [tls] tables that arrive with the reliability issue.
const sampleConfig = `url     = "https://api.example.com/pipeline/status"
method  = "POST"
timeout = "10s"          # per attempt
soft_fail = false
format  = "jobnotify"    # or "job-status-notification" (the replaced plugin's payload)

[headers]
Authorization = "Bearer ${NOTIFY_TOKEN}"   # ${VAR} is read from the environment at send time

[fields]                                    # static fields added to every payload
team = "platform"

[retry]
attempts = 4             # total tries
min_wait = "1s"
max_wait = "30s"         # also the cap on a server's Retry-After
max_time = "60s"         # the whole send, waits included

[env]
include = ["DEPLOY_*"]    # added to the built-in Jenkins set
exclude = ["*_INTERNAL"]  # added to the built-in secret-name set; exclude always wins

[targets.chat]            # --target chat: any key above may be set again here
url = "https://chat.example.com/hooks/${CHAT_HOOK_ID}"
`

func ptr[T any](v T) *T { return &v }

func TestParseSample(t *testing.T) {
	path := writeConfig(t, sampleConfig)
	f, err := Load(context.Background(), path, testVersion)
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if f.Path != path {
		t.Errorf("got Path %q, want %q", f.Path, path)
	}
	want := layer{
		"url":            "https://api.example.com/pipeline/status",
		"method":         "POST",
		"timeout":        10 * time.Second,
		"soft_fail":      false,
		"format":         "jobnotify",
		"headers":        map[string]string{"Authorization": "Bearer ${NOTIFY_TOKEN}"},
		"fields":         map[string]any{"team": "platform"},
		"retry.attempts": 4,
		"retry.min_wait": time.Second,
		"retry.max_wait": 30 * time.Second,
		"retry.max_time": 60 * time.Second,
		"env.include":    []string{"DEPLOY_*"},
		"env.exclude":    []string{"*_INTERNAL"},
	}
	if !reflect.DeepEqual(f.top, want) {
		t.Errorf("got top level %+v, want %+v", f.top, want)
	}
	wantTargets := map[string]layer{"chat": {"url": "https://chat.example.com/hooks/${CHAT_HOOK_ID}"}}
	if !reflect.DeepEqual(f.targets, wantTargets) {
		t.Errorf("got targets %+v, want %+v", f.targets, wantTargets)
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, f *File)
	}{
		{
			name: "empty file",
			src:  "",
			check: func(t *testing.T, f *File) {
				if len(f.top) != 0 || len(f.targets) != 0 {
					t.Errorf("got %+v, want an empty file", f)
				}
			},
		},
		{
			name: "comments only",
			src:  "# nothing here\n\n# yet\n",
			check: func(t *testing.T, f *File) {
				if u, ok := f.top["url"]; ok {
					t.Errorf("got url %q, want unset", u)
				}
			},
		},
		{
			name: "lower-case method is accepted",
			src:  `method = "get"`,
			check: func(t *testing.T, f *File) {
				if f.top["method"] != "get" {
					t.Errorf("got method %v, want \"get\" as written", f.top["method"])
				}
			},
		},
		{
			name: "every method",
			src: `[targets.a]
method = "GET"
[targets.b]
method = "POST"
[targets.c]
method = "PUT"
[targets.d]
method = "PATCH"
[targets.e]
method = "delete"
`,
			check: func(t *testing.T, f *File) {
				if len(f.Targets()) != 5 {
					t.Errorf("got %d targets, want 5", len(f.Targets()))
				}
			},
		},
		{
			name: "legacy format",
			src:  `format = "job-status-notification"`,
			check: func(t *testing.T, f *File) {
				if f.top["format"] != "job-status-notification" {
					t.Errorf("got format %q, want job-status-notification", f.top["format"])
				}
			},
		},
		{
			name: "nested fields of any shape",
			src: `[fields]
team = "platform"
n = 3
ok = true
nested = { a = "x", deeper = { b = "y" } }
list = ["a", 1]
[fields.table]
c = "z"
[[fields.items]]
d = "w"
[targets.t.fields]
more = { e = "v" }
`,
			check: func(t *testing.T, f *File) {
				want := map[string]any{
					"team":   "platform",
					"n":      int64(3),
					"ok":     true,
					"nested": map[string]any{"a": "x", "deeper": map[string]any{"b": "y"}},
					"list":   []any{"a", int64(1)},
					"table":  map[string]any{"c": "z"},
					"items":  []map[string]any{{"d": "w"}},
				}
				if !reflect.DeepEqual(f.top["fields"], want) {
					t.Errorf("got fields %#v, want %#v", f.top["fields"], want)
				}
				wantT := map[string]any{"more": map[string]any{"e": "v"}}
				if got := f.targets["t"]["fields"]; !reflect.DeepEqual(got, wantT) {
					t.Errorf("got target fields %#v, want %#v", got, wantT)
				}
			},
		},
		{
			name: "target min_wait is checked against the top-level max_wait",
			src: `[retry]
max_wait = "60s"
[targets.slow.retry]
min_wait = "45s"
`,
			check: func(t *testing.T, f *File) {
				if got := f.targets["slow"]["retry.min_wait"]; got != 45*time.Second {
					t.Errorf("got min_wait %s, want 45s", got)
				}
			},
		},
		{
			name: "header names of any token characters",
			src: `[headers]
"X-Custom_Header.1~!#$%&'*+^|" = "v"
`,
			check: func(t *testing.T, f *File) {
				if h := f.top["headers"].(map[string]string); len(h) != 1 {
					t.Errorf("got headers %v, want one", h)
				}
			},
		},
		{
			name: "valid env patterns",
			src: `[env]
include = ["DEPLOY_*", "APP_[A-Z]*", "X?"]
exclude = ["*_INTERNAL"]
`,
			check: func(t *testing.T, f *File) {
				want := []string{"DEPLOY_*", "APP_[A-Z]*", "X?"}
				if got := f.top["env.include"]; !reflect.DeepEqual(got, want) {
					t.Errorf("got include %q, want %q", got, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustLoad(t, tt.src))
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []string // substrings of the error, besides the file's path
		notWant []string
	}{
		// Unknown keys: the key, its line and a suggestion.
		{
			name: "top-level heders table",
			src: `url = "https://api.example.com/"
[heders]
Authorization = "Bearer x"
`,
			want: []string{":2:", "heders", `did you mean "headers"`},
		},
		{
			name: "retry attemps",
			src: `url = "https://api.example.com/"

[retry]
attemps = 3
`,
			want: []string{":4:", "retry.attemps", `did you mean "attempts"`},
		},
		{
			name: "retry attemps in an inline table",
			src: `url = "https://api.example.com/"
retry = { attemps = 3 }
`,
			want: []string{":2:", "retry.attemps", `did you mean "attempts"`},
		},
		{
			name: "target heders",
			src: `url = "https://api.example.com/"

[targets.chat]
url = "https://chat.example.com/"

[targets.chat.heders]
Authorization = "Bearer x"
`,
			want: []string{":6:", "targets.chat.heders", `did you mean "headers"`},
		},
		{
			name: "target heders as a dotted key",
			src: `[targets.chat]
url = "https://chat.example.com/"
heders.Authorization = "Bearer x"
`,
			want:    []string{":3:", `unknown key "targets.chat.heders"`, `did you mean "headers"`},
			notWant: []string{"Authorization"},
		},
		{
			name: "misspelt top-level key",
			src: `url = "https://api.example.com/"
timout = "5s"
`,
			want: []string{":2:", "timout", `did you mean "timeout"`},
		},
		{
			name: "misspelt env key",
			src: `[env]
inclde = ["X"]
`,
			want: []string{":2:", "env.inclde", `did you mean "include"`},
		},
		{
			name: "unknown key with nothing close",
			src: `url = "https://api.example.com/"
completely_different = 1
`,
			want:    []string{":2:", "completely_different", "unknown key"},
			notWant: []string{"did you mean"},
		},
		{
			name: "path is not a key",
			src: `path = "/elsewhere.toml"
url = "https://api.example.com/"
`,
			want: []string{":1:", "unknown key", `"path"`},
		},
		{
			name: "targets nested in a target",
			src: `[targets.a.targets.b]
url = "https://api.example.com/"
`,
			want:    []string{":1:", `unknown key "targets.a.targets"`},
			notWant: []string{"did you mean"},
		},

		// Bad TOML: line and column.
		{
			name: "missing value",
			src: `url = "https://api.example.com/"
method =
`,
			want: []string{":2:9:"},
		},
		{
			name: "unterminated string",
			src: `url = "https://api.example.com/"
method = "POST
`,
			want: []string{":2:"},
		},
		{
			name: "duplicate key",
			src: `url = "https://a.example.com/"
url = "https://b.example.com/"
`,
			want: []string{":2:", "url"},
		},
		{
			name: "two values",
			src:  "\n[retry]\nattempts = 3 3\n",
			want: []string{":3:13:"},
		},

		// Bad durations name the key.
		{
			name: "timeout without a unit",
			src:  `timeout = "10"`,
			want: []string{":1:", "timeout", `"10"`},
		},
		{
			name: "retry min_wait",
			src: `[retry]
min_wait = "soon"
`,
			want: []string{":2:", "retry.min_wait", `"soon"`},
		},
		{
			name: "target max_time",
			src: `[targets.chat.retry]
max_time = "forever"
`,
			want: []string{":2:", "max_time", `"forever"`},
		},

		// Checked values name the key and its line, at the top level and in a target.
		{
			name: "bad method",
			src: `url = "https://api.example.com/"
method = "FETCH"
`,
			want: []string{":2:", "method", `"FETCH"`, "GET"},
		},
		{
			name: "bad method in a target",
			src: `[targets.chat]
url = "https://chat.example.com/"
method = "HEAD"
`,
			want: []string{":3:", "targets.chat.method", `"HEAD"`},
		},
		{
			name: "bad format",
			src:  `format = "smoke-signals"`,
			want: []string{":1:", "format", `"smoke-signals"`, "job-status-notification"},
		},
		{
			name: "bad format in a target",
			src: `[targets.chat]
format = "carrier-pigeon"
`,
			want: []string{":2:", "targets.chat.format", `"carrier-pigeon"`},
		},
		{
			name: "zero attempts",
			src: `[retry]
attempts = 0
`,
			want: []string{":2:", "retry.attempts"},
		},
		{
			name: "too many attempts in a target",
			src: `[targets.x.retry]
attempts = 101
`,
			want: []string{":2:", "targets.x.retry.attempts"},
		},
		{
			name: "negative attempts",
			src: `[retry]
attempts = -1
`,
			want: []string{":2:", "retry.attempts"},
		},
		{
			name: "zero timeout",
			src:  `timeout = "0s"`,
			want: []string{":1:", "timeout"},
		},
		{
			name: "negative min_wait",
			src: `[retry]
min_wait = "-1s"
`,
			want: []string{":2:", "retry.min_wait"},
		},
		{
			name: "zero max_time",
			src: `[retry]
max_time = "0s"
`,
			want: []string{":2:", "retry.max_time"},
		},
		{
			name: "min_wait above max_wait",
			src: `[retry]
min_wait = "10s"
max_wait = "5s"
`,
			want: []string{":3:", "retry.max_wait", "5s", "10s"},
		},
		{
			name: "min_wait above the default max_wait",
			src: `[retry]
min_wait = "45s"
`,
			want: []string{":2:", "retry.min_wait", "45s", "30s"},
		},
		{
			name: "min_wait above max_wait in a target",
			src: `[targets.chat.retry]
min_wait = "10s"
max_wait = "5s"
`,
			want: []string{":3:", "targets.chat.retry.max_wait"},
		},
		{
			name: "target max_wait below the top-level min_wait",
			src: `[retry]
min_wait = "10s"

[targets.fast.retry]
max_wait = "5s"
`,
			want: []string{":5:", "targets.fast.retry.max_wait"},
		},
		{
			name: "header name with a space",
			src: `[headers]
"X Bad" = "v"
`,
			want: []string{":2:", "headers.X Bad", "header name"},
		},
		{
			name: "header name with a colon in a target",
			src: `[targets.chat.headers]
"X:Bad" = "v"
`,
			want: []string{":2:", "targets.chat.headers.X:Bad", "header name"},
		},

		// Bad glob patterns in [env].
		{
			name: "bad include pattern",
			src: `[env]
include = ["DEPLOY_[*"]
`,
			want: []string{":2:", "env.include", `"DEPLOY_[*"`, "pattern"},
		},
		{
			name: "bad exclude pattern",
			src: `[env]
exclude = ["\\"]
`,
			want: []string{"env", `"\\"`, "pattern"},
		},
		{
			name: "bad pattern in a target",
			src: `[targets.chat.env]
include = ["["]
`,
			want: []string{":2:", "targets.chat.env.include", "pattern"},
		},

		// A quoted key with a dot in it is one key, and not one of ours.
		{
			name:    "quoted dotted header key",
			src:     "\"headers.Authorization\" = \"Bearer canary-quoted\"\n",
			want:    []string{`unknown key`, `headers.Authorization`},
			notWant: []string{"canary-quoted"},
		},
		{
			name: "quoted dotted fields key",
			src:  "\"fields.a\" = 1\n",
			want: []string{`unknown key`, `fields.a`},
		},
		{
			name: "quoted dotted retry key",
			src:  "\"retry.attempts\" = 3\n",
			want: []string{`unknown key`, `retry.attempts`},
		},

		// A fixed table must be a table: signing = "…" must not turn signing off.
		{name: "signing as a string", src: "signing = \"hmac-sha256\"\n", want: []string{":1:", "signing", "want a table, got a string"}},
		{name: "tls as a boolean", src: "tls = true\n", want: []string{":1:", "tls", "want a table, got a boolean"}},
		{name: "retry as an array", src: "retry = []\n", want: []string{":1:", "retry", "want a table, got an array"}},
		{name: "array of retry tables", src: "[[retry]]\nattempts = 3\n", want: []string{":1:", "retry", "want a table, got an array"}},
		{name: "target spool as a string", src: "[targets.a]\nspool = \"/tmp/x\"\n", want: []string{":2:", "targets.a.spool", "want a table"}},

		// Paths are not expanded: a ${VAR} in one would be a directory
		// named "${HOME}", and flush must find its spool with no variable set.
		{name: "variable in spool.dir", src: "[spool]\ndir = \"${HOME}/spool\"\n", want: []string{":2:", "spool.dir", "not expanded"}},
		{name: "variable in a target's tls.ca_file", src: "[targets.a.tls]\nca_file = \"/etc/${CA}.pem\"\n", want: []string{":2:", "targets.a.tls.ca_file", "not expanded"}},

		// Type mismatches name the key and the line.
		{
			name: "attempts as a string",
			src: `[retry]
attempts = "4"
`,
			want: []string{":2:", "retry.attempts", "want a whole number, got a string"},
		},
		{
			name: "header value not a string",
			src: `[headers]
X-Count = 1
`,
			want: []string{":2:", "headers.X-Count", "want a string, got an integer"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.src)
			f, err := Load(context.Background(), path, testVersion)
			if f != nil {
				t.Errorf("got a file, want nil")
			}
			checkErr(t, err, append([]string{path}, tt.want...), tt.notWant)
		})
	}
}

func TestParseErrorIsFirstUnknownKeyOnly(t *testing.T) {
	// Parse (not Load) names the file as given and needs no disk.
	_, err := Parse("cfg.toml", []byte("heders = 1\nmethd = \"GET\"\n"), testVersion)
	checkErr(t, err, []string{"cfg.toml:1:", "heders"}, []string{"methd"})
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr bool
	}{
		{name: "seconds", in: "10s", want: 10 * time.Second},
		{name: "compound", in: "1m30s", want: 90 * time.Second},
		{name: "milliseconds", in: "250ms", want: 250 * time.Millisecond},
		{name: "zero", in: "0", want: 0},
		{name: "no unit", in: "10", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "words", in: "ten seconds", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseDuration(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %s, want an error", d)
				}
				if !strings.Contains(err.Error(), `"`+tt.in+`"`) {
					t.Errorf("got error %q, want it to quote the input %q", err, tt.in)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if d != tt.want {
				t.Errorf("got %s, want %s", d, tt.want)
			}
		})
	}
}

func TestKeyLine(t *testing.T) {
	data := []byte(`# comment
url = "https://api.example.com/"   # line 2

[headers]
Authorization = "x"               # line 5
"X-Quoted" = "y"                  # line 6

[retry]
attempts = 3                      # line 9

[targets.chat]
url = "https://chat.example.com/" # line 12
retry.min_wait = "1s"             # line 13

[targets.chat.headers]
X-Chat = "z"                      # line 16
`)
	tests := []struct {
		key  string
		want int
	}{
		{key: "url", want: 2},
		{key: "headers", want: 4},
		{key: "headers.Authorization", want: 5},
		{key: "headers.X-Quoted", want: 6},
		{key: "retry.attempts", want: 9},
		{key: "targets.chat", want: 11},
		{key: "targets.chat.url", want: 12},
		{key: "targets.chat.retry.min_wait", want: 13},
		{key: "targets.chat.headers.X-Chat", want: 16},
		{key: "nowhere", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := keyLine(data, tt.key); got != tt.want {
				t.Errorf("got line %d, want %d", got, tt.want)
			}
		})
	}
}

// TestLoadUTF16: a config saved by Notepad or PowerShell 5 (UTF-16 with a
// byte order mark) loads, and its errors name lines as the file has
// them; UTF-16 without the mark is an error saying so.
func TestLoadUTF16(t *testing.T) {
	le := func(s string) string {
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return string(b)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f, err := Load(context.Background(), write("bom.toml", "\xff\xfe"+le("url = \"https://127.0.0.1/é\"\r\n[fields]\r\nteam = \"plateforme\"\r\n")), testVersion)
	if err != nil {
		t.Fatalf("UTF-16 with a BOM: %v", err)
	}
	if got := f.top["url"]; got != "https://127.0.0.1/é" {
		t.Errorf("url = %v, want it decoded", got)
	}
	_, err = Load(context.Background(), write("bad.toml", "\xff\xfe"+le("url = \"https://127.0.0.1/\"\r\nheders = 1\r\n")), testVersion)
	checkErr(t, err, []string{"bad.toml:2:", "heders"}, nil)
	p := write("nobom.toml", le("url = \"https://127.0.0.1/\"\r\n"))
	_, err = Load(context.Background(), p, testVersion)
	checkErr(t, err, []string{p, "UTF-16 (little-endian) without a byte order mark; save it as UTF-8"}, nil)
}
