// Package envcollect turns a build's environment into the context a
// notification carries: the job, build, scm and change sections and an
// allow-listed, secret-filtered copy of the environment.
//
// It never reads the process environment itself: callers pass K=V pairs.
package envcollect

import (
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Jenkins is the built-in allow-list: the variables Jenkins sets for a build.
var Jenkins = []string{
	"BUILD_*", "JOB_*", "GIT_*", "CHANGE_*", "TAG_*", "BRANCH_*",
	"NODE_NAME", "NODE_LABELS", "EXECUTOR_NUMBER", "WORKSPACE", "WORKSPACE_TMP",
	"JENKINS_URL", "RUN_*_URL", "STAGE_NAME", "CI",
}

// secretWords are the _-separated words that make a variable name look like
// a secret.
var secretWords = map[string]bool{
	"TOKEN": true, "SECRET": true, "PASSWORD": true, "PASSWD": true, "PASS": true,
	"PWD": true, "CREDENTIAL": true, "CREDENTIALS": true, "PRIVATE": true,
	"KEY": true, "APIKEY": true, "AUTH": true, "COOKIE": true, "SESSION": true,
}

// Options says which variables beyond the built-in set are wanted.
type Options struct {
	Include []string // glob patterns added to the allow-list; nil adds none
	Exclude []string // glob patterns or names removed; exclude always wins
}

// Context is the build context of one notification.
type Context struct {
	// Sections holds job, build, scm, change and jenkins_url, each present
	// only when the environment has something for it.
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

// LooksSecret reports whether a variable name has a word such as TOKEN,
// SECRET or KEY in it (GITHUB_TOKEN yes, KEYBOARD_LAYOUT no).
func LooksSecret(name string) bool {
	for _, w := range strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if secretWords[w] {
			return true
		}
	}
	return false
}

// Allowed reports whether the variable name may enter a payload under opts.
func (o Options) Allowed(name string) bool {
	if matchAny(o.Exclude, name) {
		return false
	}
	for _, p := range o.Include {
		if p == name {
			return true // naming a variable exactly overrides the secret rule
		}
	}
	if LooksSecret(name) {
		return false
	}
	return matchAny(Jenkins, name) || matchAny(o.Include, name)
}

// matchAny reports whether name is one of patterns or matches one. A name
// matches itself even when it is not a well-formed pattern, so an exclude
// always beats the same text as an include.
func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok || p == name {
			return true
		}
	}
	return false
}

// ValidPattern reports whether p is a well-formed glob pattern.
func ValidPattern(p string) error {
	_, err := path.Match(p, "")
	return err
}

// userinfo matches up to the last @ of the authority, as net/url does, so a
// password with a raw @ in it is removed whole.
var userinfo = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@`)

// StripUserinfo removes user:password@ from a URL-looking value.
func StripUserinfo(v string) string {
	if !strings.Contains(v, "@") || !strings.Contains(v, "://") {
		return v
	}
	return userinfo.ReplaceAllString(v, "$1")
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
// os.Environ returns. Later duplicates win, as in a shell.
func Collect(environ []string, opts Options) Context {
	env := make(map[string]string)
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || !opts.Allowed(k) {
			continue
		}
		if v == "" {
			delete(env, k) // a later empty value unsets an earlier one
			continue
		}
		env[k] = StripUserinfo(v)
	}
	c := Context{Sections: make(map[string]any), Env: env}
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
