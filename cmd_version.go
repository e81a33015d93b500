package main

import (
	"fmt"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// commit and date are set at build time, as version is:
// -ldflags "-X main.version=1.2.3 -X main.commit=$(git rev-parse HEAD) -X main.date=$(date -u +%FT%TZ)".
// Without them, the commit and its time come from what go build records
// of the clone it built from.
var commit, date = "", ""

func (a *app) versionCommand() *cli.Command {
	return &cli.Command{
		Name:        "version",
		Usage:       "print the version, the commit and the build date",
		UsageText:   "jobnotify version",
		Description: "Prints one line, e.g.: jobnotify version 1.2.3 (commit 0123456789ab, built 2026-12-01T10:00:00Z)",
		Action:      a.printVersion,
	}
}

func (a *app) printVersion(*cli.Context) error {
	bi, _ := debug.ReadBuildInfo()
	_, err := fmt.Fprintln(a.stdout, versionLine(getVersion(), commit, date, bi))
	return err
}

// versionLine says which build this is: its version, its commit (marked
// -dirty when built from a changed tree) and when it was built — or, for
// a plain go build from a clone, when its commit was made.
func versionLine(version, commit, date string, bi *debug.BuildInfo) string {
	when := "built " + date
	var vcsTime string
	modified := false
	if bi != nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	switch {
	case commit == "":
		commit = "unknown"
	case modified:
		commit += "-dirty"
	}
	switch {
	case date != "":
	case vcsTime != "":
		when = "committed " + vcsTime
	default:
		when = "build date unknown"
	}
	return fmt.Sprintf("jobnotify version %s (commit %s, %s)", version, commit, when)
}
