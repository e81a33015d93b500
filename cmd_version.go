package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func (a *app) versionCommand() *cli.Command {
	return &cli.Command{Name: "version", Usage: "print the version", UsageText: "jobnotify version", Action: a.printVersion}
}

func (a *app) printVersion(*cli.Context) error {
	_, err := fmt.Fprintf(a.stdout, "jobnotify version %s\n", getVersion())
	return err
}
