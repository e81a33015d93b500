//go:build unix && !linux

package main

import "syscall"

// setDeathSignal: only Linux can have a child killed with its parent.
func setDeathSignal(*syscall.SysProcAttr) {}
