package spool

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// logged returns a Dir whose lines are collected.
func logged(t testing.TB) (Dir, *[]string) {
	t.Helper()
	var lines []string
	sp := spDir(t)
	sp.Log = func(l string) { lines = append(lines, l) }
	sp.Redact = func(s string) string { return strings.ReplaceAll(s, "canary-token", "***") }
	return sp, &lines
}

func TestKeepRefusesExpandedSecrets(t *testing.T) {
	for _, tt := range []struct {
		name  string
		rec   *Record
		saved bool
	}{
		{"secret in the body", &Record{ID: "a", Method: "POST", Body: []byte(`{"x":"canary-token"}`)}, false},
		{"secret in the query", &Record{ID: "b", Method: "GET", Query: "x=canary-token"}, false},
		{"short value is no secret", &Record{ID: "c", Method: "POST", Body: []byte(`{"x":"abc"}`)}, true},
		{"no secret", &Record{ID: "d", Method: "POST", Body: []byte(`{}`), LastError: "503 canary-token"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sp, lines := logged(t)
			tt.rec.Created = time.Now()
			path := sp.Keep(tt.rec, []string{"canary-token", "abc"})
			if got := path != ""; got != tt.saved {
				t.Fatalf("saved: got %v, want %v (log %q)", got, tt.saved, *lines)
			}
			if !tt.saved {
				if _, err := os.Stat(sp.Path); !os.IsNotExist(err) {
					t.Errorf("got a spool directory (%v), want none", err)
				}
				return
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "canary-token") {
				t.Errorf("the file holds the secret: %s", b)
			}
		})
	}
}

func TestFlush(t *testing.T) {
	sp, lines := logged(t)
	now := time.Now()
	names := map[string]string{}
	for i, id := range []string{"ok", "fails", "bad-config", "dry"} {
		names[id] = spSave(t, sp, spRecord(id, now.Add(time.Duration(i)*time.Second)))
	}
	if err := os.WriteFile(filepath.Join(sp.Path, "zz-foreign.json"), []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	var seen []string
	err := sp.Flush(context.Background(), func(_ context.Context, name string, rec *Record) (int, error) {
		seen = append(seen, rec.ID)
		switch rec.ID {
		case "ok":
			return 2, nil
		case "fails":
			return 3, errors.New("503 from canary-token")
		case "bad-config":
			return 0, errors.New("no [targets.x]")
		default:
			return 0, ErrKeep
		}
	})
	var left *LeftError
	if !errors.As(err, &left) || left.Left != 4 || left.Unreadable != 1 {
		t.Fatalf("got %v, want 4 files left, 1 of them unreadable", err)
	}
	if got := strings.Join(seen, ","); got != "ok,fails,bad-config,dry" {
		t.Errorf("delivered in order %s, want oldest first", got)
	}
	if _, err := os.Stat(filepath.Join(sp.Path, names["ok"])); !os.IsNotExist(err) {
		t.Errorf("delivered file still there (%v)", err)
	}
	failed, err := sp.Load(filepath.Join(sp.Path, names["fails"]))
	if err != nil {
		t.Fatal(err)
	}
	if failed.Attempts != 4+3 || failed.LastError != "503 from ***" {
		t.Errorf("failed file: got attempts %d, error %q; want 7 and the redacted error", failed.Attempts, failed.LastError)
	}
	for _, id := range []string{"bad-config", "dry"} {
		rec, err := sp.Load(filepath.Join(sp.Path, names[id]))
		if err != nil || rec.Attempts != 4 || rec.LastError != "503 Service Unavailable" {
			t.Errorf("%s: got %+v (%v), want it unchanged", id, rec, err)
		}
	}
	log := strings.Join(*lines, "\n")
	for _, want := range []string{"skipping " + names["bad-config"] + ": no [targets.x] (left in place)", "zz-foreign.json", names["fails"] + ": 503 from canary-token (kept)"} {
		if !strings.Contains(log, want) {
			t.Errorf("log %q: want %q in it", log, want)
		}
	}
}

func TestFlushAbort(t *testing.T) {
	sp, _ := logged(t)
	name := spSave(t, sp, spRecord("a", time.Now()))
	spSave(t, sp, spRecord("b", time.Now().Add(time.Second)))
	calls := 0
	stop := errors.New("tls.ca_file: no such file")
	err := sp.Flush(context.Background(), func(context.Context, string, *Record) (int, error) {
		calls++
		return 0, Abort(stop)
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("got %v after %d calls, want the abort's error after 1", err, calls)
	}
	if _, err := os.Stat(filepath.Join(sp.Path, name)); err != nil {
		t.Errorf("the aborted file is gone: %v", err)
	}
}

func TestFlushEmpty(t *testing.T) {
	sp, _ := logged(t)
	if err := sp.Flush(context.Background(), nil); err != nil {
		t.Errorf("got %v, want nil for a spool that does not exist", err)
	}
}

// TestFlushUpdateFails: when the record of a failed attempt cannot be
// written (a full disk), the file stays as it was and Flush says files
// are left.
func TestFlushUpdateFails(t *testing.T) {
	sp, lines := logged(t)
	n := spSave(t, sp, spRecord("full", time.Unix(1, 0)))
	t.Cleanup(func() { createTemp = os.CreateTemp })
	err := sp.Flush(context.Background(), func(context.Context, string, *Record) (int, error) {
		createTemp = func(string, string) (*os.File, error) {
			return nil, &os.PathError{Op: "open", Path: sp.Path, Err: syscall.ENOSPC}
		}
		return 2, errors.New("503 Service Unavailable")
	})
	var left *LeftError
	if !errors.As(err, &left) || left.Left != 1 {
		t.Fatalf("got %v, want 1 file left", err)
	}
	rec, err := sp.Load(filepath.Join(sp.Path, n))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Attempts != 4 {
		t.Errorf("got %d attempts in the file, want the 4 it had", rec.Attempts)
	}
	if log := strings.Join(*lines, "\n"); !strings.Contains(log, "could not record this attempt") || !strings.Contains(log, "no space left") {
		t.Errorf("log %q: want it to say the attempt could not be recorded, and why", log)
	}
}
