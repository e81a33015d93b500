// Package spool keeps the notifications whose delivery failed, one file
// each in a directory, and sends them again: Keep is the policy of what
// may be saved, Flush the loop that resends. A file never holds a header
// or an expanded secret: at flush time headers and signing, and the URL
// unless the file recorded the command line's, come from the config. Nothing is saved in or sent from a directory, and no file
// is sent, that another user could have written.
package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/internal/owner"
)

// Record is a notification saved after a failed delivery: enough to send
// it again with the same id and bytes, to the same destination. It never
// holds headers or expanded secrets: headers and signing, and the URL
// unless the command line gave it, come from the config at flush time.
type Record struct {
	// Version is 1, or 2 when URL is set: a version that does not know
	// url refuses such a file rather than send it to the config's URL.
	Version int    `json:"version"`
	Target  string `json:"target,omitempty"` // [targets.NAME] it was sent with; "" for the top level
	// URL is where it was sent when the command line said (--url,
	// $JOBNOTIFY_URL); "" for the target's URL in the config. It holds no
	// secret: send does not spool a notification whose URL does.
	URL       string    `json:"url,omitempty"`
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
// names start with "." are temporary files (and claims of versions before
// file locks, which List puts back).
type Dir struct {
	Path string
	// Log receives one line for each notification Keep or Flush could not
	// handle as usual; nil discards them.
	Log func(line string)
	// Redact removes secrets from an error's text before a file records it;
	// nil keeps the text as it is.
	Redact func(string) string
	// MaxFile is the size above which a file is not read (not a
	// notification: left in place); 0 reads any size.
	MaxFile int64
}

// ErrClaimed means another flush holds the file, or took it first and
// removed or rewrote it.
var ErrClaimed = errors.New("claimed by another flush")

// errLocked and errSymlink are what openLocked says of a file another
// process holds locked and of a symbolic link.
var (
	errLocked  = errors.New("locked by another process")
	errSymlink = errors.New("a symbolic link")
)

// UntrustedError means a spool directory or file could have been written
// by another user: it is not owned by the user running jobnotify, group
// or others may write it, or (a file) it is a symbolic link or not a
// regular file. Nothing is saved in such a directory, and nothing is sent
// from it or from such a file: its content, target and format headers
// would be someone else's choice, sent with our credentials.
type UntrustedError struct {
	Path string
	Dir  bool   // the spool directory itself, not a file in it
	Why  string // "writable by group or others (mode 0777)"
}

func (e *UntrustedError) Error() string {
	if e.Dir {
		return fmt.Sprintf("spool directory %s is not trusted: %s; %s", e.Path, e.Why, dirRule(runtime.GOOS, e.Path))
	}
	return fmt.Sprintf("%s is not trusted: %s", e.Path, e.Why)
}

// dirRule says what a spool directory on goos must be, and how to make
// it so.
func dirRule(goos, dir string) string {
	if owner.Modes(goos) {
		return "it must belong to the user running jobnotify and be writable by no one else (chmod 700)"
	}
	return fmt.Sprintf("it must belong to the user running jobnotify or the administrators, and no one else may change it: move its files out of %s and remove it, and jobnotify makes it again with an ACL for that user alone", dir)
}

// Check reports an *UntrustedError unless the spool directory is missing
// (it holds nothing) or is a directory owned by the user running
// jobnotify that neither group nor others may write (reached, if through
// a symbolic link, through one that user owns).
func (sp Dir) Check() error {
	// A symbolic link is followed only when the user owns it: its owner
	// can point it anywhere, and send would write files there.
	if li, err := os.Lstat(sp.Path); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		if why := foreignOwner(li); why != "" {
			return &UntrustedError{Path: sp.Path, Dir: true, Why: "a symbolic link " + why}
		}
	}
	fi, err := os.Stat(sp.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if !fi.IsDir() {
		return &UntrustedError{Path: sp.Path, Dir: true, Why: "not a directory"}
	}
	if why := foreign(sp.Path, fi); why != "" {
		return &UntrustedError{Path: sp.Path, Dir: true, Why: why}
	}
	return nil
}

// Save writes rec atomically (temporary file, fsync, rename) as a 0600
// file in the directory, which it creates 0700 when missing (on Windows
// with an ACL for the user alone: owner.MkdirPrivate), and returns its
// path.
// A directory that already exists keeps its mode and ACL, so it must pass
// Check: an *UntrustedError otherwise, and nothing is written.
func (sp Dir) Save(rec *Record) (string, error) {
	path, _, err := sp.save(rec, false)
	return path, err
}

// save is Save; with hold, it also returns the file held, as Claim would:
// locked before it has its name, so that no flush, in this process or
// another, can take it before its writer has tried to deliver it.
func (sp Dir) save(rec *Record, hold bool) (string, *Claim, error) {
	if err := sp.ensure(); err != nil {
		return "", nil, err
	}
	// The targets of one send share its id and may fail at the same
	// moment (Windows' clock ticks in 100 ns or coarser): a target's
	// name in the file's keeps each its own file. safeName has no dot.
	name := fmt.Sprintf("%020d-%s.json", rec.Created.UnixNano(), safeName(rec.ID))
	if rec.Target != "" {
		name = fmt.Sprintf("%020d-%s.%s.json", rec.Created.UnixNano(), safeName(rec.ID), safeName(rec.Target))
	}
	path := filepath.Join(sp.Path, name)
	f, err := sp.write(path, rec, hold)
	if err != nil || f == nil {
		return path, nil, err
	}
	return path, &Claim{Name: name, path: path, f: f, sp: sp}, nil
}

// ensure makes the directory when it is missing (see Save) and checks it.
func (sp Dir) ensure() error {
	if err := sp.Check(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(sp.Path)), 0o700); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := owner.MkdirPrivate(sp.Path); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return sp.Check() // made meanwhile by someone else
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

func (sp Dir) write(path string, rec *Record, hold bool) (*os.File, error) {
	rec.Version = 1
	if rec.URL != "" {
		rec.Version = 2
	}
	return sp.writeJSON(path, rec, hold)
}

// writeJSON writes v as JSON to path in the directory atomically: a
// private temporary file, synced, renamed over path. With hold, the file
// is locked (openLocked) before the rename and returned open, the lock
// held.
func (sp Dir) writeJSON(path string, v any, hold bool) (held *os.File, err error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	tmp, err := createTemp(sp.Path, ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if hold {
		if held, err = openLocked(tmp.Name()); err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		defer func() {
			if err != nil {
				held.Close()
				held = nil
			}
		}()
	}
	// Renamed through an os.Root: on Windows its Rename replaces a file
	// that is open (this claim's own locked handle, when Update rewrites
	// a held file) with POSIX semantics, where os.Rename's MoveFileEx
	// fails; elsewhere it is renameat.
	root, err := os.OpenRoot(sp.Path)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	defer root.Close()
	if err := root.Rename(filepath.Base(tmp.Name()), filepath.Base(path)); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if d, err := root.Open("."); err == nil {
		_ = d.Sync() // make the rename itself durable
		d.Close()
	}
	return held, nil
}

// List returns the names of the visible entries of the directory but
// subdirectories, oldest first: the saved notifications, and whatever
// else Claim will refuse (symbolic links, foreign files). Claims left by
// versions before file locks (.claim-PID-NAME) are first put back under
// their name: a process id says nothing across PID namespaces, so a claim
// cannot tell whether its flush still runs, and a notification hidden for
// ever is worse than one sent twice with the same id.
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
		if orig, ok := oldClaim(n); ok {
			if sp.putBack(n, orig) {
				names = append(names, orig)
			}
			continue
		}
		if strings.HasPrefix(n, ".") || e.IsDir() {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names) // names start with the creation time
	return slices.Compact(names), nil
}

// oldClaim returns the name a claim of an earlier version (.claim-PID-NAME)
// was taken from.
func oldClaim(n string) (orig string, ok bool) {
	rest, ok := strings.CutPrefix(n, ".claim-")
	if !ok {
		return "", false
	}
	p, orig, ok := strings.Cut(rest, "-")
	if !ok {
		return "", false
	}
	_, err := strconv.Atoi(p)
	return orig, err == nil && orig != "" && !strings.HasPrefix(orig, ".")
}

// putBack renames an old claim to its name unless that name is taken,
// and reports whether the name now holds something to flush.
func (sp Dir) putBack(claim, orig string) bool {
	to := filepath.Join(sp.Path, orig)
	if _, err := os.Lstat(to); err == nil {
		sp.logf("%s: left by an earlier version, but %s exists too; it stays (remove one of them)", claim, orig)
		return true
	}
	if err := os.Rename(filepath.Join(sp.Path, claim), to); err != nil {
		sp.logf("%s: left by an earlier version, could not put it back: %v", claim, err)
		return false
	}
	return true
}

// Claim is a saved notification this process holds: its file is open
// with an OS lock on it, so no other flush (in this container or another
// one sharing the volume) sends it until Release, Update or Remove. A
// process that dies holding one loses it with its open files: the kernel
// drops the lock and the file is there for the next flush.
type Claim struct {
	Name string // the file's name in the directory
	path string
	f    *os.File
	sp   Dir
}

// testHookLocked runs when Claim has locked a file, before it checks the
// file is still the one under the name.
var testHookLocked func(path string)

// Claim takes a saved notification for this process without waiting. It
// returns ErrClaimed when another process holds it or took it first, and
// an *UntrustedError for a file it must not send.
func (sp Dir) Claim(name string) (*Claim, error) {
	path := filepath.Join(sp.Path, name)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrClaimed // sent and removed by another flush since List
	}
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if why := untrustedFile(path, fi); why != "" {
		return nil, &UntrustedError{Path: path, Why: why}
	}
	f, err := openLocked(path)
	switch {
	case errors.Is(err, errLocked), errors.Is(err, fs.ErrNotExist):
		return nil, ErrClaimed
	case errors.Is(err, errSymlink):
		return nil, &UntrustedError{Path: path, Why: errSymlink.Error()}
	case err != nil:
		return nil, fmt.Errorf("spool: %w", err)
	}
	if testHookLocked != nil {
		testHookLocked(path)
	}
	// Between List and the lock another flush may have sent and removed
	// the file, or rewritten it (a new file renamed over the name): hold
	// only the file that is under the name now.
	held, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	if now, err := os.Lstat(path); err != nil || !os.SameFile(held, now) {
		f.Close()
		return nil, ErrClaimed
	}
	if why := untrustedFile(path, held); why != "" {
		f.Close()
		return nil, &UntrustedError{Path: path, Why: why}
	}
	return &Claim{Name: name, path: path, f: f, sp: sp}, nil
}

