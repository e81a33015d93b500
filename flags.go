package main

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// A flag is declared once, in its command's file, as a urfave/cli flag
// whose usage names its value between backquotes ("read the config from
// `FILE`"). From that declaration, show works out how --help, the man
// page and completion present it (flagHelp), so the three always agree.

// flagHelp is how a flag is shown.
type flagHelp struct {
	raw         []string // as urfave/cli knows them: "status", "s"
	names       []string // with their dashes, the long name first: "--status", "-s"
	placeholder string   // what its value is called ("STATUS"); "" when it takes none
	usage       string   // what it does, without the backquotes
	def         string   // its default, when one is worth saying; never for a boolean
	env         string   // its JOBNOTIFY_* variable; "" for none
}

// String is the flag's line in --help: its names, each with the
// placeholder, then a tab and its text.
func (h flagHelp) String() string {
	return h.synopsis() + "\t" + h.text()
}

// synopsis is "--status STATUS, -s STATUS".
func (h flagHelp) synopsis() string {
	forms := make([]string, len(h.names))
	for i, n := range h.names {
		forms[i] = strings.TrimSpace(n + " " + h.placeholder)
	}
	return strings.Join(forms, ", ")
}

// text is the usage, then the default, then the variable.
func (h flagHelp) text() string {
	s := h.usage
	if h.def != "" {
		s += " (default: " + h.def + ")"
	}
	if h.env != "" {
		s += " [$" + h.env + "]"
	}
	return s
}

// The kinds of flag jobnotify declares, each shown by its flagHelp rather
// than by urfave/cli, which calls a value without a placeholder "value",
// says "(default: false)" of every boolean, and puts a variable before a
// default.
type (
	stringFlag struct {
		*cli.StringFlag
		help flagHelp
	}
	boolFlag struct {
		*cli.BoolFlag
		help flagHelp
	}
	intFlag struct {
		*cli.IntFlag
		help flagHelp
	}
	listFlag struct {
		*cli.GenericFlag
		help flagHelp
	}
)

func (f *stringFlag) String() string { return f.help.String() }
func (f *boolFlag) String() string   { return f.help.String() }
func (f *intFlag) String() string    { return f.help.String() }
func (f *listFlag) String() string   { return f.help.String() }

func (f *stringFlag) helpOf() flagHelp { return f.help }
func (f *boolFlag) helpOf() flagHelp   { return f.help }
func (f *intFlag) helpOf() flagHelp    { return f.help }
func (f *listFlag) helpOf() flagHelp   { return f.help }

// Names are the flag's names, worked out once. urfave/cli asks for them
// over and over — to parse, for each flag's IsSet, in every lookup — and
// its own Names runs a regular expression over each name every time:
// 6 % of a small send's CPU samples (docs/performance.md).
func (f *stringFlag) Names() []string { return f.help.raw }
func (f *boolFlag) Names() []string   { return f.help.raw }
func (f *intFlag) Names() []string    { return f.help.raw }
func (f *listFlag) Names() []string   { return f.help.raw }

// aliasFlag is the hidden flag of a repeatable flag's short form (see
// show), with its name worked out once too.
type aliasFlag struct {
	*cli.GenericFlag
	raw []string
}

func (f *aliasFlag) Names() []string { return f.raw }

// helpOf returns how f is shown; a flag that show did not wrap (urfave's
// own --help) is described from what it says of itself.
func helpOf(f cli.Flag) flagHelp {
	if h, ok := f.(interface{ helpOf() flagHelp }); ok {
		return h.helpOf()
	}
	h := flagHelp{names: dashed(f.Names())}
	if d, ok := f.(cli.DocGenerationFlag); ok {
		h.placeholder, h.usage = placeholder(d.GetUsage(), d.TakesValue())
	}
	return h
}

// repeatable declares a flag that may be given any number of times, in
// either form (-f a --field b), each value kept whole, commas and all,
// and in order. Read it with list.
func repeatable(name, short, usage string) *cli.GenericFlag {
	f := &cli.GenericFlag{Name: name, Usage: usage, Value: &listValue{}}
	if short != "" {
		f.Aliases = []string{short}
	}
	return f
}

