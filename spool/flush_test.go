package spool

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/redact"
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

// encSecret changes under URL and JSON escaping.
const encSecret = `canary/XYZ+123="\x`

func jsonString(s string) []byte {
	b, _ := json.Marshal(map[string]string{"deploy_token": s})
	return b
}

func TestKeepRefusesSecrets(t *testing.T) {
	for _, tt := range []struct {
		name  string
		rec   *Record
		saved bool
	}{
		{"secret in the body", &Record{ID: "a", Method: "POST", Body: []byte(`{"x":"canary-token"}`)}, false},
		{"secret in the query", &Record{ID: "b", Method: "GET", Query: "x=canary-token"}, false},
		{"short value is no secret", &Record{ID: "c", Method: "POST", Body: []byte(`{"x":"abc"}`)}, true},
		{"no secret", &Record{ID: "d", Method: "POST", Body: []byte(`{}`), LastError: "503 canary-token"}, true},
		// The forms the review found in spool files, and the rest the
		// redactor knows.
		{"URL-encoded in the query", &Record{ID: "e", Method: "GET", Query: "deploy_token=" + url.QueryEscape(encSecret)}, false},
		{"JSON-escaped in the body", &Record{ID: "f", Method: "POST", Body: jsonString(encSecret)}, false},
		{"upper-cased in the body", &Record{ID: "g", Method: "POST", Body: []byte(`{"x":"` + strings.ToUpper("canary-token") + `"}`)}, false},
		{"base64 in the body", &Record{ID: "h", Method: "POST", Body: []byte(`{"x":"` + base64.StdEncoding.EncodeToString([]byte("canary-token")) + `"}`)}, false},
		{"in a format header", &Record{ID: "i", Method: "POST", Body: []byte(`{}`), Header: http.Header{"Ce-Subject": {"canary-token"}}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sp, lines := logged(t)
			tt.rec.Created = time.Now()
			path := sp.Keep(tt.rec, redact.New("canary-token", "abc", encSecret).Contains)
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
	failed := spLoad(t, sp, names["fails"])
	if failed.Attempts != 4+3 || failed.LastError != "503 from ***" {
		t.Errorf("failed file: got attempts %d, error %q; want 7 and the redacted error", failed.Attempts, failed.LastError)
	}
	for _, id := range []string{"bad-config", "dry"} {
		if rec := spLoad(t, sp, names[id]); rec.Attempts != 4 || rec.LastError != "503 Service Unavailable" {
			t.Errorf("%s: got %+v, want it unchanged", id, rec)
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

// TestFlushSkipsHeldFile: a file another holder has locked is not sent,
// and does not count as left: that holder answers for it.
func TestFlushSkipsHeldFile(t *testing.T) {
	sp, _ := logged(t)
	held := spSave(t, sp, spRecord("held", time.Unix(1, 0)))
	free := spSave(t, sp, spRecord("free", time.Unix(2, 0)))
	c, err := sp.Claim(held)
	if err != nil {
		t.Fatal(err)
	}
	var sent []string
	deliver := func(_ context.Context, _ string, rec *Record) (int, error) {
		sent = append(sent, rec.ID)
		return 1, nil
	}
	if err := sp.Flush(context.Background(), deliver); err != nil {
		t.Errorf("Flush: got %v, want nil (the held file is the holder's)", err)
	}
	if got := strings.Join(sent, ","); got != "free" {
		t.Errorf("sent %q, want only free", got)
	}
	if _, err := os.Stat(filepath.Join(sp.Path, free)); !os.IsNotExist(err) {
		t.Errorf("the delivered file is still there (%v)", err)
	}
	c.Release()
	if err := sp.Flush(context.Background(), deliver); err != nil {
		t.Errorf("Flush after Release: %v", err)
	}
	if got := strings.Join(sent, ","); got != "free,held" {
		t.Errorf("sent %q, want free, then held once it was let go", got)
	}
}

// TestKeepHeld: a notification saved to be delivered at once is held from
// before it has its name: FlushSome and Flush leave it alone until Offer
// has tried it; a failed Offer records the attempt and lets it go, and a
// delivered one removes it.
func TestKeepHeld(t *testing.T) {
	sp, lines := logged(t)
	c := sp.KeepHeld(spRecord("now", time.Unix(1, 0)), func(string) bool { return false })
	if c == nil {
		t.Fatalf("not saved: %q", *lines)
	}
	var sent []string
	deliver := func(_ context.Context, _ string, rec *Record) (int, error) {
		sent = append(sent, rec.ID)
		return 1, errors.New("503 Service Unavailable")
	}
	if n := sp.FlushSome(context.Background(), 3, func(*Record) bool { return true }, deliver); n != 0 || len(sent) != 0 {
		t.Fatalf("FlushSome took the held file: sent %q", sent)
	}
	if _, err := sp.Claim(c.Name); !errors.Is(err, ErrClaimed) {
		t.Fatalf("Claim of the held file: got %v, want ErrClaimed", err)
	}
	if err := sp.Offer(context.Background(), c, deliver); err != nil || len(sent) != 1 {
		t.Fatalf("Offer: %v, sent %q", err, sent)
	}
	again, err := sp.Claim(c.Name)
	if err != nil {
		t.Fatalf("after a failed Offer the file is let go and kept: %v", err)
	}
	if rec, err := again.Load(); err != nil || rec.Attempts != 5 {
		t.Errorf("recorded attempts: %v, %v; want 4+1", rec, err)
	}
	deliver = func(context.Context, string, *Record) (int, error) { return 1, nil }
	if err := sp.Offer(context.Background(), again, deliver); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(sp.Path, c.Name)); !os.IsNotExist(err) {
		t.Errorf("delivered, still there: %v", err)
	}
	if names, _ := sp.List(); len(names) != 0 {
		t.Errorf("left: %v (a temporary file?)", names)
	}
}

// TestHelperHoldClaim is not a test: TestFlushAfterHolderDies runs the
// test binary as a process that holds a claim until it is killed.
func TestHelperHoldClaim(t *testing.T) {
	path := os.Getenv("SPOOL_TEST_HOLD")
	if path == "" {
		t.Skip("only run by TestFlushAfterHolderDies")
	}
	c, err := Dir{Path: filepath.Dir(path)}.Claim(filepath.Base(path))
	if err != nil {
		fmt.Println("claim:", err)
		os.Exit(1)
	}
	fmt.Println("held", c.Name)
	io.Copy(io.Discard, os.Stdin) // until the parent kills this process
	os.Exit(0)
}

// TestFlushAfterHolderDies: a file held by a live process is skipped; once
// that process is killed, the kernel has dropped its lock and the next
// flush sends the file. No process id is involved.
func TestFlushAfterHolderDies(t *testing.T) {
	sp, _ := logged(t)
	n := spSave(t, sp, spRecord("orphan", time.Unix(1, 0)))
	holder := exec.Command(os.Args[0], "-test.run=^TestHelperHoldClaim$")
	holder.Env = append(os.Environ(), "SPOOL_TEST_HOLD="+filepath.Join(sp.Path, n))
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "held "+n+"\n" {
		holder.Process.Kill()
		holder.Wait()
		t.Fatalf("holder said %q (%v), want it to hold %s", line, err, n)
	}
	var sent []string
	deliver := func(_ context.Context, _ string, rec *Record) (int, error) {
		sent = append(sent, rec.ID)
		return 1, nil
	}
	if err := sp.Flush(context.Background(), deliver); err != nil || len(sent) != 0 {
		t.Errorf("Flush while held: got %v, sent %q; want nil and nothing sent", err, sent)
	}
	if err := holder.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	holder.Wait() // reaped: its files are closed
	if err := sp.Flush(context.Background(), deliver); err != nil || strings.Join(sent, ",") != "orphan" {
		t.Errorf("Flush after the holder died: got %v, sent %q; want nil and orphan sent", err, sent)
	}
	if names, _ := sp.List(); len(names) != 0 {
		t.Errorf("left %q, want an empty spool", names)
	}
}

// TestFlushLeavesForeignFiles: files another user could have written are
// reported, left alone and counted as left; the others are sent.
func TestFlushLeavesForeignFiles(t *testing.T) {
	sp, lines := logged(t)
	ours := spSave(t, sp, spRecord("ours", time.Unix(5, 0)))
	link := "00000000000000000001-link.json"
	if err := os.Symlink(filepath.Join(sp.Path, ours), filepath.Join(sp.Path, link)); err != nil {
		t.Fatal(err)
	}
	open := "00000000000000000002-open.json"
	spCopy(t, filepath.Join(sp.Path, ours), filepath.Join(sp.Path, open))
	spChmod(t, filepath.Join(sp.Path, open), 0o646)
	var sent []string
	err := sp.Flush(context.Background(), func(_ context.Context, name string, rec *Record) (int, error) {
		sent = append(sent, name)
		return 1, nil
	})
	var left *LeftError
	if !errors.As(err, &left) || left.Left != 2 || left.Untrusted != 2 {
		t.Fatalf("got %v, want 2 files left, both not trusted", err)
	}
	if got := strings.Join(sent, ","); got != ours {
		t.Errorf("sent %q, want only %s", got, ours)
	}
	log := strings.Join(*lines, "\n")
	for _, want := range []string{link + " is not trusted: a symbolic link", open + " is not trusted: writable by group or others (mode 0646)"} {
		if !strings.Contains(log, want) {
			t.Errorf("log %q: want %q in it", log, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(sp.Path, link)); err != nil {
		t.Errorf("the symlink was touched: %v", err)
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
	if rec := spLoad(t, sp, n); rec.Attempts != 4 {
		t.Errorf("got %d attempts in the file, want the 4 it had", rec.Attempts)
	}
	if log := strings.Join(*lines, "\n"); !strings.Contains(log, "could not record this attempt") || !strings.Contains(log, "no space left") {
		t.Errorf("log %q: want it to say the attempt could not be recorded, and why", log)
	}
}

// TestFlushLeavesOversizedFile: a file larger than MaxFile is not read
// (a 600 MB one once took 1.3 GB of memory) but reported and left, and
// flush says the spool is not empty.
func TestFlushLeavesOversizedFile(t *testing.T) {
	sp, lines := logged(t)
	sp.MaxFile = 4096
	small := spSave(t, sp, spRecord("small", time.Unix(5, 0)))
	big := spSave(t, sp, &Record{ID: "big", Method: "POST", Created: time.Unix(6, 0), Body: make([]byte, 8192)})
	var sent []string
	err := sp.Flush(context.Background(), func(_ context.Context, name string, _ *Record) (int, error) {
		sent = append(sent, name)
		return 1, nil
	})
	var left *LeftError
	if !errors.As(err, &left) || left.Left != 1 {
		t.Fatalf("got %v, want one file left", err)
	}
	if got := strings.Join(sent, ","); got != small {
		t.Errorf("sent %q, want only %s", got, small)
	}
	if log := strings.Join(*lines, "\n"); !strings.Contains(log, big) || !strings.Contains(log, "more than a notification of max_body can take (4KiB)") {
		t.Errorf("log %q does not name the big file and the bound", log)
	}
}
