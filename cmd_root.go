package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/internal/human"
)

// cli builds the command-line interface: the root and one command per
// cmd_*.go file.
func (a *app) cli() *cli.App { return a.cliFor("") }

// cliFor is cli for a command line that runs the command named (see
// commandOf; "" for any): only that command's flags are made ready to
// parse — the global ones added, each wrapped to be shown as jobnotify
// shows flags (show); making every command's ready was 7 % of a small
// send's CPU samples. The others keep the flags they declare, for
// the root's list of commands; help, completion and a usage error before
// the command read every command's flags, and are cliFor("").
func (a *app) cliFor(name string) *cli.App {
	commands := []*cli.Command{a.sendCommand(), a.runCommand(), a.flushCommand(), a.spoolCommand(), a.listenCommand(), a.completionCommand(),
		a.validateCommand(), a.envCommand(), a.versionCommand(), a.helpCommand(), a.completeCommand()}
	if !slices.ContainsFunc(commands, func(c *cli.Command) bool { return c.Name == name }) {
		name = ""
	}
	for _, cmd := range commands {
		cmd.OnUsageError = a.usageError
		cmd.HideHelpCommand = true // 'jobnotify help send', not 'jobnotify send help'
		cmd.Action = a.watched(cmd.Action)
		for _, sub := range cmd.Subcommands {
			sub.Action = a.watched(sub.Action)
		}
		if name != "" && cmd.Name != name {
			// Its variables are still known: validate and env read
			// those of send's flags.
			for _, f := range cmd.Flags {
				a.takeEnvVar(f, flagNames(f)[0])
			}
			continue
		}
		switch cmd.Name {
		case "version", "completion", "help", "__complete":
		case "send", "run", "flush":
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
		Description: rootDescription,
		// The root's help ends with the examples and exit codes the man
		// page shows too.
		CustomAppHelpTemplate: cli.AppHelpTemplate + rootHelpEnd(),
		Version:               getVersion(),
		Writer:                a.stdout,
		ErrWriter:             a.stderr,
		Reader:                a.stdin,
		HideVersion:           true, // its -v alias would take --verbose's
		Flags: a.show(append(globalFlags(verboseRoot), &cli.BoolFlag{Name: "version", Usage: "print the version"},
			// urfave/cli adds --help to the root only while it has no
			// command named help, and jobnotify has one.
			cli.HelpFlag)),
		HideHelpCommand: true,
		OnUsageError:    a.usageError,
		ExitErrHandler:  func(*cli.Context, error) {}, // exit codes are decided in run
		Action: a.watched(func(c *cli.Context) error {
			if c.Bool("version") {
				return a.printVersion(c)
			}
			if c.Args().Present() {
				return unknownCommand(c.App, c.Args().First())
			}
			return errors.New("no command given (try 'jobnotify --help')")
		}),
		Commands: commands,
	}
}

// commandOf is the command a command line runs when it is plain: global
// flags (globalFlags: --config FILE, --target NAME, --verbose, --quiet,
// with one dash or two, a value after = or as the next word), then the
// command's name, as the flag package reads the root's flags. Anything
// else is "": another flag first, a command that reads every command's
// flags (help, completion), no command, and --help or -h anywhere before
// "--", since "jobnotify send --help validate" shows validate's help.
func commandOf(args []string) string {
	for _, arg := range args[1:] {
		if arg == "--" {
			break
		}
		if name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "="); strings.HasPrefix(arg, "-") && (name == "help" || name == "h") {
			return "" // in any of the flag package's forms: -h, --help, --help=true
		}
	}
	takesValue := map[string]bool{}
	for _, f := range globalFlags("") {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range flagNames(f) {
			takesValue[n] = !isBool
		}
	}
	for i := 1; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") {
			switch arg {
			case "help", "completion", "__complete":
				return ""
			}
			return arg
		}
		name, _, valued := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		value, global := takesValue[name]
		switch {
		case !global:
			return "" // "-", "--", --version, or a flag the root lacks
		case value && !valued:
			i++ // its value is the next word
		}
	}
	return ""
}

// watched is action once signals are caught: no command reads, starts or
// sends anything before then.
func (a *app) watched(action cli.ActionFunc) cli.ActionFunc {
	if action == nil {
		return nil // urfave/cli's own: a command's help
	}
	return func(c *cli.Context) error {
		if a.watching != nil {
			a.watching()
		}
		return action(c)
	}
}

// rootDescription, examples and exitStatuses are said by 'jobnotify
// --help' and by the man page.
const rootDescription = `A CI pipeline calls jobnotify as a step. Each call sends one notification
(the build's context, a status and your body) to the endpoint an
administrator configured once, with retries. The global options may also
come after the command's name.`

// examples are command lines and what each does.
var examples = []struct{ command, does string }{
	{"jobnotify send --status SUCCESS --field stage=deploy", "a build's outcome, as a Jenkinsfile's sh step sends it"},
	{"jobnotify --target chat send -s FAILURE --body 'Deploy to prod failed'", "to the config's [targets.chat], with a message"},
	{"jobnotify run --tail 40 -- ./deploy.sh prod", "notify the start and the outcome of a command, with its last 40 lines"},
	{"jobnotify send --dry-run --url https://api.example.com/hook -s SUCCESS", "print the request, secrets as ***, and send nothing"},
	{"jobnotify validate", "check the config and print the settings a send would use"},
	{"jobnotify listen", "a receiver on 127.0.0.1:8787 to send to while trying things out"},
	{"source <(jobnotify completion bash)", "complete commands, flags and values in bash"},
}

