//go:build unix && !linux && !freebsd

package main

import "syscall"

// setDeathSignal: here no child can be killed with its parent.
func setDeathSignal(*syscall.SysProcAttr) {}
