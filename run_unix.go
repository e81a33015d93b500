//go:build unix

package main

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// startGroup makes cmd the leader of a process group of its own, so that
// a signal reaches everything it starts and the kill after --grace leaves
// nothing behind — unless jobnotify is in the foreground of a terminal: a
// process group that is not the terminal's foreground one is stopped when
// it reads from it, and there Ctrl-C reaches the command directly anyway.
// On Linux and FreeBSD the command itself is also killed should jobnotify
// die first (a SIGKILL to jobnotify's group no longer reaches it).
func startGroup(cmd *exec.Cmd) (grouped bool) {
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	setDeathSignal(cmd.SysProcAttr)
	if foreground() {
		return false
	}
	cmd.SysProcAttr.Setpgid = true
	return true
}

// foreground reports whether jobnotify's process group is the foreground
// one of its controlling terminal.
func foreground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false // no controlling terminal
	}
	defer tty.Close()
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == syscall.Getpgrp()
}

// catchSIGPIPE makes a write to a closed stdout or stderr an error rather
// than jobnotify's death: run must live to send the outcome of a command
// whose output went nowhere, and to exit with its status. (Notify, not
// Ignore: an ignored signal stays ignored in the command; a caught one is
// the default there.)
func catchSIGPIPE() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
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
