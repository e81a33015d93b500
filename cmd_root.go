package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// cli builds the command-line interface: the root and one command per
// cmd_*.go file.
func (a *app) cli() *cli.App {
	usageErr := func(c *cli.Context, err error, _ bool) error {
		return fmt.Errorf("%w (see 'jobnotify %s --help')", err, strings.TrimPrefix(c.Command.FullName(), "jobnotify "))
	}
	commands := []*cli.Command{a.sendCommand(), a.flushCommand(), a.listenCommand(), a.completionCommand(),
		a.validateCommand(), a.envCommand(), a.versionCommand()}
	for _, cmd := range commands {
		cmd.OnUsageError = usageErr
		switch cmd.Name {
		case "version", "completion":
		case "send", "flush":
			cmd.Flags = append(globalFlags(verboseSend), cmd.Flags...)
		default:
			cmd.Flags = append(globalFlags(verboseOffline), cmd.Flags...)
		}
		cmd.Flags = a.show(cmd.Flags)
	}
	return &cli.App{
		Name:                 "jobnotify",
		Usage:                "send one notification about a CI build to a configured HTTP endpoint",
		UsageText:            "jobnotify [--config FILE] [--target NAME] [--verbose | --quiet] COMMAND [options]",
		Version:              getVersion(),
		Writer:               a.stdout,
		ErrWriter:            a.stderr,
		Reader:               a.stdin,
		HideVersion:          true, // its -v alias would take --verbose's
		Flags:                a.show(append(globalFlags(verboseRoot), &cli.BoolFlag{Name: "version", Usage: "print the version"})),
		HideHelpCommand:      true,
		EnableBashCompletion: true, // --generate-bash-completion, which the bash and zsh scripts call
		OnUsageError:         usageErr,
		ExitErrHandler:       func(*cli.Context, error) {}, // exit codes are decided in run
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				return a.printVersion(c)
			}
			if c.Args().Present() {
				return fmt.Errorf("unknown command %q (commands: send, flush, listen, validate, env, completion, version)", c.Args().First())
			}
			return errors.New("no command given (try 'jobnotify --help')")
		},
		Commands: commands,
	}
}
