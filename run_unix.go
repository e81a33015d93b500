//go:build unix

package main

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// startGroup makes cmd the leader of a process group of its own, so that
// a signal reaches everything it starts and the kill after --grace leaves
// nothing behind — unless stdin is a terminal: a process group that is
// not the terminal's foreground one is stopped when it reads from it,
// and there Ctrl-C reaches the command directly anyway.
func startGroup(cmd *exec.Cmd, stdin any) (grouped bool) {
	if f, ok := stdin.(*os.File); ok {
		if _, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP); err == nil {
			return false
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return true
}

// signalCommand sends sig to the command's process group (or, when it
// has none of its own, to the command).
func signalCommand(cmd *exec.Cmd, grouped bool, sig os.Signal) {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return
	}
	if grouped {
		_ = syscall.Kill(-cmd.Process.Pid, s)
		return
	}
	_ = cmd.Process.Signal(s)
}

// killCommand kills the command's process group (or the command).
func killCommand(cmd *exec.Cmd, grouped bool) {
	signalCommand(cmd, grouped, syscall.SIGKILL)
}

// exitOf is how the command ended: its exit status, 128+N when it died
// of signal N (as a shell reports it), and then the signal's name.
func exitOf(st *os.ProcessState) (code int, signal string) {
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), signalName(ws.Signal())
	}
	return st.ExitCode(), ""
}

// signalName is "SIGTERM" for SIGTERM.
func signalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		if name := unix.SignalName(s); name != "" {
			return name
		}
	}
	return sig.String()
}
