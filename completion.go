package main

// The bash and zsh scripts ask the binary itself for completions: urfave/cli
// answers --generate-bash-completion with the commands or flags that fit.

const bashCompletion = `# bash completion for jobnotify; load with: source <(jobnotify completion bash)
_jobnotify() {
	local cur words
	cur="${COMP_WORDS[COMP_CWORD]}"
	words=("${COMP_WORDS[@]:0:COMP_CWORD}")
	if [[ "$cur" == -* ]]; then
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
	local -a opts
	local cur=${words[-1]}
	if [[ "$cur" == -* ]]; then
		opts=("${(@f)$(${words[@]:0:#words[@]-1} $cur --generate-bash-completion 2>/dev/null)}")
	else
		opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
	fi
	if [[ "${opts[1]}" != "" ]]; then
		_describe 'values' opts
	else
		_files
	fi
}
compdef _jobnotify jobnotify
`
