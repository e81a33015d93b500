// Package config locates, parses and resolves jobnotify's global TOML
// configuration: defaults, then the file's top level, then a target table,
// then command-line and environment overrides, then ${VAR} expansion and
// validation.
package config

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/internal/input"
	"github.com/jobnotify/jobnotify/internal/owner"
)

// File is a parsed config file: its top level and its targets, each a
// layer of the keys it sets.
type File struct {
	// Path is where the file was read from. It is not a key of the file.
	Path string
	// Warnings are problems worth a line on stderr that do not stop a
	// send, such as a literal secret in a file others can read.
	Warnings []string
	// Requires is the file's requires key ("1.4"): the oldest jobnotify it
	// is written for; "" when it has none.
	Requires string
	// Ignored are the unknown keys left out because the file requires a
	// newer jobnotify than this one (each also a warning); validate
	// --strict fails for them.
	Ignored []string

	newer    bool // this binary is older than Requires
	top      layer
	targets  map[string]layer
	defaults []string // default_targets
	data     []byte
	keys     []keyAt // the file's tables and keys with their lines, once where needs them
	keysOnce sync.Once
	// vars are the names of every ${VAR} in the file's strings, in any
	// table and target, used by a send or not: all of them are secrets.
	vars []string
}

// A layer is one level of settings — the file's top level, a
// [targets.NAME] table, or the command line — as the keys it sets, each
// with its value already checked and converted (see keys).
type layer map[string]any

// Targets lists the names of the file's [targets.NAME] tables, sorted.
func (f *File) Targets() []string { return sortedKeys(f.targets) }

// DefaultTargets are the targets of default_targets, the set a send uses
// when none is named; nil when the file has none.
func (f *File) DefaultTargets() []string { return slices.Clone(f.defaults) }

// Error is a problem with the configuration or the command line. Where is
// the flag, or the file, line and key, that the problem is in.
type Error struct {
	Where string
	Err   error
	// Secrets are values the message may contain that must be redacted
	// before it is printed (values ${VAR} expanded to); never printed.
	Secrets []string
}

func (e *Error) Error() string { return e.Where + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Find returns the config file to read: explicit (from --config) first, then
// $JOBNOTIFY_CONFIG, then the user's file and the system's (Candidates, for
// the system jobnotify runs on). Never the working directory. It returns
// "" when no file exists at the implicit places; a named file that does
// not exist is an error.
func Find(explicit string, env map[string]string) (string, error) {
	for _, named := range []struct{ path, by string }{{explicit, "--config"}, {env["JOBNOTIFY_CONFIG"], "$JOBNOTIFY_CONFIG"}} {
		if named.path == "" {
			continue
		}
		if _, err := os.Stat(named.path); err != nil {
			return "", &Error{Where: named.by, Err: fmt.Errorf("config file %s: %w", named.path, errors.Unwrap(err))}
		}
		return named.path, nil
	}
	for _, p := range Candidates(runtime.GOOS, env) {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", nil
}

// Candidates lists the implicit config locations on goos, in the order
// Find tries them: the user's file, then the system's.
//
// On Unix: $XDG_CONFIG_HOME/jobnotify/config.toml (else
// ~/.config/jobnotify/config.toml), then /etc/jobnotify/config.toml.
//
// On Windows: %APPDATA%\jobnotify\config.toml, then
// %ProgramData%\jobnotify\config.toml, each only when its variable is an
// absolute path (env's names in capitals: see the app's envMap). There is
// no fixed fallback: /etc/jobnotify would be \etc\jobnotify on the
// current drive, which any user may create.
func Candidates(goos string, env map[string]string) []string {
	if goos == "windows" {
		var c []string
		for _, v := range []string{"APPDATA", "PROGRAMDATA"} {
			if dir := env[v]; windowsAbs(dir) {
				c = append(c, strings.TrimRight(dir, `\/`)+`\jobnotify\config.toml`)
			}
		}
		return c
	}
	var c []string
	if x := env["XDG_CONFIG_HOME"]; x != "" && path.IsAbs(x) {
		c = append(c, path.Join(x, "jobnotify", "config.toml"))
	} else if h := env["HOME"]; h != "" && path.IsAbs(h) {
		c = append(c, path.Join(h, ".config", "jobnotify", "config.toml"))
	}
	return append(c, "/etc/jobnotify/config.toml")
}

// windowsAbs reports whether p is an absolute Windows path: C:\… (or C:/…)
// or \\server\share…. It is filepath.IsAbs on Windows, written out so that
// the Windows locations are the same, and tested, on every system.
func windowsAbs(p string) bool {
	if strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, "//") {
		return len(p) > 2
	}
	return len(p) >= 3 && ('A' <= p[0]&^0x20 && p[0]&^0x20 <= 'Z') && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// maxFileSize is the longest config file Load reads: a config is a few
// dozen lines, and anything longer is not one.
const maxFileSize = 1 << 20

// Load reads and parses the file at path for the jobnotify of the given
// version. Unknown keys and bad TOML are errors naming the line, unless
// the file requires a newer version (see Parse). The read ends when ctx is done (a FIFO with no
// writer, /dev/stdin on a pipe that never closes), with an error wrapping
// context.Cause(ctx), and at maxFileSize (/dev/zero). A UTF-8 byte order
// mark is dropped and UTF-16 with one decoded (input.UTF8).
func Load(ctx context.Context, path, version string) (*File, error) {
	text, err := input.ReadFile(ctx, path, maxFileSize)
	var tl *input.TooLargeError
	if errors.As(err, &tl) {
		err = fmt.Errorf("%w: a config file is never that long", err)
	}
	if err == nil {
		// Notepad and PowerShell 5 save UTF-16 with a byte order mark.
		text, err = input.UTF8(text)
		var ue *input.UTF16Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("the file is %w; save it as UTF-8", err)
		}
	}
	if err != nil {
		return nil, &Error{Where: path, Err: err}
	}
	f, err := Parse(path, []byte(text), version)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Where: path, Err: errors.Unwrap(err)}
	}
	if err := f.checkAccess(runtime.GOOS, fi.Mode().Perm(), func() string { return windowsProblem(path, owner.Check, owner.CheckOwner) }); err != nil {
		return nil, err
	}
	return f, nil
}

