package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
)

// TestManPage keeps docs/jobnotify.1 in step with the commands and flags:
// the page is written by manPage from the same cli.App, flagHelp and
// texts as --help, so the two cannot say different things. groff and
// mandoc must find nothing to warn about in it.
//
// It is generated here rather than by a command of the binary, which
// does not need to carry it. Refresh it with:
//
//	go test -run TestManPage -update .
func TestManPage(t *testing.T) {
	const path = "docs/jobnotify.1"
	old, err := os.ReadFile(path)
	if err != nil && !*update {
		t.Fatalf("%v (create it with: go test -run TestManPage -update .)", err)
	}
	a := newApp(nil, nil, io.Discard, io.Discard)
	app := a.cli()
	// The date is when the text last changed: the old page's, unless
	// -update changes the text.
	date := manDate(string(old))
	got := manPage(app, date)
	if *update { // the flag is declared in script_test.go
		if got != string(old) {
			got = manPage(app, time.Now().UTC().Format("2006-01-02"))
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	} else if got != string(old) {
		t.Errorf("%s is out of date: run go test -run TestManPage -update . and review the diff", path)
	}

	for _, cmd := range app.VisibleCommands() {
		if !strings.Contains(got, ".SS "+cmd.Name+"\n") && !strings.Contains(got, ".SS "+cmd.Name+" ") {
			t.Errorf("the man page has no section for %s", cmd.Name)
		}
		// The text is filled to other lines than help's: look for the
		// first words.
		if words := strings.Fields(cmd.Description); len(words) > 0 {
			start := strings.Join(words[:min(4, len(words))], " ")
			if !strings.Contains(got, roffEscape(start)) {
				t.Errorf("the man page leaves out the description of %s (%q)", cmd.Name, start)
			}
		}
	}
	for _, env := range a.envVars {
		if !strings.Contains(got, ".B "+env+"\n") {
			t.Errorf("ENVIRONMENT leaves out %s", env)
		}
	}
	for _, section := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "GLOBAL OPTIONS", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES", "CONFIGURATION", "EXAMPLES"} {
		if !strings.Contains(got, `.SH "`+section+`"`+"\n") {
			t.Errorf("the man page has no %s section", section)
		}
	}
	user, system := configFiles("linux")
	winUser, winSystem := configFiles("windows")
	for _, file := range slices.Concat(user, system, winUser, winSystem) {
		if !strings.Contains(got, roffEscape(file)) {
			t.Errorf("FILES leaves out %s", file)
		}
	}
	if strings.Contains(got, `=""`) || strings.Contains(got, "[value]") {
		t.Errorf("the man page shows urfave/cli's empty defaults or [value]")
	}

	// The page as man shows it: groff and mandoc find nothing wrong.
	for _, lint := range []struct {
		tool string
		args []string
	}{
		{"groff", []string{"-ww", "-z", "-man", path}},
		{"mandoc", []string{"-T", "lint", path}},
	} {
		t.Run(lint.tool, func(t *testing.T) {
			needTool(t, lint.tool)
			out, err := exec.Command(lint.tool, lint.args...).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Errorf("%s %s: %v\n%s", lint.tool, strings.Join(lint.args, " "), err, out)
			}
		})
	}
}

