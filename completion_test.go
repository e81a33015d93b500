package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/notify"
)

// completionCases are command lines up to the cursor, as typed, and what
// Tab must offer there. Each runs in bash, zsh and fish, through the
// script jobnotify prints for that shell.
var completionCases = []struct {
	name, line string
	env        []string // more variables for the shell
	want       []string // among the candidates
	only       bool     // and nothing else
	not        []string // not among them
}{
	{name: "a command", line: "jobnotify se", want: []string{"send"}, only: true},
	{name: "commands after --quiet", line: "jobnotify --quiet ", want: []string{"send", "run", "flush", "spool", "listen", "validate", "env", "completion", "version", "help"}, only: true},
	{name: "commands after -v", line: "jobnotify -v ", want: []string{"send", "validate", "help"}, not: []string{"--status", "__complete"}},
	{name: "a command after --verbose", line: "jobnotify --verbose se", want: []string{"send"}, only: true},
	{name: "spool's subcommand", line: "jobnotify spool ", want: []string{"status"}, only: true},
	{name: "--id-from's source", line: "jobnotify send --id-from ", want: []string{"build"}, only: true},
	{name: "a command after --config FILE", line: "jobnotify --config cfg.toml v", want: []string{"validate", "version"}, only: true},
	{name: "completion's shells", line: "jobnotify completion ", want: []string{"bash", "zsh", "fish"}, only: true},
	{name: "help's commands", line: "jobnotify help se", want: []string{"send"}, only: true},
	{name: "a field is the user's", line: "jobnotify send -f ", only: true},
	{name: "a header is the user's", line: "jobnotify send --header ", only: true},
	{name: "formats", line: "jobnotify send --format ", want: config.Formats(), only: true},
	{name: "a format by its start", line: "jobnotify send --format sl", want: []string{"slack"}, only: true},
	{name: "a format after =", line: "jobnotify send --format=sl", want: []string{"slack"}, only: true},
	{name: "methods", line: "jobnotify send -X ", want: config.Methods(), only: true},
	{name: "output formats", line: "jobnotify send -o ", want: []string{"text", "json"}, only: true},
	{name: "statuses", line: "jobnotify send --status ", want: notify.Statuses(), only: true},
	{name: "a status by its start", line: "jobnotify send -s UN", want: []string{"UNSTABLE"}, only: true},
	{name: "phases", line: "jobnotify send --phase ", want: notify.Phases(), only: true},
	{name: "targets of --config", line: "jobnotify --config cfg.toml send --target ", want: []string{"chat", "deploy"}, only: true},
	{name: "targets of $JOBNOTIFY_CONFIG", line: "jobnotify validate --target d", env: []string{"JOBNOTIFY_CONFIG=cfg.toml"}, want: []string{"deploy"}, only: true},
	{name: "a second target", line: "jobnotify --config cfg.toml send --target chat,", want: []string{"chat,deploy"}, only: true},
	{name: "outcomes", line: "jobnotify run --on ", want: config.OutcomeWords(), only: true},
	{name: "a second outcome", line: "jobnotify send --on failure,f", want: []string{"failure,fixed"}, only: true},
	{name: "targets of no config", line: "jobnotify send --target ", only: true},
	{name: "--config takes a file", line: "jobnotify --config ", want: []string{"cfg.toml"}},
	{name: "send's flags", line: "jobnotify send --", want: []string{"--status", "--url", "--dry-run", "--field", "--config", "--help"}, not: []string{"--version", "--addr"}},
	{name: "a flag by its start", line: "jobnotify send --ur", want: []string{"--url"}, only: true},
	{name: "the root's flags", line: "jobnotify --", want: []string{"--config", "--target", "--verbose", "--quiet", "--version", "--help"}, not: []string{"--status"}},
	{name: "listen's flags, and listen does not run", line: "jobnotify listen --", want: []string{"--addr", "--fail", "--status"}},
	{name: "listen's --status is a code", line: "jobnotify listen --status ", only: true},
	{name: "a flag given is not offered again", line: "jobnotify send --status X --st", only: true},
	{name: "a repeatable flag is", line: "jobnotify send -f a=1 --fi", want: []string{"--field"}, only: true},
	{name: "nothing after --", line: "jobnotify send -- ", only: true},
	{name: "run's flags", line: "jobnotify run --t", want: []string{"--tail", "--target", "--timeout"}, only: true},
	{name: "run's command is a file", line: "jobnotify run --tail 5 -- ", want: []string{"cfg.toml"}},
	{name: "run's command's flags are its own", line: "jobnotify run make --t", only: true},
}

