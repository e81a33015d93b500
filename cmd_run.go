package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/internal/input"
	"github.com/jobnotify/jobnotify/internal/logtail"
	"github.com/jobnotify/jobnotify/notify"
	"github.com/jobnotify/jobnotify/spool"
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
	// startAfterSignal is how long the start may go on after a signal,
	// before it is spooled and the ABORTED gets the rest of abortBudget.
	startAfterSignal = time.Second
	// tailMaxGET is the most log_tail holds with GET, in the URL.
	tailMaxGET = 2 << 10
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

With several targets (--target a,b, or default_targets) each notification
goes to every target whose on (or --on) takes its status.

A notification that fails warns (and is spooled when a spool is set): it
never changes the exit status, and a receiver that is down never holds up
the command, which starts at once, while the start is being sent.

On SIGINT or SIGTERM, run passes the signal on to the command (and all it
started), saves the ABORTED notification to the spool, delivers it within
3s, and kills the command when --grace has passed. Without a spool an
abort may lose the ABORTED notification.

Exit status: the command's (128+N when it died of signal N); 126 when it
cannot be run, 127 when it is not found; 2 for bad usage or config, and the
command does not run (under soft fail a config error lets it run, without
notifications); 130/143 when jobnotify was interrupted.

Examples:
   jobnotify run -- make test
   jobnotify run --tail 40 --field stage=deploy -- ./deploy.sh prod`,
		Flags: append(append(contentFlags(),
			&cli.StringFlag{Name: "id", Usage: "the run's `ID`, shared by its two notifications, each of which has its own id derived from it", DefaultText: "a random UUID"},
			&cli.IntFlag{Name: "tail", Usage: "send the last `N` lines of the command's output with the outcome (at most 16 KiB)"},
			&cli.StringFlag{Name: "grace", Value: "3s", Usage: "after passing on SIGINT or SIGTERM, kill the command when `DURATION` has passed"},
			previousStatusFlag(),
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

// runNotices makes and sends the notifications of one run, to each of
// its targets.
type runNotices struct {
	targets  []runTarget
	base     notify.Input // body and fields
	inputs   []string     // as readContent returns them
	previous string       // --previous-status, for on
	dry      bool
	several  bool
}

// runTarget is one target of a run, and the context its payloads carry.
type runTarget struct {
	dest
	bc envcollect.Context
}

// runNotices reads the config and the content of the notifications, and
// checks they can be made: every problem, with any target, is found
// before the command starts.
func (a *app) runNotices(c *cli.Context, o runOptions, run notify.Run) (*runNotices, error) {
	ds, err := a.dests(c, o.overrides)
	if err != nil {
		return nil, err
	}
	n := &runNotices{dry: o.dryRun, several: len(ds) > 1, previous: strings.TrimSpace(a.str(c, "previous-status"))}
	least := ds[0]
	for _, d := range ds {
		if err := d.s.CheckNoIDHeader(); err != nil {
			return nil, d.fail(byCall(err), n.several)
		}
		if _, err := a.transport(d.s); err != nil {
			return nil, d.fail(err, n.several)
		}
		if d.s.MaxBody < least.s.MaxBody {
			least = d
		}
	}
	if n.inputs, err = a.readContent(c, least.s.MaxBody, o.sendOptions, &n.base); err != nil {
		var tl *input.TooLargeError
		if errors.As(err, &tl) {
			return nil, least.fail(err, n.several)
		}
		return nil, err
	}
	// A format may refuse what one of the notifications holds (a
	// template that does not execute on it): try each kind now, rather
	// than after the command has started.
	zero, one, killed := 0, 1, 137
	ok, failed, died, aborted := run, run, run, run
	ok.Outcome, ok.ExitCode, ok.LogTail = true, &zero, "tail"
	failed.Outcome, failed.ExitCode, failed.LogTail = true, &one, "tail"
	died.Outcome, died.ExitCode, died.Signal, died.LogTail = true, &killed, "SIGKILL", "tail"
	aborted.Outcome, aborted.Signal, aborted.LogTail = true, "SIGTERM", "tail"
	for _, d := range ds {
		t := runTarget{dest: d, bc: envcollect.Collect(a.environ, envOptions(d.s))}
		for _, k := range []struct {
			status string
			run    notify.Run
		}{{"STARTED", run}, {"SUCCESS", ok}, {"FAILURE", failed}, {"FAILURE", died}, {"ABORTED", aborted}} {
			if _, err := n.build(t, k.status, k.run); err != nil {
				return nil, d.fail(byCall(err), n.several)
			}
		}
		n.targets = append(n.targets, t)
	}
	return n, nil
}

// build makes a notification of the run for t. Each has its own id (the
// Idempotency-Key), derived from the run's and the status: a step
// retried with the same --id sends the same ones, and every target gets
// the same.
func (n *runNotices) build(t runTarget, status string, run notify.Run) (*notify.Request, error) {
	in := n.base
	in.Status, in.Time, in.Run = status, time.Now(), &run
	in.ID = notify.NameID("run/v1\x00" + run.ID + "\x00" + status)
	req, err := notify.Build(t.bc, t.s, in, getVersion())
	if err == nil && n.several {
		req.Target = "" // each line starts with the target's name
	}
	return req, err
}

// send builds and sends a notification of the run to every target whose
// on takes it, all at once. A failure is a warning: the exit status is
// the command's.
func (n *runNotices) send(ctx context.Context, status string, run notify.Run) {
	n.sendStopping(ctx, status, run, nil)
}

// sendStopping is send for a notification made while jobnotify is
// stopping (before is not nil), which Jenkins may kill at any moment: it
// is saved to the spool at once, and delivered within ctx once before is
// closed (the start, which must arrive first).
func (n *runNotices) sendStopping(ctx context.Context, status string, run notify.Run, before <-chan struct{}) {
	reqs := make([]*notify.Request, len(n.targets))
	saved := make([]*spool.Claim, len(n.targets))
	for i, t := range n.targets {
		if ok, why := t.s.Wants(status, n.previous); !ok {
			if !t.a.quiet {
				t.a.logf("%s: not sent: %s", status, why)
			}
			continue
		}
		reqs[i] = n.request(t, status, run)
		if reqs[i] != nil && before != nil && !n.dry {
			saved[i] = t.a.saveFirst(t.s, reqs[i], n.inputs)
		}
	}
	if before != nil {
		<-before
	}
	if n.dry {
		for i, t := range n.targets {
			if reqs[i] != nil {
				if n.several {
					fmt.Fprintf(t.a.stdout, "# target %s\n", t.name)
				}
				reqs[i].Sign(time.Now())
				_ = reqs[i].Dump(t.a.stdout)
			}
		}
		return
	}
	each(len(n.targets), func(i int) {
		if reqs[i] != nil {
			n.deliver(ctx, n.targets[i], status, reqs[i], saved[i])
		}
	})
}

// request builds a notification of the run; nil, with a warning, when it
// cannot be made.
func (n *runNotices) request(t runTarget, status string, run notify.Run) *notify.Request {
	req, err := n.build(t, status, run)
	if err != nil {
		t.a.logf("warning: %s notification not sent: %v", status, err)
		return nil
	}
	return req
}

// deliver sends req to t (saved in the spool and held as saved, unless
// that is nil).
func (n *runNotices) deliver(ctx context.Context, t runTarget, status string, req *notify.Request, saved *spool.Claim) {
	res, err := t.a.deliverSaved(ctx, t.s, req, n.inputs, saved)
	switch {
	case err != nil && saved != nil:
		// The spool has said why, naming the file.
		t.a.logf("warning: %s notification not delivered: it stays in the spool (the exit status is the command's)", status)
		return
	case err != nil:
		t.a.logf("warning: %s notification: %v (the exit status is the command's)", status, err)
		return
	}
	t.a.logDelivered(status+": ", req, res)
}

// run runs the command between its two notifications.
func (a *app) run(c *cli.Context) error {
	o, err := a.runOptions(c)
	if err != nil {
		return err
	}
	r := &runner{a: a, c: c, o: o, info: notify.Run{ID: cmp.Or(o.id, notify.NewID()), Command: filepath.Base(o.argv[0])}}
	if o.tail > 0 {
		// The tail must not show what the command printed of a secret
		// the config does not know: a withCredentials value, which
		// Jenkins masks only in its own console.
		a.red.Add(envcollect.SecretValues(a.environ)...)
	}
	n, err := a.runNotices(c, o, r.info)
	var (
		sig signalError
		ce  *callError
	)
	switch {
	case err == nil:
		r.n = n
	case errors.As(context.Cause(c.Context), &sig):
		return sig
	case errors.As(err, &ce), !a.softFail(c, err):
		return err // the command does not run
	default:
		a.logf("ERROR: %v; running %s without notifications (soft fail)", err, r.info.Command)
	}
	return r.run()
}

// runner is one run of a command: what its notifications, its output and
// its abort share.
type runner struct {
	a    *app
	c    *cli.Context
	o    runOptions
	n    *runNotices // nil: no notifications (soft fail)
	info notify.Run

	cmd     *exec.Cmd
	grouped bool // the command leads a process group of its own
	ring    *logtail.Ring
	pass    *passThrough // with --tail, unless the output is read back from its log
	back    *logBack
	began   time.Time
	ended   time.Time  // when the command exited, once waited is closed
	waited  chan error // the command's Wait, once it has exited and its output is through
	started chan struct{}
	// nctx is the notifications' context: a signal does not cut one
	// short (Jenkins kills a step only seconds after SIGTERM), but leaves
	// it only abortBudget to finish.
	nctx context.Context
}

func (r *runner) run() error {
	catchSIGPIPE()
	if err := r.start(); err != nil {
		return err
	}
	defer r.back.close()
	nctx, stopAll := context.WithCancel(context.WithoutCancel(r.c.Context))
	defer stopAll()
	defer context.AfterFunc(r.c.Context, func() { time.AfterFunc(abortBudget, stopAll) })()
	r.nctx = nctx

	// The start goes while the command runs: a receiver that is slow or
	// down does not hold it up. The outcome waits for it, so that a
	// receiver never hears the end before the start; after a signal the
	// start has a second, and the outcome the rest of the budget.
	r.started = make(chan struct{})
	sctx, stopStart := context.WithCancel(nctx)
	defer stopStart()
	defer context.AfterFunc(r.c.Context, func() { time.AfterFunc(startAfterSignal, stopStart) })()
	go func() {
		defer close(r.started)
		if r.n != nil {
			r.n.send(sctx, "STARTED", r.info)
		}
	}()

	var werr error
	select {
	case werr = <-r.waited:
	case <-r.c.Context.Done():
		return r.abort()
	}
	if r.cmd.ProcessState == nil {
		return &exitStatus{code: 126, err: fmt.Errorf("run: %s: %w", r.o.argv[0], werr)}
	}
	code, signal := exitOf(r.cmd.ProcessState)
	out := r.info
	out.Outcome, out.Duration, out.ExitCode, out.Signal = true, r.ended.Sub(r.began), &code, signal
	if code != 0 {
		// Jenkins signals every process of a step at once: a command
		// that handles SIGTERM can end before jobnotify has heard of
		// its own. A moment's wait tells a failure from an abort.
		select {
		case <-r.c.Context.Done():
		case <-time.After(signalSettle):
		}
	}
	var sig signalError
	stopping := errors.As(context.Cause(r.c.Context), &sig)
	status := "SUCCESS"
	switch {
	case stopping:
		status, out.Signal = "ABORTED", cmp.Or(signal, signalName(sig.sig))
	case signal == "SIGINT" || signal == "SIGTERM":
		status = "ABORTED" // stopped from outside, as Jenkins stops a step
	case code != 0:
		status = "FAILURE"
	}
	if r.n != nil {
		if stopping {
			out.LogTail = r.tail()
			r.n.sendStopping(nctx, status, out, r.started)
		} else {
			// The tail once the start is through: read back from a log,
			// it leaves out the start's line whenever that came.
			<-r.started
			out.LogTail = r.tail()
			r.n.send(nctx, status, out)
		}
	}
	if errors.As(context.Cause(r.c.Context), &sig) {
		return fmt.Errorf("aborted by %s", signalName(sig.sig)) // 130 or 143, whatever the command's status
	}
	if code == 0 {
		return nil
	}
	return &exitStatus{code: code}
}

// start starts the command with jobnotify's stdin, environment and
// directory, and its stdout and stderr, or with --tail pipes that pass
// its output through to them.
func (r *runner) start() error {
	a, argv := r.a, r.o.argv
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return notStarted(argv[0], err)
	}
	r.ring = &logtail.Ring{}
	stdout, stderr := a.rawStdout, a.rawStderr
	if r.o.tail > 0 && r.n != nil {
		r.ring.Size = tailWindow
		if !r.n.dry {
			// A dry run prints its requests on stdout, into the log.
			r.back = openLogBack(stdout, stderr)
		}
		if r.back == nil {
			if r.pass, err = newPassThrough(r.ring, a.rawStdout, a.rawStderr); err != nil {
				return err
			}
			stdout, stderr = r.pass.writers[0], r.pass.writers[len(r.pass.writers)-1]
		}
	}
	a.flushOutput() // jobnotify's lines before the command's
	if r.back != nil {
		r.back.mark()
		a.console.tell(r.back.wrote)
	}
	for _, shell := range []bool{false, true} {
		r.cmd = exec.Command(path, argv[1:]...)
		r.cmd.Args[0] = argv[0]
		if shell {
			// A script without a #! line: run by sh, as a shell runs it.
			r.cmd = exec.Command("/bin/sh", append([]string{path}, argv[1:]...)...)
		}
		r.cmd.Env, r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = a.environ, a.stdin, stdout, stderr
		r.cmd.WaitDelay = outputDrain // stdin, when it is not a file
		r.grouped = startGroup(r.cmd)
		r.began = time.Now()
		if err = r.cmd.Start(); !shell && errors.Is(err, syscall.ENOEXEC) && runtime.GOOS != "windows" && isText(path) {
			continue
		}
		break
	}
	if err != nil {
		r.pass.close()
		r.back.close()
		return notStarted(argv[0], err)
	}
	r.pass.start()
	r.waited = make(chan error, 1)
	go func() {
		err := r.cmd.Wait()
		r.ended = time.Now()
		r.pass.finish()
		r.waited <- err
	}()
	return nil
}

// tail is the end of the command's output, as log_tail sends it: with
// GET, where it goes into the URL, at most 2 KiB (to every target, when
// one of several has GET: one tail for all).
func (r *runner) tail() string {
	limit := tailMax
	for _, t := range r.n.targets {
		if t.s.Method == http.MethodGet {
			limit = tailMaxGET
		}
	}
	ring := r.ring
	if r.back != nil {
		ring = r.back.ring()
	}
	return ring.Tail(r.o.tail, limit, r.a.red.Longest(), r.a.red.String, func(s string) string { return notify.EscapeLines([]byte(s)) })
}

// abort is run's answer to SIGINT or SIGTERM while the command runs: the
// signal goes on to the command, the ABORTED notification to the spool at
// once and then to its receiver within abortBudget, and the command is
// killed when --grace has passed.
func (r *runner) abort() error {
	a := r.a
	at := time.Now()
	var sig signalError
	errors.As(context.Cause(r.c.Context), &sig)
	name := signalName(sig.sig)
	// Ctrl-C in a terminal reaches every process of its foreground group,
	// the command's too when it has none of its own: a second SIGINT
	// would tell many a tool to quit at once.
	passed := r.grouped || sig.sig != syscall.SIGINT
	if passed {
		signalCommand(r.cmd, r.grouped, sig.sig)
	}
	kill := time.AfterFunc(r.o.grace, func() { killCommand(r.cmd, r.grouped) })
	defer kill.Stop()
	switch {
	case a.quiet:
	case passed:
		a.logf("%s: passed on to %s, which is killed in %s unless it exits first", name, r.info.Command, human.Elapsed(r.o.grace))
	default:
		a.logf("%s: %s has it from the terminal too, and is killed in %s unless it exits first", name, r.info.Command, human.Elapsed(r.o.grace))
	}
	if r.n != nil {
		out := r.info
		out.Outcome, out.Duration, out.Signal = true, at.Sub(r.began), name
		out.LogTail = r.tail()
		r.n.sendStopping(r.nctx, "ABORTED", out, r.started)
	}
	<-r.waited
	return fmt.Errorf("aborted by %s", name)
}

// passThrough carries a command's stdout and stderr to jobnotify's
// through pipes, keeping the end of both in one ring. The command has
// the pipes' write ends as files, so its Wait returns when it exits, not
// when a process it left running lets go of them.
type passThrough struct {
	ring     *logtail.Ring
	dst      []io.Writer
	readers  []*os.File
	writers  []*os.File // the command's ends, closed here once it has them
	finished chan struct{}
}

func newPassThrough(ring *logtail.Ring, stdout, stderr io.Writer) (*passThrough, error) {
	p := &passThrough{ring: ring, dst: []io.Writer{stdout, stderr}, finished: make(chan struct{}, 2)}
	if sameFile(stdout, stderr) {
		// One file for both, as a Jenkins step's log is (2>&1): one pipe
		// too, so that their lines keep their order.
		p.dst = p.dst[:1]
	}
	for range p.dst {
		r, w, err := os.Pipe()
		if err != nil {
			p.close()
			return nil, fmt.Errorf("run: %w", err)
		}
		p.readers, p.writers = append(p.readers, r), append(p.writers, w)
	}
	return p, nil
}

// start passes the output through, once the command has started. A
// stream jobnotify cannot write to any more (a pipe whose reader is
// gone) is closed, so that the command's next write there fails as it
// would without jobnotify.
func (p *passThrough) start() {
	if p == nil {
		return
	}
	for i, r := range p.readers {
		p.writers[i].Close()
		go func() {
			if err := p.ring.Copy(p.dst[i], r); err != nil {
				r.Close()
			}
			p.finished <- struct{}{}
		}()
	}
	p.writers = nil
}

// finish waits, once the command has exited, for the rest of its output:
// what a process it left running still writes comes within outputDrain;
// after that the pipes close, and its next write there fails. It never
// waits longer (a read deadline may not exist, as on Windows, and a copy
// can be stuck writing to a reader that stopped reading).
func (p *passThrough) finish() {
	if p == nil {
		return
	}
	for _, r := range p.readers {
		_ = r.SetReadDeadline(time.Now().Add(outputDrain))
	}
	limit := time.NewTimer(outputDrain + 500*time.Millisecond)
	defer limit.Stop()
	for range p.readers {
		select {
		case <-p.finished:
		case <-limit.C:
			p.close()
			return
		}
	}
	p.close()
}

// logBack reads the end of a command's output back from the log file
// it writes to, when its stdout and stderr are one regular file, as a
// Jenkins step's are (its script runs with > LOG 2>&1): the command then
// has that file itself, and --tail costs its output nothing on the way —
// no pipe, no copy, no third process. The tail is the log's end, so it
// also holds what jobnotify wrote there while the command ran (a start
// delivered late, a retry), lines that never hold a secret.
type logBack struct {
	f     *os.File // the log, opened again for reading
	start int64    // the log's size when the command started

	mu      sync.Mutex
	own     []string // jobnotify's lines written to the log since, the newest last
	ownSize int      // their bytes
}

// wrote notes text jobnotify wrote to the log: its lines are not the
// command's. Only the newest tailWindow bytes of them are kept: older
// ones cannot be in the window the tail is read from.
func (l *logBack) wrote(text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for line := range strings.Lines(text) {
		l.own = append(l.own, line)
		l.ownSize += len(line)
	}
	for l.ownSize > tailWindow {
		l.ownSize -= len(l.own[0])
		l.own = l.own[1:]
	}
}

// openLogBack returns the log file stdout and stderr both are, open for
// reading, or nil when they are not one regular file or it cannot be
// read (on systems other than Linux, or when its mode forbids it): run
// then passes the output through pipes.
func openLogBack(stdout, stderr io.Writer) *logBack {
	f, ok := stdout.(*os.File)
	if !ok || !sameFile(stdout, stderr) {
		return nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	r, err := openForReading(f)
	if err != nil {
		return nil
	}
	if rst, err := r.Stat(); err != nil || !os.SameFile(st, rst) {
		r.Close()
		return nil
	}
	return &logBack{f: r}
}

// mark notes where the command's output begins: what the log held before
// is not the command's.
func (l *logBack) mark() {
	if st, err := l.f.Stat(); err == nil {
		l.start = st.Size()
	}
}

// ring is a ring holding the end of what the log gained since mark,
// tailWindow bytes at most, less jobnotify's own lines. Whether older
// output was left out is decided from the offsets, before any line is
// removed: Tail must drop the window's first, partial line, which may
// hold the end of a secret.
func (l *logBack) ring() *logtail.Ring {
	st, err := l.f.Stat()
	if err != nil {
		return logtail.Window(nil, false)
	}
	base := l.start
	if st.Size() < base {
		base = 0 // the log was truncated since: all of it is newer
	}
	from := max(base, st.Size()-tailWindow)
	cut := from > base
	if before := make([]byte, 1); !cut && from > 0 {
		// Where the command started is the middle of a line when the
		// log was truncated and grew back past it: its first line then
		// is partial too.
		_, err := l.f.ReadAt(before, from-1)
		cut = err != nil || before[0] != '\n'
	}
	buf := make([]byte, st.Size()-from)
	n, _ := l.f.ReadAt(buf, from)
	buf = buf[:n]
	l.mu.Lock()
	for _, line := range slices.Backward(l.own) {
		buf = removeLine(buf, line)
	}
	l.mu.Unlock()
	return logtail.Window(buf, cut)
}

// removeLine removes from b the last occurrence of line (which ends
// with its line break, if it has one), also where it does not start a
// line: jobnotify's line can land between two writes of the command's,
// in the middle of a secret that redact must then see whole.
func removeLine(b []byte, line string) []byte {
	if i := bytes.LastIndex(b, []byte(line)); i >= 0 {
		return append(b[:i], b[i+len(line):]...)
	}
	return b
}

func (l *logBack) close() {
	if l != nil {
		l.f.Close()
	}
}

// sameFile reports whether a and b are one open file.
func sameFile(a, b io.Writer) bool {
	fa, ok1 := a.(*os.File)
	fb, ok2 := b.(*os.File)
	if !ok1 || !ok2 {
		return false
	}
	sa, err1 := fa.Stat()
	sb, err2 := fb.Stat()
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// isText reports whether the file at path could be a script without a
// #! line, which a shell runs with sh: no NUL in its first 512 bytes, as
// an executable for another system (ELF, Mach-O, PE) has.
func isText(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 512)
	n, _ := io.ReadFull(f, b)
	return bytes.IndexByte(b[:n], 0) < 0
}

func (p *passThrough) close() {
	if p == nil {
		return
	}
	for _, f := range append(p.readers, p.writers...) {
		f.Close()
	}
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
