package main

import (
	"cmp"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/envcollect"
)

func (a *app) envCommand() *cli.Command {
	return &cli.Command{
		Name:      "env",
		Usage:     "print as JSON the build context send would include (no network)",
		UsageText: "jobnotify env [--config FILE] [--target NAME]",
		Action:    a.printEnv,
	}
}

func (a *app) printEnv(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	s, err := a.offlineSettings(c)
	if err != nil {
		return err
	}
	a.noteUnset(s)
	bc := envcollect.Collect(a.environ, envOptions(s))
	if !a.quiet {
		// On stderr: stdout is exactly the context send would include.
		a.logf("CI system: %s", cmp.Or(bc.System, "none detected (Jenkins allow-list)"))
	}
	return a.printJSON(bc.Map())
}