// completionDir is a directory with a config of two targets, the
// shells' working directory.
func completionDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := "url = \"http://127.0.0.1:1/x\"\n[targets.chat]\nurl = \"http://127.0.0.1:1/chat\"\n[targets.deploy]\nurl = \"http://127.0.0.1:1/deploy\"\n"
	if err := os.WriteFile(filepath.Join(dir, "cfg.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shellDriver completes a command line in a real shell and returns the
// candidates it offers.
type shellDriver func(t *testing.T, dir string, env []string, line string) []string

func TestCompletion(t *testing.T) {
	for _, sh := range []struct {
		name  string
		drive shellDriver
	}{
		{"bash", completeBash},
		{"zsh", completeZsh},
		{"fish", completeFish},
	} {
		t.Run(sh.name, func(t *testing.T) {
			needTool(t, sh.name)
			dir := completionDir(t)
			for _, tt := range completionCases {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					got := sh.drive(t, dir, tt.env, tt.line)
					for i, c := range got {
						// bash completes the word after "="; zsh and
						// fish the whole "--format=slack".
						if _, after, ok := strings.Cut(c, "="); ok && strings.HasPrefix(c, "--") {
							got[i] = after
						}
					}
					for _, w := range tt.want {
						if !slices.Contains(got, w) {
							t.Errorf("%q<TAB>: got %q, want %q among them", tt.line, got, w)
						}
					}
					for _, n := range tt.not {
						if slices.Contains(got, n) {
							t.Errorf("%q<TAB>: got %q, want no %q", tt.line, got, n)
						}
					}
					if tt.only {
						for _, g := range got {
							if !slices.Contains(tt.want, g) {
								t.Errorf("%q<TAB>: got %q, want only %q", tt.line, got, tt.want)
								break
							}
						}
					}
				})
			}
		})
	}
}

// runShell runs a shell in dir with only the variables a user's shell
// would need, jobnotify first on PATH.
func runShell(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	// A generous bound, so that a completion that runs the command
	// (listen never returns) fails the test rather than hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + filepath.Dir(binary) + ":/usr/bin:/bin", "HOME=" + t.TempDir(), "TERM=xterm", "LC_ALL=C.UTF-8"}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "listening") {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out)
}

// candidates are what follows CAND: on each line of out (on a terminal,
// the first may follow the line typed).
func candidates(out string) []string {
	var got []string
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, "CAND:"); i >= 0 {
			if c := strings.TrimRight(line[i+len("CAND:"):], "\r"); c != "" {
				got = append(got, c)
			}
		}
	}
	return got
}

// bashWords splits a line into COMP_WORDS as bash does: at spaces, and
// around each "=" (it is in COMP_WORDBREAKS).
func bashWords(line string) []string {
	var words []string
	for _, w := range strings.Split(line, " ") {
		for {
			before, after, ok := strings.Cut(w, "=")
			if !ok {
				break
			}
			if before != "" {
				words = append(words, before)
			}
			words = append(words, "=")
			w = after
		}
		if w != "" || len(words) == 0 || words[len(words)-1] != "=" {
			words = append(words, w)
		}
	}
	return words
}

// completeBash sets COMP_WORDS and COMP_CWORD as bash does on Tab and
// calls the completion function. Its "compopt -o default" (file names)
// is done as readline would, with compgen -f.
const bashDriver = `source <(jobnotify completion bash) || exit 1
compopt() { [[ "$*" == "-o default" ]] && files=1; }
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
_jobnotify
if [[ -n $files ]]; then
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "${COMP_WORDS[COMP_CWORD]}")
fi
for c in "${COMPREPLY[@]}"; do echo "CAND:$c"; done
`

func completeBash(t *testing.T, dir string, env []string, line string) []string {
	t.Helper()
	return candidates(runShell(t, dir, env, "bash", append([]string{"-c", bashDriver, "bash"}, bashWords(line)...)...))
}

// completeZsh types the line and Tab into an interactive zsh on a pseudo
// terminal (zsh/zpty), with compinit's completion system and the script
// loaded, and prints every match the completion system adds: compadd is
// wrapped to print them instead of adding them (after the matching,
// which -A leaves to zsh; "CA""ND" so that the echo of this line is no
// match). Tab is bound to complete, then print a mark,
// which the driver reads up to: typing on before completion ends would
// have zsh drop the rest.
const zshDriver = `zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z 'PS1= RPS1=; autoload -Uz compinit && compinit -u -D'
zpty -w z 'source <(jobnotify completion zsh)'
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a __hits; builtin compadd -A __hits "$@"; local h; for h in $__hits; do print -r -- "CA""ND:$h"; done; }'
zpty -w z '_tab() { zle complete-word; print -r -- "END${:-MARK}"; }; zle -N _tab; bindkey "^I" _tab'
zpty -n -w z "$1"$'\t'
zpty -r -m z out '*ENDMARK*'
print -r -- "$out"
zpty -d z
`

func completeZsh(t *testing.T, dir string, env []string, line string) []string {
	t.Helper()
	return candidates(runShell(t, dir, env, "zsh", "-f", "-c", zshDriver, "zsh", line))
}

// completeFish asks fish's own completion of the line (complete -C),
// with the script loaded.
const fishDriver = `jobnotify completion fish | source; or exit 1
for c in (complete -C $argv[1])
	echo CAND:(string split -f 1 \t -- $c)
end
`

func completeFish(t *testing.T, dir string, env []string, line string) []string {
	t.Helper()
	return candidates(runShell(t, dir, env, "fish", "--no-config", "-c", fishDriver, line))
}

// needTool skips a test when a program it drives is not installed, but
// fails it under CI, which installs every one of them (.ci/run): there
// the test must run.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no %s, which .ci/run installs", name)
		}
		t.Skipf("no %s on this machine (.ci/run installs it)", name)
	}
}
