package main

import (
	"io"
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
// command, and the help flag urfave/cli adds to each.
func TestFlagNames(t *testing.T) {
	app := newApp(nil, nil, io.Discard, io.Discard).cli()
	flags := append([]cli.Flag{cli.HelpFlag}, app.Flags...)
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
