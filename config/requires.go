package config

import (
	"fmt"
	"strconv"
	"strings"
)

// A release is a jobnotify version as major, minor and patch numbers,
// and whether it is a pre-release of them (1.4.0-rc1, a snapshot).
type release struct {
	n   [3]int
	pre bool
}

// parseRelease reads "1.4", "1.4.2", "v1.4.2" or "1.4.2-snapshot-abc";
// ok is false for anything else, such as "dev".
func parseRelease(v string) (r release, ok bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	v, suffix, hasSuffix := strings.Cut(v, "-")
	r.pre = hasSuffix && suffix != ""
	parts := strings.Split(v, ".")
	if len(parts) > 3 || hasSuffix && suffix == "" {
		return r, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p != strconv.Itoa(n) {
			return r, false
		}
		r.n[i] = n
	}
	return r, true
}

// before reports whether r is older than o: a pre-release comes before
// its release.
func (r release) before(o release) bool {
	for i := range r.n {
		if r.n[i] != o.n[i] {
			return r.n[i] < o.n[i]
		}
	}
	return r.pre && !o.pre
}

// requires reads the file's requires key: the oldest jobnotify the file
// is written for. It returns whether this binary (version) is older than
// that, in which case a key it does not know may be one a newer version
// knows, and is a warning rather than an error. A binary that does not
// know its own version (a plain go build says "dev") takes any requires
// as newer than itself. A requires that does not parse is an error: the
// file cannot say which keys are new and which are typos.
func (f *File) requires(doc map[string]any, version string) (older bool, err error) {
	v, ok := doc["requires"]
	if !ok {
		return false, nil
	}
	s, isText := v.(string)
	want, parsed := parseRelease(s)
	switch {
	case !isText:
		return false, &Error{Where: f.where("requires"), Err: fmt.Errorf("want a version in quotes, such as \"1.4\", got %s", tomlType(v))}
	case !parsed:
		return false, &Error{Where: f.where("requires"), Err: fmt.Errorf("%q is not a version such as \"1.4\" or \"1.4.2\" (without one, jobnotify cannot tell a newer key from a typo)", s)}
	}
	f.Requires = s
	have, known := parseRelease(version)
	return !known || have.before(want), nil
}

// tolerate records an unknown key of a file that requires a newer
// jobnotify than this one, and reports whether it did: the caller then
// skips the key. Keys inside one already recorded (the keys of an
// unknown table) are skipped without a second warning.
func (f *File) tolerate(key string, err error, version string) bool {
	if !f.newer {
		return false
	}
	for _, k := range f.Ignored {
		if strings.HasPrefix(key, k+".") || k == key {
			return true
		}
	}
	f.Ignored = append(f.Ignored, key)
	this := "this is " + version
	if _, ok := parseRelease(version); !ok {
		this = "this build (" + version + ") does not know its version"
	}
	f.Warnings = append(f.Warnings, fmt.Sprintf("%v: ignored, since the file requires jobnotify %s and %s (upgrade it)", err, f.Requires, this))
	return true
}
