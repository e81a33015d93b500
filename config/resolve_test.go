package config

import (
	"errors"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// headerMap returns the headers as canonical name -> value, failing the
// test if a name appears twice.
func headerMap(t testing.TB, hs []Header) map[string]string {
	t.Helper()
	m := make(map[string]string, len(hs))
	for _, h := range hs {
		k := http.CanonicalHeaderKey(h.Name)
		if _, dup := m[k]; dup {
			t.Errorf("got header %s twice in %v, want it once", k, hs)
		}
		m[k] = h.Value
	}
	return m
}

// mustResolve resolves and fails the test on error.
func mustResolve(t testing.TB, f *File, target string, ov Overrides, env map[string]string) *Settings {
	t.Helper()
	s, err := Resolve(f, target, ov, env)
	if err != nil {
		t.Fatalf("Resolve: got error %v, want none", err)
	}
	return s
}

// over returns overrides of key, value pairs, each as if from its flag:
// "--" and the key's last part ("--attempts" for retry.attempts).
func over(t testing.TB, kv ...string) Overrides {
	t.Helper()
	var o Overrides
	for i := 0; i < len(kv); i += 2 {
		flag := "--" + kv[i][strings.LastIndex(kv[i], ".")+1:]
		if err := o.Set(kv[i], kv[i+1], flag); err != nil {
			t.Fatalf("Set(%q, %q): %v", kv[i], kv[i+1], err)
		}
	}
	return o
}

func mustHeader(t testing.TB, s string) Header {
	t.Helper()
	h, err := NewHeader(s, "--header")
	if err != nil {
		t.Fatalf("NewHeader(%q): got error %v, want none", s, err)
	}
	return h
}

func TestDefault(t *testing.T) {
	u := "https://127.0.0.1/hook"
	s := mustResolve(t, nil, "", over(t, "url", u), nil)
	if s.Path != "" || s.Target != "" {
		t.Errorf("got path %q target %q, want both empty", s.Path, s.Target)
	}
	if s.URL != u {
		t.Errorf("got url %q, want %q", s.URL, u)
	}
	if s.Method != "POST" {
		t.Errorf("got method %q, want POST", s.Method)
	}
	if s.Timeout != 10*time.Second {
		t.Errorf("got timeout %s, want 10s", s.Timeout)
	}
	if s.SoftFail {
		t.Errorf("got soft_fail true, want false")
	}
	if s.Format != "jobnotify" {
		t.Errorf("got format %q, want jobnotify", s.Format)
	}
	wantRetry := Retry{Attempts: 4, MinWait: time.Second, MaxWait: 30 * time.Second, MaxTime: 60 * time.Second}
	if s.Retry != wantRetry {
		t.Errorf("got retry %+v, want %+v", s.Retry, wantRetry)
	}
	if len(s.Headers) != 0 || len(s.Fields) != 0 || len(s.Secrets) != 0 || len(s.SecretVars) != 0 || len(s.Dropped) != 0 {
		t.Errorf("got headers %v fields %v secrets %d vars %v dropped %v, want all empty",
			s.Headers, s.Fields, len(s.Secrets), s.SecretVars, s.Dropped)
	}
	if !reflect.DeepEqual(s.Env, Env{}) {
		t.Errorf("got env %+v, want none", s.Env)
	}
}

const layeredConfig = `url = "https://api.example.com/top"
method = "PUT"
timeout = "5s"
soft_fail = true
format = "job-status-notification"

[headers]
Authorization = "Bearer top"
X-Top = "top"

[fields]
team = "platform"
shared = "top"

[retry]
attempts = 2
min_wait = "2s"
max_wait = "20s"
max_time = "40s"

[env]
include = ["DEPLOY_*"]
exclude = ["*_INTERNAL"]

[targets.chat]
url = "https://api.example.com/chat"
method = "patch"
timeout = "7s"
soft_fail = false
format = "jobnotify"

[targets.chat.headers]
authorization = "Bearer chat"
X-Chat = "chat"

[targets.chat.fields]
shared = "chat"
room = "ops"

[targets.chat.retry]
attempts = 3
min_wait = "3s"

[targets.chat.env]
include = ["APP_*"]
exclude = ["APP_DEBUG"]

[targets.bare]
`

func TestResolvePrecedence(t *testing.T) {
	f := mustLoad(t, layeredConfig)
	flagURL := "https://api.example.com:443/flag"
	overrides := over(t, "url", flagURL, "method", "delete", "timeout", "9s", "soft_fail", "true",
		"format", "job-status-notification", "retry.attempts", "7")
	overrides.Headers = []Header{mustHeader(t, "AUTHORIZATION: Bearer flag"), mustHeader(t, "X-Flag: flag")}

	type want struct {
		url      string
		method   string
		timeout  time.Duration
		softFail bool
		format   string
		retry    Retry
		headers  map[string]string
		fields   map[string]any
		env      Env
	}
	tests := []struct {
		name   string
		target string
		ov     Overrides
		want   want
	}{
		{
			name: "top level over defaults",
			want: want{
				url: "https://api.example.com/top", method: "PUT", timeout: 5 * time.Second,
				softFail: true, format: "job-status-notification",
				retry:   Retry{Attempts: 2, MinWait: 2 * time.Second, MaxWait: 20 * time.Second, MaxTime: 40 * time.Second},
				headers: map[string]string{"Authorization": "Bearer top", "X-Top": "top"},
				fields:  map[string]any{"team": "platform", "shared": "top"},
				env:     Env{Include: []string{"DEPLOY_*"}, Exclude: []string{"*_INTERNAL"}},
			},
		},
		{
			name:   "target over top level",
			target: "chat",
			want: want{
				url: "https://api.example.com/chat", method: "PATCH", timeout: 7 * time.Second,
				softFail: false, format: "jobnotify",
				retry:   Retry{Attempts: 3, MinWait: 3 * time.Second, MaxWait: 20 * time.Second, MaxTime: 40 * time.Second},
				headers: map[string]string{"Authorization": "Bearer chat", "X-Top": "top", "X-Chat": "chat"},
				fields:  map[string]any{"team": "platform", "shared": "chat", "room": "ops"},
				env:     Env{Include: []string{"DEPLOY_*", "APP_*"}, Exclude: []string{"*_INTERNAL", "APP_DEBUG"}},
			},
		},
		{
			name:   "empty target is the top level",
			target: "bare",
			want: want{
				url: "https://api.example.com/top", method: "PUT", timeout: 5 * time.Second,
				softFail: true, format: "job-status-notification",
				retry:   Retry{Attempts: 2, MinWait: 2 * time.Second, MaxWait: 20 * time.Second, MaxTime: 40 * time.Second},
				headers: map[string]string{"Authorization": "Bearer top", "X-Top": "top"},
				fields:  map[string]any{"team": "platform", "shared": "top"},
				env:     Env{Include: []string{"DEPLOY_*"}, Exclude: []string{"*_INTERNAL"}},
			},
		},
		{
			name:   "overrides over target",
			target: "chat",
			ov:     overrides,
			want: want{
				url: flagURL, method: "DELETE", timeout: 9 * time.Second,
				softFail: true, format: "job-status-notification",
				retry: Retry{Attempts: 7, MinWait: 3 * time.Second, MaxWait: 20 * time.Second, MaxTime: 40 * time.Second},
				headers: map[string]string{
					"Authorization": "Bearer flag", "X-Top": "top", "X-Chat": "chat", "X-Flag": "flag",
				},
				fields: map[string]any{"team": "platform", "shared": "chat", "room": "ops"},
				env:    Env{Include: []string{"DEPLOY_*", "APP_*"}, Exclude: []string{"*_INTERNAL", "APP_DEBUG"}},
			},
		},
		{
			name: "overrides over top level",
			ov:   overrides,
			want: want{
				url: flagURL, method: "DELETE", timeout: 9 * time.Second,
				softFail: true, format: "job-status-notification",
				retry:   Retry{Attempts: 7, MinWait: 2 * time.Second, MaxWait: 20 * time.Second, MaxTime: 40 * time.Second},
				headers: map[string]string{"Authorization": "Bearer flag", "X-Top": "top", "X-Flag": "flag"},
				fields:  map[string]any{"team": "platform", "shared": "top"},
				env:     Env{Include: []string{"DEPLOY_*"}, Exclude: []string{"*_INTERNAL"}},
			},
		},
		{
			name: "override false beats config true",
			ov:   over(t, "soft_fail", "false"),
			want: want{
				url: "https://api.example.com/top", method: "PUT", timeout: 5 * time.Second,
				softFail: false, format: "job-status-notification",
				retry:   Retry{Attempts: 2, MinWait: 2 * time.Second, MaxWait: 20 * time.Second, MaxTime: 40 * time.Second},
				headers: map[string]string{"Authorization": "Bearer top", "X-Top": "top"},
				fields:  map[string]any{"team": "platform", "shared": "top"},
				env:     Env{Include: []string{"DEPLOY_*"}, Exclude: []string{"*_INTERNAL"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustResolve(t, f, tt.target, tt.ov, nil)
			got := want{
				url: s.URL, method: s.Method, timeout: s.Timeout, softFail: s.SoftFail, format: s.Format,
				retry: s.Retry, headers: headerMap(t, s.Headers), fields: s.Fields, env: s.Env,
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if s.Target != tt.target {
				t.Errorf("got target %q, want %q", s.Target, tt.target)
			}
			if s.Path != f.Path {
				t.Errorf("got path %q, want %q", s.Path, f.Path)
			}
		})
	}
}

// TestResolveDoesNotChangeFile resolves one file twice, for two targets and
// two environments, and checks neither run leaks into the other.
func TestResolveDoesNotChangeFile(t *testing.T) {
	f := mustLoad(t, `url = "https://api.example.com/"
[headers]
Authorization = "Bearer ${TOKEN}"
[fields]
who = "${WHO}"
nested = { who = "${WHO}" }
[env]
include = ["A_*"]
[targets.t.env]
include = ["B_*"]
[targets.t.fields]
extra = "x"
`)
	first := mustResolve(t, f, "t", Overrides{}, map[string]string{"TOKEN": "one-token", "WHO": "first"})
	second := mustResolve(t, f, "", Overrides{}, map[string]string{"TOKEN": "two-token", "WHO": "second"})

	if got := headerMap(t, first.Headers)["Authorization"]; got != "Bearer one-token" {
		t.Errorf("first: got Authorization %q, want %q", got, "Bearer one-token")
	}
	if got := headerMap(t, second.Headers)["Authorization"]; got != "Bearer two-token" {
		t.Errorf("second: got Authorization %q, want %q", got, "Bearer two-token")
	}
	wantSecond := map[string]any{"who": "second", "nested": map[string]any{"who": "second"}}
	if !reflect.DeepEqual(second.Fields, wantSecond) {
		t.Errorf("second: got fields %v, want %v", second.Fields, wantSecond)
	}
	if want := []string{"A_*"}; !reflect.DeepEqual(second.Env.Include, want) {
		t.Errorf("second: got include %q, want %q", second.Env.Include, want)
	}
	wantFile := map[string]any{"who": "${WHO}", "nested": map[string]any{"who": "${WHO}"}}
	if !reflect.DeepEqual(f.top["fields"], wantFile) {
		t.Errorf("file: got fields %v after Resolve, want %v", f.top["fields"], wantFile)
	}
	if got := f.top["headers"].(map[string]string)["Authorization"]; got != "Bearer ${TOKEN}" {
		t.Errorf("file: got Authorization %q after Resolve, want it unexpanded", got)
	}
}

func TestResolveHeaderMerge(t *testing.T) {
	f := mustLoad(t, `url = "https://api.example.com/"
[headers]
X-Api-Key = "top"
Content-Language = "en"
[targets.t.headers]
x-api-key = "target"
`)
	tests := []struct {
		name    string
		target  string
		headers []string
		want    map[string]string
	}{
		{
			name: "config only",
			want: map[string]string{"X-Api-Key": "top", "Content-Language": "en"},
		},
		{
			name:   "target replaces top level whatever the case",
			target: "t",
			want:   map[string]string{"X-Api-Key": "target", "Content-Language": "en"},
		},
		{
			name:    "flag replaces config whatever the case",
			target:  "t",
			headers: []string{"X-API-KEY: flag"},
			want:    map[string]string{"X-Api-Key": "flag", "Content-Language": "en"},
		},
		{
			name:    "later flag wins",
			headers: []string{"X-Extra: one", "x-extra: two"},
			want:    map[string]string{"X-Api-Key": "top", "Content-Language": "en", "X-Extra": "two"},
		},
		{
			name:    "empty flag value keeps the name with an empty value, which removes it",
			headers: []string{"Content-Language:"},
			want:    map[string]string{"X-Api-Key": "top", "Content-Language": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ov Overrides
			for _, h := range tt.headers {
				ov.Headers = append(ov.Headers, mustHeader(t, h))
			}
			s := mustResolve(t, f, tt.target, ov, nil)
			if got := headerMap(t, s.Headers); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			// Command-line headers come after configured ones.
			seenFlag := false
			for _, h := range s.Headers {
				isFlag := slices.ContainsFunc(tt.headers, func(a string) bool {
					return strings.EqualFold(strings.SplitN(a, ":", 2)[0], h.Name)
				})
				if seenFlag && !isFlag {
					t.Errorf("got config header %s after a --header in %v, want config headers first", h.Name, s.Headers)
				}
				seenFlag = seenFlag || isFlag
			}
		})
	}
}

func TestResolveTargetErrors(t *testing.T) {
	withTargets := mustLoad(t, `url = "https://api.example.com/"
[targets.chat]
url = "https://api.example.com/chat"
[targets.alerts]
`)
	noTargets := mustLoad(t, `url = "https://api.example.com/"`)
	tests := []struct {
		name   string
		f      *File
		target string
		want   []string
	}{
		{name: "unknown target lists the targets", f: withTargets, target: "nope", want: []string{"--target", "nope", "alerts, chat", withTargets.Path}},
		{name: "target names are case-sensitive", f: withTargets, target: "Chat", want: []string{"--target", "Chat", "alerts, chat"}},
		{name: "file without targets", f: noTargets, target: "chat", want: []string{"--target", "chat", "no targets"}},
		{name: "target without a file", f: nil, target: "chat", want: []string{"--target", `"chat"`, "config file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := "https://127.0.0.1/"
			s, err := Resolve(tt.f, tt.target, over(t, "url", u), nil)
			if s != nil {
				t.Errorf("got settings %+v, want nil", s)
			}
			checkErr(t, err, tt.want, nil)
		})
	}
}

func TestResolveOverrideErrors(t *testing.T) {
	tests := []struct {
		name string
		ov   []string // key, value pairs
		want []string
	}{
		{name: "bad method", ov: []string{"method", "FETCH"}, want: []string{"--method", `"FETCH"`}},
		{name: "bad format", ov: []string{"format", "smoke-signals"}, want: []string{"--format", `"smoke-signals"`}},
		{name: "zero attempts", ov: []string{"retry.attempts", "0"}, want: []string{"--attempts"}},
		{name: "zero timeout", ov: []string{"timeout", "0s"}, want: []string{"--timeout"}},
		{name: "negative timeout", ov: []string{"timeout", "-1s"}, want: []string{"--timeout"}},
		{name: "relative url", ov: []string{"url", "/hook"}, want: []string{"--url", "http"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ov := over(t, append([]string{"url", "https://127.0.0.1/"}, tt.ov...)...)
			_, err := Resolve(nil, "", ov, nil)
			checkErr(t, err, tt.want, []string{".toml"})
		})
	}
}

// TestResolveNoURL: settings without a URL resolve (env and validate need
// no endpoint), and NeedURL names the problem for send.
func TestResolveNoURL(t *testing.T) {
	for _, src := range []string{"", `method = "GET"`} {
		f := mustLoad(t, src)
		s, err := Resolve(f, "", Overrides{}, nil)
		if err != nil {
			t.Fatalf("Resolve: %v", err)
		}
		checkErr(t, s.NeedURL(), []string{"url", "no endpoint"}, nil)
	}
	s, err := Resolve(nil, "", Overrides{}, nil)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	checkErr(t, s.NeedURL(), []string{"url", "no endpoint"}, nil)
}

func TestResolveExpand(t *testing.T) {
	env := map[string]string{
		"HOST":    "api.example.com",
		"TOKEN":   "tok-123",
		"ID":      "hook-9",
		"TEAM":    "platform",
		"EMPTY":   "",
		"TRICKY":  "${TOKEN}$$", // a value is not expanded again
		"lower_1": "low",
	}
	tests := []struct {
		name        string
		src         string
		ov          Overrides
		wantURL     string
		wantHeaders map[string]string
		wantFields  map[string]any
		wantVars    []string // SecretVars, sorted
		wantSecrets []string // Secrets, sorted
	}{
		{
			name:        "url",
			src:         `url = "https://${HOST}/hooks/${ID}"`,
			wantURL:     "https://api.example.com/hooks/hook-9",
			wantHeaders: map[string]string{},
			wantVars:    []string{"HOST", "ID"},
			wantSecrets: []string{"api.example.com", "hook-9"},
		},
		{
			name: "header value",
			src: `url = "https://api.example.com/"
[headers]
Authorization = "Bearer ${TOKEN}"
X-Plain = "plain"
`,
			wantURL:     "https://api.example.com/",
			wantHeaders: map[string]string{"Authorization": "Bearer tok-123", "X-Plain": "plain"},
			wantVars:    []string{"TOKEN"},
			wantSecrets: []string{"tok-123"},
		},
		{
			name: "fields, nested maps and arrays",
			src: `url = "https://api.example.com/"
[fields]
team = "${TEAM}"
count = 3
flag = true
nested = { a = "${ID}", deeper = { b = "x-${TEAM}-y" } }
list = ["${ID}", 1, ["${TEAM}"]]
[[fields.items]]
name = "${TEAM}"
`,
			wantURL:     "https://api.example.com/",
			wantHeaders: map[string]string{},
			wantFields: map[string]any{
				"team":   "platform",
				"count":  int64(3),
				"flag":   true,
				"nested": map[string]any{"a": "hook-9", "deeper": map[string]any{"b": "x-platform-y"}},
				"list":   []any{"hook-9", int64(1), []any{"platform"}},
				"items":  []any{map[string]any{"name": "platform"}},
			},
			wantVars:    []string{"ID", "TEAM"},
			wantSecrets: []string{"hook-9", "platform"},
		},
		{
			name: "dollar dollar is a literal dollar everywhere",
			src: `url = "https://api.example.com/$$x"
[headers]
X-Price = "$$5 and $${NOT_A_VAR}"
[fields]
price = "$$$$"
`,
			wantURL:     "https://api.example.com/$x",
			wantHeaders: map[string]string{"X-Price": "$5 and ${NOT_A_VAR}"},
			wantFields:  map[string]any{"price": "$$"},
		},
		{
			name: "an expanded value is not expanded again",
			src: `url = "https://api.example.com/"
[headers]
X-Tricky = "${TRICKY}"
`,
			wantURL:     "https://api.example.com/",
			wantHeaders: map[string]string{"X-Tricky": "${TOKEN}$$"},
			wantVars:    []string{"TRICKY"},
			wantSecrets: []string{"${TOKEN}$$"},
		},
		{
			name: "empty variable is set",
			src: `url = "https://api.example.com/"
[headers]
X-Empty = "a${EMPTY}b"
`,
			wantURL:     "https://api.example.com/",
			wantHeaders: map[string]string{"X-Empty": "ab"},
			wantVars:    []string{"EMPTY"},
			wantSecrets: []string{""},
		},
		{
			name: "lower-case names with digits",
			src: `url = "https://api.example.com/${lower_1}"
`,
			wantURL:     "https://api.example.com/low",
			wantHeaders: map[string]string{},
			wantVars:    []string{"lower_1"},
			wantSecrets: []string{"low"},
		},
		{
			name: "a variable used twice is listed once",
			src: `url = "https://api.example.com/${ID}/${ID}"
[headers]
X-Id = "${ID}"
[fields]
id = "${ID}"
`,
			wantURL:     "https://api.example.com/hook-9/hook-9",
			wantHeaders: map[string]string{"X-Id": "hook-9"},
			wantFields:  map[string]any{"id": "hook-9"},
			wantVars:    []string{"ID"},
			wantSecrets: []string{"hook-9"},
		},
		{
			name: "override url is not expanded",
			src: `url = "https://api.example.com/${ID}"
`,
			ov:          over(t, "url", "https://api.example.com/${UNSET_X}"),
			wantURL:     "https://api.example.com/${UNSET_X}",
			wantHeaders: map[string]string{},
			// The file's ${ID} is a secret even though the URL is replaced.
			wantVars:    []string{"ID"},
			wantSecrets: []string{"hook-9"},
		},
		{
			name: "overridden config url with an unset variable is no error",
			src: `url = "https://api.example.com/${UNSET_X}"
[headers]
X-Id = "${ID}"
`,
			ov:          over(t, "url", "https://api.example.com/flag"),
			wantURL:     "https://api.example.com/flag",
			wantHeaders: map[string]string{"X-Id": "hook-9"},
			wantVars:    []string{"ID", "UNSET_X"},
			wantSecrets: []string{"hook-9"},
		},
		{
			name: "--header values are not expanded",
			src: `url = "https://api.example.com/"
`,
			ov:          Overrides{Headers: []Header{{Name: "X-Flag", Value: "${UNSET_X} $x"}}},
			wantURL:     "https://api.example.com/",
			wantHeaders: map[string]string{"X-Flag": "${UNSET_X} $x"},
		},
		{
			name: "config header replaced by --header is not expanded",
			src: `url = "https://api.example.com/"
[headers]
Authorization = "Bearer ${UNSET_X}"
`,
			ov:          Overrides{Headers: []Header{{Name: "authorization", Value: "Bearer flag"}}},
			wantURL:     "https://api.example.com/",
			wantHeaders: map[string]string{"Authorization": "Bearer flag"},
			wantVars:    []string{"UNSET_X"},
		},
		{
			name: "a target not used still names secrets",
			src: `url = "https://api.example.com/"
[targets.t]
url = "https://${HOST}/t/${ID}"
`,
			wantURL:     "https://api.example.com/",
			wantHeaders: map[string]string{},
			wantVars:    []string{"HOST", "ID"},
			wantSecrets: []string{"api.example.com", "hook-9"},
		},
		{
			// The review's case: a header held back from another host
			// and a target's URL, neither expanded by this send.
			name: "a header left out and an unused target still name secrets",
			src: `url = "https://api.example.com/"
[headers]
X-Hook-Auth-Id = "${TOKEN}"
[targets.chat]
url = "https://chat.example.com/${ID}"
`,
			ov:          over(t, "url", "https://other.example.com/"),
			wantURL:     "https://other.example.com/",
			wantHeaders: map[string]string{},
			wantVars:    []string{"ID", "TOKEN"},
			wantSecrets: []string{"hook-9", "tok-123"},
		},
		{
			name:        "$$ is not a variable",
			src:         `url = "https://api.example.com/$${NOT_A_VAR}"`,
			wantURL:     "https://api.example.com/${NOT_A_VAR}",
			wantHeaders: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustLoad(t, tt.src)
			s := mustResolve(t, f, "", tt.ov, env)
			if s.URL != tt.wantURL {
				t.Errorf("got url %q, want %q", s.URL, tt.wantURL)
			}
			if got := headerMap(t, s.Headers); !reflect.DeepEqual(got, tt.wantHeaders) {
				t.Errorf("got headers %v, want %v", got, tt.wantHeaders)
			}
			if !reflect.DeepEqual(s.Fields, tt.wantFields) {
				t.Errorf("got fields %#v, want %#v", s.Fields, tt.wantFields)
			}
			gotVars := slices.Sorted(slices.Values(s.SecretVars))
			if len(gotVars) != 0 || len(tt.wantVars) != 0 {
				if !reflect.DeepEqual(gotVars, tt.wantVars) {
					t.Errorf("got SecretVars %q, want %q", gotVars, tt.wantVars)
				}
			}
			gotSecrets := slices.Sorted(slices.Values(s.Secrets))
			if len(gotSecrets) != 0 || len(tt.wantSecrets) != 0 {
				if !reflect.DeepEqual(gotSecrets, tt.wantSecrets) {
					t.Errorf("got Secrets %q, want %q", gotSecrets, tt.wantSecrets)
				}
			}
		})
	}
}

func TestResolveExpandTarget(t *testing.T) {
	f := mustLoad(t, `url = "https://api.example.com/"
[targets.chat]
url = "https://chat.example.com/hooks/${CHAT_HOOK_ID}"
[targets.chat.headers]
X-Room = "${ROOM}"
`)
	s := mustResolve(t, f, "chat", Overrides{}, map[string]string{"CHAT_HOOK_ID": "h1", "ROOM": "r1"})
	if want := "https://chat.example.com/hooks/h1"; s.URL != want {
		t.Errorf("got url %q, want %q", s.URL, want)
	}
	if got := headerMap(t, s.Headers)["X-Room"]; got != "r1" {
		t.Errorf("got X-Room %q, want %q", got, "r1")
	}
	if want := []string{"CHAT_HOOK_ID", "ROOM"}; !reflect.DeepEqual(slices.Sorted(slices.Values(s.SecretVars)), want) {
		t.Errorf("got SecretVars %q, want %q", s.SecretVars, want)
	}
}

func TestResolveExpandErrors(t *testing.T) {
	env := map[string]string{"SET": "canary-set-value"}
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "unset variable in url",
			src:  `url = "https://api.example.com/${MISSING_VAR}"`,
			want: []string{":1:", "url", "MISSING_VAR", "not set"},
		},
		{
			name: "unset variable in a header",
			src: `url = "https://api.example.com/"
[headers]
Authorization = "Bearer ${NOTIFY_TOKEN}"
`,
			want: []string{":3:", "headers.Authorization", "NOTIFY_TOKEN", "not set"},
		},
		{
			name: "unset variable in a field",
			src: `url = "https://api.example.com/"
[fields]
team = "${MISSING_VAR}"
`,
			want: []string{":3:", "fields.team", "MISSING_VAR"},
		},
		{
			name: "unset variable in a nested field",
			src: `url = "https://api.example.com/"
[fields]
outer = { inner = ["ok", "${MISSING_VAR}"] }
`,
			want: []string{"fields", "outer", "inner", "MISSING_VAR"},
		},
		{
			name: "unset variable in a target url",
			src: `url = "https://api.example.com/"
[targets.chat]
url = "https://chat.example.com/${CHAT_HOOK_ID}"
`,
			want: []string{":3:", "targets.chat.url", "CHAT_HOOK_ID"},
		},
		{
			name: "bare dollar name",
			src:  `url = "https://api.example.com/$SET"`,
			want: []string{":1:", "url", "$$"},
		},
		{
			name: "trailing dollar",
			src: `url = "https://api.example.com/"
[headers]
X-A = "cost$"
`,
			want: []string{":3:", "headers.X-A", "$$"},
		},
		{
			name: "unterminated brace",
			src:  `url = "https://api.example.com/${SET"`,
			want: []string{":1:", "url", "unterminated"},
		},
		{
			name: "empty name",
			src:  `url = "https://api.example.com/${}"`,
			want: []string{":1:", "url", "variable name"},
		},
		{
			name: "name starting with a digit",
			src:  `url = "https://api.example.com/${1X}"`,
			want: []string{":1:", "url", `"1X"`},
		},
		{
			name: "default-value syntax is not supported",
			src:  `url = "https://api.example.com/${SET:-x}"`,
			want: []string{":1:", "url", "variable name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustLoad(t, tt.src)
			target := ""
			if strings.Contains(tt.src, "[targets.chat]") {
				target = "chat"
			}
			s, err := Resolve(f, target, Overrides{}, env)
			if s != nil {
				t.Errorf("got settings, want nil")
			}
			checkErr(t, err, append([]string{f.Path}, tt.want...), []string{"canary-set-value"})
		})
	}
}

// TestResolveOffline: an unset variable is recorded with where it is
// used and left as written, not an error; checks that need its value are
// left out and said so, the others made; a set variable is listed, its
// value never outside the settings' secrets.
func TestResolveOffline(t *testing.T) {
	env := map[string]string{"SET": "canary-set-value"}
	tests := []struct {
		name      string
		src       string
		target    string
		wantURL   any // as validate shows it
		wantVars  []Var
		unchecked []string
		method    string // a --method override
		wantErr   string
	}{
		{
			name:    "host from a variable",
			src:     "url = \"https://${HOST}/hook?k=${SET}\"\n",
			wantURL: "https://${HOST}/hook?k=***",
			wantVars: []Var{
				{Name: "HOST", UsedAt: []string{":1: url"}},
				{Name: "SET", Set: true, UsedAt: []string{":1: url"}},
			},
			unchecked: []string{"url is not checked: it holds ${HOST}, which is not set here"},
		},
		{
			name:     "path from a variable: the rest is checked",
			src:      "url = \"https://hooks.example.com/services/${HOOK_ID}\"\n",
			wantURL:  "https://hooks.example.com/services/${HOOK_ID}",
			wantVars: []Var{{Name: "HOOK_ID", UsedAt: []string{":1: url"}}},
		},
		{
			name:    "a bad scheme is seen through the variable",
			src:     "url = \"ftp://hooks.example.com/${HOOK_ID}\"\n",
			wantErr: "url: ftp://hooks.example.com/${HOOK_ID}: want an absolute http:// or https:// URL",
		},
		{
			name: "headers and fields, each use named",
			src: `url = "https://api.example.com/"
[headers]
Authorization = "Bearer ${TOKEN}"
X-Token = "${TOKEN}"
[fields]
who = "${WHO}"
deep = { list = ["${DEEP}"] }
`,
			wantURL: "https://api.example.com/",
			wantVars: []Var{
				{Name: "TOKEN", UsedAt: []string{":3: headers.Authorization", ":4: headers.X-Token"}},
				{Name: "DEEP", UsedAt: []string{":7: fields.deep"}},
				{Name: "WHO", UsedAt: []string{":6: fields.who"}},
			},
		},
		{
			name: "a header for another origin is not needed",
			src: `url = "https://api.example.com/"
[headers]
Authorization = "Bearer ${TOKEN}"
[targets.chat]
url = "https://chat.example.com/${CHAT}"
`,
			target:   "chat",
			wantURL:  "https://chat.example.com/${CHAT}",
			wantVars: []Var{{Name: "CHAT", UsedAt: []string{":5: targets.chat.url"}}},
		},
		{
			name: "signing secret",
			src: `url = "https://api.example.com/"
[signing]
scheme = "standard-webhooks"
secret = "${WEBHOOK_SECRET}"
`,
			wantURL:   "https://api.example.com/",
			wantVars:  []Var{{Name: "WEBHOOK_SECRET", UsedAt: []string{":4: signing.secret"}}},
			unchecked: []string{"signing.secret is not checked: it holds ${WEBHOOK_SECRET}, which is not set here"},
		},
		{
			name:    "static checks still run",
			src:     "url = \"https://${HOST}/\"\n",
			method:  "FETCH",
			wantErr: `--method: "FETCH" is not one of`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustLoad(t, tt.src)
			var ov Overrides
			if tt.method != "" {
				ov = over(t, "method", tt.method)
			}
			s, err := ResolveOffline(f, tt.target, ov, env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			for i := range tt.wantVars {
				for j, w := range tt.wantVars[i].UsedAt {
					tt.wantVars[i].UsedAt[j] = f.Path + w
				}
			}
			if !reflect.DeepEqual(s.Vars, tt.wantVars) {
				t.Errorf("Vars: got %+v, want %+v", s.Vars, tt.wantVars)
			}
			if !slices.Equal(s.Unchecked, tt.unchecked) {
				t.Errorf("Unchecked: got %q, want %q", s.Unchecked, tt.unchecked)
			}
			if got := s.Show()["url"]; got != tt.wantURL {
				t.Errorf("shown url: got %v, want %v", got, tt.wantURL)
			}
			if _, err := Resolve(f, tt.target, Overrides{}, env); err == nil {
				t.Errorf("Resolve: got no error, want the unset variable's")
			}
		})
	}
}

func TestCheckHeader(t *testing.T) {
	tests := []struct {
		name    string
		hname   string
		value   string
		wantErr bool
	}{
		{name: "plain", hname: "Authorization", value: "Bearer abc"},
		{name: "tab in value", hname: "X-A", value: "a\tb"},
		{name: "empty value", hname: "X-A", value: ""},
		{name: "non-ASCII value", hname: "X-A", value: "café"},
		{name: "token characters in name", hname: "X-A_b.c~1!#$%&'*+^`|", value: "v"},
		{name: "CR in value", hname: "X-A", value: "canary-secret\rX: y", wantErr: true},
		{name: "LF in value", hname: "X-A", value: "canary-secret\nX: y", wantErr: true},
		{name: "CRLF in value", hname: "X-A", value: "canary-secret\r\nX: y", wantErr: true},
		{name: "NUL in value", hname: "X-A", value: "canary-secret\x00", wantErr: true},
		{name: "escape in value", hname: "X-A", value: "canary-secret\x1b[31m", wantErr: true},
		{name: "DEL in value", hname: "X-A", value: "canary-secret\x7f", wantErr: true},
		{name: "empty name", hname: "", value: "canary-secret", wantErr: true},
		{name: "space in name", hname: "X A", value: "canary-secret", wantErr: true},
		{name: "colon in name", hname: "X:A", value: "canary-secret", wantErr: true},
		{name: "CR in name", hname: "X\rA", value: "canary-secret", wantErr: true},
		{name: "LF in name", hname: "X\nA", value: "canary-secret", wantErr: true},
		{name: "non-ASCII name", hname: "X-Ä", value: "canary-secret", wantErr: true},
		{name: "separator in name", hname: "X(A)", value: "canary-secret", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckHeader(tt.hname, tt.value)
			if !tt.wantErr {
				if err != nil {
					t.Errorf("got error %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want one")
			}
			if strings.Contains(err.Error(), "canary-secret") {
				t.Errorf("got error %q, want it without the header value", err)
			}
		})
	}
}

func TestResolveRejectsBadHeaderValues(t *testing.T) {
	const canary = "canary-secret\r\nX-Injected: y"
	tests := []struct {
		name string
		src  string
		env  map[string]string
		ov   []Header
		want []string
	}{
		{
			name: "from an expanded variable",
			src: `url = "https://api.example.com/"
[headers]
Authorization = "Bearer ${TOKEN}"
`,
			env:  map[string]string{"TOKEN": canary},
			want: []string{":3:", "headers.Authorization", "control character"},
		},
		{
			name: "written in the file",
			src: `url = "https://api.example.com/"
[headers]
X-A = "canary-secret\r\nX-Injected: y"
`,
			want: []string{":3:", "headers.X-A", "control character"},
		},
		{
			name: "from --header",
			src:  `url = "https://api.example.com/"`,
			ov:   []Header{{Name: "X-A", Value: canary, where: "--header"}},
			want: []string{"--header", "X-A", "control character"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustLoad(t, tt.src)
			_, err := Resolve(f, "", Overrides{Headers: tt.ov}, tt.env)
			checkErr(t, err, tt.want, []string{"canary-secret", "X-Injected"})
		})
	}
}

func TestNewHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Header
		wantErr bool
	}{
		{name: "name and value", in: "Authorization: Bearer x", want: Header{Name: "Authorization", Value: "Bearer x"}},
		{name: "no space", in: "X-A:b", want: Header{Name: "X-A", Value: "b"}},
		{name: "spaces and tab trimmed before the value", in: " X-A : \t b", want: Header{Name: "X-A", Value: "b"}},
		{name: "colons in the value", in: "X-Url: https://a:b@c/", want: Header{Name: "X-Url", Value: "https://a:b@c/"}},
		{name: "empty value", in: "X-A:", want: Header{Name: "X-A", Value: ""}},
		{name: "missing colon", in: "X-A canary-secret", wantErr: true},
		{name: "equals instead of colon", in: "X-A=canary-secret", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewHeader(tt.in, "--header")
			if tt.wantErr {
				checkErr(t, err, []string{"--header", "Name: value"}, []string{"canary-secret"})
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got.Name != tt.want.Name || got.Value != tt.want.Value {
				t.Errorf("got %q: %q, want %q: %q", got.Name, got.Value, tt.want.Name, tt.want.Value)
			}
		})
	}
}

