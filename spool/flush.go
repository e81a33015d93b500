package spool

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jobnotify/jobnotify/internal/owner"
)

// Keep saves a notification whose delivery failed, unless secret reports
// that its body, query or format headers carry a secret (in any form the
// redactor knows): the spool never stores one. It says on Log what it did
// and returns the file's path, or "" when nothing was saved.
func (sp Dir) Keep(rec *Record, secret func(text string) bool) string {
	path, _ := sp.keep(rec, secret, false)
	return path
}

// KeepHeld is Keep for a notification saved before its first attempt,
// to be delivered at once (Offer): it returns the file held, as Claim
// would, from before it has its name, so that no flush — this process's
// own flush on send, or another's — takes it meanwhile. When the process
// dies, the lock goes with it and the file is flush's. nil means nothing
// was saved (Keep's reasons) or the file could not be held.
func (sp Dir) KeepHeld(rec *Record, secret func(text string) bool) *Claim {
	_, c := sp.keep(rec, secret, true)
	return c
}

func (sp Dir) keep(rec *Record, secret func(text string) bool, hold bool) (string, *Claim) {
	if why := Refuses(rec, secret); why != "" {
		sp.logf("not saved to the spool: %s", why)
		return "", nil
	}
	rec.LastError = sp.redact(rec.LastError)
	path, c, err := sp.save(rec, hold)
	var untrusted *UntrustedError
	if errors.As(err, &untrusted) {
		sp.logf("not saved to the spool: %v", err)
		return "", nil
	}
	if err != nil {
		sp.logf("could not save the notification to the spool: %v", err)
		return "", nil
	}
	sp.logf("saved to the spool: %s (resend with 'jobnotify flush')", path)
	if fi, err := os.Stat(sp.Path); err == nil && owner.Modes(runtime.GOOS) && fi.Mode().Perm()&0o077 != 0 {
		sp.logf("warning: the spool directory %s can be read by others (mode %04o): chmod 700 it", sp.Path, fi.Mode().Perm())
	}
	return path, c
}

// Refuses says why Keep would not save rec — its body, query or format
// headers carry a secret, as secret finds it — or "".
func Refuses(rec *Record, secret func(text string) bool) string {
	carries := secret(string(rec.Body)) || secret(rec.Query)
	for _, vs := range rec.Header {
		for _, v := range vs {
			carries = carries || secret(v)
		}
	}
	if carries {
		return "the payload carries a secret (a configured header's, the URL's or a ${VAR}'s value), which the spool must not store"
	}
	return ""
}

// Deliver sends one saved notification and says how many attempts it
// made. Its error decides what becomes of the file:
//   - nil: delivered; the file is removed.
//   - ErrKeep (a dry run): the file stays as it was.
//   - any error after no attempt (a problem with the current config for
//     it): the file stays as it was, and Flush says why it skipped it.
//   - any error after attempts: the file stays, recording them and the error.
//   - an error wrapped by Abort: Flush stops at once and returns it.
//   - an error wrapped by Drop: the file is removed; it must not be sent
//     again.
type Deliver func(ctx context.Context, name string, rec *Record) (attempts int, err error)

// ErrKeep is what a Deliver that only looks returns: leave the file alone.
var ErrKeep = errors.New("kept")

// Abort wraps an error that ends a Flush: nothing more can be sent.
func Abort(err error) error { return &abortError{err} }

type abortError struct{ err error }

func (e *abortError) Error() string { return e.err.Error() }
func (e *abortError) Unwrap() error { return e.err }

// Drop wraps the error of a delivery that must not be tried again — a
// chat message that may have been posted, which a repeat would post
// twice — so that its file is removed.
func Drop(err error) error { return &dropError{err} }

type dropError struct{ err error }

func (e *dropError) Error() string { return e.err.Error() }
func (e *dropError) Unwrap() error { return e.err }

// LeftError is the error of a Flush after which files remain, or that
// removed notifications it could not deliver (Drop).
type LeftError struct {
	Dir        string
	Left       int // files still in the directory, but those another flush is sending
	Unreadable int // of them, files that are not notifications
	Untrusted  int // of them, files another user could have written (never sent)
	Dropped    int // notifications removed undelivered: they must not be sent again
}

