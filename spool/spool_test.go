package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/internal/owner"
	"github.com/jobnotify/jobnotify/redact"
)

// spRecord returns a record created at t.
func spRecord(id string, t time.Time) *Record {
	return &Record{
		Format: "jobnotify", Method: "POST", ID: id, Created: t, Attempts: 4,
		LastError: "503 Service Unavailable", Body: []byte(`{"id":"` + id + `"}`),
	}
}

// spDir returns a spool directory that does not exist yet.
func spDir(t testing.TB) Dir {
	t.Helper()
	return Dir{Path: filepath.Join(t.TempDir(), "spool")}
}

// spSave saves rec and returns its file name.
func spSave(t testing.TB, sp Dir, rec *Record) string {
	t.Helper()
	path, err := sp.Save(rec)
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	if filepath.Dir(path) != sp.Path {
		t.Fatalf("Save: got path %s, want it in %s", path, sp.Path)
	}
	return filepath.Base(path)
}

// spEntries lists every name in the directory, dot-files included.
func spEntries(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// spLoad claims a saved notification, reads it and lets it go.
func spLoad(t testing.TB, sp Dir, name string) *Record {
	t.Helper()
	c, err := sp.Claim(name)
	if err != nil {
		t.Fatalf("Claim(%s): %v", name, err)
	}
	defer c.Release()
	rec, err := c.Load()
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return rec
}

func TestSpoolSave(t *testing.T) {
	sp := spDir(t)
	base := time.Date(2026, 11, 27, 3, 20, 0, 0, time.UTC)
	// Saved out of order, with creation times whose decimal digits do not
	// sort like the times themselves unless the name pads them.
	created := []time.Time{
		base.Add(time.Second),
		base,
		base.Add(-time.Nanosecond),
		base.Add(1000 * time.Hour),
		time.Unix(999_999_999, 0), // one digit fewer in seconds
	}
	var names []string
	for i, c := range created {
		names = append(names, spSave(t, sp, spRecord(fmt.Sprintf("id-%d", i), c)))
	}

	fi, err := os.Stat(sp.Path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); modes && got != 0o700 {
		t.Errorf("got directory mode %04o, want 0700", got)
	}
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(sp.Path, n))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); modes && got != 0o600 {
			t.Errorf("got file %s mode %04o, want 0600", n, got)
		}
		if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".json") {
			t.Errorf("got name %q, want a visible .json name", n)
		}
	}
	if got := spEntries(t, sp.Path); len(got) != len(created) {
		t.Errorf("got directory entries %q, want only the %d saved files (no temporary files left)", got, len(created))
	}

	// Names sort by creation time.
	byTime := slices.Clone(names)
	sort.Slice(byTime, func(i, j int) bool {
		return created[slices.Index(names, byTime[i])].Before(created[slices.Index(names, byTime[j])])
	})
	sorted := slices.Clone(names)
	sort.Strings(sorted)
	if !slices.Equal(sorted, byTime) {
		t.Errorf("got names sorting as %q, want creation order %q", sorted, byTime)
	}
}

