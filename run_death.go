//go:build linux || freebsd

package main

import "syscall"

// setDeathSignal has the command killed when jobnotify dies.
func setDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
