package main

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
