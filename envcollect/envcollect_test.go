package envcollect

import (
	"path"
	"reflect"
	"strings"
	"testing"
)

// jenkinsEnv is a realistic Jenkins build environment (a copy of the
// repository's testdata/jenkins.env, kept here so this package's tests do
// not change when that shared file does).
const jenkinsEnv = `BUILD_DISPLAY_NAME=#42
BUILD_ID=42
BUILD_NUMBER=42
BUILD_TAG=jenkins-team-app-42
BUILD_URL=https://ci.example.com/job/team/job/app/42/
CHANGE_AUTHOR=alice
CHANGE_BRANCH=feature-x
CHANGE_ID=17
CHANGE_TARGET=main
CHANGE_TITLE=Add the <new> & improved deploy
CHANGE_URL=https://git.example.com/team/app/pull/17
EXECUTOR_NUMBER=0
GIT_AUTHOR_NAME=Alice Example
GIT_BRANCH=origin/main
GIT_COMMIT=0123456789abcdef0123456789abcdef01234567
GIT_PREVIOUS_COMMIT=fedcba9876543210fedcba9876543210fedcba98
GIT_URL=https://jenkins-bot:gh-canary-userinfo-token@git.example.com/team/app.git
GITHUB_TOKEN=ghp_canaryGithubToken0123456789
AWS_SECRET_ACCESS_KEY=canary-aws-secret-access-key
SSH_PRIVATE_KEY=canary-ssh-private-key
JOB_BASE_NAME=app
JOB_NAME=team/app
JOB_URL=https://ci.example.com/job/team/job/app/
JENKINS_URL=https://ci.example.com/
KEYBOARD_LAYOUT=us
NODE_LABELS=linux docker
NODE_NAME=agent-1
RUN_DISPLAY_URL=https://ci.example.com/job/team/job/app/42/display/redirect
STAGE_NAME=Deploy
WORKSPACE=/var/lib/jenkins/workspace/team_app
HOME=/var/lib/jenkins
PATH=/usr/local/bin:/usr/bin:/bin
DEPLOY_ENV=prod
DEPLOY_API_KEY=canary-deploy-api-key`

