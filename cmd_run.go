package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/internal/logtail"
	"github.com/jobnotify/jobnotify/notify"
)

// What run keeps of a command's output, and how long it gives an abort.
const (
	tailWindow = 64 << 10 // the end of the output kept while it streams past
	tailMax    = 16 << 10 // the most log_tail holds, in bytes
	tailLines  = 10000    // the most --tail may ask for
	// abortBudget is how long after SIGINT or SIGTERM the ABORTED
	// notification may take to be delivered: Jenkins sends SIGKILL about
	// 5 s after SIGTERM, and by then it is in the spool anyway.
	abortBudget = 3 * time.Second
	// outputDrain is how long run reads a command's output after the
	// command exited, from what it left running that still holds it.
	outputDrain = 2 * time.Second
	// signalSettle is how long run waits after a command failed for a
	// signal that may be on its way to jobnotify (see run).
	signalSettle = 50 * time.Millisecond
)

func (a *app) runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a command, notifying its start and its outcome, and exit with its status",
		UsageText: "jobnotify run [--tail N] [--grace DURATION] [--field K=V]... [options] -- COMMAND [ARG...]",
		Description: `Sends a notification with status STARTED, runs COMMAND with jobnotify's
stdin, stdout, stderr, environment and directory, then sends the outcome:
SUCCESS when it exits 0, FAILURE otherwise, ABORTED when jobnotify gets
SIGINT or SIGTERM (or the command dies of one). Both carry "run": {"id",
"command"}; the outcome adds "exit_code", "duration_ms", "signal" (when the
command died of one) and, with --tail, "log_tail": the last lines of its
output, secrets (the config's and every variable whose name looks secret)
as ***. The command's arguments are never sent, only its name.

A notification that fails warns (and is spooled when a spool is set): it
never changes the exit status, and a receiver that is down never holds up
the command, which starts at once, while the start is being sent.

On SIGINT or SIGTERM, run passes the signal on to the command (and all it
started), saves the ABORTED notification to the spool, delivers it within
3s, and kills the command when --grace has passed. Without a spool an
abort may lose the ABORTED notification.

Exit status: the command's (128+N when it died of signal N); 126 when it
cannot be run, 127 when it is not found; 2 for bad usage or config (the
command does not run); 130/143 when jobnotify was interrupted.

Examples:
   jobnotify run -- make test
   jobnotify run --tail 40 --field stage=deploy -- ./deploy.sh prod`,
		Flags: append(append(contentFlags(),
			&cli.StringFlag{Name: "id", Usage: "the run's `ID`, shared by its two notifications, each of which has its own id derived from it", DefaultText: "a random UUID"},
			&cli.IntFlag{Name: "tail", Usage: "send the last `N` lines of the command's output with the outcome (at most 16 KiB)"},
			&cli.StringFlag{Name: "grace", Value: "3s", Usage: "after passing on SIGINT or SIGTERM, kill the command when `DURATION` has passed"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the two requests, secrets as ***, instead of sending them; the command still runs"},
		), keyFlags()...),
		Action: a.run,
	}
}

// runOptions are run's flags, read once.
type runOptions struct {
	sendOptions
	argv  []string
	id    string
	tail  int
	grace time.Duration
}

func (a *app) runOptions(c *cli.Context) (runOptions, error) {
	o := runOptions{argv: c.Args().Slice(), id: c.String("id"), tail: c.Int("tail")}
	if len(o.argv) == 0 {
		return o, &callError{errors.New("no command given after -- (jobnotify run [options] -- COMMAND [ARG...])")}
	}
	if o.tail < 0 || o.tail > tailLines {
		return o, &callError{fmt.Errorf("--tail: %d is not a number of lines from 0 to %d", o.tail, tailLines)}
	}
	var err error
	if o.grace, err = time.ParseDuration(strings.TrimSpace(c.String("grace"))); err != nil || o.grace < 0 {
		return o, &callError{fmt.Errorf("--grace: %q is not a duration such as 3s or 500ms", c.String("grace"))}
	}
	if o.id != "" && (len(o.id) > 200 || config.CheckHeader("Idempotency-Key", o.id) != nil) {
		return o, &callError{errors.New("--id: want 1 to 200 printable characters")}
	}
	o.dryRun = c.Bool("dry-run")
	return o, a.contentOptions(c, &o.sendOptions)
}

// runNotices makes and sends the notifications of one run.
type runNotices struct {
	a      *app
	s      *config.Settings
	base   notify.Input // body and fields
	inputs []string     // as readContent returns them
	bc     envcollect.Context
	dry    bool
}

