package main

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	vcs := func(kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{}
		for i := 0; i < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	const rev = "026001d7ae4bd1566a1de977f229a72cbd27f446"
	for _, tt := range []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  string
	}{
		{"a release build", "1.2.3", rev, "2026-12-01T10:00:00Z", nil,
			"jobnotify version 1.2.3 (commit 026001d7ae4b, built 2026-12-01T10:00:00Z)"},
		{"go build from a clone", "dev", "", "", vcs("vcs.revision", rev, "vcs.time", "2026-12-02T00:09:21Z", "vcs.modified", "false"),
			"jobnotify version dev (commit 026001d7ae4b, committed 2026-12-02T00:09:21Z)"},
		{"a changed clone", "dev", "", "", vcs("vcs.revision", rev, "vcs.time", "2026-12-02T00:09:21Z", "vcs.modified", "true"),
			"jobnotify version dev (commit 026001d7ae4b-dirty, committed 2026-12-02T00:09:21Z)"},
		{"-ldflags beat the recorded commit", "1.2.3", "abc", "2026-12-01T10:00:00Z", vcs("vcs.revision", rev, "vcs.time", "2026-12-02T00:09:21Z"),
			"jobnotify version 1.2.3 (commit abc, built 2026-12-01T10:00:00Z)"},
		{"go run: nothing recorded", "dev", "", "", &debug.BuildInfo{},
			"jobnotify version dev (commit unknown, build date unknown)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionLine(tt.version, tt.commit, tt.date, tt.bi); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestVersionFromLdflags: the build a release makes names its version,
// commit and date, on version and --version alike.
func TestVersionFromLdflags(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "jobnotify")
	ld := "-X main.version=1.2.3 -X main.commit=0123456789abcdef -X main.date=2026-12-01T10:00:00Z"
	if out, err := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-ldflags", ld, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.TrimSpace(string(out)), "jobnotify version 1.2.3 (commit 0123456789ab, built 2026-12-01T10:00:00Z)"; got != want {
			t.Errorf("%s: got %q, want %q", arg, got, want)
		}
	}
}
