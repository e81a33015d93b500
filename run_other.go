//go:build !unix

package main

import (
	"os"
	"os/exec"
)

// On Windows there are no signals to pass on: Ctrl-C and Ctrl-Break
// reach every process of the console, the command too, and Jenkins ends
// a step by terminating its process tree, jobnotify with it.

func startGroup(*exec.Cmd) bool { return false }

func catchSIGPIPE() {}

func signalCommand(*exec.Cmd, bool, os.Signal) {}

func killCommand(cmd *exec.Cmd, _ bool) { _ = cmd.Process.Kill() }

func exitOf(st *os.ProcessState) (int, string) { return st.ExitCode(), "" }

func signalName(sig os.Signal) string {
	if sig == os.Interrupt {
		return "SIGINT"
	}
	return sig.String()
}