func TestResolveEmptyHeaderNameFromFlag(t *testing.T) {
	h := mustHeader(t, ": canary-secret")
	ov := over(t, "url", "https://127.0.0.1/")
	ov.Headers = []Header{h}
	_, err := Resolve(nil, "", ov, nil)
	checkErr(t, err, []string{"--header", "empty header name"}, []string{"canary-secret"})
}

func TestResolveDropsForeignHeaders(t *testing.T) {
	const src = `url = "https://api.example.com/status"
[headers]
Authorization = "Bearer ${TOKEN}"
X-Team = "platform"
`
	env := map[string]string{"TOKEN": "canary-token", "API_HOST": "api.example.com"}
	tests := []struct {
		name        string
		src         string
		target      string
		url         string // --url; "" for none
		flagHeaders []string
		env         map[string]string
		wantHeaders map[string]string
		wantDropped []string
	}{
		{
			name:        "no override keeps them",
			src:         src,
			wantHeaders: map[string]string{"Authorization": "Bearer canary-token", "X-Team": "platform"},
		},
		{
			name:        "same host, other path keeps them",
			src:         src,
			url:         "https://api.example.com/other?x=1",
			wantHeaders: map[string]string{"Authorization": "Bearer canary-token", "X-Team": "platform"},
		},
		{
			name:        "same host with the default port spelt out keeps them",
			src:         src,
			url:         "https://API.example.com:443/x",
			wantHeaders: map[string]string{"Authorization": "Bearer canary-token", "X-Team": "platform"},
		},
		{
			name:        "other host drops them",
			src:         src,
			url:         "https://127.0.0.1/hook",
			wantHeaders: map[string]string{},
			wantDropped: []string{"Authorization", "X-Team"},
		},
		{
			name:        "other port drops them",
			src:         src,
			url:         "https://api.example.com:8443/status",
			wantHeaders: map[string]string{},
			wantDropped: []string{"Authorization", "X-Team"},
		},
		{
			name:        "other scheme drops them",
			src:         src,
			url:         "http://api.example.com/status",
			wantHeaders: map[string]string{},
			wantDropped: []string{"Authorization", "X-Team"},
		},
		{
			name:        "the same host and port on http drops them",
			src:         src,
			url:         "http://api.example.com:443/status",
			wantHeaders: map[string]string{},
			wantDropped: []string{"Authorization", "X-Team"},
		},
		{
			name:        "--header headers are kept on another host",
			src:         src,
			url:         "https://127.0.0.1/hook",
			flagHeaders: []string{"X-Flag: f"},
			wantHeaders: map[string]string{"X-Flag": "f"},
			wantDropped: []string{"Authorization", "X-Team"},
		},
		{
			name:        "a dropped header's variable need not be set",
			src:         src,
			url:         "https://127.0.0.1/hook",
			env:         map[string]string{},
			wantHeaders: map[string]string{},
			wantDropped: []string{"Authorization", "X-Team"},
		},
		{
			// Bound to no origin: not to one the command line chose.
			name: "headers without a configured url do not go to --url",
			src: `[headers]
Authorization = "Bearer ${TOKEN}"
`,
			url:         "https://127.0.0.1/hook",
			wantHeaders: map[string]string{},
			wantDropped: []string{"Authorization"},
		},
		{
			name: "headers configured before a target's url go to it",
			src: `[headers]
X-A = "a"
[targets.t]
url = "https://api.example.com/"
`,
			target:      "t",
			wantHeaders: map[string]string{"X-A": "a"},
		},
		{
			// The review's case: a token at the top level, a target's URL,
			// and a --url elsewhere.
			name: "headers configured before a target's url do not go to --url",
			src: `[headers]
X-A = "a"
[targets.t]
url = "https://api.example.com/"
`,
			target:      "t",
			url:         "https://127.0.0.1/hook",
			wantHeaders: map[string]string{},
			wantDropped: []string{"X-A"},
		},
		{
			name: "top-level headers do not follow a target to another host",
			src: `url = "https://api.example.com/status"
[headers]
Authorization = "Bearer top"
[targets.chat]
url = "https://chat.example.com/hook"
[targets.chat.headers]
X-Chat = "c"
`,
			target:      "chat",
			wantHeaders: map[string]string{"X-Chat": "c"},
			wantDropped: []string{"Authorization"},
		},
		{
			name: "top-level headers follow a target on the same host",
			src: `url = "https://api.example.com/status"
[headers]
Authorization = "Bearer top"
[targets.other]
url = "https://api.example.com/other"
`,
			target:      "other",
			wantHeaders: map[string]string{"Authorization": "Bearer top"},
		},
		{
			name: "a target header is bound to the top-level url when the target has none",
			src: `url = "https://api.example.com/status"
[targets.t.headers]
X-T = "t"
`,
			target:      "t",
			url:         "https://127.0.0.1/hook",
			wantHeaders: map[string]string{},
			wantDropped: []string{"X-T"},
		},
		{
			name: "host from a variable, url not overridden",
			src: `url = "https://${API_HOST}/status"
[headers]
Authorization = "Bearer ${TOKEN}"
`,
			wantHeaders: map[string]string{"Authorization": "Bearer canary-token"},
		},
		{
			name: "host from a variable, overridden to the same host",
			src: `url = "https://${API_HOST}/status"
[headers]
Authorization = "Bearer ${TOKEN}"
`,
			url:         "https://api.example.com/other",
			wantHeaders: map[string]string{"Authorization": "Bearer canary-token"},
		},
		{
			name: "host from a variable, overridden to another host",
			src: `url = "https://${API_HOST}/status"
[headers]
Authorization = "Bearer ${TOKEN}"
`,
			url:         "https://127.0.0.1/hook",
			wantHeaders: map[string]string{},
			wantDropped: []string{"Authorization"},
		},
		{
			name: "host from an unset variable, overridden",
			src: `url = "https://${UNSET_HOST}/status"
[headers]
Authorization = "Bearer ${TOKEN}"
`,
			url:         "https://127.0.0.1/hook",
			wantHeaders: map[string]string{},
			wantDropped: []string{"Authorization"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustLoad(t, tt.src)
			var ov Overrides
			if tt.url != "" {
				ov = over(t, "url", tt.url)
			}
			for _, h := range tt.flagHeaders {
				ov.Headers = append(ov.Headers, mustHeader(t, h))
			}
			e := env
			if tt.env != nil {
				e = tt.env
			}
			s := mustResolve(t, f, tt.target, ov, e)
			if got := headerMap(t, s.Headers); !reflect.DeepEqual(got, tt.wantHeaders) {
				t.Errorf("got headers %v, want %v", got, tt.wantHeaders)
			}
			got := append([]string(nil), s.Dropped...)
			sort.Strings(got)
			if len(got) != 0 || len(tt.wantDropped) != 0 {
				if !reflect.DeepEqual(got, tt.wantDropped) {
					t.Errorf("got Dropped %q, want %q", got, tt.wantDropped)
				}
			}
		})
	}
}