// checkFiles refuses a file the settings name to be read (template_file,
// the [tls] files) that is not a regular file: a FIFO or a device there is
// a mistake, and reading one could wait for ever or never end. A file
// that does not exist is left to the reader, which names it.
func (s *Settings) checkFiles() error {
	for _, k := range keys() {
		if k.file == nil {
			continue
		}
		path := k.file(s)
		if path == "" {
			continue
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().IsRegular() {
			continue
		}
		return &Error{Where: cmp.Or(s.src[k.name], k.name), Err: fmt.Errorf("%s is %s, not a regular file", path, kindOf(fi.Mode()))}
	}
	return nil
}

// kindOf names a file type that is not a regular file.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// Parse parses data as a config file named path, for the jobnotify of
// the given version. Every key is checked against the table of keys, in
// the order the file has them: the first unknown key or value of the
// wrong type is the error, with its line. When the file's requires names
// a newer version than this one, an unknown key is a warning instead, and
// left out (a staged rollout: the key is one a newer version knows).
func Parse(path string, data []byte, version string) (*File, error) {
	f := &File{Path: path, data: data, top: layer{}, targets: map[string]layer{}}
	var doc map[string]any
	text := string(data)
	md, err := toml.Decode(text, &doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			where := fmt.Sprintf("%s:%d:%d", path, pe.Position.Line, pe.Position.Col)
			msg := pe.Message
			if pe.LastKey != "" {
				where += ": " + pe.LastKey
				if secretKey(pe.LastKey) {
					// The parser quotes what it found: a literal token.
					msg = quoted().ReplaceAllString(msg, `"…"`)
				}
			}
			return nil, &Error{Where: where, Err: errors.New(msg)}
		}
		return nil, &Error{Where: path, Err: err}
	}
	if f.newer, err = f.requires(doc, version); err != nil {
		return nil, err
	}
	for _, k := range md.Keys() {
		err := f.take(doc, k)
		var unknown *unknownKeyError
		if errors.As(err, &unknown) && f.tolerate(unknown.key, err, version) {
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	// The raw text too: a ${VAR} in a comment (an old URL left there)
	// names a secret as well.
	f.vars = varNames(text, varNames(doc, nil))
	if err := f.checkDefaults(); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

var quoted = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`"[^"]*"|'[^']*'`) })

// secretKey reports whether a dotted key holds a secret: a sensitive
// header or a signing secret, at the top level or in a target.
func secretKey(key string) bool {
	parts := strings.Split(key, ".")
	n := len(parts)
	return n >= 2 && (parts[n-2] == "headers" && Sensitive(parts[n-1]) || parts[n-2] == "signing" && parts[n-1] == "secret")
}

