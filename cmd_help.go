package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// helpCommand is 'jobnotify help [COMMAND]', as in git and gh: the same
// text as 'jobnotify --help' and 'jobnotify COMMAND --help'. urfave/cli's
// own help command is left off: it has an alias "h" that would be
// offered wherever a command is, exits 3 for an unknown command, and
// would make 'validate h' show help too.
func (a *app) helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "show help for jobnotify or for one of its commands",
		UsageText: "jobnotify help [COMMAND]",
		Action:    a.help,
	}
}

func (a *app) help(c *cli.Context) error {
	args := c.Args().Slice()
	switch {
	case len(args) > 1:
		return fmt.Errorf("unexpected argument %q (see 'jobnotify help help')", args[1])
	case len(args) == 0:
		return a.cli().RunContext(c.Context, []string{"jobnotify", "--help"})
	}
	if cmd := c.App.Command(args[0]); cmd == nil || cmd.Hidden {
		return unknownCommand(c.App, args[0])
	}
	if args[0] == "help" {
		// urfave/cli answers 'help --help' with the root's help.
		return cli.ShowCommandHelp(c, "help")
	}
	// The command's own --help, so the two never differ.
	return a.cli().RunContext(c.Context, []string{"jobnotify", args[0], "--help"})
}