func TestResolveURLValidation(t *testing.T) {
	secrets := []string{"canarypass", "canaryq"}
	tests := []struct {
		name    string
		url     string
		wantErr []string // nil: valid
	}{
		{name: "https", url: "https://api.example.com/status"},
		{name: "http with port", url: "http://127.0.0.1:8080/hook"},
		{name: "upper-case scheme", url: "HTTPS://api.example.com/"},
		{name: "ipv6", url: "http://[::1]:8080/"},
		{name: "with userinfo and query", url: "https://user:canarypass@api.example.com/?token=canaryq"},
		{name: "relative path", url: "/status?token=canaryq", wantErr: []string{"http"}},
		{name: "host without scheme", url: "api.example.com/status?token=canaryq", wantErr: []string{"http"}},
		{name: "userinfo without scheme", url: "user:canarypass@api.example.com/x?token=canaryq", wantErr: []string{"http"}},
		{name: "host and port without scheme", url: "localhost:8080/x?token=canaryq", wantErr: []string{"http"}},
		{name: "ftp", url: "ftp://user:canarypass@files.example.com/x?token=canaryq", wantErr: []string{"http", "files.example.com"}},
		{name: "file", url: "file:///etc/passwd", wantErr: []string{"http"}},
		{name: "missing host", url: "https:///status?token=canaryq", wantErr: []string{"no host"}},
		{name: "missing host after userinfo", url: "https://user:canarypass@/status?token=canaryq", wantErr: []string{"no host"}},
		{name: "port without host", url: "http://user:canarypass@:8080/?token=canaryq", wantErr: []string{"no host"}},
		{name: "opaque", url: "https:api.example.com?token=canaryq", wantErr: []string{"no host"}},
		{name: "unparseable", url: "https://user:canarypass@api.example.com:port/?token=canaryq", wantErr: []string{"not a valid URL"}},
		{name: "space in host", url: "https://api example.com/?token=canaryq", wantErr: []string{"not a valid URL"}},
		{name: "fragment", url: "ftp://h/x#canaryq", wantErr: []string{"http"}},
	}
	for _, tt := range tests {
		for _, from := range []string{"flag", "file"} {
			t.Run(tt.name+"/"+from, func(t *testing.T) {
				var (
					f  *File
					ov Overrides
				)
				if from == "flag" {
					ov = over(t, "url", tt.url)
				} else {
					f = mustLoad(t, "url = '"+tt.url+"'\n")
				}
				s, err := Resolve(f, "", ov, nil)
				if tt.wantErr == nil {
					if err != nil {
						t.Fatalf("got error %v, want none", err)
					}
					if s.URL != tt.url {
						t.Errorf("got url %q, want %q", s.URL, tt.url)
					}
					return
				}
				want := tt.wantErr
				if from == "flag" {
					want = append(want, "--url")
				} else {
					want = append(want, f.Path+":1: url")
				}
				checkErr(t, err, want, secrets)
			})
		}
	}
}

