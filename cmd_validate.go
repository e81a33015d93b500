package main

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/notify"
)

func (a *app) validateCommand() *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "check the config and print the resolved settings as JSON, secrets as ***",
		Description: `Works offline, outside any build: a ${VAR} that is not set is reported
(a note on stderr, and "variables" in the JSON lists each variable the send
will need, whether it is set here and where it is used, never its value),
not an error; a check that needs its value is left out and said so.
Every target of the file is checked too; the JSON shows the one --target
(or $JOBNOTIFY_TARGET) names, else the top level.
--strict also fails (exit 2) for each variable a send needs that is unset,
with any target, and for each key this version does not know in a file
that requires a newer one (which a send ignores, with a warning).`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "strict", Usage: "also fail when a variable a send needs is not set here, or a key is unknown"},
		},
		UsageText: "jobnotify validate [--config FILE] [--target NAME] [--strict]",
		Action:    a.validate,
	}
}

func (a *app) validate(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	if p, err := config.Find(a.configFlag(c), a.env); err != nil {
		return err
	} else if p == "" {
		return fmt.Errorf("no config file (looked in %s; or give --config FILE)", lookedIn(runtime.GOOS, a.env))
	}
	s, others, err := a.offlineTargets(c, true)
	if err != nil {
		return err
	}
	// What a send with no --target sends to must have a URL and a
	// template that works: the top level, or each of default_targets.
	sent := map[string]*config.Settings{"": s}
	var defaults []string
	if _, _, named := a.value(c, "target"); !named && a.loaded != nil {
		if defaults = a.loaded.DefaultTargets(); len(defaults) > 0 {
			sent = map[string]*config.Settings{}
			for _, t := range defaults {
				sent[t] = others[t]
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(sent)) {
		err := sent[t].NeedURL()
		if err == nil {
			err = notify.CheckTemplate(sent[t])
		}
		if err != nil && t != "" {
			return fmt.Errorf("target %s (of default_targets): %w", t, err)
		}
		if err != nil {
			return err
		}
	}
	// Every target's needs, the one shown first: a send with --target
	// NAME must find its variables too.
	var names []string
	for _, v := range s.Unset() {
		names = append(names, fmt.Sprintf("%s (%s)", v.Name, strings.Join(v.UsedAt, "; ")))
	}
	for _, t := range slices.Sorted(maps.Keys(others)) {
		for _, v := range others[t].Unset() {
			names = append(names, fmt.Sprintf("%s (for --target %s: %s)", v.Name, t, strings.Join(v.UsedAt, "; ")))
		}
	}
	if c.Bool("strict") && a.loaded != nil && len(a.loaded.Ignored) > 0 {
		return &config.Error{Where: "validate --strict", Err: fmt.Errorf("unknown key(s) %s: the file requires jobnotify %s, newer than this one (%s), which ignores them", strings.Join(a.loaded.Ignored, ", "), a.loaded.Requires, getVersion())}
	}
	if c.Bool("strict") && len(names) > 0 {
		return &config.Error{Where: "validate --strict", Err: errors.New("not set here, and a send needs them: " + strings.Join(names, ", "))}
	}
	a.noteUnset(s)
	if !a.quiet {
		for _, t := range slices.Sorted(maps.Keys(others)) {
			for _, v := range others[t].Unset() {
				a.logf("note: %s is not set here; a send with --target %s needs it (%s)", v.Name, t, strings.Join(v.UsedAt, "; "))
			}
		}
	}
	shown := s.Show()
	if len(defaults) > 0 {
		shown["default_targets"] = defaults
	}
	return a.printJSON(shown)
}