// take files one key of the document, as md.Keys lists them (tables, and
// keys inside them), into its layer.
func (f *File) take(doc map[string]any, k toml.Key) error {
	l, prefix, rel := f.top, "", []string(k)
	if len(k) == 1 && k[0] == "requires" {
		return nil // read first, by requires
	}
	if len(k) == 1 && k[0] == "default_targets" {
		return f.takeDefaults(doc["default_targets"])
	}
	if k[0] == "targets" {
		targets, ok := doc["targets"].(map[string]any)
		if !ok {
			return &Error{Where: f.where("targets"), Err: errors.New("want [targets.NAME] tables")}
		}
		if len(k) == 1 {
			return nil
		}
		if _, ok := targets[k[1]].(map[string]any); !ok {
			return &Error{Where: f.where("targets." + k[1]), Err: errors.New("want a table of settings")}
		}
		if f.targets[k[1]] == nil {
			f.targets[k[1]] = layer{}
		}
		l, prefix, rel = f.targets[k[1]], "targets."+k[1]+".", k[2:]
		if len(rel) == 0 {
			return nil
		}
		if len(rel) == 1 && (rel[0] == "requires" || rel[0] == "default_targets") {
			return &Error{Where: f.where(prefix + rel[0]), Err: fmt.Errorf("%s is the whole file's: set it at the top, before any table", rel[0])}
		}
	}
	switch place(rel) {
	case placeTable:
		// retry = 5, or [[retry]]: a fixed table must be a table.
		if _, ok := valueAt(doc, k).(map[string]any); !ok {
			return &Error{Where: f.where(prefix + strings.Join(rel, ".")), Err: fmt.Errorf("want a table, got %s", tomlType(valueAt(doc, k)))}
		}
		return nil
	case placeInMap:
		// [fields.build] lists no key "fields": take the table from one
		// of its keys.
		k, rel = k[:len(k)-len(rel)+1], rel[:1]
		if _, done := l[rel[0]]; done {
			return nil
		}
	case placeUnknown:
		unknown := toml.Key(rel[:unknownPart(rel)+1]).String() // a part with a dot in it stays quoted
		return &Error{Where: f.where(prefix + unknown), Err: &unknownKeyError{key: prefix + unknown, suggestion: suggest(rel[unknownPart(rel)])}}
	}
	name := strings.Join(rel, ".")
	kk, ok := lookupKey(name)
	if !ok {
		return &Error{Where: f.where(prefix + name), Err: &unknownKeyError{key: prefix + name}}
	}
	v, err := kk.parse(valueAt(doc, k))
	if err != nil {
		var se *subKeyError
		if errors.As(err, &se) {
			name, err = name+"."+se.sub, se.err
		}
		return &Error{Where: f.where(prefix + name), Err: err}
	}
	l[kk.name] = v
	return nil
}

// takeDefaults reads default_targets: a list of target names, each once.
// That each names a [targets.NAME] table is checked once all are read.
func (f *File) takeDefaults(v any) error {
	where := f.where("default_targets")
	list, err := want[[]any](v, "a list of target names")
	if err != nil {
		return &Error{Where: where, Err: err}
	}
	if len(list) == 0 {
		return &Error{Where: where, Err: errors.New("no target: name one or more [targets.NAME], or leave the key out to send to the top level")}
	}
	for _, e := range list {
		name, ok := e.(string)
		switch {
		case !ok:
			return &Error{Where: where, Err: fmt.Errorf("want a list of target names, got %s in it", tomlType(e))}
		case slices.Contains(f.defaults, name):
			return &Error{Where: where, Err: fmt.Errorf("%q is named twice", name)}
		}
		f.defaults = append(f.defaults, name)
	}
	return nil
}

// checkDefaults reports a name of default_targets that has no table.
func (f *File) checkDefaults() error {
	for _, name := range f.defaults {
		if _, ok := f.targets[name]; !ok {
			return &Error{Where: f.where("default_targets"), Err: fmt.Errorf("no [targets.%s] in the file%s", name, f.targetList())}
		}
	}
	return nil
}

// unknownKeyError is a key the table of keys does not have.
type unknownKeyError struct {
	key        string // dotted, as in the file: "targets.chat.heders"
	suggestion string // " (did you mean …?)", or ""
}

func (e *unknownKeyError) Error() string { return fmt.Sprintf("unknown key %q%s", e.key, e.suggestion) }

// subKeyError is a problem with one entry of a table key (one header).
type subKeyError struct {
	sub string
	err error
}

func (e *subKeyError) Error() string { return e.sub + ": " + e.err.Error() }

// Where a key of the file stands in the table of keys.
const (
	placeKey     = iota // a key of the table
	placeTable          // a table of keys: retry, env, signing, spool, tls
	placeInMap          // inside headers or fields, where any key is the user's
	placeUnknown        // none of these
)

