package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// unshared returns the command of jobnotify run as PID 1 of a new PID
// namespace, as in a container of its own: `unshare --pid --fork
// --mount-proc jobnotify ARGS`. It skips when that cannot be done here.
func unshared(t testing.TB, o runOpts, args ...string) *exec.Cmd {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a new PID namespace needs root")
	}
	path, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare command")
	}
	if out, err := exec.Command(path, "--pid", "--fork", "--mount-proc", "true").CombinedOutput(); err != nil {
		t.Skipf("unshare cannot make a PID namespace here: %v %s", err, out)
	}
	cmd := command(t, o, args...)
	cmd.Path = path
	cmd.Args = append([]string{"unshare", "--pid", "--fork", "--mount-proc"}, cmd.Args...)
	return cmd
}

// holdFirst answers the first request only when release is closed or the
// client is gone, and says on held when it has it; later ones get 200.
func holdFirst() (srvScript []http.HandlerFunc, held <-chan struct{}, release chan struct{}) {
	h := make(chan struct{}, 1)
	release = make(chan struct{})
	hold := func(w http.ResponseWriter, r *http.Request) {
		h <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	return []http.HandlerFunc{hold, status(200)}, h, release
}

// started starts cmd and returns a channel closed when it has exited.
func started(t testing.TB, cmd *exec.Cmd) (out *bytes.Buffer, exited <-chan struct{}) {
	t.Helper()
	out = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	return out, done
}

// waitHeld waits for the server to hold a request, failing if cmd exits
// first.
func waitHeld(t testing.TB, held <-chan struct{}, exited <-chan struct{}, out *bytes.Buffer) {
	t.Helper()
	select {
	case <-held:
	case <-exited:
		t.Fatalf("flush exited before its request was held:\n%s", out)
	}
}

// TestFlushAcrossPIDNamespaces: two flushes in different PID namespaces
// (containers sharing the spool volume) never send the same file twice.
// The first one's first delivery is held until the second has finished.
// A claim by process id fails here: the first flush's pid means nothing,
// or another process, in the second one's namespace.
func TestFlushAcrossPIDNamespaces(t *testing.T) {
	for _, tt := range []struct {
		name     string
		hostLeft bool // the first flush runs in the test's own namespace
	}{
		{"host, then a container", true},
		{"container, then a container", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			const n = 3
			for i := range n {
				r := jobnotify(t, runOpts{config: spoolConfig(deadURL(t), dir), env: tokenEnv}, "send", "-q", "--id", fmt.Sprintf("ns-%d", i))
				wantCode(t, r, 1)
			}
			script, held, release := holdFirst()
			srv := newRecorder(t, script...)
			o := runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}
			second := unshared(t, o, "flush") // skips before anything starts
			first := command(t, o, "flush")
			if !tt.hostLeft {
				first = unshared(t, o, "flush")
			}
			out1, exited1 := started(t, first)
			waitHeld(t, held, exited1, out1)

			r, _ := runCmd(t, second)
			close(release)
			<-exited1
			if r.code != 0 {
				t.Errorf("second flush: exit %d, want 0\n%s", r.code, r.stderr)
			}
			if code := first.ProcessState.ExitCode(); code != 0 {
				t.Errorf("first flush: exit %d, want 0\n%s", code, out1)
			}
			count := sentIDs(srv)
			for i := range n {
				if id := fmt.Sprintf("ns-%d", i); count[id] != 1 {
					t.Errorf("%s sent %d times, want once", id, count[id])
				}
			}
			if entries := notifications(t, dir); len(entries) != 0 {
				t.Errorf("left in the spool: %v", entries)
			}
		})
	}
}

// TestKilledFlushLeavesItsFile: a flush SIGKILLed while its request is
// held, running as PID 1 of its own namespace, leaves the file for the
// next flush, which sends it. A claim by process id would stay with
// "PID 1" for ever, which is alive everywhere.
func TestKilledFlushLeavesItsFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	spoolOne(t, dir, nil, "--id", "killed")
	script, held, _ := holdFirst()
	srv := newRecorder(t, script...)
	o := runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}
	flush := unshared(t, o, "flush")
	out, exited := started(t, flush)
	waitHeld(t, held, exited, out)
	pid := childOf(t, flush.Process.Pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited // unshare returns once its child is reaped, files closed

	r := jobnotify(t, o, "flush")
	wantCode(t, r, 0)
	if got := sentIDs(srv)["killed"]; got != 2 {
		t.Errorf("killed sent %d times, want 2: the killed attempt and the next flush's", got)
	}
	if entries := notifications(t, dir); len(entries) != 0 {
		t.Errorf("left in the spool: %v", entries)
	}
	wantStderr(t, r, "flushed killed")
}

// childOf returns the pid of the one child of process ppid.
func childOf(t testing.TB, ppid int) int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(ppid) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return pid
		}
	}
	t.Fatalf("process %d has no child", ppid)
	return 0
}

// TestFlushDiskFull: when the failed attempt cannot be recorded because
// the disk is full, flush exits 1: the spool is not empty. The spool is a
// tmpfs too small for a second copy of the file, mounted in a mount
// namespace of the flush's own.
func TestFlushDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare command")
	}
	probe := t.TempDir()
	if out, err := exec.Command(unshare, "--mount", "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	src := filepath.Join(t.TempDir(), "spool")
	big := `{"pad": "` + strings.Repeat("x", 40<<10) + `"}`
	spoolOne(t, src, nil, "--id", "disk-full", "-b", big)
	f := wantSpooled(t, src)

	dir := filepath.Join(t.TempDir(), "spool")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	srv := newRecorder(t, status(503))
	cmd := command(t, runOpts{config: spoolConfig(srv.URL, dir), env: tokenEnv}, "flush")
	script := `mount -t tmpfs -o size=64k,mode=0700 tmpfs "$1" && cp -p "$2" "$1"/ && shift 2 && exec "$@"`
	cmd.Path = unshare
	cmd.Args = append([]string{"unshare", "--mount", "sh", "-c", script, "sh", dir, f.path}, cmd.Args...)
	r, _ := runCmd(t, cmd)
	if r.code != 1 {
		t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	wantRequests(t, srv, 1)
	wantStderr(t, r, "could not record this attempt", "no space left on device", "1 file(s) still in "+dir)
}
