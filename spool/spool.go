// Package spool keeps the notifications whose delivery failed, one file
// each in a directory, and sends them again: Keep is the policy of what
// may be saved, Flush the loop that resends. A file never holds a header
// or an expanded secret: at flush time URL, headers and signing come from
// the config.
package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jobnotify/jobnotify/internal/human"
)

// Record is a notification saved after a failed delivery: enough to send
// it again with the same id and bytes. It never holds headers or expanded
// secrets: URL, headers and signing come from the config at flush time.
type Record struct {
	Version   int       `json:"version"`          // 1
	Target    string    `json:"target,omitempty"` // [targets.NAME] it was sent with; "" for the top level
	Format    string    `json:"format"`
	Method    string    `json:"method"`
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	Attempts  int       `json:"attempts"`        // attempts made so far, all runs together
	LastError string    `json:"last_error"`      // redacted
	Query     string    `json:"query,omitempty"` // GET: the payload's query parameters
	// Header holds the headers the payload format set (Content-Type,
	// CloudEvents ce-* attributes): part of the notification, never a
	// configured header or a secret. Load keeps only those two kinds.
	Header http.Header `json:"format_headers,omitempty"`
	Body   []byte      `json:"body,omitempty"` // the exact body bytes (base64 in the file)
}

// Dir is a directory of saved notifications, one file each. Files whose
// names start with "." are temporary files and claims.
type Dir struct {
	Path string
	// Log receives one line for each notification Keep or Flush could not
	// handle as usual; nil discards them.
	Log func(line string)
	// Redact removes secrets from an error's text before a file records it;
	// nil keeps the text as it is.
	Redact func(string) string
}

// ErrClaimed means another flush took the file first.
var ErrClaimed = errors.New("claimed by another flush")

// Save writes rec atomically (temporary file, fsync, rename) as a 0600
// file in a 0700 directory, and returns its path.
func (sp Dir) Save(rec *Record) (string, error) {
	if err := os.MkdirAll(sp.Path, 0o700); err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	name := fmt.Sprintf("%020d-%s.json", rec.Created.UnixNano(), safeName(rec.ID))
	path := filepath.Join(sp.Path, name)
	return path, sp.write(path, rec)
}

// safeName keeps an id usable as part of a file name.
func safeName(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, human.Cut(id, 64))
}

// createTemp is os.CreateTemp; a test makes it fail like a full disk.
var createTemp = os.CreateTemp

func (sp Dir) write(path string, rec *Record) error {
	rec.Version = 1
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	tmp, err := createTemp(sp.Path, ".tmp-*")
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("spool: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("spool: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if d, err := os.Open(sp.Path); err == nil {
		_ = d.Sync() // make the rename itself durable
		d.Close()
	}
	return nil
}

// List returns the names of the saved notifications, oldest first. Claims
// left by a flush that died are first put back.
func (sp Dir) List() ([]string, error) {
	entries, err := os.ReadDir(sp.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".claim-") {
			if pid, orig, ok := parseClaim(n); ok && !alive(pid) {
				if os.Rename(filepath.Join(sp.Path, n), filepath.Join(sp.Path, orig)) == nil {
					names = append(names, orig)
				}
			}
			continue
		}
		if strings.HasPrefix(n, ".") || !e.Type().IsRegular() {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names) // names start with the creation time
	return names, nil
}

func parseClaim(n string) (pid int, orig string, ok bool) {
	rest := strings.TrimPrefix(n, ".claim-")
	p, orig, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, "", false
	}
	pid, err := strconv.Atoi(p)
	return pid, orig, err == nil && orig != ""
}

// alive reports whether a process exists.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Claim takes a saved notification for this process by renaming it, so
// two flushes never send the same file. It returns the claimed path, or
// ErrClaimed when another flush was first.
func (sp Dir) Claim(name string) (string, error) {
	claimed := filepath.Join(sp.Path, fmt.Sprintf(".claim-%d-%s", os.Getpid(), name))
	if err := os.Rename(filepath.Join(sp.Path, name), claimed); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", ErrClaimed
		}
		return "", fmt.Errorf("spool: %w", err)
	}
	return claimed, nil
}

// Load reads a claimed file. A file that is not a notification is an
// error. Of its format headers only Content-Type and ce-* are kept (and
// the others named on Log): every other header comes from the config.
func (sp Dir) Load(claimed string) (*Record, error) {
	b, err := os.ReadFile(claimed)
	if err != nil {
		return nil, err
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("not a jobnotify spool file: %w", err)
	}
	if rec.Version != 1 || rec.ID == "" || rec.Method == "" {
		return nil, errors.New("not a jobnotify spool file: no version 1, id or method")
	}
	var dropped []string
	rec.Header, dropped = formatHeader(rec.Header)
	if len(dropped) > 0 {
		sp.logf("%s: ignoring header(s) %s in the file: a spool file may set only Content-Type and ce-*", filepath.Base(claimed), strings.Join(dropped, ", "))
	}
	return &rec, nil
}

// formatHeader keeps of h the headers a payload format sets, Content-Type
// and CloudEvents' ce-*, and returns the names of the others.
func formatHeader(h http.Header) (http.Header, []string) {
	var kept http.Header
	var dropped []string
	for k, v := range h {
		ck := http.CanonicalHeaderKey(k)
		if ck != "Content-Type" && !strings.HasPrefix(ck, "Ce-") {
			dropped = append(dropped, ck)
			continue
		}
		if kept == nil {
			kept = http.Header{}
		}
		kept[ck] = append(kept[ck], v...)
	}
	sort.Strings(dropped)
	return kept, dropped
}

// Unclaim puts a claimed file back under its name, with rec's new content
// when rec is not nil.
func (sp Dir) Unclaim(claimed, name string, rec *Record) error {
	if rec != nil {
		if err := sp.write(claimed, rec); err != nil {
			return err
		}
	}
	return os.Rename(claimed, filepath.Join(sp.Path, name))
}

// Remove deletes a claimed file once its notification was delivered.
func (sp Dir) Remove(claimed string) error {
	return os.Remove(claimed)
}