// listValue holds a repeatable flag's values.
type listValue []string

func (l *listValue) Set(v string) error { *l = append(*l, v); return nil }
func (l *listValue) String() string     { return strings.Join(*l, ",") } // "" by default: nothing to show
func (l *listValue) Get() any           { return l.String() }            // as value reads a flag: comma-joined

// list returns the values of a repeatable flag, in the order given.
func list(c *cli.Context, name string) []string {
	if l, ok := c.Generic(name).(*listValue); ok {
		return *l
	}
	return nil
}

// show wraps each flag to be shown by its flagHelp, and takes its
// variable (see takeEnvVar).
func (a *app) show(flags []cli.Flag) []cli.Flag {
	out := make([]cli.Flag, 0, len(flags))
	for _, f := range flags {
		names := flagNames(f)
		out = append(out, wrap(f, names, a.takeEnvVar(f, names[0]))...)
	}
	return out
}

// flagNames are f's names, its name then its aliases: what urfave/cli's
// Names gives, without the regular expression it runs over each name to
// cut off a v1-style "name, alias" (no name of jobnotify's has a comma or
// a space; TestFlagNames holds them to Names).
func flagNames(f cli.Flag) []string {
	switch f := f.(type) {
	case *cli.StringFlag:
		return append([]string{f.Name}, f.Aliases...)
	case *cli.BoolFlag:
		return append([]string{f.Name}, f.Aliases...)
	case *cli.IntFlag:
		return append([]string{f.Name}, f.Aliases...)
	case *cli.GenericFlag:
		return append([]string{f.Name}, f.Aliases...)
	}
	return f.Names()
}

// wrap returns f, whose names are raw, wrapped to be shown by its
// flagHelp, env its variable; a flag of another kind as it is. A
// repeatable flag's short form becomes a hidden flag of its own that adds
// to the same list: urfave/cli refuses two forms of one flag on a command
// line, and -f a --field b is how a repeatable flag is used.
func wrap(f cli.Flag, raw []string, env string) []cli.Flag {
	h := flagHelp{raw: raw, names: dashed(raw), env: env}
	switch f := f.(type) {
	case *cli.StringFlag:
		h.placeholder, h.usage = placeholder(f.Usage, true)
		h.def = cmp.Or(f.DefaultText, f.Value)
		return []cli.Flag{&stringFlag{f, h}}
	case *cli.BoolFlag:
		h.usage = f.Usage
		return []cli.Flag{&boolFlag{f, h}}
	case *cli.IntFlag:
		h.placeholder, h.usage = placeholder(f.Usage, true)
		if h.def = f.DefaultText; h.def == "" && f.Value != 0 {
			h.def = strconv.Itoa(f.Value)
		}
		return []cli.Flag{&intFlag{f, h}}
	case *cli.GenericFlag:
		h.placeholder, h.usage = placeholder(f.Usage, true)
		h.def = f.DefaultText
		aliases := f.Aliases
		f.Aliases = nil
		h.raw = raw[:1]
		out := []cli.Flag{&listFlag{f, h}}
		for _, alias := range aliases {
			out = append(out, &aliasFlag{&cli.GenericFlag{Name: alias, Value: f.Value, Usage: f.Usage, Hidden: true}, []string{alias}})
		}
		return out
	}
	return []cli.Flag{f}
}

// placeholder takes a flag's value name out of the backquotes of its
// usage, as urfave/cli does: "endpoint `URL`" is "URL", "endpoint URL".
// A flag that takes a value and names none is shown with VALUE, which
// TestFlagsNameTheirValue refuses.
func placeholder(usage string, takesValue bool) (name, text string) {
	if before, rest, ok := strings.Cut(usage, "`"); ok {
		if name, after, ok := strings.Cut(rest, "`"); ok {
			return name, before + name + after
		}
	}
	if takesValue {
		return "VALUE", usage
	}
	return "", usage
}

// dashed gives each name its dash or dashes: "--status", "-s".
func dashed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = dash(n)
	}
	return out
}

// dash gives a flag's name its dash ("-s") or dashes ("--status").
func dash(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