func TestSpoolSaveKeepsIDsInTheirName(t *testing.T) {
	sp := spDir(t)
	for _, id := range []string{"../../etc/passwd", "a/b", ".hidden", strings.Repeat("x", 300), "ümlaut id"} {
		n := spSave(t, sp, spRecord(id, time.Unix(1, 0)))
		if strings.ContainsAny(n, `/\`) || strings.HasPrefix(n, ".") || len(n) > 120 {
			t.Errorf("id %q: got file name %q, want a plain name in the spool directory", id, n)
		}
		c, err := sp.Claim(n)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := c.Load()
		if err != nil {
			t.Fatal(err)
		}
		if rec.ID != id {
			t.Errorf("got id %q back, want %q", rec.ID, id)
		}
		if err := c.Remove(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSpoolRoundTrip(t *testing.T) {
	sp := spDir(t)
	body := []byte{'{', 0xff, 0xfe, 0x00, '"', '\\', '\n', 0xc3, 0x28, 0xe2, 0x82, '}'} // not UTF-8, not JSON
	in := &Record{
		Target: "chat", Format: "job-status-notification", Method: "PUT", ID: "3b0c5c1e-id",
		Created: time.Date(2026, 11, 27, 3, 20, 0, 123456789, time.UTC), Attempts: 7,
		LastError: "attempt 7: 503 ***", Query: "a=1&b=%FF", Body: body,
	}
	got := spLoad(t, sp, spSave(t, sp, in))
	if !bytes.Equal(got.Body, body) {
		t.Errorf("got body % x, want % x", got.Body, body)
	}
	if got.Version != 1 || got.Target != in.Target || got.Format != in.Format || got.Method != in.Method ||
		got.ID != in.ID || !got.Created.Equal(in.Created) || got.Attempts != in.Attempts ||
		got.LastError != in.LastError || got.Query != in.Query {
		t.Errorf("got  %+v\nwant %+v", got, in)
	}

	// A URL from the command line is kept, and makes it version 2, which
	// versions that do not know url refuse rather than send elsewhere.
	in3 := spRecord("url-id", time.Unix(3, 0))
	in3.URL = "http://127.0.0.1:1/x"
	if got := spLoad(t, sp, spSave(t, sp, in3)); got.Version != 2 || got.URL != in3.URL {
		t.Errorf("got version %d url %q, want 2 and %q", got.Version, got.URL, in3.URL)
	}

	// A GET record has no body at all, not an empty one.
	in2 := spRecord("get-id", time.Unix(2, 0))
	in2.Method, in2.Body, in2.Query = "GET", nil, "x=1"
	got2 := spLoad(t, sp, spSave(t, sp, in2))
	if got2.Body != nil || got2.Query != "x=1" {
		t.Errorf("got body %q query %q, want nil and x=1", got2.Body, got2.Query)
	}
}

func TestSpoolList(t *testing.T) {
	sp := spDir(t)
	if names, err := sp.List(); err != nil || names != nil {
		t.Fatalf("List of a missing directory: got %q, %v; want nothing and no error", names, err)
	}
	newest := spSave(t, sp, spRecord("newest", time.Unix(3000, 0)))
	oldest := spSave(t, sp, spRecord("oldest", time.Unix(1000, 0)))
	middle := spSave(t, sp, spRecord("middle", time.Unix(2000, 0)))
	old := spSave(t, sp, spRecord("old", time.Unix(1500, 0)))
	mine := spSave(t, sp, spRecord("mine", time.Unix(1200, 0)))
	twice := spSave(t, sp, spRecord("twice", time.Unix(1700, 0)))

	// Claims of earlier versions go back under their name, whatever the
	// process id: PID 1 is alive in every container, this process too.
	for claim, orig := range map[string]string{".claim-1-" + old: old, fmt.Sprintf(".claim-%d-%s", os.Getpid(), mine): mine} {
		if err := os.Rename(filepath.Join(sp.Path, orig), filepath.Join(sp.Path, claim)); err != nil {
			t.Fatal(err)
		}
	}
	// One whose name was saved again since stays, and the name is listed once.
	if err := os.WriteFile(filepath.Join(sp.Path, ".claim-7-"+twice), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Things List must skip: dot-files, temporary files, directories,
	// malformed claims.
	for _, n := range []string{".tmp-123", ".hidden.json", ".claim-notapid-x.json", ".claim-42", ".claim-3-.x"} {
		if err := os.WriteFile(filepath.Join(sp.Path, n), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(sp.Path, "00000000000000000001-dir.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A symlink is listed, for Claim to refuse and Flush to report.
	link := "00000000000000000002-link.json"
	if err := os.Symlink(filepath.Join(sp.Path, oldest), filepath.Join(sp.Path, link)); err != nil {
		t.Fatal(err)
	}

	got, err := sp.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{link, oldest, mine, old, twice, middle, newest}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, n := range []string{old, mine} {
		if _, err := os.Stat(filepath.Join(sp.Path, n)); err != nil {
			t.Errorf("old claim not put back under its name: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(sp.Path, ".claim-7-"+twice)); err != nil {
		t.Errorf("an old claim whose name is taken was touched: %v", err)
	}
	// One put back can be claimed and loaded like any other.
	if rec := spLoad(t, sp, old); rec.ID != "old" {
		t.Errorf("got %+v, want the old record", rec)
	}
}

func TestSpoolClaimIsExclusive(t *testing.T) {
	sp := spDir(t)
	one := spSave(t, sp, spRecord("one", time.Unix(1, 0)))
	c, err := sp.Claim(one)
	if err != nil {
		t.Fatal(err)
	}
	// A second open of the file is another holder: the lock is the open
	// file's, not the process's.
	if _, err := sp.Claim(one); !errors.Is(err, ErrClaimed) {
		t.Errorf("second Claim: got %v, want ErrClaimed", err)
	}
	if got := spEntries(t, sp.Path); !slices.Equal(got, []string{one}) {
		t.Errorf("got entries %q, want only %s: a claim renames nothing and adds no file", got, one)
	}
	c.Release()
	c, err = sp.Claim(one)
	if err != nil {
		t.Fatalf("Claim after Release: %v", err)
	}
	c.Release()

	// Many flushes at once: every file is claimed exactly once.
	const files, workers = 40, 8
	var names []string
	for i := range files {
		names = append(names, spSave(t, sp, spRecord(fmt.Sprintf("n%d", i), time.Unix(int64(10+i), 0))))
	}
	var mu sync.Mutex
	wins := map[string]int{}
	var held []*Claim
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, n := range names {
				c, err := sp.Claim(n)
				switch {
				case err == nil:
					mu.Lock()
					wins[n]++
					held = append(held, c)
					mu.Unlock()
				case !errors.Is(err, ErrClaimed):
					t.Errorf("Claim(%s): got %v, want nil or ErrClaimed", n, err)
				}
			}
		}()
	}
	wg.Wait()
	for _, c := range held {
		c.Release()
	}
	for _, n := range names {
		if wins[n] != 1 {
			t.Errorf("%s: claimed %d times, want exactly once", n, wins[n])
		}
	}
}

// TestSpoolClaimSkipsWhatMoved: a file another flush removed, or rewrote
// (a new file renamed over the name), after this one opened it is not
// held: the lock would be on a file no longer under the name.
func TestSpoolClaimSkipsWhatMoved(t *testing.T) {
	sp := spDir(t)
	gone := spSave(t, sp, spRecord("gone", time.Unix(1, 0)))
	if err := os.Remove(filepath.Join(sp.Path, gone)); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Claim(gone); !errors.Is(err, ErrClaimed) {
		t.Errorf("Claim of a removed file: got %v, want ErrClaimed", err)
	}

	for _, tt := range []struct {
		name string
		move func(t *testing.T, path string)
	}{
		{"removed after the open", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
		{"rewritten after the open", func(t *testing.T, path string) {
			if _, err := sp.write(path, spRecord("rewritten", time.Unix(2, 0)), false); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := spSave(t, sp, spRecord("moved", time.Unix(2, 0)))
			testHookLocked = func(path string) { tt.move(t, path) }
			_, err := sp.Claim(n)
			testHookLocked = nil
			if !errors.Is(err, ErrClaimed) {
				t.Errorf("got %v, want ErrClaimed", err)
			}
			if _, err := os.Lstat(filepath.Join(sp.Path, n)); err == nil {
				c, err := sp.Claim(n) // the new file is free to take
				if err != nil {
					t.Fatalf("Claim of the rewritten file: %v", err)
				}
				c.Release()
			}
		})
	}
}

func TestSpoolLoadRejects(t *testing.T) {
	sp := spDir(t)
	if err := os.MkdirAll(sp.Path, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, content string
	}{
		{"empty", ""},
		{"corrupt", `{"version":1,"id":"x","method":"POST","body":`},
		{"truncated", `{"version":1,"id":"x"`},
		{"not an object", `[1,2,3]`},
		{"foreign JSON", `{"name":"something else","items":[1,2]}`},
		{"wrong version", `{"version":3,"id":"x","method":"POST","url":"http://127.0.0.1:1/"}`},
		{"version 2 without a url", `{"version":2,"id":"x","method":"POST"}`},
		{"no id", `{"version":1,"method":"POST"}`},
		{"no method", `{"version":1,"id":"x"}`},
		{"body not base64", `{"version":1,"id":"x","method":"POST","body":"%%%"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := strings.ReplaceAll(tt.name, " ", "_") + ".json"
			if err := os.WriteFile(filepath.Join(sp.Path, n), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := sp.Claim(n)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Release()
			rec, err := c.Load()
			if err == nil {
				t.Fatalf("got %+v, want an error", rec)
			}
			if !strings.Contains(err.Error(), "not a jobnotify spool file") {
				t.Errorf("got error %q, want it to say not a jobnotify spool file", err)
			}
		})
	}
	if _, err := sp.Claim("missing"); !errors.Is(err, ErrClaimed) {
		t.Errorf("Claim of a missing file: got %v, want ErrClaimed", err)
	}
}

func TestSpoolUpdateAndRemove(t *testing.T) {
	sp := spDir(t)
	rec := spRecord("u1", time.Unix(5, 0))
	n := spSave(t, sp, rec)
	c, err := sp.Claim(n)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	loaded.Attempts += 3
	loaded.LastError = "connection refused"
	if err := c.Update(loaded); err != nil {
		t.Fatal(err)
	}
	if got := spEntries(t, sp.Path); !slices.Equal(got, []string{n}) {
		t.Errorf("got entries %q, want only %s (no temporary file)", got, n)
	}
	if fi, err := os.Stat(filepath.Join(sp.Path, n)); err != nil || modes && fi.Mode().Perm() != 0o600 {
		t.Errorf("got %v, %v; want a 0600 file", fi, err)
	}
	again := spLoad(t, sp, n) // Update let it go
	if again.Attempts != 7 || again.LastError != "connection refused" || !bytes.Equal(again.Body, rec.Body) || again.ID != "u1" {
		t.Errorf("got %+v, want the updated record", again)
	}

	// Release leaves the file as it was.
	before, err := os.ReadFile(filepath.Join(sp.Path, n))
	if err != nil {
		t.Fatal(err)
	}
	c, err = sp.Claim(n)
	if err != nil {
		t.Fatal(err)
	}
	c.Release()
	after, err := os.ReadFile(filepath.Join(sp.Path, n))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("got %s, want the unchanged %s", after, before)
	}

	// Remove deletes a held file.
	c, err = sp.Claim(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(); err != nil {
		t.Fatal(err)
	}
	if names, err := sp.List(); err != nil || len(names) != 0 {
		t.Errorf("got %q, %v; want an empty spool", names, err)
	}
}

// spChown gives path to another user (nobody), or skips: only root can.
func spChown(t testing.TB, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	if err := os.Lchown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
}

// spLinkDir replaces dir by a symbolic link to a good directory beside
// it, owned by another user when foreign.
func spLinkDir(t *testing.T, dir string, foreign bool) {
	t.Helper()
	real := dir + ".real"
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, dir); err != nil {
		t.Fatal(err)
	}
	if foreign {
		spChown(t, dir)
	}
}

func TestSpoolCheck(t *testing.T) {
	if !modes {
		t.Skip("modes and uids mean nothing on " + runtime.GOOS + "; owner.TestSecurityProblem has its rule")
	}
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, dir string) // dir exists, 0700, ours
		why   string                         // "" for a trusted directory
	}{
		{"missing", func(t *testing.T, dir string) { os.Remove(dir) }, ""},
		{"0700", func(*testing.T, string) {}, ""},
		{"readable by others", func(t *testing.T, dir string) { spChmod(t, dir, 0o755) }, ""},
		{"writable by everyone", func(t *testing.T, dir string) { spChmod(t, dir, 0o777) }, "writable by group or others (mode 0777)"},
		{"writable by the group", func(t *testing.T, dir string) { spChmod(t, dir, 0o770) }, "writable by group or others (mode 0770)"},
		{"sticky and writable by everyone", func(t *testing.T, dir string) { spChmod(t, dir, 0o1777) }, "writable by group or others (mode 0777)"},
		{"owned by another user", func(t *testing.T, dir string) { spChown(t, dir) }, "owned by uid 65534, not by uid 0 that runs jobnotify"},
		// The review's case: a link another user owns (in a sticky
		// directory anyone may write) to our own good directory; they
		// could point it at any directory, and send would write there.
		{"a link another user owns", func(t *testing.T, dir string) { spLinkDir(t, dir, true) }, "a symbolic link owned by uid 65534, not by uid 0 that runs jobnotify"},
		{"a link we own", func(t *testing.T, dir string) { spLinkDir(t, dir, false) }, ""},
		{"a file", func(t *testing.T, dir string) {
			os.Remove(dir)
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "not a directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sp, lines := logged(t)
			if err := os.Mkdir(sp.Path, 0o700); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, sp.Path)
			before := spEntriesIfDir(sp.Path)
			err := sp.Check()
			if tt.why == "" {
				if err != nil {
					t.Fatalf("Check: got %v, want nil", err)
				}
				if path := sp.Keep(spRecord("kept", time.Now()), redact.New().Contains); path == "" {
					t.Errorf("Keep saved nothing (log %q)", *lines)
				}
				return
			}
			var ue *UntrustedError
			if !errors.As(err, &ue) || !ue.Dir || ue.Why != tt.why || ue.Path != sp.Path {
				t.Fatalf("Check: got %v, want an *UntrustedError of the directory saying %q", err, tt.why)
			}
			if _, err := sp.Save(spRecord("saved", time.Now())); !errors.As(err, &ue) {
				t.Errorf("Save: got %v, want the *UntrustedError", err)
			}
			if path := sp.Keep(spRecord("kept", time.Now()), redact.New().Contains); path != "" {
				t.Errorf("Keep saved %s, want nothing saved", path)
			}
			if log := strings.Join(*lines, "\n"); !strings.Contains(log, "not saved to the spool: spool directory "+sp.Path+" is not trusted: "+tt.why) {
				t.Errorf("Keep's log %q does not say why it saved nothing", log)
			}
			if got := spEntriesIfDir(sp.Path); !slices.Equal(got, before) {
				t.Errorf("got entries %q, want %q: nothing written", got, before)
			}
			called := false
			err = sp.Flush(context.Background(), func(context.Context, string, *Record) (int, error) {
				called = true
				return 1, nil
			})
			if !errors.As(err, &ue) || called {
				t.Errorf("Flush: got %v, deliver called %v; want the *UntrustedError and nothing sent", err, called)
			}
		})
	}
}

