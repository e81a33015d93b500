package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/notify"
)

func (a *app) validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check the config and print the resolved settings as JSON, secrets as ***",
		UsageText: "jobnotify validate [--config FILE] [--target NAME]",
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
		return fmt.Errorf("no config file (looked in %s; or give --config FILE)", strings.Join(config.Candidates(a.env), ", "))
	}
	s, err := a.settings(c, config.Overrides{})
	if err != nil {
		return err
	}
	if err := s.NeedURL(); err != nil {
		return err
	}
	if err := notify.CheckTemplate(s); err != nil {
		return err
	}
	out := s.Show()
	return a.printJSON(out)
}
