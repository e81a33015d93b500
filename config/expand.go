package config

import (
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
func (s *Settings) expand(env map[string]string, vars []string) error {
	x := expander{env: env}
	for _, name := range vars {
		x.names = append(x.names, name)
		if v, ok := env[name]; ok {
			x.values = append(x.values, v)
		}
	}
	// Recorded even when expansion fails half way, for the error's sake.
	defer func() { s.Secrets, s.SecretVars = x.values, x.names }()
	var err error
	if s.raw["url"] {
		if s.URL, err = x.expand(s.URL); err != nil {
			return &Error{Where: s.src["url"], Err: err}
		}
	}
	// Drop headers bound to another host before expanding header values, so
	// a variable only a dropped header needs does not have to be set.
	s.dropForeignHeaders(env)
	for i, h := range s.Headers {
		if !h.fromFile {
			continue // from --header: the shell already expanded it
		}
		if s.Headers[i].Value, err = x.expand(h.Value); err != nil {
			return &Error{Where: h.where, Err: err}
		}
	}
	if s.Fields != nil {
		before := x.expanded
		v, err := x.expandAny(s.Fields)
		if err != nil {
			return &Error{Where: s.src["fields"], Err: err}
		}
		s.Fields = v.(map[string]any)
		s.SecretFields = x.expanded > before
	}
	if s.Signing.Scheme != "" {
		secret, err := x.expand(s.signingSecret)
		if err != nil {
			return &Error{Where: s.src["signing.secret"], Err: err}
		}
		if s.Signing.Keys, err = signingKeys(s.Signing.Scheme, secret); err != nil {
			where := s.src["signing.secret"]
			if where == "" {
				where = s.src["signing.scheme"]
			}
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
	s.Secrets, s.SecretVars = x.values, x.names
	return nil
}

type expander struct {
	env      map[string]string
	values   []string
	names    []string
	expanded int // ${VAR}s replaced so far
}

func (x *expander) expand(v string) (string, error) {
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
			if !ok {
				return "", fmt.Errorf("environment variable %s is not set", name)
			}
			b.WriteString(val)
			x.expanded++
			if !slices.Contains(x.names, name) {
				x.names = append(x.names, name)
				x.values = append(x.values, val)
			}
			i += 2 + end
		default:
			return "", errors.New("a $ must start ${NAME} (write $$ for a literal $)")
		}
	}
	return b.String(), nil
}

func (x *expander) expandAny(v any) (any, error) {
	switch v := v.(type) {
	case string:
		return x.expand(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			e, err := x.expandAny(v[k])
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
			if out[i], err = x.expandAny(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []map[string]any: // an array of tables
		list := make([]any, len(v))
		for i, e := range v {
			list[i] = e
		}
		return x.expandAny(list)
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
