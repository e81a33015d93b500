package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestFlagsNameTheirValue checks every flag of every command as help
// shows it: a flag that takes a value names it (no "VALUE"), in capitals
// as a placeholder is written; a boolean says no default; and no text
// states a default of its own beside the one show adds.
func TestFlagsNameTheirValue(t *testing.T) {
	app := newApp(nil, nil, io.Discard, io.Discard).cli()
	levels := map[string][]cli.Flag{"jobnotify": app.Flags}
	for _, cmd := range app.Commands {
		levels["jobnotify "+cmd.Name] = cmd.Flags
	}
	for level, flags := range levels {
		for _, f := range flags {
			h := helpOf(f)
			name := level + " " + h.names[0]
			_, isBool := f.(*boolFlag)
			switch {
			case isBool && h.def != "":
				t.Errorf("%s: a boolean with a default %q", name, h.def)
			case isBool && h.placeholder != "":
				t.Errorf("%s: a boolean with a placeholder %q", name, h.placeholder)
			case !isBool && h.placeholder == "VALUE":
				t.Errorf("%s: takes a value but names none: put its name in backquotes in the usage", name)
			case h.placeholder != strings.ToUpper(h.placeholder):
				t.Errorf("%s: placeholder %q is not in capitals", name, h.placeholder)
			}
			if strings.Contains(h.usage, "(default:") {
				t.Errorf("%s: usage %q states a default: give it as DefaultText (or, for a config key, in config.Default)", name, h.usage)
			}
		}
	}
}

// TestFlagNames holds the names jobnotify works out itself (flagNames,
// and each wrapped flag's Names) to urfave/cli's own: every flag of every
// command.
func TestFlagNames(t *testing.T) {
	app := newApp(nil, nil, io.Discard, io.Discard).cli()
	flags := app.Flags
	for _, cmd := range app.Commands {
		flags = append(flags, cmd.Flags...)
	}
	for _, f := range flags {
		var theirs []string
		switch f := f.(type) {
		case *stringFlag:
			theirs = f.StringFlag.Names()
		case *boolFlag:
			theirs = f.BoolFlag.Names()
		case *intFlag:
			theirs = f.IntFlag.Names()
		case *listFlag:
			theirs = f.GenericFlag.Names()
		case *aliasFlag:
			theirs = f.GenericFlag.Names()
		default:
			t.Errorf("%v: a flag of type %T, not wrapped", f.Names(), f)
			continue
		}
		if got := f.Names(); !slices.Equal(got, theirs) {
			t.Errorf("Names() %q, urfave/cli's %q", got, theirs)
		}
	}
	for _, f := range keyFlags() {
		if got, theirs := flagNames(f), f.Names(); !slices.Equal(got, theirs) {
			t.Errorf("flagNames %q, urfave/cli's %q", got, theirs)
		}
	}
}

// TestCommandOf: the command a plain command line runs, as the root's
// flags are parsed; "" wherever every command must be made ready.
func TestCommandOf(t *testing.T) {
	for _, tt := range []struct {
		args string
		want string
	}{
		{"send -s SUCCESS", "send"},
		{"--config f.toml --target api,chat -v send", "send"},
		{"--config=f.toml -q run -- make", "run"},
		{"-config send validate", "validate"}, // send is the config file's name
		{"--target chat --verbose=false flush", "flush"},
		{"-target=chat -quiet env", "env"},
		{"--help", ""},
		{"help send", ""},
		{"completion bash", ""},
		{"__complete send --", ""},
		{"--dry-run send", ""}, // a usage error that names send's flag
		{"--version", ""},
		{"-- send", ""},
		{"--target", ""},
		{"", ""},
		{"send --help validate", ""}, // validate's help
		{"validate -h run", ""},
		{"send --help=true validate", ""},
		{"run -- make --help", "run"}, // the command's own flag
	} {
		if got := commandOf(append([]string{"jobnotify"}, strings.Fields(tt.args)...)); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.args, got, tt.want)
		}
	}
}

// TestCliFor: the command cliFor prepares has the very flags, and
// variables, that cli gives it.
func TestCliFor(t *testing.T) {
	full := newApp(nil, nil, io.Discard, io.Discard)
	all := full.cli()
	for _, cmd := range all.Commands {
		a := newApp(nil, nil, io.Discard, io.Discard)
		one := a.cliFor(cmd.Name).Command(cmd.Name)
		var got, want []string
		for _, f := range one.Flags {
			got = append(got, helpOf(f).String())
		}
		for _, f := range cmd.Flags {
			want = append(want, helpOf(f).String())
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: cliFor's flags\n%q\ncli's\n%q", cmd.Name, got, want)
		}
		if !maps.Equal(a.envVars, full.envVars) {
			t.Errorf("%s: cliFor knows the variables %v, cli %v", cmd.Name, a.envVars, full.envVars)
		}
	}
}

// TestCliForSameOutput runs command lines that print help, usage errors
// or their result without sending through the whole interface and through
// the one cliFor prepares for them: the output must not differ.
func TestCliForSameOutput(t *testing.T) {
	for _, line := range []string{
		"send --help", "send --help validate", "send --help=true validate", "env --help send", "validate -h run", "version --help validate",
		"--help", "help send", "-v --dry-run send", "send --bogus", "--config", "sedn", "version",
		"--target a validate", "send -XPOST", "run -h", "spool status --help", "spool --help status",
	} {
		args := append([]string{"jobnotify"}, strings.Fields(line)...)
		output := func(prepare func(a *app) *cli.App) string {
			var out, errb strings.Builder
			a := newApp([]string{"HOME=/nonexistent", "XDG_CONFIG_HOME=/nonexistent"}, strings.NewReader(""), &out, &errb)
			a.args = args
			err := prepare(a).RunContext(context.Background(), args)
			a.flushOutput()
			return fmt.Sprintf("%s\n--- stderr\n%s\n--- error: %v", out.String(), errb.String(), err)
		}
		all := output(func(a *app) *cli.App { return a.cli() })
		one := output(func(a *app) *cli.App { return a.cliFor(commandOf(args)) })
		if all != one {
			t.Errorf("%q: with every command ready\n%s\nwith cliFor(%q)\n%s", line, all, commandOf(args), one)
		}
	}
}
