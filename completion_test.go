package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBashCompletion sources the bash script and completes, as a shell
// does on Tab: flags after "--" are listed and no command runs (urfave/cli
// would run it, and listen would never return).
func TestBashCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash on this machine")
	}
	tests := []struct{ words, want string }{
		{"jobnotify se", "send"},
		{"jobnotify send --ur", "--url"},
		{"jobnotify listen --", "--fail"},
		{"jobnotify send --", "--status"},
	}
	for _, tt := range tests {
		script := `source <(jobnotify completion bash); COMP_WORDS=(` + tt.words + `); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _jobnotify; echo "${COMPREPLY[*]}"`
		// A generous bound, so a completion that runs the command instead
		// (listen never returns) fails the test rather than hanging it.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-c", script)
		cmd.Env = []string{"PATH=" + filepath.Dir(binary) + ":/usr/bin:/bin", "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tt.words, err, out)
		}
		if !strings.Contains(string(out), tt.want) || strings.Contains(string(out), "listening") {
			t.Errorf("%s<TAB>: got %q, want %q among the completions", tt.words, out, tt.want)
		}
	}
}