func spChmod(t testing.TB, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// spEntriesIfDir lists a directory's names, or nothing when it is none.
func spEntriesIfDir(dir string) []string {
	es, _ := os.ReadDir(dir)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestSpoolClaimRefusesForeignFiles: a file another user could have
// written is never held, so never sent.
func TestSpoolClaimRefusesForeignFiles(t *testing.T) {
	if !modes {
		t.Skip("modes and uids mean nothing on " + runtime.GOOS + "; owner.TestSecurityProblem has its rule")
	}
	outside := spDir(t)
	target := filepath.Join(outside.Path, spSave(t, outside, spRecord("outside", time.Unix(1, 0))))
	for _, tt := range []struct {
		name  string
		plant func(t *testing.T, path string)
		why   string
	}{
		{"a symlink to a valid file", func(t *testing.T, path string) {
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}, "a symbolic link"},
		{"writable by others", func(t *testing.T, path string) {
			spCopy(t, target, path)
			spChmod(t, path, 0o666)
		}, "writable by group or others (mode 0666)"},
		{"owned by another user", func(t *testing.T, path string) {
			spCopy(t, target, path)
			spChown(t, path)
		}, "owned by uid 65534, not by uid 0 that runs jobnotify"},
		{"a named pipe", func(t *testing.T, path string) {
			if err := mkfifo(path); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}, "not a regular file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sp := spDir(t)
			spSave(t, sp, spRecord("ours", time.Unix(2, 0)))
			n := "00000000000000000001-planted.json"
			tt.plant(t, filepath.Join(sp.Path, n))
			_, err := sp.Claim(n)
			var ue *UntrustedError
			if !errors.As(err, &ue) || ue.Dir || ue.Why != tt.why {
				t.Fatalf("Claim: got %v, want an *UntrustedError saying %q", err, tt.why)
			}
			if !strings.Contains(err.Error(), n) {
				t.Errorf("got %q, want the file named", err)
			}
		})
	}
}

func spCopy(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSpoolLoadKeepsFormatHeaders: of the headers in a file only the
// format's own reach the request; the rest come from the config.
func TestSpoolLoadKeepsFormatHeaders(t *testing.T) {
	sp, lines := logged(t)
	rec := spRecord("headers", time.Unix(1, 0))
	rec.Header = http.Header{
		"Authorization":  {"x"},
		"X-Evil":         {"y"},
		"content-type":   {"application/cloudevents+json"},
		"ce-specversion": {"1.0"},
		"Ce-Type":        {"dev.jobnotify.build.failure"},
		"Host":           {"elsewhere.example"},
		"Ce-Source":      {"x\r\nAuthorization: Bearer planted"},
	}
	got := spLoad(t, sp, spSave(t, sp, rec))
	want := http.Header{
		"Content-Type":   {"application/cloudevents+json"},
		"Ce-Specversion": {"1.0"},
		"Ce-Type":        {"dev.jobnotify.build.failure"},
	}
	if !reflect.DeepEqual(got.Header, want) {
		t.Errorf("got headers %v, want %v", got.Header, want)
	}
	if log := strings.Join(*lines, "\n"); !strings.Contains(log, "ignoring header(s) Authorization, Ce-Source, Host, X-Evil in the file") || strings.Contains(log, "elsewhere") || strings.Contains(log, "planted") {
		t.Errorf("log %q: want the ignored headers named, not their values", log)
	}
}

// modes says whether file modes mean something here (not on Windows).
var modes = owner.Modes(runtime.GOOS)

// TestSpoolDirRule: the advice for an untrusted directory is the one that
// can be followed on the system: chmod where modes mean something, the
// owner on Windows.
func TestSpoolDirRule(t *testing.T) {
	if got := dirRule("linux", "/var/spool/jobnotify"); !strings.Contains(got, "chmod 700") {
		t.Errorf("linux: %q, want chmod 700", got)
	}
	got := dirRule("windows", `C:\spool`)
	if strings.Contains(got, "chmod") || !strings.Contains(got, `move its files out of C:\spool and remove it`) {
		t.Errorf("windows: %q, want it remade by jobnotify, and no chmod", got)
	}
}

// TestSaveTargetsOfOneSend: the targets of one send share its id and
// may fail at the same instant; each keeps its own file.
func TestSaveTargetsOfOneSend(t *testing.T) {
	sp := spDir(t)
	at := time.Unix(1, 0)
	for _, target := range []string{"api", "chat", ""} {
		rec := spRecord("one-id", at)
		rec.Target = target
		if _, err := sp.Save(rec); err != nil {
			t.Fatal(err)
		}
	}
	names, err := sp.List()
	if err != nil || len(names) != 3 {
		t.Fatalf("files %q (%v), want one per target", names, err)
	}
}
