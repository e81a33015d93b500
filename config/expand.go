package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// expand replaces ${VAR} in the file's url, header values and field
// strings. vars are the names of every ${VAR} in the file: all of them,
// and the values of those that are set, are the settings' secrets, also
// when this send expands none of them (a header left out for another
// host, a target not used) — so no such variable enters a payload's env.
//
// offline (validate, env) keeps an unset variable's ${NAME} as written,
// records it in s.Vars and leaves out the checks its value would need,
// saying so in s.Unchecked; otherwise an unset variable is the error.
func (s *Settings) expand(env map[string]string, vars []string, offline bool) error {
	x := expander{env: env, offline: offline}
	for _, name := range vars {
		x.names = append(x.names, name)
		if v, ok := env[name]; ok {
			x.values = append(x.values, v)
		}
	}
	// Recorded even when expansion fails half way, for the error's sake.
	defer func() { s.Secrets, s.SecretVars, s.Vars = x.values, x.names, x.vars }()
	var err error
	if s.raw["url"] {
		if s.URL, err = x.expand(s.URL, s.src["url"]); err != nil {
			return &Error{Where: s.src["url"], Err: err}
		}
		s.urlUnset = x.unset // validate checks what it can
	}
	// Drop headers bound to another host before expanding header values, so
	// a variable only a dropped header needs does not have to be set.
	s.dropForeignHeaders(env)
	for i, h := range s.Headers {
		if !h.fromFile {
			continue // from --header: the shell already expanded it
		}
		if s.Headers[i].Value, err = x.expand(h.Value, h.where); err != nil {
			return &Error{Where: h.where, Err: err}
		}
	}
	if s.Fields != nil {
		before := x.expanded
		out := make(map[string]any, len(s.Fields))
		for _, k := range sortedKeys(s.Fields) {
			where := cmp.Or(s.fieldSrc[k], s.src["fields"])
			if out[k], err = x.expandAny(s.Fields[k], where); err != nil {
				return &Error{Where: where, Err: err}
			}
		}
		s.Fields = out
		s.SecretFields = x.expanded > before
	}
	if s.Signing.Scheme != "" {
		where := cmp.Or(s.src["signing.secret"], s.src["signing.scheme"])
		secret, err := x.expand(s.signingSecret, where)
		if err != nil {
			return &Error{Where: where, Err: err}
		}
		if len(x.unset) > 0 {
			// No keys to decode: a send sets the variable, and is checked then.
			s.Unchecked = append(s.Unchecked, uncheckedNote("signing.secret", x.unset))
			return nil
		}
		if s.Signing.Keys, err = signingKeys(s.Signing.Scheme, secret); err != nil {
			return &Error{Where: where, Err: err}
		}
		// The whole secret, the keys it decodes to and, for
		// standard-webhooks, each of its space-separated secrets (an
		// hmac-sha256 secret is one secret, spaces and all).
		x.values = append(x.values, secret)
		if s.Signing.Scheme == StandardWebhooks {
			x.values = append(x.values, strings.Fields(secret)...)
		}
		for _, k := range s.Signing.Keys {
			x.values = append(x.values, string(k))
		}
	}
	return nil
}

// uncheckedNote says that key's value was not checked, for validate.
func uncheckedNote(key string, unset []string) string {
	held := make([]string, len(unset))
	for i, n := range unset {
		held[i] = "${" + n + "}"
	}
	verb := "is"
	if len(unset) > 1 {
		verb = "are"
	}
	return fmt.Sprintf("%s is not checked: it holds %s, which %s not set here", key, strings.Join(held, ", "), verb)
}

// Var is a variable that a ${VAR} this send expands names: whether it is
// set, and where it is used. Never its value.
type Var struct {
	Name   string
	Set    bool
	UsedAt []string // the file, line and key of each use: "cfg.toml:3: headers.Authorization"
}

type expander struct {
	env     map[string]string
	offline bool // an unset variable stays ${NAME} and is recorded, not an error
	values  []string
	names   []string
	// expanded counts the ${VAR}s replaced so far; vars are the variables
	// met so far, set or not; unset names those the last expand left as
	// they were (offline only).
	expanded int
	vars     []Var
	unset    []string
}

// expand expands v, the value of the key at where.
func (x *expander) expand(v, where string) (string, error) {
	x.unset = nil
	if !strings.Contains(v, "$") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '$' {
			b.WriteByte(v[i])
			continue
		}
		switch {
		case i+1 < len(v) && v[i+1] == '$':
			b.WriteByte('$')
			i++
		case i+1 < len(v) && v[i+1] == '{':
			end := strings.IndexByte(v[i+2:], '}')
			if end < 0 {
				return "", errors.New("unterminated ${ (write $$ for a literal $)")
			}
			name := v[i+2 : i+2+end]
			if !validName(name) {
				return "", fmt.Errorf("bad variable name %q in ${…}", name)
			}
			val, ok := x.env[name]
			x.use(name, ok, where)
			switch {
			case ok:
				b.WriteString(val)
				x.expanded++
				if !slices.Contains(x.names, name) {
					x.names = append(x.names, name)
					x.values = append(x.values, val)
				}
			case x.offline:
				b.WriteString(v[i : i+3+end])
				if !slices.Contains(x.unset, name) {
					x.unset = append(x.unset, name)
				}
			default:
				return "", fmt.Errorf("environment variable %s is not set", name)
			}
			i += 2 + end
		default:
			return "", errors.New("a $ must start ${NAME} (write $$ for a literal $)")
		}
	}
	return b.String(), nil
}

// use records that the key at where uses the variable name.
func (x *expander) use(name string, set bool, where string) {
	i := slices.IndexFunc(x.vars, func(v Var) bool { return v.Name == name })
	if i < 0 {
		x.vars = append(x.vars, Var{Name: name, Set: set})
		i = len(x.vars) - 1
	}
	if where != "" && !slices.Contains(x.vars[i].UsedAt, where) {
		x.vars[i].UsedAt = append(x.vars[i].UsedAt, where)
	}
}

// expandAny expands the strings in v, a value of [fields] at where, at
// any depth.
func (x *expander) expandAny(v any, where string) (any, error) {
	switch v := v.(type) {
	case string:
		return x.expand(v, where)
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			e, err := x.expandAny(v[k], where)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = e
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			var err error
			if out[i], err = x.expandAny(e, where); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []map[string]any: // an array of tables
		list := make([]any, len(v))
		for i, e := range v {
			list[i] = e
		}
		return x.expandAny(list, where)
	default:
		return v, nil
	}
}

// varNames appends to names the name of every ${VAR} in v's strings, at
// any depth, each once. Text that is not a well-formed ${NAME} adds
// nothing here: expanding it is the error.
func varNames(v any, names []string) []string {
	switch v := v.(type) {
	case string:
		for i := 0; i < len(v); i++ {
			if v[i] != '$' || i+1 >= len(v) {
				continue
			}
			switch v[i+1] {
			case '$':
				i++
			case '{':
				end := strings.IndexByte(v[i+2:], '}')
				if end < 0 {
					return names
				}
				if name := v[i+2 : i+2+end]; validName(name) && !slices.Contains(names, name) {
					names = append(names, name)
				}
				i += 2 + end
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(v) {
			names = varNames(v[k], names)
		}
	case []any:
		for _, e := range v {
			names = varNames(e, names)
		}
	case []map[string]any:
		for _, e := range v {
			names = varNames(e, names)
		}
	}
	return names
}

func validName(n string) bool {
	if n == "" {
		return false
	}
	for i, r := range n {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
