package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

func (a *app) completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: bash, zsh or fish",
		UsageText: "jobnotify completion bash|zsh|fish",
		Description: `bash:  source <(jobnotify completion bash)
zsh:   jobnotify completion zsh > "${fpath[1]}/_jobnotify"
fish:  jobnotify completion fish > ~/.config/fish/completions/jobnotify.fish`,
		Action: a.completion,
	}
}

// completion prints a shell completion script.
func (a *app) completion(c *cli.Context) error {
	switch sh := c.Args().First(); sh {
	case "bash":
		_, err := io.WriteString(a.stdout, bashCompletion)
		return err
	case "zsh":
		_, err := io.WriteString(a.stdout, zshCompletion)
		return err
	case "fish":
		script, err := c.App.ToFishCompletion()
		if err != nil {
			return err
		}
		_, err = io.WriteString(a.stdout, script)
		return err
	default:
		return fmt.Errorf("completion: want bash, zsh or fish, got %q", sh)
	}
}

// The bash and zsh scripts ask the binary itself for completions: urfave/cli
// answers --generate-bash-completion with the commands or flags that fit.
// They never pass a bare "--": urfave/cli turns completion off after one,
// and the command would then run instead of completing.

const bashCompletion = `# bash completion for jobnotify; load with: source <(jobnotify completion bash)
_jobnotify() {
	local cur w words=()
	cur="${COMP_WORDS[COMP_CWORD]}"
	for w in "${COMP_WORDS[@]:0:COMP_CWORD}"; do
		[[ "$w" == "--" ]] || words+=("$w")
	done
	if [[ "$cur" == "--" ]]; then
		words+=("-")
	elif [[ "$cur" == -* ]]; then
		words+=("$cur")
	fi
	COMPREPLY=($(compgen -W "$("${words[@]}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o bashdefault -o default -F _jobnotify jobnotify
`

const zshCompletion = `#compdef jobnotify
# zsh completion for jobnotify; install with:
#   jobnotify completion zsh > "${fpath[1]}/_jobnotify"
_jobnotify() {
	local -a opts args
	local cur=${words[-1]}
	args=(${words[@]:0:#words[@]-1})
	args=(${args:#--})
	if [[ "$cur" == "--" ]]; then
		args+=(-)
	elif [[ "$cur" == -* ]]; then
		args+=($cur)
	fi
	opts=("${(@f)$(${args[@]} --generate-bash-completion 2>/dev/null)}")
	if [[ "${opts[1]}" != "" ]]; then
		_describe 'values' opts
	else
		_files
	fi
}
compdef _jobnotify jobnotify
`
