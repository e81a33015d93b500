package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

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
