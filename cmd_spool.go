package main

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/spool"
)

func (a *app) spoolCommand() *cli.Command {
	status := &cli.Command{
		Name:      "status",
		Usage:     "say what the spools hold, for a person or (-o json) for monitoring",
		UsageText: "jobnotify spool status [--output json]",
		Description: `status reads every spool directory the config names (the top level's and
each target's [spool] dir) and says, per directory, per target and in
total, how many notifications wait, since when, and the last error, and
which origins' breakers are open. It sends nothing, holds no lock, needs
no secret and prints none: a check for monitoring, e.g.
   jobnotify spool status -o json | jq '.total.count'
Exit status: 0 when every directory could be read (whatever it holds),
2 when one is not trusted or the config names none.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: text, or json (one object on stdout)", EnvVars: []string{"JOBNOTIFY_OUTPUT"}},
		},
		Action:          a.spoolStatus,
		OnUsageError:    a.usageError,
		HideHelpCommand: true,
	}
	status.Flags = a.show(append(globalFlags(verboseOffline), status.Flags...))
	return &cli.Command{
		Name:            "spool",
		Usage:           "say what the spools hold: jobnotify spool status",
		UsageText:       "jobnotify spool status [--output json]",
		Subcommands:     []*cli.Command{status},
		HideHelpCommand: true,
		Action: func(c *cli.Context) error {
			what := "no subcommand"
			if c.Args().Present() {
				what = fmt.Sprintf("unknown subcommand %q", c.Args().First())
			}
			return fmt.Errorf("spool: %s: the one subcommand is status (jobnotify spool status [-o json])", what)
		},
	}
}

// spoolReport is spool status's JSON.
type spoolReport struct {
	Total  ageCount  `json:"total"`
	Spools []dirInfo `json:"spools"`
}

// dirInfo is one spool directory: what it holds for each target, its
// breakers, and the targets of the config that use it.
type dirInfo struct {
	Dir        string        `json:"dir"`
	UsedBy     []string      `json:"used_by"` // "" is the top level
	Total      ageCount      `json:"total"`
	Targets    []targetCount `json:"targets"`
	Unreadable int           `json:"unreadable"`
	Untrusted  int           `json:"untrusted"`
	Breakers   []breakerInfo `json:"breakers"`
	Error      string        `json:"error,omitempty"`
}

type targetCount struct {
	Target string `json:"target"` // "" for the top level
	ageCount
}

// ageCount is a spool.Count with the age of its oldest, in seconds.
type ageCount struct {
	spool.Count
	OldestAge int64 `json:"oldest_age_seconds"`
}

func withAge(c spool.Count, now time.Time) ageCount {
	ac := ageCount{Count: c}
	if !c.Oldest.IsZero() {
		ac.OldestAge = int64(now.Sub(c.Oldest) / time.Second)
	}
	return ac
}

type breakerInfo struct {
	spool.BreakerState
	Open bool `json:"open"` // at its threshold: sends go to the spool, but a probe
}

func (a *app) spoolStatus(c *cli.Context) error {
	if c.Args().Present() {
		return fmt.Errorf("unexpected argument %q (see 'jobnotify spool status --help')", c.Args().First())
	}
	asJSON, err := a.jsonOutput(c)
	if err != nil {
		return err
	}
	f, err := a.loadConfig(c)
	if err != nil {
		return err
	}
	dirs, err := a.spoolDirs(f)
	if err != nil {
		return err
	}
	now := time.Now()
	rep := spoolReport{Spools: []dirInfo{}}
	var total spool.Count
	var untrusted error
	for _, d := range dirs {
		info := dirInfo{Dir: d.s.SpoolDir, UsedBy: d.targets, Targets: []targetCount{}, Breakers: []breakerInfo{}}
		sp := a.spool(d.s)
		st, err := sp.Status()
		if err != nil {
			info.Error = err.Error()
			untrusted = err
			rep.Spools = append(rep.Spools, info)
			continue
		}
		info.Total, info.Unreadable, info.Untrusted = withAge(st.Total, now), st.Unreadable, st.Untrusted
		for _, t := range slices.Sorted(maps.Keys(st.Targets)) {
			info.Targets = append(info.Targets, targetCount{Target: t, ageCount: withAge(st.Targets[t], now)})
		}
		for _, b := range sp.Breakers() {
			info.Breakers = append(info.Breakers, breakerInfo{BreakerState: b, Open: d.s.Breaker.Failures > 0 && b.Failures >= d.s.Breaker.Failures})
		}
		total.Merge(st.Total)
		rep.Spools = append(rep.Spools, info)
	}
	rep.Total = withAge(total, now)
	if asJSON {
		if err := a.printJSON(rep); err != nil {
			return err
		}
	} else {
		a.printSpoolText(rep)
	}
	return untrusted
}

// printSpoolText is spool status for a person.
func (a *app) printSpoolText(rep spoolReport) {
	line := func(what string, c ageCount) string {
		if c.Count.Count == 0 {
			return what + ": empty"
		}
		s := fmt.Sprintf("%s: %d, the oldest saved %s ago (%s)", what, c.Count.Count, human.Elapsed(time.Duration(c.OldestAge)*time.Second), c.Oldest.UTC().Format(time.RFC3339))
		if c.LastError != "" {
			s += "; last error: " + c.LastError
		}
		return s
	}
	for _, d := range rep.Spools {
		fmt.Fprintf(a.stdout, "%s (used by %s)\n", d.Dir, strings.Join(targetNames(d.UsedBy), ", "))
		if d.Error != "" {
			fmt.Fprintf(a.stdout, "  error: %s\n", d.Error)
			continue
		}
		for _, t := range d.Targets {
			fmt.Fprintf(a.stdout, "  %s\n", line(targetNames([]string{t.Target})[0], t.ageCount))
		}
		if d.Unreadable+d.Untrusted > 0 {
			fmt.Fprintf(a.stdout, "  also %d file(s) that are not notifications and %d not trusted (left alone)\n", d.Unreadable, d.Untrusted)
		}
		for _, b := range d.Breakers {
			state := "closed"
			if b.Open {
				state = "open since " + b.Opened.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(a.stdout, "  breaker %s: %s, %s in a row; last error: %s\n", b.Origin, state, human.Plural(b.Failures, "failure"), b.LastError)
		}
	}
	fmt.Fprintln(a.stdout, line("total", rep.Total))
}

// targetNames names targets for people: "the top level" for "".
func targetNames(targets []string) []string {
	out := make([]string, len(targets))
	for i, t := range targets {
		out[i] = "target " + t
		if t == "" {
			out[i] = "the top level"
		}
	}
	return out
}

// spoolSettings are the settings of one spool directory, with the
// targets of the config that use it.
type spoolSettings struct {
	s       *config.Settings
	targets []string
}

// spoolDirs lists every spool directory the config names, the top
// level's first, resolved offline: status needs no variable set.
func (a *app) spoolDirs(f *config.File) ([]spoolSettings, error) {
	if f == nil {
		return nil, fmt.Errorf("no config file, so no spool (looked in %s; or give --config FILE)", lookedIn(runtime.GOOS, a.env))
	}
	var dirs []spoolSettings
	for _, t := range append([]string{""}, f.Targets()...) {
		s, err := a.resolveOffline(f, t, config.Overrides{})
		if err != nil {
			return nil, err
		}
		if s.SpoolDir == "" {
			continue
		}
		i := slices.IndexFunc(dirs, func(d spoolSettings) bool { return d.s.SpoolDir == s.SpoolDir })
		if i < 0 {
			dirs = append(dirs, spoolSettings{s: s})
			i = len(dirs) - 1
		}
		dirs[i].targets = append(dirs[i].targets, t)
	}
	if len(dirs) == 0 {
		return nil, errors.New("spool.dir: not set in the config's top level or any target, so there is no spool")
	}
	return dirs, nil
}