func (e *LeftError) Error() string {
	if e.Left == 0 {
		return fmt.Sprintf("%d notification(s) removed from %s undelivered, as they may have been posted", e.Dropped, e.Dir)
	}
	msg := fmt.Sprintf("%d file(s) still in %s", e.Left, e.Dir)
	if e.Dropped > 0 {
		msg += fmt.Sprintf(", and %d removed undelivered, as they may have been posted", e.Dropped)
	}
	if e.Unreadable > 0 {
		msg += fmt.Sprintf(", %d of them not notifications (left alone)", e.Unreadable)
	}
	if e.Untrusted > 0 {
		msg += fmt.Sprintf(", %d of them not trusted (left alone, never sent)", e.Untrusted)
	}
	return msg
}

// Flush offers every saved notification to deliver, oldest first, each
// held under an OS file lock while it is being sent, so that two flushes
// never send the same file and one that dies leaves its file to the next.
// A file another flush holds is skipped. It sends nothing from a directory
// that fails Check (the error is its *UntrustedError), and reports and
// leaves alone files another user could have written. It stops early when
// ctx is done. The error is a *LeftError when files remain (as they all
// do after a dry run), including one whose new attempt count could not be
// written, or the error deliver aborted with.
func (sp Dir) Flush(ctx context.Context, deliver Deliver) error {
	if err := sp.Check(); err != nil {
		return err
	}
	names, err := sp.List()
	if err != nil {
		return err
	}
	unreadable, untrusted, notUpdated, dropped := 0, 0, 0, 0
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		c, err := sp.Claim(name)
		var ue *UntrustedError
		switch {
		case errors.Is(err, ErrClaimed):
			continue
		case errors.As(err, &ue):
			untrusted++
			sp.logf("%v (left alone, never sent: another user could have written it)", err)
			continue
		case err != nil:
			sp.logf("%s: %v", name, err)
			continue
		}
		rec, err := c.Load()
		if err != nil {
			unreadable++
			sp.logf("skipping %s: %v (left in place)", name, err)
			c.Release()
			continue
		}
		switch out, err := sp.offer(ctx, c, rec, deliver); out {
		case offerAborted:
			return err
		case offerNotUpdated:
			notUpdated++
		case offerDropped:
			dropped++
		}
	}
	left, err := sp.left()
	if err != nil {
		return err
	}
	if left = max(left, notUpdated); left > 0 || dropped > 0 {
		return &LeftError{Dir: sp.Path, Left: left, Unreadable: unreadable, Untrusted: untrusted, Dropped: dropped}
	}
	return nil
}

// What became of a notification offered to a Deliver.
const (
	offerDelivered  = iota // sent, and its file removed (or reported)
	offerKept              // left as it was: a dry run, or not sent for its config
	offerFailed            // sent and failed: its file records the attempts
	offerNotUpdated        // sent and failed, and its file could not record it
	offerDropped           // sent and failed, and removed: it must not be sent again
	offerAborted           // deliver ended the flush
)

// offer hands a held notification to deliver and does with its file
// what the outcome says (see Deliver), letting it go. The error is the
// one deliver aborted with.
func (sp Dir) offer(ctx context.Context, c *Claim, rec *Record, deliver Deliver) (int, error) {
	attempts, err := deliver(ctx, c.Name, rec)
	var (
		abort *abortError
		drop  *dropError
	)
	switch {
	case err == nil:
		if err := c.Remove(); err != nil {
			sp.logf("%s: delivered, but could not remove it: %v", c.Name, err)
		}
		return offerDelivered, nil
	case errors.Is(err, ErrKeep):
		c.Release()
		return offerKept, nil
	case errors.As(err, &abort):
		c.Release()
		return offerAborted, abort.err
	case errors.As(err, &drop):
		if rerr := c.Remove(); rerr != nil {
			sp.logf("%s: %v; it must not be sent again, but could not be removed: %v", c.Name, sp.redact(drop.err.Error()), rerr)
			return offerNotUpdated, nil
		}
		sp.logf("%s: %v; removed from the spool, not to be sent again", c.Name, sp.redact(drop.err.Error()))
		return offerDropped, nil
	case attempts == 0:
		sp.logf("skipping %s: %v (left in place)", c.Name, err)
		c.Release()
		return offerKept, nil
	}
	rec.Attempts += attempts
	rec.LastError = sp.redact(err.Error())
	sp.logf("%s: %v (kept)", c.Name, err)
	if uerr := c.Update(rec); uerr != nil {
		sp.logf("%s: could not record this attempt, the file stays as it was: %v", c.Name, uerr)
		return offerNotUpdated, nil
	}
	return offerFailed, nil
}

// Offer is Flush for one held file: a notification KeepHeld saved a
// moment ago, to deliver now. It lets the file go, delivered (removed) or
// not.
func (sp Dir) Offer(ctx context.Context, c *Claim, deliver Deliver) error {
	rec, err := c.Load()
	if err != nil {
		c.Release()
		return err
	}
	_, err = sp.offer(ctx, c, rec, deliver)
	return err
}