// runNotices reads the config and the content of the notifications, and
// checks they can be made: every problem is found before the command
// starts.
func (a *app) runNotices(c *cli.Context, o runOptions, run notify.Run) (*runNotices, *config.Settings, error) {
	s, err := a.sendSettings(c, o.sendOptions)
	if err != nil {
		return nil, s, err
	}
	if err := s.CheckNoIDHeader(); err != nil {
		return nil, s, byCall(err)
	}
	n := &runNotices{a: a, s: s, dry: o.dryRun}
	if n.inputs, err = a.readContent(c, s, o.sendOptions, &n.base); err != nil {
		return nil, s, err
	}
	n.bc = envcollect.Collect(a.environ, envOptions(s))
	// A format may refuse what only the outcome holds (a template that
	// does not execute): try one now, rather than after the command.
	code := 1
	trial := run
	trial.Outcome, trial.ExitCode, trial.LogTail = true, &code, "tail"
	if _, err := n.build("FAILURE", trial); err != nil {
		return nil, s, byCall(err)
	}
	return n, s, nil
}

// build makes a notification of the run. Each has its own id (the
// Idempotency-Key), derived from the run's and the status: a step
// retried with the same --id sends the same ones.
func (n *runNotices) build(status string, run notify.Run) (*notify.Request, error) {
	in := n.base
	in.Status, in.Time, in.Run = status, time.Now(), &run
	in.ID = notify.NameID("run/v1\x00" + run.ID + "\x00" + status)
	return notify.Build(n.bc, n.s, in, getVersion())
}

// send builds and sends a notification of the run. A failure is a
// warning: the exit status is the command's.
func (n *runNotices) send(ctx context.Context, status string, run notify.Run) {
	if req := n.request(status, run); req != nil {
		n.deliver(ctx, status, req, "")
	}
}

// sendStopping is send for a notification made while jobnotify is
// stopping, which Jenkins may kill at any moment: it is saved to the
// spool at once, and delivered within ctx once before is closed (the
// start, which must arrive first).
func (n *runNotices) sendStopping(ctx context.Context, status string, run notify.Run, before <-chan struct{}) {
	req := n.request(status, run)
	if req == nil {
		<-before
		return
	}
	saved := ""
	if !n.dry {
		saved = n.a.saveFirst(n.s, req, n.inputs)
	}
	<-before
	n.deliver(ctx, status, req, saved)
}

// request builds a notification of the run; nil, with a warning, when it
// cannot be made.
func (n *runNotices) request(status string, run notify.Run) *notify.Request {
	req, err := n.build(status, run)
	if err != nil {
		n.a.logf("warning: %s notification not sent: %v", status, err)
		return nil
	}
	return req
}

// deliver sends req (saved in the spool as the file saved, unless that is
// ""), or prints it for a dry run.
func (n *runNotices) deliver(ctx context.Context, status string, req *notify.Request, saved string) {
	if n.dry {
		req.Sign(time.Now())
		_ = req.Dump(n.a.stdout)
		return
	}
	res, err := n.a.deliverSaved(ctx, n.s, req, n.inputs, saved)
	switch {
	case err != nil && saved != "":
		// The spool has said why, naming the file.
		n.a.logf("warning: %s notification not delivered: it stays in the spool (the exit status is the command's)", status)
		return
	case err != nil:
		n.a.logf("warning: %s notification: %v (the exit status is the command's)", status, err)
		return
	}
	n.a.logDelivered(req, res)
}