// untrustedFile says why the file at path must not be sent, or "".
func untrustedFile(path string, fi fs.FileInfo) string {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return errSymlink.Error()
	case !fi.Mode().IsRegular():
		return "not a regular file"
	}
	return foreign(path, fi)
}

// Load reads the held file. A file that is not a notification is an
// error. Of its format headers only Content-Type, ce-* and the trace
// context are kept (and the others named on Log): every other header
// comes from the config.
func (c *Claim) Load() (*Record, error) {
	if fi, err := c.f.Stat(); err == nil && c.sp.MaxFile > 0 && fi.Size() > c.sp.MaxFile {
		return nil, fmt.Errorf("not a jobnotify spool file: %s, more than a notification of max_body can take (%s)", human.Bytes(fi.Size()), human.Bytes(c.sp.MaxFile))
	}
	if _, err := c.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(c.f)
	if err != nil {
		return nil, err
	}
	rec, err := parseRecord(b)
	if err != nil {
		return nil, err
	}
	var dropped []string
	rec.Header, dropped = formatHeader(rec.Header)
	if len(dropped) > 0 {
		c.sp.logf("%s: ignoring header(s) %s in the file: a spool file may set only %s", c.Name, strings.Join(dropped, ", "), formatHeaders)
	}
	return rec, nil
}

