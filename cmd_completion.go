package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/notify"
)

func (a *app) completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: bash, zsh or fish",
		UsageText: "jobnotify completion bash|zsh|fish",
		Description: `Load or install the script:
   bash:  source <(jobnotify completion bash)
   zsh:   jobnotify completion zsh > "${fpath[1]}/_jobnotify"
   fish:  jobnotify completion fish > ~/.config/fish/completions/jobnotify.fish

Commands, flags and the values of --format, --method, --output, --status,
--phase and --target (the config's targets) are completed; --config
completes file names.`,
		Action: a.completion,
	}
}

// shells are the shells completion has a script for.
var shells = map[string]string{"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion}

// completion prints a shell completion script.
func (a *app) completion(c *cli.Context) error {
	sh := c.Args().First()
	script, ok := shells[sh]
	if !ok {
		return fmt.Errorf("completion: want bash, zsh or fish, got %q", sh)
	}
	_, err := io.WriteString(a.stdout, script)
	return err
}

// completeCommand is what the scripts run on Tab:
//
//	jobnotify __complete SHELL WORD... CURRENT
//
// with the words of the command line after "jobnotify" and the word being
// completed (perhaps ""). It prints one candidate a line — in zsh's form
// "word:description", in fish's "word<TAB>description", for bash the word
// alone — or the line ":files" when file names are what may come next.
// It is hidden, and parses no flags: every word is the shell's.
func (a *app) completeCommand() *cli.Command {
	return &cli.Command{Name: "__complete", Hidden: true, SkipFlagParsing: true, Action: a.complete}
}

func (a *app) complete(c *cli.Context) error {
	args := c.Args().Slice()
	if len(args) < 2 {
		return nil
	}
	shell, words, cur := args[0], args[1:len(args)-1], args[len(args)-1]
	cands, files := a.completions(c.App, words, cur)
	if files {
		_, err := io.WriteString(a.stdout, ":files\n")
		return err
	}
	var b strings.Builder
	for _, cand := range cands {
		switch {
		case shell == "zsh" && cand.desc != "":
			fmt.Fprintf(&b, "%s:%s\n", strings.ReplaceAll(cand.word, ":", `\:`), cand.desc)
		case shell == "zsh":
			fmt.Fprintf(&b, "%s\n", strings.ReplaceAll(cand.word, ":", `\:`))
		case shell == "fish" && cand.desc != "":
			fmt.Fprintf(&b, "%s\t%s\n", cand.word, cand.desc)
		default:
			fmt.Fprintf(&b, "%s\n", cand.word)
		}
	}
	_, err := io.WriteString(a.stdout, b.String())
	return err
}

// A candidate is one completion and what it means.
type candidate struct{ word, desc string }

// completions returns what may stand as the word cur after words (the
// command line after "jobnotify"): a command, a flag of the command (or
// of the root, before one), a value of the flag before cur, or an
// argument of completion and help. files is true when file names may.
// It reads the command line as urfave/cli does, from the same commands
// and flags, so it offers what would parse.
func (a *app) completions(app *cli.App, words []string, cur string) (cands []candidate, files bool) {
	var (
		cmd      *cli.Command // nil until the command's name
		flags    = app.Flags
		pending  cli.Flag              // a flag whose value is the next word
		values   = map[string]string{} // the flags' values, by name
		args     []string              // the command's own arguments
		dashdash bool
	)
	skip := false
	for _, w := range words {
		switch {
		case skip:
			skip = false
		case pending != nil:
			if w == "=" {
				continue // bash splits --format=json at the "="
			}
			values[pending.Names()[0]], pending = w, nil
		case w == "=":
			skip = true // bash split a=1 (a field): "=" and "1" are part of "a"
		case !dashdash && w == "--":
			dashdash = true
		case !dashdash && len(w) > 1 && w[0] == '-':
			name, v, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
			f := lookupFlag(flags, name)
			switch {
			case f == nil || helpOf(f).placeholder == "":
				if f != nil {
					values[f.Names()[0]] = "true"
				}
			case hasValue:
				values[f.Names()[0]] = v
			default:
				pending = f
			}
		case cmd == nil:
			if cmd = app.Command(w); cmd == nil || cmd.Hidden {
				return nil, false
			}
			flags = cmd.Flags
		default:
			args = append(args, w)
			// What follows run's command is the command's own.
			dashdash = dashdash || cmd.Name == "run"
		}
	}
	// matching are the words that start with partial, each after prefix.
	matching := func(words []string, partial, prefix string) []candidate {
		var out []candidate
		for _, w := range words {
			if strings.HasPrefix(w, partial) {
				out = append(out, candidate{word: prefix + w})
			}
		}
		return out
	}
	cmdName := ""
	if cmd != nil {
		cmdName = cmd.Name
	}
	if pending != nil {
		vals, files := a.flagValues(cmdName, pending, values)
		vals, done := listItem(pending, vals, cur)
		return matching(vals, cur[len(done):], done), files
	}
	if !dashdash && strings.HasPrefix(cur, "-") {
		if name, v, ok := strings.Cut(strings.TrimLeft(cur, "-"), "="); ok {
			// --format=sl: the values, each as the whole word.
			f := lookupFlag(flags, name)
			if f == nil {
				return nil, false
			}
			vals, _ := a.flagValues(cmdName, f, values)
			vals, done := listItem(f, vals, v)
			return matching(vals, v[len(done):], dash(name)+"="+done), false
		}
		return flagCandidates(flags, values, cur), false
	}
	if dashdash {
		// run's command and its arguments: file names (a shell's own
		// completion of commands is not jobnotify's to offer).
		return nil, cmdName == "run"
	}
	switch {
	case cmd == nil:
		return commandCandidates(app, cur), false
	case cmdName == "completion" && len(args) == 0:
		return matching([]string{"bash", "zsh", "fish"}, cur, ""), false
	case cmdName == "help" && len(args) == 0:
		return commandCandidates(app, cur), false
	case cmdName == "spool" && len(args) == 0:
		return matching([]string{"status"}, cur, ""), false
	}
	return nil, false
}

// commandCandidates are the commands whose names start with cur.
func commandCandidates(app *cli.App, cur string) []candidate {
	var out []candidate
	for _, cmd := range app.VisibleCommands() {
		if strings.HasPrefix(cmd.Name, cur) {
			out = append(out, candidate{cmd.Name, cmd.Usage})
		}
	}
	return out
}

// flagCandidates are the forms of the flags that start with cur, but
// those already given that cannot be given again.
func flagCandidates(flags []cli.Flag, given map[string]string, cur string) []candidate {
	if lookupFlag(flags, "help") == nil {
		flags = append(flags, cli.HelpFlag) // urfave/cli adds it as the command runs
	}
	var out []candidate
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		if _, again := f.(*listFlag); !again && given[f.Names()[0]] != "" {
			continue
		}
		h := helpOf(f)
		for _, n := range h.names {
			if strings.HasPrefix(n, cur) {
				out = append(out, candidate{n, h.usage})
			}
		}
	}
	return out
}