// manDate is the date in a page's .TH line; "" when there is none.
func manDate(page string) string {
	if m := regexp.MustCompile(`(?m)^\.TH \S+ \S+ "([^"]*)"`).FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

// manPage writes the man page of app in man(7) roff.
func manPage(app *cli.App, date string) string {
	var r roff
	r.line(fmt.Sprintf(`.TH %s 1 "%s" "jobnotify" "User Commands"`, strings.ToUpper(app.Name), date))
	// Neither hyphenate nor justify: flags, variables and paths read
	// better whole, and with even spaces.
	r.line(".nh")
	r.line(".ad l")
	r.section("NAME")
	r.text(app.Name + " - " + app.Usage)

	r.section("SYNOPSIS")
	r.line(usageRoff(app.UsageText, app.Name))

	r.section("DESCRIPTION")
	r.description(app.Description)

	r.section("GLOBAL OPTIONS")
	r.flags(app.VisibleFlags())

	r.section("COMMANDS")
	globals := map[string]bool{}
	for _, f := range globalFlags("") {
		globals[f.Names()[0]] = true
	}
	// A command with subcommands (spool) is its subcommands, each under
	// its whole name (spool status).
	type named struct {
		name string
		cmd  *cli.Command
	}
	var cmds []named
	for _, cmd := range app.VisibleCommands() {
		if len(cmd.Subcommands) == 0 {
			cmds = append(cmds, named{cmd.Name, cmd})
		}
		for _, sub := range cmd.Subcommands {
			cmds = append(cmds, named{cmd.Name + " " + sub.Name, sub})
		}
	}
	for _, nc := range cmds {
		cmd := nc.cmd
		r.line(".SS " + nc.name)
		r.line(usageRoff(cmd.UsageText, app.Name+" "+nc.name))
		r.line(".PP")
		r.text(strings.ToUpper(cmd.Usage[:1]) + cmd.Usage[1:] + ".")
		if cmd.Description != "" {
			r.line(".PP")
			r.description(cmd.Description)
		}
		var own []cli.Flag
		takesGlobals := false
		for _, f := range cmd.VisibleFlags() {
			if globals[f.Names()[0]] {
				takesGlobals = true
			} else if f.Names()[0] != "help" {
				own = append(own, f)
			}
		}
		if len(own) > 0 {
			r.line(".PP")
			if takesGlobals {
				r.text("Options, besides the global options:")
			} else {
				r.text("Options:")
			}
			r.flags(own)
		} else if takesGlobals {
			r.line(".PP")
			r.text("It takes the global options.")
		}
	}

	r.section("EXIT STATUS")
	for _, e := range exitStatuses {
		r.line(".TP")
		r.line(`\fB` + roffEscape(e.code) + `\fR`)
		r.text(e.means)
	}

	r.section("ENVIRONMENT")
	r.text("A flag given on the command line beats its variable, and a variable set to the empty string counts as unset.")
	for _, v := range envVars(app, globals) {
		r.line(".TP")
		r.line(".B " + v.name)
		r.line(v.flag + ":")
		r.text(v.usage)
	}
	r.line(".TP")
	r.line(`.BR HTTPS_PROXY ", " HTTP_PROXY ", " NO_PROXY`)
	r.text("(or in lower case) the proxy for a request, as Go's net/http reads them; never one for a loopback address.")
	r.line(".TP")
	r.line(`.BR XDG_CONFIG_HOME ", " HOME`)
	r.text("where the user's config file is (see FILES).")
	r.line(".PP")
	r.text("The rest of the environment is the build's: jobnotify env prints what a send would take from it (Jenkins, GitHub Actions or GitLab CI), and never a variable whose name says it is a secret.")

	r.section("FILES")
	user, system := configFiles("linux")
	r.text("The config file is the one --config or $JOBNOTIFY_CONFIG names (it must exist), else the first of these that exists, else none (then --url is needed). Never one in the current directory: the workspace belongs to whoever wrote the branch, the config to the administrator.")
	for i, f := range user {
		r.line(".TP")
		r.line(`.I ` + roffEscape(f))
		if i == 0 {
			r.text("the user's file, when XDG_CONFIG_HOME is set")
		} else {
			r.text("the user's file otherwise")
		}
	}
	for _, f := range system {
		r.line(".TP")
		r.line(`.I ` + roffEscape(f))
		r.text("the system's file")
	}
	winUser, winSystem := configFiles("windows")
	r.line(".PP")
	r.text("On Windows: " + winUser[0] + " (the user's), then " + winSystem[0] + " (the system's), each when its variable is set. File modes mean nothing there: a config file, the folder holding it, the spool directory and its files must be owned by the user running jobnotify or by the administrators (SYSTEM, Administrators, TrustedInstaller), and the ACLs of the file, the spool directory and its files must let no one else change them.")

	r.section("CONFIGURATION")
	r.text("The config file is TOML. Its keys (url, method, timeout, [headers], [fields], [retry], [env], [signing], [spool], [tls] and more) are described in the README's Configuration section, and each but [targets] may be set again in a [targets.NAME] table, used with --target NAME. jobnotify validate checks the file and prints the settings a send would use, secrets as ***.")
	r.line(".PP")
	r.text("Precedence: a flag, then its variable, then the target's table, then the top level, then the built-in default. These keys have a flag of send and a variable:")
	r.line(".PP")
	r.line(".RS")
	r.line(".nf")
	for _, f := range config.Flags() {
		r.line(roffEscape(fmt.Sprintf("%-16s --%-12s $%s", f.Key, f.Name, f.Env)))
	}
	r.line(".fi")
	r.line(".RE")

	r.section("EXAMPLES")
	for i, e := range examples {
		if i > 0 {
			r.line(".PP")
		}
		r.line(`.B "` + roffEscape(e.command) + `"`)
		r.line(".RS")
		r.text(strings.ToUpper(e.does[:1]) + e.does[1:] + ".")
		r.line(".RE")
	}

	r.section("SEE ALSO")
	r.text("jobnotify help COMMAND; docs/formats.md and docs/receivers.md in jobnotify's source for what each format sends and how a receiver checks it.")
	return r.b.String()
}

// envVar is a variable behind a flag.
type envVar struct{ name, flag, usage string }

// envVars are the variables behind the flags of app, the root's first,
// each once, with the flag (and command) it stands for.
func envVars(app *cli.App, globals map[string]bool) []envVar {
	var out []envVar
	seen := map[string]bool{}
	add := func(cmd string, flags []cli.Flag) {
		for _, f := range flags {
			h := helpOf(f)
			if h.env == "" || seen[h.env] {
				continue
			}
			seen[h.env] = true
			flag := `\fB` + roffEscape(h.names[0]) + `\fR`
			if cmd != "" {
				flag = `\fB` + cmd + " " + roffEscape(h.names[0]) + `\fR`
			}
			out = append(out, envVar{name: h.env, flag: flag, usage: h.usage})
		}
	}
	add("", app.VisibleFlags())
	for _, cmd := range app.VisibleCommands() {
		var own []cli.Flag
		for _, f := range cmd.VisibleFlags() {
			if !globals[f.Names()[0]] {
				own = append(own, f)
			}
		}
		add(cmd.Name, own)
	}
	return out
}

// roff builds a man(7) page line by line.
type roff struct{ b bytes.Buffer }

// line writes a line as it is: a request, or text already escaped.
func (r *roff) line(s string) { r.b.WriteString(s + "\n") }

func (r *roff) section(name string) { r.line(`.SH "` + name + `"`) }

// text writes plain text, escaped and filled to short lines.
func (r *roff) text(s string) {
	var line string
	for _, w := range strings.Fields(roffEscape(s)) {
		if line != "" && len(line)+1+len(w) > 72 {
			r.line(guard(line))
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		r.line(guard(line))
	}
}

// description writes a command's description as help prints it:
// paragraphs of text, and indented lines (examples) kept as they are.
func (r *roff) description(d string) {
	for i, para := range strings.Split(strings.TrimSpace(d), "\n\n") {
		if i > 0 {
			r.line(".PP")
		}
		var text []string
		lines := strings.Split(para, "\n")
		for j := 0; j < len(lines); j++ {
			if !strings.HasPrefix(lines[j], "   ") {
				text = append(text, lines[j])
				continue
			}
			r.text(strings.Join(text, " "))
			text = nil
			r.line(".RS")
			r.line(".nf")
			for ; j < len(lines) && strings.HasPrefix(lines[j], "   "); j++ {
				r.line(guard(roffEscape(strings.TrimSpace(lines[j]))))
			}
			j--
			r.line(".fi")
			r.line(".RE")
		}
		r.text(strings.Join(text, " "))
	}
}

// flags writes each flag as a tagged paragraph: its forms, then the text
// help shows.
func (r *roff) flags(flags []cli.Flag) {
	for _, f := range flags {
		h := helpOf(f)
		var forms []string
		for _, n := range h.names {
			form := `\fB` + roffEscape(n) + `\fR`
			if h.placeholder != "" {
				form += ` \fI` + roffEscape(h.placeholder) + `\fR`
			}
			forms = append(forms, form)
		}
		r.line(".TP")
		r.line(guard(strings.Join(forms, ", ")))
		r.text(h.text())
	}
}

// usageWord is a word of a usage line: a flag, a placeholder, or other.
var usageWord = regexp.MustCompile(`--?[a-z][a-z-]*|[A-Z][A-Z0-9_=:]*|[^-A-Z]+|-`)

// usageRoff sets a usage line (that starts with name: "jobnotify send")
// as a synopsis: the name and flags bold, placeholders italic.
func usageRoff(usage, name string) string {
	b := strings.Builder{}
	b.WriteString(`\fB` + name + `\fR`)
	for _, w := range usageWord.FindAllString(strings.TrimPrefix(usage, name), -1) {
		switch {
		case strings.HasPrefix(w, "-") && len(w) > 1:
			b.WriteString(`\fB` + roffEscape(w) + `\fR`)
		case w[0] >= 'A' && w[0] <= 'Z':
			b.WriteString(`\fI` + roffEscape(w) + `\fR`)
		default:
			b.WriteString(roffEscape(w))
		}
	}
	return b.String()
}

// roffEscape makes text safe in roff: a backslash is \e and every hyphen
// a minus, \-, so that flags and commands copy and paste as typed.
func roffEscape(s string) string {
	return strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
}

// guard keeps a text line that starts with . or ' from being a request.
func guard(line string) string {
	if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
		return `\&` + line
	}
	return line
}

// TestREADMENamesEveryVariable: each JOBNOTIFY_* variable a flag reads is
// in the README's table of flags and variables.
func TestREADMENamesEveryVariable(t *testing.T) {
	a := newApp(nil, nil, io.Discard, io.Discard)
	a.cli()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.envVars) < 10 {
		t.Fatalf("only %d variables found: %v", len(a.envVars), a.envVars)
	}
	for flag, v := range a.envVars {
		if !strings.Contains(string(readme), "`"+v+"`") {
			t.Errorf("README.md does not name %s (of --%s)", v, flag)
		}
	}
}
