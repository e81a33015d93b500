package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Keep saves a notification whose delivery failed, unless secret reports
// that its body, query or format headers carry a secret (in any form the
// redactor knows): the spool never stores one. It says on Log what it did
// and returns the file's path, or "" when nothing was saved.
func (sp Dir) Keep(rec *Record, secret func(text string) bool) string {
	carries := secret(string(rec.Body)) || secret(rec.Query)
	for _, vs := range rec.Header {
		for _, v := range vs {
			carries = carries || secret(v)
		}
	}
	if carries {
		sp.logf("not saved to the spool: the payload carries a secret (a configured header's, the URL's or a ${VAR}'s value), which the spool must not store")
		return ""
	}
	rec.LastError = sp.redact(rec.LastError)
	path, err := sp.Save(rec)
	if err != nil {
		sp.logf("could not save the notification to the spool: %v", err)
		return ""
	}
	sp.logf("saved to the spool: %s (resend with 'jobnotify flush')", path)
	if fi, err := os.Stat(sp.Path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		sp.logf("warning: the spool directory %s can be read by others (mode %04o): chmod 700 it", sp.Path, fi.Mode().Perm())
	}
	return path
}

// Deliver sends one saved notification and says how many attempts it
// made. Its error decides what becomes of the file:
//   - nil: delivered; the file is removed.
//   - ErrKeep (a dry run): the file stays as it was.
//   - any error after no attempt (a problem with the current config for
//     it): the file stays as it was, and Flush says why it skipped it.
//   - any error after attempts: the file stays, recording them and the error.
//   - an error wrapped by Abort: Flush stops at once and returns it.
type Deliver func(ctx context.Context, name string, rec *Record) (attempts int, err error)

// ErrKeep is what a Deliver that only looks returns: leave the file alone.
var ErrKeep = errors.New("kept")

// Abort wraps an error that ends a Flush: nothing more can be sent.
func Abort(err error) error { return &abortError{err} }

type abortError struct{ err error }

func (e *abortError) Error() string { return e.err.Error() }
func (e *abortError) Unwrap() error { return e.err }

// LeftError is the error of a Flush after which files remain.
type LeftError struct {
	Dir        string
	Left       int // files still in the directory
	Unreadable int // of them, files that are not notifications
}

func (e *LeftError) Error() string {
	msg := fmt.Sprintf("%d file(s) still in %s", e.Left, e.Dir)
	if e.Unreadable > 0 {
		msg += fmt.Sprintf(", %d of them not notifications (left alone)", e.Unreadable)
	}
	return msg
}

// Flush offers every saved notification to deliver, oldest first, each
// claimed while it is being sent so that two flushes never send the same
// file. It stops early when ctx is done. The error is a *LeftError when
// files remain (as they all do after a dry run), or the error deliver
// aborted with.
func (sp Dir) Flush(ctx context.Context, deliver Deliver) error {
	names, err := sp.List()
	if err != nil {
		return err
	}
	unreadable := 0
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		claimed, err := sp.Claim(name)
		if errors.Is(err, ErrClaimed) {
			continue
		} else if err != nil {
			sp.logf("%s: %v", name, err)
			continue
		}
		rec, err := sp.Load(claimed)
		if err != nil {
			unreadable++
			sp.logf("skipping %s: %v (left in place)", name, err)
			_ = sp.Unclaim(claimed, name, nil)
			continue
		}
		attempts, err := deliver(ctx, name, rec)
		var abort *abortError
		switch {
		case err == nil:
			if err := sp.Remove(claimed); err != nil {
				sp.logf("%s: delivered, but could not remove it: %v", name, err)
			}
		case errors.Is(err, ErrKeep):
			_ = sp.Unclaim(claimed, name, nil)
		case errors.As(err, &abort):
			_ = sp.Unclaim(claimed, name, nil)
			return abort.err
		case attempts == 0:
			sp.logf("skipping %s: %v (left in place)", name, err)
			_ = sp.Unclaim(claimed, name, nil)
		default:
			rec.Attempts += attempts
			rec.LastError = sp.redact(err.Error())
			if uerr := sp.Unclaim(claimed, name, rec); uerr != nil {
				sp.logf("%s: %v", name, uerr)
			}
			sp.logf("%s: %v (kept)", name, err)
		}
	}
	left, err := sp.List()
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return &LeftError{Dir: sp.Path, Left: len(left), Unreadable: unreadable}
	}
	return nil
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