// flagValues are the values a flag may take, from where jobnotify keeps
// them; files is true for a flag whose value is a file name.
func (a *app) flagValues(cmd string, f cli.Flag, given map[string]string) (vals []string, files bool) {
	switch name := f.Names()[0]; {
	case name == "config":
		return nil, true
	case name == "target":
		return a.targetNames(given["config"]), false
	case (cmd == "send" || cmd == "run") && name == "on":
		return config.OutcomeWords(), false
	case cmd == "send" && name == "format":
		return config.Formats(), false
	case cmd == "send" && name == "method":
		return config.Methods(), false
	case (cmd == "send" || cmd == "status") && name == "output":
		return outputFormats, false
	case cmd == "send" && name == "id-from":
		return idSources, false
	case cmd == "send" && name == "status":
		return notify.Statuses(), false
	case cmd == "send" && name == "phase":
		return notify.Phases(), false
	}
	return nil, false
}

// listItem is, for a flag whose value is a comma-separated list (--target,
// --on), the items typed before the last comma (done, with it) and the
// values left to offer after it; for any other flag, vals.
func listItem(f cli.Flag, vals []string, typed string) (left []string, done string) {
	if n := f.Names()[0]; n != "target" && n != "on" {
		return vals, ""
	}
	i := strings.LastIndexByte(typed, ',')
	if i < 0 {
		return vals, ""
	}
	given := strings.Split(typed[:i], ",")
	return slices.DeleteFunc(slices.Clone(vals), func(v string) bool { return slices.Contains(given, v) }), typed[:i+1]
}

// targetNames are the targets of the config the command line (or
// $JOBNOTIFY_CONFIG, or the usual places) names; none when it cannot be
// read, which is for send to report, not for completion.
func (a *app) targetNames(configFlag string) []string {
	path, err := config.Find(configFlag, a.env)
	if err != nil || path == "" {
		return nil
	}
	// A config that does not arrive (a FIFO) must not hang the shell.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	f, err := config.Load(ctx, path, getVersion())
	if err != nil {
		return nil
	}
	return slices.Clone(f.Targets())
}

// The scripts hand the command line to jobnotify __complete, and act on
// ":files" with the shell's own file name completion.

const bashCompletion = `# bash completion for jobnotify; load with: source <(jobnotify completion bash)
_jobnotify() {
	local cur=${COMP_WORDS[COMP_CWORD]} out
	local words=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
	# bash splits --format=json at the "=": pass the "=" on, so that
	# jobnotify sees a flag's value, and complete after it.
	if [[ $cur == "=" ]]; then
		words+=("=")
		cur=
	fi
	out=$("${COMP_WORDS[0]}" __complete bash "${words[@]}" "$cur" 2>/dev/null) || return
	COMPREPLY=()
	if [[ $out == :files ]]; then
		compopt -o default
	elif [[ -n $out ]]; then
		mapfile -t COMPREPLY <<<"$out"
	fi
}
complete -F _jobnotify jobnotify
`

const zshCompletion = `#compdef jobnotify
# zsh completion for jobnotify; install with:
#   jobnotify completion zsh > "${fpath[1]}/_jobnotify"
# or load it now with: source <(jobnotify completion zsh)
_jobnotify() {
	local -a out
	out=("${(@f)$("${words[1]}" __complete zsh "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null)}")
	if [[ ${out[1]} == :files ]]; then
		_files
	elif [[ -n ${out[1]} ]]; then
		_describe jobnotify out
	fi
}
if [[ ${funcstack[1]} == _jobnotify ]]; then
	_jobnotify "$@"
else
	compdef _jobnotify jobnotify
fi
`

const fishCompletion = `# fish completion for jobnotify; install with:
#   jobnotify completion fish > ~/.config/fish/completions/jobnotify.fish
function __jobnotify_complete
	set -l words (commandline -opc)
	set -l cur (commandline -ct)
	set -l out ($words[1] __complete fish $words[2..-1] "$cur" 2>/dev/null)
	if test "$out" = ":files"
		__fish_complete_path "$cur"
	else
		printf '%s\n' $out
	end
end
complete -c jobnotify -f -a '(__jobnotify_complete)'
`