// environ splits a K=V-per-line text into the []string os.Environ returns.
func environ(t testing.TB, text string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// with returns base with extra appended, leaving base unchanged.
func with(base []string, extra ...string) []string {
	return append(append([]string(nil), base...), extra...)
}

// section returns c's section name as a map, failing if it is not one.
func section(t testing.TB, c Context, name string) map[string]any {
	t.Helper()
	v, ok := c.Sections[name]
	if !ok {
		t.Fatalf("got no %q section in %v, want one", name, c.Sections)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("got %q section of type %T, want map[string]any", name, v)
	}
	return m
}

func TestCollectJenkins(t *testing.T) {
	c := Collect(environ(t, jenkinsEnv), Options{})

	wantSections := map[string]any{
		"job": map[string]any{
			"name":      "team/app",
			"base_name": "app",
			"url":       "https://ci.example.com/job/team/job/app/",
		},
		"build": map[string]any{
			"number":       int64(42),
			"id":           "42",
			"url":          "https://ci.example.com/job/team/job/app/42/",
			"tag":          "jenkins-team-app-42",
			"display_name": "#42",
			"node":         "agent-1",
			"executor":     int64(0),
			"workspace":    "/var/lib/jenkins/workspace/team_app",
		},
		"scm": map[string]any{
			"url":             "https://git.example.com/team/app.git",
			"branch":          "origin/main",
			"commit":          "0123456789abcdef0123456789abcdef01234567",
			"previous_commit": "fedcba9876543210fedcba9876543210fedcba98",
		},
		"change": map[string]any{
			"id":     "17",
			"url":    "https://git.example.com/team/app/pull/17",
			"title":  "Add the <new> & improved deploy",
			"author": "alice",
			"target": "main",
			"branch": "feature-x",
		},
		"jenkins_url": "https://ci.example.com/",
	}
	if !reflect.DeepEqual(c.Sections, wantSections) {
		t.Errorf("got sections\n%#v\nwant\n%#v", c.Sections, wantSections)
	}

	wantEnv := map[string]string{
		"BUILD_DISPLAY_NAME":  "#42",
		"BUILD_ID":            "42",
		"BUILD_NUMBER":        "42",
		"BUILD_TAG":           "jenkins-team-app-42",
		"BUILD_URL":           "https://ci.example.com/job/team/job/app/42/",
		"CHANGE_AUTHOR":       "alice",
		"CHANGE_BRANCH":       "feature-x",
		"CHANGE_ID":           "17",
		"CHANGE_TARGET":       "main",
		"CHANGE_TITLE":        "Add the <new> & improved deploy",
		"CHANGE_URL":          "https://git.example.com/team/app/pull/17",
		"EXECUTOR_NUMBER":     "0",
		"GIT_AUTHOR_NAME":     "Alice Example",
		"GIT_BRANCH":          "origin/main",
		"GIT_COMMIT":          "0123456789abcdef0123456789abcdef01234567",
		"GIT_PREVIOUS_COMMIT": "fedcba9876543210fedcba9876543210fedcba98",
		"GIT_URL":             "https://git.example.com/team/app.git",
		"JOB_BASE_NAME":       "app",
		"JOB_NAME":            "team/app",
		"JOB_URL":             "https://ci.example.com/job/team/job/app/",
		"JENKINS_URL":         "https://ci.example.com/",
		"NODE_LABELS":         "linux docker",
		"NODE_NAME":           "agent-1",
		"RUN_DISPLAY_URL":     "https://ci.example.com/job/team/job/app/42/display/redirect",
		"STAGE_NAME":          "Deploy",
		"WORKSPACE":           "/var/lib/jenkins/workspace/team_app",
	}
	if !reflect.DeepEqual(c.Env, wantEnv) {
		t.Errorf("got env\n%v\nwant\n%v", c.Env, wantEnv)
	}
	for k, v := range c.Env {
		if strings.Contains(v, "canary") {
			t.Errorf("got env %s=%q, want no secret value in the environment", k, v)
		}
	}
}

func TestCollectNumbers(t *testing.T) {
	tests := []struct {
		name         string
		environ      []string
		wantNumber   any // build.number; nil for absent
		wantExecutor any // build.executor; nil for absent
	}{
		{name: "numeric", environ: []string{"BUILD_NUMBER=42", "EXECUTOR_NUMBER=3"}, wantNumber: int64(42), wantExecutor: int64(3)},
		{name: "zero executor is present", environ: []string{"BUILD_NUMBER=1", "EXECUTOR_NUMBER=0"}, wantNumber: int64(1), wantExecutor: int64(0)},
		{name: "large build number", environ: []string{"BUILD_NUMBER=9007199254740993"}, wantNumber: int64(9007199254740993)},
		{name: "non-numeric build number stays a string", environ: []string{"BUILD_NUMBER=42a"}, wantNumber: "42a"},
		{name: "decimal build number stays a string", environ: []string{"BUILD_NUMBER=4.2"}, wantNumber: "4.2"},
		{name: "overflowing build number stays a string", environ: []string{"BUILD_NUMBER=99999999999999999999"}, wantNumber: "99999999999999999999"},
		{name: "absent", environ: []string{"BUILD_ID=7"}},
		{name: "empty is absent", environ: []string{"BUILD_NUMBER=", "EXECUTOR_NUMBER=", "BUILD_ID=7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := section(t, Collect(tt.environ, Options{}), "build")
			for _, f := range []struct {
				key  string
				want any
			}{{"number", tt.wantNumber}, {"executor", tt.wantExecutor}} {
				got, ok := b[f.key]
				if f.want == nil {
					if ok {
						t.Errorf("got build.%s = %#v, want it absent", f.key, got)
					}
					continue
				}
				if !ok {
					t.Errorf("got no build.%s, want %#v", f.key, f.want)
					continue
				}
				if got != f.want {
					t.Errorf("got build.%s = %#v (%T), want %#v (%T)", f.key, got, got, f.want, f.want)
				}
			}
			// Other fields are never numbers, even when they look like one.
			if id, ok := b["id"]; ok && reflect.TypeOf(id).Kind() != reflect.String {
				t.Errorf("got build.id of type %T, want string", id)
			}
		})
	}
}

func TestCollectOmitsAbsentAndEmpty(t *testing.T) {
	c := Collect([]string{
		"JOB_NAME=team/app",
		"JOB_URL=",
		"BUILD_URL=",
		"GIT_COMMIT=",
		"CHANGE_ID=",
		"JENKINS_URL=",
		"NODE_NAME=",
	}, Options{})
	want := map[string]any{"job": map[string]any{"name": "team/app"}}
	if !reflect.DeepEqual(c.Sections, want) {
		t.Errorf("got sections %#v, want %#v", c.Sections, want)
	}
	if wantEnv := map[string]string{"JOB_NAME": "team/app"}; !reflect.DeepEqual(c.Env, wantEnv) {
		t.Errorf("got env %v, want %v", c.Env, wantEnv)
	}
}

func TestCollectEnviron(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    map[string]string
	}{
		{name: "later duplicate wins", environ: []string{"JOB_NAME=a", "JOB_NAME=b"}, want: map[string]string{"JOB_NAME": "b"}},
		{name: "later empty duplicate unsets", environ: []string{"JOB_NAME=a", "JOB_NAME="}, want: map[string]string{}},
		{name: "value with equals signs", environ: []string{"CHANGE_TITLE=a=b=c"}, want: map[string]string{"CHANGE_TITLE": "a=b=c"}},
		{name: "entry without equals is ignored", environ: []string{"JOB_NAME", "BUILD_ID=1"}, want: map[string]string{"BUILD_ID": "1"}},
		{name: "entry without a name is ignored", environ: []string{"=JOB_NAME", "=C:=C:\\"}, want: map[string]string{}},
		{name: "names are case-sensitive", environ: []string{"job_name=x"}, want: map[string]string{}},
		{name: "nil environ", environ: nil, want: map[string]string{}},
		{name: "multi-line value kept", environ: []string{"CHANGE_TITLE=a\nb"}, want: map[string]string{"CHANGE_TITLE": "a\nb"}},
		// Jenkins' credentials('registry') binding: BUILD_REG holds user:password.
		{name: "credentials binding dropped whole", environ: []string{"BUILD_REG=deployer:hunter22", "BUILD_REG_USR=deployer", "BUILD_REG_PSW=hunter22", "BUILD_ID=1"}, want: map[string]string{"BUILD_ID": "1"}},
		{name: "no _PSW, no binding", environ: []string{"BUILD_REG=r1", "BUILD_REG_USR=u"}, want: map[string]string{"BUILD_REG": "r1", "BUILD_REG_USR": "u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Collect(tt.environ, Options{}).Env
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCollectStripsUserinfo(t *testing.T) {
	c := Collect([]string{
		"GIT_URL=https://jenkins-bot:gh-canary-token@git.example.com/team/app.git",
		"GIT_URL_2=https://canary-only-token@git.example.com/other.git",
		"CHANGE_URL=https://user:canary@git.example.com/team/app/pull/17",
		"JENKINS_URL=http://admin:canary-admin@ci.example.com:8080/",
	}, Options{})
	if got, want := section(t, c, "scm")["url"], "https://git.example.com/team/app.git"; got != want {
		t.Errorf("got scm.url %q, want %q", got, want)
	}
	if got, want := section(t, c, "change")["url"], "https://git.example.com/team/app/pull/17"; got != want {
		t.Errorf("got change.url %q, want %q", got, want)
	}
	if got, want := c.Sections["jenkins_url"], "http://ci.example.com:8080/"; got != want {
		t.Errorf("got jenkins_url %q, want %q", got, want)
	}
	wantEnv := map[string]string{
		"GIT_URL":     "https://git.example.com/team/app.git",
		"GIT_URL_2":   "https://git.example.com/other.git",
		"CHANGE_URL":  "https://git.example.com/team/app/pull/17",
		"JENKINS_URL": "http://ci.example.com:8080/",
	}
	if !reflect.DeepEqual(c.Env, wantEnv) {
		t.Errorf("got env %v, want %v", c.Env, wantEnv)
	}
}

func TestStripUserinfo(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "user and password", in: "https://user:pass@host/repo.git", want: "https://host/repo.git"},
		{name: "user only", in: "https://token@host/repo.git", want: "https://host/repo.git"},
		{name: "with port", in: "http://u:p@host:8080/x", want: "http://host:8080/x"},
		{name: "no path", in: "https://u:p@host", want: "https://host"},
		{name: "raw @ in the password", in: "https://u:p@ss@host/x", want: "https://host/x"},
		{name: "@ in the path is kept", in: "https://host/users/@me", want: "https://host/users/@me"},
		{name: "@ in the query is kept", in: "https://host/x?who=a@b", want: "https://host/x?who=a@b"},
		{name: "@ in the fragment is kept", in: "https://host/x#a@b", want: "https://host/x#a@b"},
		{name: "ssh scheme", in: "ssh://git:secret@host/repo.git", want: "ssh://host/repo.git"},
		{name: "scp-like git address is not a URL", in: "git@github.com:team/app.git", want: "git@github.com:team/app.git"},
		{name: "e-mail address", in: "alice@example.com", want: "alice@example.com"},
		{name: "no userinfo", in: "https://host/repo.git", want: "https://host/repo.git"},
		{name: "not a URL", in: "plain text", want: "plain text"},
		{name: "URL later in the text is left alone", in: "see https://u:p@host/", want: "see https://u:p@host/"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripUserinfo(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLooksSecret(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"GITHUB_TOKEN", true},
		{"AWS_SECRET_ACCESS_KEY", true},
		{"SSH_PRIVATE_KEY", true},
		{"DB_PASSWORD", true},
		{"DB_PASSWD", true},
		{"MY_PASS", true},
		{"SUDO_PWD", true},
		{"API_KEY", true},
		{"X_APIKEY", true},
		{"SESSION_ID", true},
		{"COOKIE_JAR", true},
		{"GIT_CREDENTIALS", true},
		{"GIT_CREDENTIAL", true},
		{"BASIC_AUTH_HEADER", true},
		{"TOKEN", true},
		{"github_token", true},
		{"Github_Token", true},
		{"DEPLOY_API_KEY", true},
		{"NPM_TOKEN_2", true},
		{"MY-SECRET", true},
		// Plurals, trailing digits and joined words.
		{"BUILD_SECRETS", true},
		{"GIT_TOKENS", true},
		{"GIT_TOKEN2", true},
		{"GIT_TOKENS2", true},
		{"DEPLOY_KEYS", true},
		{"BUILD_APITOKEN", true},
		{"BUILD_ACCESSTOKEN", true},
		{"BUILD_PASSPHRASE", true},
		{"GIT_PAT", true},
		{"GIT_CRED", true},
		{"GIT_CREDS", true},
		{"JOB_BEARER", true},
		{"ID_JWT", true},
		{"REGISTRY_PSW", true},
		{"SESSIONS", true},
		// git's config injection: http.extraHeader credentials.
		{"GIT_CONFIG_PARAMETERS", true},
		{"GIT_CONFIG_KEY_0", true},
		{"GIT_CONFIG_VALUE_0", true},
		{"git_config_value_12", true},
		{"GIT_CONFIG_COUNT", false},
		{"GIT_CONFIG_NOSYSTEM", false},
		{"PATTERN", false},
		{"PATH_INFO", false},
		{"ACCESS_LEVEL", false},
		{"BUILD_STATUS", false},
		{"CLASS", false},
		{"ADDRESS", false},
		{"KEYS_LAYOUT", true},
		{"SESSIONSTORE", false},
		{"CHANGE_AUTHOR", false},
		{"GIT_AUTHOR_NAME", false},
		{"KEYBOARD_LAYOUT", false},
		{"PASSENGER", false},
		{"TOKENIZER_MODE", false},
		{"BUILD_NUMBER", false},
		{"MONKEY", false},
		{"PASSPORT_ID", false},
		{"SECRETARY", false},
		{"PATH", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LooksSecret(tt.name); got != tt.want {
				t.Errorf("got LooksSecret(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want map[string]bool
	}{
		{
			name: "built-in set",
			opts: Options{},
			want: map[string]bool{
				"BUILD_NUMBER": true, "BUILD_URL": true, "JOB_NAME": true, "GIT_COMMIT": true,
				"CHANGE_ID": true, "TAG_NAME": true, "BRANCH_NAME": true, "NODE_NAME": true,
				"NODE_LABELS": true, "EXECUTOR_NUMBER": true, "WORKSPACE": true, "WORKSPACE_TMP": true,
				"JENKINS_URL": true, "RUN_DISPLAY_URL": true, "RUN_CHANGES_DISPLAY_URL": true,
				"STAGE_NAME": true, "CI": true,
				"HOME": false, "PATH": false, "USER": false, "DEPLOY_ENV": false, "KEYBOARD_LAYOUT": false,
				"NODE_NAME_2": false, "RUN_ID": false, "JENKINS_HOME": false,
				// secret-looking names inside the built-in globs stay out
				"GIT_TOKEN": false, "BUILD_SECRET": false, "JOB_API_KEY": false, "GIT_CREDENTIALS": false,
			},
		},
		{
			name: "include patterns add",
			opts: Options{Include: []string{"DEPLOY_*", "APP_VERSION"}},
			want: map[string]bool{
				"DEPLOY_ENV": true, "DEPLOY_REGION": true, "APP_VERSION": true, "APP_NAME": false,
				"BUILD_NUMBER": true, "DEPLOY_API_KEY": false, "DEPLOY_TOKEN": false,
			},
		},
		{
			name: "include glob star never admits a secret",
			opts: Options{Include: []string{"*"}},
			want: map[string]bool{
				"HOME": true, "DEPLOY_ENV": true, "GITHUB_TOKEN": false, "AWS_SECRET_ACCESS_KEY": false,
				"SSH_PRIVATE_KEY": false, "DB_PASSWORD": false, "API_KEY": false,
			},
		},
		{
			name: "include glob matching only secrets still admits none",
			opts: Options{Include: []string{"*_TOKEN", "GITHUB_TOK?N", "DEPLOY_API_[K]EY"}},
			want: map[string]bool{"GITHUB_TOKEN": false, "NPM_TOKEN": false, "DEPLOY_API_KEY": false},
		},
		{
			name: "an include naming the variable exactly admits a secret",
			opts: Options{Include: []string{"DEPLOY_API_KEY", "GITHUB_TOKEN"}},
			want: map[string]bool{"DEPLOY_API_KEY": true, "GITHUB_TOKEN": true, "NPM_TOKEN": false, "DEPLOY_API_KEY_2": false},
		},
		{
			name: "exclude removes from the built-in set",
			opts: Options{Exclude: []string{"GIT_*", "WORKSPACE"}},
			want: map[string]bool{"GIT_COMMIT": false, "GIT_URL": false, "WORKSPACE": false, "WORKSPACE_TMP": true, "BUILD_NUMBER": true},
		},
		{
			name: "exclude wins over an include pattern",
			opts: Options{Include: []string{"DEPLOY_*"}, Exclude: []string{"*_INTERNAL"}},
			want: map[string]bool{"DEPLOY_ENV": true, "DEPLOY_INTERNAL": false, "BUILD_INTERNAL": false},
		},
		{
			name: "exclude wins over an exact include",
			opts: Options{Include: []string{"DEPLOY_ENV", "DEPLOY_API_KEY"}, Exclude: []string{"DEPLOY_ENV", "DEPLOY_*"}},
			want: map[string]bool{"DEPLOY_ENV": false, "DEPLOY_API_KEY": false},
		},
		{
			name: "malformed pattern matches nothing",
			opts: Options{Include: []string{"["}, Exclude: []string{"["}},
			want: map[string]bool{"[": false, "BUILD_NUMBER": true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, want := range tt.want {
				if got := tt.opts.Allowed(name); got != want {
					t.Errorf("got Allowed(%q) = %v, want %v", name, got, want)
				}
			}
		})
	}
}

func TestCollectOptions(t *testing.T) {
	base := environ(t, jenkinsEnv)
	tests := []struct {
		name     string
		opts     Options
		wantIn   map[string]string // in Env with this value
		wantOut  []string          // not in Env
		sections []string          // sections expected present; nil skips the check
	}{
		{
			name:    "include glob adds, but not a secret",
			opts:    Options{Include: []string{"DEPLOY_*"}},
			wantIn:  map[string]string{"DEPLOY_ENV": "prod"},
			wantOut: []string{"DEPLOY_API_KEY", "GITHUB_TOKEN", "HOME", "PATH"},
		},
		{
			name:    "include star adds everything but secrets",
			opts:    Options{Include: []string{"*"}},
			wantIn:  map[string]string{"DEPLOY_ENV": "prod", "HOME": "/var/lib/jenkins", "KEYBOARD_LAYOUT": "us"},
			wantOut: []string{"DEPLOY_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "SSH_PRIVATE_KEY"},
		},
		{
			name:    "exact include admits a secret",
			opts:    Options{Include: []string{"DEPLOY_API_KEY"}},
			wantIn:  map[string]string{"DEPLOY_API_KEY": "canary-deploy-api-key"},
			wantOut: []string{"DEPLOY_ENV", "GITHUB_TOKEN"},
		},
		{
			name:    "exclude beats exact include",
			opts:    Options{Include: []string{"DEPLOY_API_KEY", "DEPLOY_ENV"}, Exclude: []string{"DEPLOY_API_KEY", "DEPLOY_ENV"}},
			wantOut: []string{"DEPLOY_API_KEY", "DEPLOY_ENV"},
		},
		{
			name:     "excluding variables removes their sections",
			opts:     Options{Exclude: []string{"GIT_*", "CHANGE_*"}},
			wantIn:   map[string]string{"BUILD_NUMBER": "42"},
			wantOut:  []string{"GIT_URL", "GIT_COMMIT", "CHANGE_ID"},
			sections: []string{"build", "jenkins_url", "job"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Collect(base, tt.opts)
			for k, want := range tt.wantIn {
				if got, ok := c.Env[k]; !ok || got != want {
					t.Errorf("got %s=%q (present %v), want %q", k, got, ok, want)
				}
			}
			for _, k := range tt.wantOut {
				if v, ok := c.Env[k]; ok {
					t.Errorf("got %s=%q, want it absent", k, v)
				}
			}
			if tt.sections != nil {
				var got []string
				for k := range c.Sections {
					got = append(got, k)
				}
				if !sameSet(got, tt.sections) {
					t.Errorf("got sections %q, want %q", got, tt.sections)
				}
			}
		})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := make(map[string]bool, len(a))
	for _, s := range a {
		m[s] = true
	}
	for _, s := range b {
		if !m[s] {
			return false
		}
	}
	return true
}

func TestCollectOutsideJenkins(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
	}{
		{name: "nil", environ: nil},
		{name: "a developer's shell", environ: []string{
			"HOME=/home/dev", "PATH=/usr/bin", "SHELL=/bin/bash", "GITHUB_TOKEN=ghp_canary", "TERM=xterm",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Collect(tt.environ, Options{})
			if c.Sections == nil || len(c.Sections) != 0 {
				t.Errorf("got sections %#v, want an empty map", c.Sections)
			}
			if c.Env == nil || len(c.Env) != 0 {
				t.Errorf("got env %#v, want an empty map", c.Env)
			}
			m := c.Map()
			if m == nil || len(m) != 0 {
				t.Errorf("got Map() %#v, want an empty map", m)
			}
		})
	}
}

func TestMap(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    map[string]any
	}{
		{
			name:    "sections and env",
			environ: []string{"JOB_NAME=a", "JENKINS_URL=https://ci/"},
			want: map[string]any{
				"job":         map[string]any{"name": "a"},
				"jenkins_url": "https://ci/",
				"env":         map[string]any{"JOB_NAME": "a", "JENKINS_URL": "https://ci/"},
			},
		},
		{
			name:    "env without sections",
			environ: []string{"STAGE_NAME=Deploy", "BRANCH_NAME=main"},
			want:    map[string]any{"env": map[string]any{"STAGE_NAME": "Deploy", "BRANCH_NAME": "main"}},
		},
		{
			name:    "nothing",
			environ: []string{"HOME=/x"},
			want:    map[string]any{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Collect(tt.environ, Options{}).Map()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestMapIsFresh(t *testing.T) {
	c := Collect(environ(t, jenkinsEnv), Options{})
	first := c.Map()
	first["status"] = "SUCCESS"
	delete(first, "scm")
	first["job"].(map[string]any)["name"] = "changed"
	first["job"].(map[string]any)["extra"] = "added"
	first["env"].(map[string]any)["JOB_NAME"] = "changed"
	first["env"].(map[string]any)["HOME"] = "added"

	second := c.Map()
	if _, ok := second["status"]; ok {
		t.Errorf("got status in a second Map(), want the first map's change not to show")
	}
	if _, ok := second["scm"]; !ok {
		t.Errorf("got no scm in a second Map(), want the first map's deletion not to show")
	}
	job := second["job"].(map[string]any)
	if job["name"] != "team/app" {
		t.Errorf("got job.name %q in a second Map(), want %q", job["name"], "team/app")
	}
	if _, ok := job["extra"]; ok {
		t.Errorf("got job.extra in a second Map(), want the first map's change not to show")
	}
	env := second["env"].(map[string]any)
	if env["JOB_NAME"] != "team/app" {
		t.Errorf("got env.JOB_NAME %q in a second Map(), want %q", env["JOB_NAME"], "team/app")
	}
	if _, ok := env["HOME"]; ok {
		t.Errorf("got env.HOME in a second Map(), want the first map's change not to show")
	}
	if got := c.Env["JOB_NAME"]; got != "team/app" {
		t.Errorf("got Context.Env JOB_NAME %q, want %q", got, "team/app")
	}
	if got := section(t, c, "job")["name"]; got != "team/app" {
		t.Errorf("got Context job.name %q, want %q", got, "team/app")
	}
}

// matchCases are patterns and names on which match must agree with
// path.Match: the fast shapes (no star, one star at either end or in the
// middle) and the ones that fall back (?, classes, escapes, two stars).
var matchCases = []struct{ pattern, name string }{
	{"BUILD_*", "BUILD_NUMBER"}, {"BUILD_*", "BUILD_"}, {"BUILD_*", "BUILD"}, {"BUILD_*", "XBUILD_N"},
	{"BUILD_*", "BUILD_a/b"}, {"BUILD_*", "build_number"}, {"*_INTERNAL", "DB_INTERNAL"},
	{"*_INTERNAL", "_INTERNAL"}, {"*_INTERNAL", "INTERNAL"}, {"*_INTERNAL", "A/B_INTERNAL"},
	{"RUN_*_URL", "RUN_DISPLAY_URL"}, {"RUN_*_URL", "RUN__URL"}, {"RUN_*_URL", "RUN_URL"},
	{"RUN_*_URL", "RUN_A/B_URL"}, {"RUN_*_URL", "RUN_X_URLS"}, {"A*A", "A"}, {"A*A", "AA"},
	{"A*A", "AXA"}, {"*", ""}, {"*", "ANY"}, {"*", "a/b"}, {"", ""}, {"", "X"}, {"EXACT", "EXACT"},
	{"EXACT", "EXACTLY"}, {"a/*", "a/b"}, {"a/*", "a/b/c"}, {"*/b", "a/b"},
	{"**", "AB"}, {"A**B", "AXB"}, {"A*B*C", "AXBYC"}, {"A*B*C", "ABC"}, {"A*B*C", "AC"},
	{"X?", "XY"}, {"X?", "X"}, {"APP_[A-Z]*", "APP_X1"}, {"APP_[A-Z]*", "APP_1"},
	{`A\*`, "A*"}, {`A\*`, "AB"}, {"[", "["}, {"DEPLOY_[*", "DEPLOY_["}, {`\`, `\`},
	{"É_*", "É_X"}, {"*_É", "X_É"}, {"A*", "A\xff"}, {"*\xff", "A\xff"}, {"\xe9*", "\xe9X"},
}

func TestMatchAgreesWithPathMatch(t *testing.T) {
	for _, tt := range matchCases {
		want, _ := path.Match(tt.pattern, tt.name)
		if got := compile([]string{tt.pattern})[0].match(tt.name); got != want {
			t.Errorf("got match(%q, %q) = %v, want %v as path.Match", tt.pattern, tt.name, got, want)
		}
		if got := matchAny(compile([]string{tt.pattern}), tt.name); got != (want || tt.pattern == tt.name) {
			t.Errorf("got matchAny([%q], %q) = %v, want %v", tt.pattern, tt.name, got, want || tt.pattern == tt.name)
		}
	}
}

// FuzzMatch checks the fast path of match against path.Match.
func FuzzMatch(f *testing.F) {
	for _, tt := range matchCases {
		f.Add(tt.pattern, tt.name)
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		want, _ := path.Match(pattern, name)
		want = want || pattern == name
		if got := matchAny(compile([]string{pattern}), name); got != want {
			t.Errorf("got matchAny([%q], %q) = %v, want %v (path.Match or equal)", pattern, name, got, want)
		}
	})
}

// FuzzLooksSecret checks LooksSecret's ASCII fast path against the
// general one, which upper-cases and splits the whole name.
func FuzzLooksSecret(f *testing.F) {
	for _, s := range []string{"GITHUB_TOKEN", "github_token", "KEYBOARD_LAYOUT", "A-KEY-B", "X__PWD__", "ſecret", "TOKEN\xff", "CREDENTIALS_X", "APIKEY1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := LooksSecret(name), looksSecretUnicode(name); got != want {
			t.Errorf("got LooksSecret(%q) = %v, want %v", name, got, want)
		}
	})
}

func TestSecretValues(t *testing.T) {
	environ := []string{
		"GITHUB_TOKEN=ghp-value", "DB_PASSWORD=pw-value", "REGISTRY=robot:pass", "REGISTRY_USR=robot", "REGISTRY_PSW=pass",
		"PWD=/ws/app", "OLDPWD=/ws", "BUILD_TAG=jenkins-app-1", "EMPTY_TOKEN=", "KEYBOARD_LAYOUT=us",
	}
	got := SecretValues(environ)
	want := []string{"ghp-value", "pw-value", "robot:pass", "robot", "pass"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("SecretValues = %q, want %q", got, want)
	}
}