// flushSomeScan is how many files FlushSome looks at, at most: a spool
// with thousands of another target's files costs a send a few
// milliseconds, not a read of every file.
const flushSomeScan = 200

// FlushSome is Flush for a send: it offers deliver at most limit of the
// notifications match accepts, oldest first, under the same lock rule,
// looking at no more than flushSomeScan files, until ctx is done (deliver
// ends it when the receiver is down). Files match refuses, and files it
// cannot hold or read, it leaves alone without a word: flush answers for
// them. It returns how many it delivered. A directory that fails Check,
// or does not exist, gives 0.
func (sp Dir) FlushSome(ctx context.Context, limit int, match func(*Record) bool, deliver Deliver) int {
	if sp.Check() != nil {
		return 0
	}
	names, err := sp.List()
	if err != nil {
		return 0
	}
	sent := 0
	for i, name := range names {
		if sent >= limit || ctx.Err() != nil || i >= flushSomeScan {
			break
		}
		c, err := sp.Claim(name)
		if err != nil {
			continue
		}
		rec, err := c.Load()
		if err != nil || !match(rec) {
			c.Release()
			continue
		}
		if out, _ := sp.offer(ctx, c, rec, deliver); out == offerDelivered {
			sent++
		}
	}
	return sent
}

// left counts the files in the directory but those another process holds:
// that flush answers for them.
func (sp Dir) left() (int, error) {
	names, err := sp.List()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range names {
		c, err := sp.Claim(name)
		if errors.Is(err, ErrClaimed) {
			continue
		}
		if err == nil {
			c.Release()
		}
		n++
	}
	return n, nil
}

func (sp Dir) logf(format string, args ...any) {
	if sp.Log != nil {
		sp.Log(fmt.Sprintf(format, args...))
	}
}

func (sp Dir) redact(s string) string {
	if sp.Redact != nil {
		return sp.Redact(s)
	}
	return s
}

// Count is what a directory holds for one target, or in total.
type Count struct {
	Count     int       `json:"count"`
	Oldest    time.Time `json:"oldest,omitzero"`      // when the oldest was first saved
	LastError string    `json:"last_error,omitempty"` // the newest file's, as recorded (redacted)
	latest    time.Time
}

func (n *Count) add(rec *Record) {
	n.Count++
	if n.Oldest.IsZero() || rec.Created.Before(n.Oldest) {
		n.Oldest = rec.Created
	}
	if !rec.Created.Before(n.latest) {
		n.latest, n.LastError = rec.Created, rec.LastError
	}
}

// Merge adds o's notifications to n's.
func (n *Count) Merge(o Count) {
	n.Count += o.Count
	if !o.Oldest.IsZero() && (n.Oldest.IsZero() || o.Oldest.Before(n.Oldest)) {
		n.Oldest = o.Oldest
	}
	if !o.latest.Before(n.latest) && o.Count > 0 {
		n.latest, n.LastError = o.latest, o.LastError
	}
}

// Status is what a spool directory holds, read without sending or
// locking anything.
type Status struct {
	Total   Count            `json:"total"`
	Targets map[string]Count `json:"targets"` // "" is the top level
	// Unreadable files are not notifications, Untrusted ones could have
	// been written by another user: both are in no count but stay there.
	Unreadable int `json:"unreadable"`
	Untrusted  int `json:"untrusted"`
}

// Status reads every file of the directory. A directory that fails Check
// is its *UntrustedError; one that does not exist holds nothing.
func (sp Dir) Status() (*Status, error) {
	if err := sp.Check(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(sp.Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("spool: %w", err)
	}
	st := &Status{Targets: map[string]Count{}}
	for _, e := range entries {
		n := e.Name()
		if _, ok := oldClaim(n); !ok && strings.HasPrefix(n, ".") || e.IsDir() {
			continue // but an earlier version's claim, which List puts back
		}
		path := filepath.Join(sp.Path, n)
		fi, err := os.Lstat(path)
		if err != nil {
			continue // gone since: delivered
		}
		if untrustedFile(path, fi) != "" {
			st.Untrusted++
			continue
		}
		rec, err := readRecord(path, sp.MaxFile)
		if err != nil {
			st.Unreadable++
			continue
		}
		t := st.Targets[rec.Target]
		t.add(rec)
		st.Targets[rec.Target] = t
		st.Total.add(rec)
	}
	return st, nil
}