// parseRecord reads a spool file's content.
func parseRecord(b []byte) (*Record, error) {
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("not a jobnotify spool file: %w", err)
	}
	if rec.Version != 1 && (rec.Version != 2 || rec.URL == "") || rec.ID == "" || rec.Method == "" {
		return nil, errors.New("not a jobnotify spool file: no version 1 (or 2 with a url), id or method")
	}
	return &rec, nil
}

// readRecord reads the spool file at path without holding it, for
// Status: at most max bytes (0: any).
func readRecord(path string, max int64) (*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.Reader(f)
	if max > 0 {
		r = io.LimitReader(f, max+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if max > 0 && int64(len(b)) > max {
		return nil, errors.New("not a jobnotify spool file: too large")
	}
	return parseRecord(b)
}

// formatHeaders names the headers a spool file may set.
const formatHeaders = "Content-Type, ce-*, traceparent and tracestate"

// formatHeader keeps of h the headers a payload format sets, Content-Type
// and CloudEvents' ce-*, and the step's trace context, traceparent and
// tracestate; it returns the names of the others (and of any with a
// control character in a value, which no format writes).
func formatHeader(h http.Header) (http.Header, []string) {
	var kept http.Header
	var dropped []string
	for k, v := range h {
		ck := http.CanonicalHeaderKey(k)
		if ck != "Content-Type" && ck != "Traceparent" && ck != "Tracestate" && !strings.HasPrefix(ck, "Ce-") || slices.ContainsFunc(v, controls) {
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

func controls(v string) bool {
	return strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
}

// Update rewrites the held file with rec and lets it go. The new content
// is written to a temporary file renamed over the old one, so on error
// the file stays as it was. Where a rename cannot replace a file that is
// open (Windows on a file system without POSIX renames, an SMB share),
// it lets the file go first and tries once more: another flush may take
// the file between, and send it once more before this attempt is
// recorded, but the record is not lost.
func (c *Claim) Update(rec *Record) error {
	defer c.Release()
	_, err := c.sp.write(c.path, rec, false)
	if err != nil && replaceNeedsClose {
		c.Release()
		_, err = c.sp.write(c.path, rec, false)
	}
	return err
}

// Remove deletes the held file, its notification delivered, and lets it
// go: removed while still locked, so no other flush can take it between.
func (c *Claim) Remove() error {
	defer c.Release()
	return os.Remove(c.path)
}

// Release lets the held file go as it is.
func (c *Claim) Release() {
	_ = c.f.Close()
}
