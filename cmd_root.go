package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/internal/human"
)

// cli builds the command-line interface: the root and one command per
// cmd_*.go file.
func (a *app) cli() *cli.App {
	usageErr := func(c *cli.Context, err error, _ bool) error {
		return fmt.Errorf("%w (see 'jobnotify %s --help')", err, strings.TrimPrefix(c.Command.FullName(), "jobnotify "))
	}
	commands := []*cli.Command{a.sendCommand(), a.flushCommand(), a.listenCommand(), a.completionCommand(),
		a.validateCommand(), a.envCommand(), a.versionCommand(), a.helpCommand()}
	for _, cmd := range commands {
		cmd.OnUsageError = usageErr
		cmd.HideHelpCommand = true // 'jobnotify help send', not 'jobnotify send help'
		switch cmd.Name {
		case "version", "completion", "help":
		case "send", "flush":
			cmd.Flags = append(globalFlags(verboseSend), cmd.Flags...)
		default:
			cmd.Flags = append(globalFlags(verboseOffline), cmd.Flags...)
		}
		cmd.Flags = a.show(cmd.Flags)
	}
	return &cli.App{
		Name:        "jobnotify",
		Usage:       "send one notification about a CI build to a configured HTTP endpoint",
		UsageText:   "jobnotify [--config FILE] [--target NAME] [--verbose | --quiet] COMMAND [options]",
		Version:     getVersion(),
		Writer:      a.stdout,
		ErrWriter:   a.stderr,
		Reader:      a.stdin,
		HideVersion: true, // its -v alias would take --verbose's
		Flags: a.show(append(globalFlags(verboseRoot), &cli.BoolFlag{Name: "version", Usage: "print the version"},
			// urfave/cli adds --help to the root only while it has no
			// command named help, and jobnotify has one.
			cli.HelpFlag)),
		HideHelpCommand:      true,
		EnableBashCompletion: true, // --generate-bash-completion, which the bash and zsh scripts call
		OnUsageError:         usageErr,
		ExitErrHandler:       func(*cli.Context, error) {}, // exit codes are decided in run
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				return a.printVersion(c)
			}
			if c.Args().Present() {
				return unknownCommand(c.App, c.Args().First())
			}
			return errors.New("no command given (try 'jobnotify --help')")
		},
		Commands: commands,
	}
}

// unknownCommand is the error for a command jobnotify does not have: the
// one it is most likely a typo of, else the list.
func unknownCommand(app *cli.App, name string) error {
	var names []string
	for _, cmd := range app.VisibleCommands() {
		names = append(names, cmd.Name)
	}
	if best := human.Closest(name, names); best != "" {
		return fmt.Errorf("unknown command %q (did you mean %q?)", name, best)
	}
	return fmt.Errorf("unknown command %q (commands: %s)", name, strings.Join(names, ", "))
}