func TestErrorUnwrap(t *testing.T) {
	inner := errors.New("inner")
	err := error(&Error{Where: "here", Err: inner})
	if !errors.Is(err, inner) {
		t.Errorf("got errors.Is false, want true")
	}
	if got, want := err.Error(), "here: inner"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestResolveSecretFields: SecretFields says whether [fields] of this
// send took a value from a ${VAR}, which keeps the payload out of the
// spool.
func TestResolveSecretFields(t *testing.T) {
	env := map[string]string{"TOKEN": "canary-token"}
	for _, tt := range []struct {
		name, src string
		target    string
		want      bool
	}{
		{"no fields", `url = "https://h.test/"`, "", false},
		{"literal fields", "url = \"https://h.test/\"\n[fields]\nteam = \"a$$b\"\n", "", false},
		{"a field from a variable", "url = \"https://h.test/\"\n[fields.deploy]\ntoken = [\"${TOKEN}\"]\n", "", true},
		{"a variable only in a header", "url = \"https://h.test/\"\n[headers]\nX-T = \"${TOKEN}\"\n[fields]\nteam = \"a\"\n", "", false},
		{"a variable in an unused target's fields", "url = \"https://h.test/\"\n[targets.t.fields]\nx = \"${TOKEN}\"\n", "", false},
		{"a variable in the target's fields", "url = \"https://h.test/\"\n[targets.t.fields]\nx = \"${TOKEN}\"\n", "t", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := mustResolve(t, mustLoad(t, tt.src), tt.target, Overrides{}, env)
			if s.SecretFields != tt.want {
				t.Errorf("got SecretFields %v, want %v", s.SecretFields, tt.want)
			}
		})
	}
}
