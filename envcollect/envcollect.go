// Package envcollect turns a build's environment into the context a
// notification carries: the job, build, scm and change sections and an
// allow-listed, secret-filtered copy of the environment.
//
// It never reads the process environment itself: callers pass K=V pairs.
package envcollect

import (
	"bytes"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// jenkinsAllow is the built-in allow-list: the variables Jenkins sets for a
// build.
var jenkinsAllow = []string{
	"BUILD_*", "JOB_*", "GIT_*", "CHANGE_*", "TAG_*", "BRANCH_*",
	"NODE_NAME", "NODE_LABELS", "EXECUTOR_NUMBER", "WORKSPACE", "WORKSPACE_TMP",
	"JENKINS_URL", "RUN_*_URL", "STAGE_NAME", "CI",
}

// secretWords are the words that make a variable name look like a
// secret; a word of a name matches one of them ignoring trailing digits
// and then a plural S (GIT_TOKENS, GIT_TOKEN2). Joined words that are
// common in names (APITOKEN, ACCESSTOKEN) are words of their own.
var secretWords = map[string]bool{
	"TOKEN": true, "SECRET": true, "PASSWORD": true, "PASSWD": true, "PASS": true,
	"PWD": true, "PSW": true, "PASSPHRASE": true, "PAT": true, "CRED": true,
	"CREDS": true, "CREDENTIAL": true, "PRIVATE": true, "KEY": true,
	"APIKEY": true, "APITOKEN": true, "ACCESSTOKEN": true, "AUTH": true,
	"BEARER": true, "JWT": true, "COOKIE": true, "SESSION": true,
}

// secretWord reports whether w, one upper-case word of a name, is a
// secret word. It takes bytes so that the ASCII path of LooksSecret looks
// words up without allocating.
func secretWord(w []byte) bool {
	w = bytes.TrimRight(w, "0123456789")
	if secretWords[string(w)] {
		return true
	}
	n := len(w) - 1
	return n > 0 && w[n] == 'S' && secretWords[string(w[:n])]
}

// Options says which variables beyond the built-in set are wanted.
type Options struct {
	Include []string // glob patterns added to the allow-list; nil adds none
	Exclude []string // glob patterns or names removed; exclude always wins
}

// Context is the build context of one notification.
type Context struct {
	// System is the CI system detected: SystemJenkins, SystemGitHubActions,
	// SystemGitLabCI, or "" for none (then the Jenkins mapping applies).
	// It is not part of Map.
	System string
	// Sections holds job, build, scm, change and (on Jenkins) jenkins_url,
	// each present only when the environment has something for it.
	Sections map[string]any
	// Env is the filtered environment: allow-listed, secrets removed,
	// URL userinfo stripped.
	Env map[string]string
}

// Map returns the context as the payload's top level: the sections plus
// "env" when the filtered environment is not empty. The caller owns the map
// and the section maps in it: changing them does not change c.
func (c Context) Map() map[string]any {
	m := make(map[string]any, len(c.Sections)+1)
	for k, v := range c.Sections {
		if sec, ok := v.(map[string]any); ok {
			cp := make(map[string]any, len(sec))
			for sk, sv := range sec {
				cp[sk] = sv
			}
			v = cp
		}
		m[k] = v
	}
	if len(c.Env) > 0 {
		env := make(map[string]any, len(c.Env))
		for k, v := range c.Env {
			env[k] = v
		}
		m["env"] = env
	}
	return m
}

// LooksSecret reports whether a variable name looks like a secret's: one
// of its words (split at anything but letters and digits) is a secret
// word such as TOKEN, SECRET or KEY (see secretWord), or it is one of
// git's config-injection variables. GITHUB_TOKEN yes, KEYBOARD_LAYOUT no.
func LooksSecret(name string) bool {
	var buf [32]byte
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return looksSecretUnicode(name)
		}
	}
	for i := 0; i < len(name); {
		j := i
		for j < len(name) && isWordByte(name[j]) {
			j++
		}
		if w := name[i:j]; len(w) >= 3 && len(w) <= len(buf) {
			up := buf[:len(w)]
			for k := range len(w) {
				up[k] = w[k]
				if 'a' <= w[k] && w[k] <= 'z' {
					up[k] -= 'a' - 'A'
				}
			}
			if secretWord(up) {
				return true
			}
		}
		i = j + 1
	}
	return gitConfigVar(name)
}

func isWordByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// looksSecretUnicode is LooksSecret for names outside ASCII, where upper
// casing can turn a letter into A-Z (ſ into S).
func looksSecretUnicode(name string) bool {
	for _, w := range strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if secretWord([]byte(w)) {
			return true
		}
	}
	return gitConfigVar(name)
}

// gitConfigVar reports whether name is one of git's config-injection
// variables (GIT_CONFIG_PARAMETERS, GIT_CONFIG_KEY_n, GIT_CONFIG_VALUE_n):
// their values set any git option, http.extraHeader credentials among them.
func gitConfigVar(name string) bool {
	const prefix = "GIT_CONFIG_"
	if len(name) <= len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
		return false
	}
	rest := strings.ToUpper(name[len(prefix):])
	return rest == "PARAMETERS" || strings.HasPrefix(rest, "KEY_") || strings.HasPrefix(rest, "VALUE_")
}

// Allowed reports whether the variable name may enter a payload under opts.
func (o Options) Allowed(name string) bool {
	return o.compile().allowed(name)
}

// filter is Options compiled once for the many names of one environment.
type filter struct {
	exclude, include, jenkins []pattern
	// bound are the names a Jenkins credentials() binding set beside a
	// NAME_PSW: NAME (user:password) and NAME_USR. See bindings.
	bound map[string]bool
}

func (o Options) compile() filter {
	return filter{exclude: compile(o.Exclude), include: compile(o.Include), jenkins: compile(jenkinsAllow)}
}

func (f filter) allowed(name string) bool {
	if matchAny(f.exclude, name) {
		return false
	}
	for _, p := range f.include {
		if p.text == name {
			return true // naming a variable exactly overrides the secret rule
		}
	}
	if LooksSecret(name) || f.bound[name] {
		return false
	}
	return matchAny(f.jenkins, name) || matchAny(f.include, name)
}

// pattern is a glob pattern with its shape worked out once: nearly every
// pattern is literal text around at most one * (BUILD_*, *_INTERNAL,
// RUN_*_URL), which matches without path.Match.
type pattern struct {
	text          string
	before, after string // the text around the one *, when simple and star
	simple        bool   // no ?, [, \ and at most one *
	star          bool
}

func compile(patterns []string) []pattern {
	out := make([]pattern, len(patterns))
	for i, p := range patterns {
		out[i] = pattern{text: p}
		if strings.ContainsAny(p, `?[\`) {
			continue
		}
		before, after, star := strings.Cut(p, "*")
		if !strings.Contains(after, "*") {
			out[i] = pattern{text: p, before: before, after: after, simple: true, star: star}
		}
	}
	return out
}

// match is path.Match(p.text, name), ignoring a malformed pattern's error.
func (p pattern) match(name string) bool {
	if !p.simple {
		ok, _ := path.Match(p.text, name)
		return ok
	}
	if !p.star {
		return p.text == name
	}
	return len(name) >= len(p.before)+len(p.after) &&
		strings.HasPrefix(name, p.before) && strings.HasSuffix(name, p.after) &&
		strings.IndexByte(name[len(p.before):len(name)-len(p.after)], '/') < 0
}

// matchAny reports whether name is one of patterns or matches one. A name
// matches itself even when it is not a well-formed pattern, so an exclude
// always beats the same text as an include.
func matchAny(patterns []pattern, name string) bool {
	for _, p := range patterns {
		if p.text == name || p.match(name) {
			return true
		}
	}
	return false
}

// SecretValues returns the values of the variables of environ that the
// secret-name rule keeps out of every payload (LooksSecret, and the
// names a credentials() binding sets beside a NAME_PSW): jobnotify run
// redacts them from what it sends of a command's output. PWD and OLDPWD,
// which every shell sets to a directory, are not among them, though PWD
// is a secret word: the workspace's path would be *** in every line.
func SecretValues(environ []string) []string {
	bound := bindings(environ)
	var out []string
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if k == "PWD" || k == "OLDPWD" {
			continue
		}
		if ok && v != "" && (LooksSecret(k) || bound[k]) {
			out = append(out, v)
		}
	}
	return out
}

// bindings returns the names Jenkins' credentials() binding sets beside
// each NAME_PSW in environ: NAME, which holds user:password, and NAME_USR.
// NAME_PSW itself is a secret by its name.
func bindings(environ []string) map[string]bool {
	var bound map[string]bool
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if name, ok := strings.CutSuffix(k, "_PSW"); ok && name != "" {
			if bound == nil {
				bound = map[string]bool{}
			}
			bound[name], bound[name+"_USR"] = true, true
		}
	}
	return bound
}

// userinfo matches up to the last @ of the authority, as net/url does, so a
// password with a raw @ in it is removed whole.
var userinfo = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@`) })