// place compares a key's parts with each key's, part by part: a quoted
// "headers.Authorization" is one part, so it is no header.
func place(rel []string) int {
	for _, k := range keys() {
		parts := strings.Split(k.name, ".")
		switch {
		case slices.Equal(parts, rel):
			return placeKey
		case len(rel) < len(parts) && slices.Equal(parts[:len(rel)], rel):
			return placeTable
		case k.isMap && len(rel) > len(parts) && slices.Equal(rel[:len(parts)], parts):
			return placeInMap
		}
	}
	return placeUnknown
}

// unknownPart returns the index of the first part of an unknown key that
// is not a key or table at its place: 0 for heders.Authorization.
func unknownPart(rel []string) int {
	for i := range rel {
		if place(rel[:i+1]) == placeUnknown {
			return i
		}
	}
	return len(rel) - 1
}

// valueAt returns the value of key k in the decoded document.
func valueAt(doc map[string]any, k toml.Key) any {
	var v any = doc
	for _, p := range k {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// where names a key of the file with its line, for error messages.
func (f *File) where(key string) string {
	if f == nil {
		return key
	}
	// Listed once: each key a send's settings take from the file is
	// placed, and the targets of a call resolve (for flush on send) at once.
	f.keysOnce.Do(func() { f.keys = keysOf(f.data) })
	if line := lineOf(f.keys, key); line > 0 {
		return fmt.Sprintf("%s:%d: %s", f.Path, line, key)
	}
	return fmt.Sprintf("%s: %s", f.Path, key)
}

func (f *File) layerWhere(prefix string) func(string) string {
	return func(key string) string { return f.where(prefix + key) }
}

// suggest offers the known key closest to an unknown one.
func suggest(last string) string {
	if best := human.Closest(last, knownNames()); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// keyLine finds the line that defines a dotted key (such as
// "targets.chat.heders") by following table headers and key assignments.
// It is a reader of the common shapes, not a TOML parser: 0 means not found.
func keyLine(data []byte, key string) int { return lineOf(keysOf(data), key) }

// A keyAt is a table header or a key assignment of the file, and its line.
type keyAt struct {
	line int
	name string // dotted, in full: the table's, or the key's after its table's
	kind byte   // '[' a table, 'a' an array of tables, '=' a key
}

// keysOf lists the file's table headers and key assignments, in order.
func keysOf(data []byte) []keyAt {
	var out []keyAt
	table := ""
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || t[0] == '#':
			continue
		case strings.HasPrefix(t, "[["):
			table = normKey(strings.Trim(strings.SplitN(t, "]]", 2)[0], "[ "))
			out = append(out, keyAt{line: i + 1, name: table, kind: 'a'})
		case t[0] == '[':
			table = normKey(strings.TrimPrefix(strings.SplitN(t, "]", 2)[0], "["))
			out = append(out, keyAt{line: i + 1, name: table, kind: '['})
		default:
			name, _, ok := strings.Cut(t, "=")
			if !ok {
				continue
			}
			full := normKey(name)
			if table != "" {
				full = table + "." + full
			}
			out = append(out, keyAt{line: i + 1, name: full, kind: '='})
		}
	}
	return out
}

// lineOf is the line of the first of keys that defines key: its table,
// a table in it, or an assignment of it, of a key in it or of the key it
// is in (an inline table); 0 for none.
func lineOf(keys []keyAt, key string) int {
	for _, k := range keys {
		in := strings.HasPrefix(k.name, key) && len(k.name) > len(key) && k.name[len(key)] == '.'
		switch k.kind {
		case 'a':
			if k.name == key {
				return k.line
			}
		case '[':
			if k.name == key || in {
				return k.line
			}
		default:
			if k.name == key || in || strings.HasPrefix(key, k.name) && len(key) > len(k.name) && key[len(k.name)] == '.' {
				return k.line
			}
		}
	}
	return 0
}

func normKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// PeekSoftFail reports whether the config file at path sets soft_fail,
// in the table of target (its name; "" for none) or else at the top,
// reading only that: for a send whose config did not load or resolve,
// which must still know whether its failure fails the build. A file
// that cannot be read or is not TOML says no.
func PeekSoftFail(path, target string) bool {
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() || fi.Size() > maxFileSize {
		return false // a FIFO would wait for a writer
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	text, err := input.UTF8(string(data))
	if err != nil {
		return false
	}
	var doc map[string]any
	if _, err := toml.Decode(text, &doc); err != nil {
		return false
	}
	soft, _ := doc["soft_fail"].(bool)
	if t, ok := valueAt(doc, toml.Key{"targets", target, "soft_fail"}).(bool); ok && target != "" {
		soft = t
	}
	return soft
}
