//go:build !unix

package spool

import "errors"

func mkfifo(string) error { return errors.ErrUnsupported }