// StripUserinfo removes user:password@ from a URL-looking value.
func StripUserinfo(v string) string {
	if !strings.Contains(v, "@") || !strings.Contains(v, "://") {
		return v
	}
	return userinfo().ReplaceAllString(v, "$1")
}

type field struct {
	key, env string
	number   bool
}

var sections = []struct {
	name   string
	fields []field
}{
	{"job", []field{{"name", "JOB_NAME", false}, {"base_name", "JOB_BASE_NAME", false}, {"url", "JOB_URL", false}}},
	{"build", []field{
		{"number", "BUILD_NUMBER", true}, {"id", "BUILD_ID", false}, {"url", "BUILD_URL", false},
		{"tag", "BUILD_TAG", false}, {"display_name", "BUILD_DISPLAY_NAME", false},
		{"node", "NODE_NAME", false}, {"executor", "EXECUTOR_NUMBER", true}, {"workspace", "WORKSPACE", false},
	}},
	{"scm", []field{{"url", "GIT_URL", false}, {"branch", "GIT_BRANCH", false}, {"commit", "GIT_COMMIT", false}, {"previous_commit", "GIT_PREVIOUS_COMMIT", false}}},
	{"change", []field{
		{"id", "CHANGE_ID", false}, {"url", "CHANGE_URL", false}, {"title", "CHANGE_TITLE", false},
		{"author", "CHANGE_AUTHOR", false}, {"target", "CHANGE_TARGET", false}, {"branch", "CHANGE_BRANCH", false},
	}},
}

// Collect builds the context from environ, a list of K=V pairs such as
// os.Environ returns. Later duplicates win, as in a shell. The CI system
// detected (Context.System) chooses the built-in allow-list (Jenkins's,
// GitHub Actions' or GitLab CI's; Jenkins's when none) and the section
// mapping.
func Collect(environ []string, opts Options) Context {
	env := make(map[string]string)
	sys := detect(environ)
	f := opts.compileFor(sys)
	f.bound = bindings(environ)
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || !f.admit(k) {
			continue
		}
		if v == "" {
			delete(env, k) // a later empty value unsets an earlier one
			continue
		}
		env[k] = StripUserinfo(v)
	}
	c := Context{System: sys, Sections: make(map[string]any), Env: env}
	if secs, ok := ciSections(sys, env); ok {
		c.Sections = secs
		return c
	}
	for _, s := range sections {
		m := make(map[string]any)
		for _, f := range s.fields {
			v, ok := env[f.env]
			if !ok {
				continue
			}
			if n, err := strconv.ParseInt(v, 10, 64); f.number && err == nil {
				m[f.key] = n
			} else {
				m[f.key] = v
			}
		}
		if len(m) > 0 {
			c.Sections[s.name] = m
		}
	}
	if v := env["JENKINS_URL"]; v != "" {
		c.Sections["jenkins_url"] = v
	}
	return c
}