// exitStatuses are the exit codes and what each means (decided in
// main.go's exitCode).
var exitStatuses = []struct{ code, means string }{
	{"0", "delivered (or --dry-run, or --soft-fail); flush: the spool is empty; run: the command's status, whatever became of the notifications"},
	{"1", "delivery failed: a final non-2xx answer, a refused redirect, a TLS or network error after the last attempt; flush: notifications are left"},
	{"2", "bad usage, config or input: nothing was sent"},
	{"130, 143", "interrupted by SIGINT or SIGTERM"},
}

// rootHelpEnd is the end of the root's help: examples, exit codes, and
// where to read more.
func rootHelpEnd() string {
	var b strings.Builder
	b.WriteString("\nEXAMPLES:\n")
	for _, e := range examples {
		fmt.Fprintf(&b, "   %s\n      %s\n", e.command, e.does)
	}
	b.WriteString("\nEXIT STATUS:\n")
	for _, e := range exitStatuses {
		fmt.Fprintf(&b, "   %-10s%s\n", e.code, e.means)
	}
	b.WriteString("\nRun 'jobnotify help COMMAND' for a command's options. The man page, docs/jobnotify.1,\nhas them all, with the environment variables and the config files.\n")
	return b.String()
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

// usageError puts a command line that does not parse in jobnotify's
// words: one line that names the flag and says what to do. The flag
// package and urfave/cli give these errors as text only, so this is the
// one place that reads it; testdata/script/badinput_parse.txtar holds
// each form, so an upgrade that rewords one fails there.
func (a *app) usageError(c *cli.Context, err error, _ bool) error {
	root := c.Command == nil || c.Command.Name == c.App.Name
	flags, help := c.App.Flags, "jobnotify --help"
	if !root {
		flags, help = c.Command.Flags, "jobnotify "+c.Command.Name+" --help"
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return unknownFlag(c.App, root, flags, name, help, a.singleDash(name))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		if f := lookupFlag(flags, name); f != nil {
			h := helpOf(f)
			return fmt.Errorf("%s needs a value: %s %s", h.names[0], h.names[0], h.placeholder)
		}
	}
	if m := invalidValue().FindStringSubmatch(msg); m != nil {
		value, name := m[1], m[2]
		switch f := lookupFlag(flags, name).(type) {
		case *intFlag:
			return fmt.Errorf("%s: %q is not a whole number", helpOf(f).names[0], value)
		case *boolFlag:
			return fmt.Errorf("%s: %q is not true or false", helpOf(f).names[0], value)
		}
	}
	if m := twoForms().FindStringSubmatch(msg); m != nil {
		if f := lookupFlag(flags, m[1]); f != nil {
			return fmt.Errorf("%s given twice (as %s and as %s): give it once", helpOf(f).names[0], dash(m[1]), dash(m[2]))
		}
	}
	return fmt.Errorf("%w (see '%s')", err, help)
}

var (
	// "invalid value "x" for flag -fail: parse error", and for a boolean
	// "invalid boolean value "x" for -dry-run: parse error" (package flag).
	invalidValue = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-([^:\s]+): `)
	})
	// "Cannot use two forms of the same flag: s status" (urfave/cli).
	twoForms = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^Cannot use two forms of the same flag: (\S+) (\S+)$`)
	})
)

// unknownFlag is the error for a flag the command line's level does not
// have: before the command, one of a command's flags says where it goes;
// a long flag a typo away from a known one names it.
func unknownFlag(app *cli.App, root bool, flags []cli.Flag, name, help, word string) error {
	flag := dash(name)
	if root {
		var of []string
		for _, cmd := range app.VisibleCommands() {
			if lookupFlag(cmd.Flags, name) != nil {
				of = append(of, cmd.Name)
			}
		}
		if len(of) > 0 {
			return fmt.Errorf("%s is a flag of %s: give it after the command, as in 'jobnotify %s %s'", flag, human.Join(of, "and"), of[0], flag)
		}
	}
	if short := lookupFlag(flags, name[:1]); short != nil && len(name) > 1 && word != "" {
		// -XPOST, -sSUCCESS (curl's habit) or -nq: the flag package
		// takes the whole word for one flag's name.
		if tv, ok := short.(cli.DocGenerationFlag); ok && tv.TakesValue() {
			return fmt.Errorf("%s: a one-letter flag and its value are two words: -%s %s", word, name[:1], word[2:])
		}
		return fmt.Errorf("%s: give one-letter flags apart, as in -%s", word, strings.Join(strings.Split(name, ""), " -"))
	}
	if len(name) > 1 {
		var known []string
		for _, f := range flags {
			for _, n := range f.Names() {
				if len(n) > 1 {
					known = append(known, dash(n))
				}
			}
		}
		// A start of one flag's name (--dry) means that flag; else the
		// closest by spelling.
		var starts []string
		for _, k := range known {
			if strings.HasPrefix(k, flag) {
				starts = append(starts, k)
			}
		}
		if len(starts) == 1 {
			return fmt.Errorf("unknown flag %s (did you mean %s?)", flag, starts[0])
		}
		if best := human.Closest(flag, known); best != "" {
			return fmt.Errorf("unknown flag %s (did you mean %s?)", flag, best)
		}
	}
	return fmt.Errorf("unknown flag %s (see '%s')", flag, help)
}

// singleDash returns the word of the command line that has name written
// with one dash (-XPOST, -fa=b), which the flag package's error does not
// tell from --XPOST; "" for none.
func (a *app) singleDash(name string) string {
	for _, arg := range a.args {
		if arg == "--" {
			break
		}
		if arg == "-"+name || strings.HasPrefix(arg, "-"+name+"=") {
			return arg
		}
	}
	return ""
}

// lookupFlag returns the flag of flags that has name; nil for none.
func lookupFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}