// run runs the command between its two notifications.
func (a *app) run(c *cli.Context) error {
	o, err := a.runOptions(c)
	if err != nil {
		return err
	}
	name := filepath.Base(o.argv[0])
	info := notify.Run{ID: o.id, Command: name}
	if info.ID == "" {
		info.ID = notify.NewID()
	}
	if o.tail > 0 {
		// The tail must not show what the command printed of a secret
		// the config does not know: a withCredentials value, which
		// Jenkins masks only in its own console.
		a.red.Add(envcollect.SecretValues(a.environ)...)
	}
	n, s, err := a.runNotices(c, o, info)
	var (
		sig signalError
		ce  *callError
	)
	switch {
	case err == nil:
	case errors.As(context.Cause(c.Context), &sig):
		return sig
	case errors.As(err, &ce), !a.softFail(c, s):
		return err // the command does not run
	default:
		a.logf("ERROR: %v; running %s without notifications (soft fail)", err, name)
	}

	path, err := exec.LookPath(o.argv[0])
	if err != nil {
		return notStarted(o.argv[0], err)
	}
	cmd := exec.Command(path, o.argv[1:]...)
	cmd.Args[0] = o.argv[0]
	cmd.Env = a.environ
	cmd.Stdin = a.stdin
	cmd.Stdout, cmd.Stderr = a.rawStdout, a.rawStderr
	ring := &logtail.Ring{}
	if o.tail > 0 && n != nil {
		ring.Size = tailWindow
		cmd.Stdout, cmd.Stderr = io.MultiWriter(a.rawStdout, ring), io.MultiWriter(a.rawStderr, ring)
	}
	cmd.WaitDelay = outputDrain
	grouped := startGroup(cmd, a.stdin)
	a.flushOutput() // jobnotify's lines before the command's
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return notStarted(o.argv[0], err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	// Every notification of the run has until abortBudget after a signal
	// to finish: a signal does not cut one short (Jenkins kills a step
	// only seconds after SIGTERM), but leaves it only that long.
	nctx, stopAll := context.WithCancel(context.WithoutCancel(c.Context))
	defer stopAll()
	defer context.AfterFunc(c.Context, func() { time.AfterFunc(abortBudget, stopAll) })()

	// The start goes while the command runs: a receiver that is slow or
	// down does not hold it up. The outcome waits for it, so that a
	// receiver never hears the end before the start.
	started := make(chan struct{})
	go func() {
		defer close(started)
		if n != nil {
			n.send(nctx, "STARTED", info)
		}
	}()

	tail := func() string {
		return ring.Tail(o.tail, tailMax, a.red.Longest(), a.red.String, func(s string) string { return notify.EscapeLines([]byte(s)) })
	}
	var werr error
	select {
	case werr = <-waited:
	case <-c.Context.Done():
		errors.As(context.Cause(c.Context), &sig)
		return a.abort(cmd, grouped, sig, o, n, nctx, info, began, started, waited, tail)
	}
	out := info
	out.Outcome, out.Duration = true, time.Since(began)
	if cmd.ProcessState == nil {
		return &exitStatus{code: 126, err: fmt.Errorf("run: %s: %w", o.argv[0], werr)}
	}
	code, signal := exitOf(cmd.ProcessState)
	out.ExitCode, out.Signal = &code, signal
	if code != 0 {
		// Jenkins signals every process of a step at once: a command
		// that handles SIGTERM can end before jobnotify has heard of
		// its own. A moment's wait tells a failure from an abort.
		select {
		case <-c.Context.Done():
		case <-time.After(signalSettle):
		}
	}
	stopping := errors.As(context.Cause(c.Context), &sig)
	status := "SUCCESS"
	switch {
	case stopping:
		// Jenkins signals every process of the step at once: the
		// command may end before jobnotify has heard of it.
		status, out.Signal = "ABORTED", cmp.Or(signal, signalName(sig.sig))
	case signal == "SIGINT" || signal == "SIGTERM":
		status = "ABORTED" // stopped from outside, as Jenkins stops a step
	case code != 0:
		status = "FAILURE"
	}
	if n != nil {
		out.LogTail = tail()
		if stopping {
			n.sendStopping(nctx, status, out, started)
		} else {
			<-started
			n.send(nctx, status, out)
		}
	}
	if errors.As(context.Cause(c.Context), &sig) {
		return fmt.Errorf("aborted by %s", signalName(sig.sig)) // 130 or 143, whatever the command's status
	}
	if code == 0 {
		return nil
	}
	return &exitStatus{code: code}
}

// abort is run's answer to SIGINT or SIGTERM while the command runs: the
// signal goes on to the command, the ABORTED notification to the spool at
// once and then to its receiver within abortBudget, and the command is
// killed when --grace has passed.
func (a *app) abort(cmd *exec.Cmd, grouped bool, sig signalError, o runOptions, n *runNotices, ctx context.Context, info notify.Run, began time.Time, started <-chan struct{}, waited <-chan error, tail func() string) error {
	at := time.Now()
	signalCommand(cmd, grouped, sig.sig)
	kill := time.AfterFunc(o.grace, func() { killCommand(cmd, grouped) })
	defer kill.Stop()
	name := signalName(sig.sig)
	if !a.quiet {
		a.logf("%s: passed on to %s, which is killed in %s unless it exits first", name, info.Command, human.Elapsed(o.grace))
	}
	if n != nil {
		out := info
		out.Outcome, out.Duration, out.Signal = true, at.Sub(began), name
		out.LogTail = tail()
		n.sendStopping(ctx, "ABORTED", out, started)
	}
	<-waited
	return fmt.Errorf("aborted by %s", name)
}

// notStarted is the error of a command that could not be started, with
// the exit status a shell gives it: 127 when it is not there, 126 when
// it is not something that can be run.
func notStarted(command string, err error) error {
	code := 126
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOENT) {
		code = 127
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		err = ee.Err
	}
	if errors.Is(err, exec.ErrNotFound) {
		return &exitStatus{code: code, err: fmt.Errorf("run: %s: command not found (nothing was sent)", command)}
	}
	return &exitStatus{code: code, err: fmt.Errorf("run: %s: %w (nothing was sent)", command, err)}
}
