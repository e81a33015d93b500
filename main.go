// Command jobnotify sends one HTTP notification about a CI build — its
// Jenkins context, a status and the user's body — to the endpoint an
// administrator configured in a global TOML file, with retries.
//
//	jobnotify send --status SUCCESS --field stage=deploy
//
// main.go only wires: signals become a cancelled context, run is the whole
// program, and its error becomes the exit code. Each command lives in its
// own cmd_*.go file; docs/architecture.md walks through one send.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/jobnotify/jobnotify/notify"
	"github.com/jobnotify/jobnotify/spool"
)

func main() {
	ctx, watching, stop := signalContext()
	code := run(ctx, watching, os.Args, os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalError is the cause of a context cancelled by a signal.
type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string { return "received " + e.sig.String() }

// signalContext returns a context cancelled, with a signalError as its
// cause, on SIGINT or SIGTERM (Jenkins aborts a build with SIGTERM), and
// watching, which returns once those signals are caught. signal.Notify waits for
// a thread of its own to start, a fifth of a millisecond: it runs beside
// the parsing of the command line and the config, and every command
// waits for watching before it does anything (see app.watched), so a
// signal from then on is caught, as before. One that comes sooner ends
// the process as it would during the Go runtime's start, before main:
// nothing has been sent or started yet.
func signalContext() (ctx context.Context, watching, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	watched := make(chan struct{})
	go func() {
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		close(watched)
		if s, ok := <-ch; ok {
			cancel(signalError{s.(syscall.Signal)})
		}
	}()
	return ctx, func() { <-watched }, func() { <-watched; signal.Stop(ch); close(ch); cancel(nil) }
}

// run is the whole program; it returns the exit code. Everything it reads
// from outside is passed in: the arguments, the environment as K=V pairs,
// and the three streams; and watching, which returns once a signal
// cancels ctx (nil: it does already). Every byte it writes goes through
// one redactor.
func run(ctx context.Context, watching func(), args, environ []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := newApp(environ, stdin, stdout, stderr)
	a.args, a.watching = args, watching
	defer a.flushOutput()
	err := a.cliFor(commandOf(args)).RunContext(ctx, args)
	if err == nil {
		return 0
	}
	if es := (*exitStatus)(nil); !errors.As(err, &es) || es.err != nil {
		fmt.Fprintf(a.stderr, "jobnotify: %v\n", err)
	}
	return exitCode(ctx, err)
}

// exitStatus is an exit code that is not jobnotify's to choose: run exits
// with its command's status, and with a shell's 126 or 127 when the
// command could not be started.
type exitStatus struct {
	code int
	err  error // what to say; nil when the command has said it
}

func (e *exitStatus) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func (e *exitStatus) Unwrap() error { return e.err }

// exitCode decides the exit code: 130/143 when a signal stopped us, the
// command's for run, 1 for a failed delivery (or a spool that flush left
// files in), 2 for everything else (usage, config, input), which always
// fails before anything is sent.
func exitCode(ctx context.Context, err error) int {
	var sig signalError
	if errors.As(context.Cause(ctx), &sig) {
		return 128 + int(sig.sig)
	}
	var (
		es   *exitStatus
		de   *notify.DeliveryError
		left *spool.LeftError
	)
	switch {
	case errors.As(err, &es):
		return es.code
	case errors.As(err, &de), errors.As(err, &left):
		return 1
	}
	return 2
}
