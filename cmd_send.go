package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/internal/input"
	"github.com/jobnotify/jobnotify/notify"
	"github.com/jobnotify/jobnotify/redact"
	"github.com/jobnotify/jobnotify/spool"
)

func (a *app) sendCommand() *cli.Command {
	return &cli.Command{
		Name:      "send",
		Usage:     "send one notification",
		UsageText: "jobnotify send [--status STATUS] [--body BODY] [--field K=V]... [options]",
		Description: `Sends the build's context, the status and your body to the configured endpoint,
retrying on connection errors, resets, timeouts and HTTP ` + retriedStatuses() + `;
any other status is final.

With several targets (--target a,b, or the config's default_targets) one
notification goes to each at once, all with one id; every target is checked
before any is sent, and each line starts with the target's name. --on (or the
config's on) sends only for some outcomes, such as failure,fixed (see --on);
changed, fixed, regression and still-failing compare with --previous-status.

Exit status: 0 delivered (or --dry-run, or --soft-fail, or skipped by --on, or
failed only for optional targets); 1 delivery failed; 2 bad usage, config or
input (nothing was sent); 130/143 interrupted.

Examples:
   jobnotify send --status SUCCESS --field stage=deploy
   jobnotify send -s FAILURE --body 'Deploy to prod failed'
   jobnotify send --body @result.json --field 'tests:=42'
   jobnotify send --dry-run --url https://api.example.com/hook --status SUCCESS
   jobnotify send --target api,chat -s "$STATUS" --on failure,fixed --previous-status "$PREVIOUS"`,
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "status", Aliases: []string{"s"}, Usage: "build `STATUS`, e.g. ${currentBuild.currentResult}", EnvVars: []string{"JOBNOTIFY_STATUS"}},
		}, contentFlags()...), append([]cli.Flag{
			&cli.StringFlag{Name: "id", Usage: "notification `ID`, also sent as Idempotency-Key", DefaultText: "a random UUID", EnvVars: []string{"JOBNOTIFY_ID"}},
			&cli.StringFlag{Name: "id-from", Usage: "derive the id from `SOURCE`: build (the build's tag and stage, the status, the targets and your fields and body), so a retried step sends the same id", EnvVars: []string{"JOBNOTIFY_ID_FROM"}},
			previousStatusFlag(),
			&cli.StringFlag{Name: "phase", Usage: "notification-plugin `PHASE`: " + human.Join(notify.Phases(), "or"), DefaultText: "from --status"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the request, secrets as ***, and send nothing"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: text, or json (one result object per target, a line each, on stdout)", EnvVars: []string{"JOBNOTIFY_OUTPUT"}},
		}, keyFlags()...)...),
		Action: a.send,
	}
}

// contentFlags are the flags of what a notification says beside its
// status, which send and run share.
func contentFlags() []cli.Flag {
	return []cli.Flag{
		// A list, so that a second --body is an error rather than silently
		// replacing the first.
		repeatable("body", "b", "`BODY` to send: a JSON object is merged into the payload; any other text, also a JSON number, null or array, is sent as {\"message\": TEXT}, but text that starts with { or [ must be valid JSON; @FILE reads a file, - reads stdin"),
		repeatable("field", "f", "add a field: `K=V` sets a string, K:=JSON raw JSON; a.b=c nests; repeatable"),
		repeatable("header", "H", "add or replace a header, `'NAME: VALUE'` ('NAME:' removes it); repeatable"),
	}
}

// previousStatusFlag is --previous-status, which on's changed, fixed,
// regression and still-failing compare with.
func previousStatusFlag() cli.Flag {
	return &cli.StringFlag{Name: "previous-status", EnvVars: []string{"JOBNOTIFY_PREVIOUS_STATUS"},
		Usage: "the previous build's `STATUS`, for on's changed, fixed, regression and still-failing; in Jenkins ${currentBuild.previousBuild?.result}"}
}

// idSources are the values of --id-from.
var idSources = []string{"build"}

// outputFormats are the values of --output.
var outputFormats = []string{"text", "json"}

// jsonOutput reports whether --output (or $JOBNOTIFY_OUTPUT) asks for
// json; a value that is neither format is a *config.Error naming where
// it came from.
func (a *app) jsonOutput(c *cli.Context) (bool, error) {
	switch out, where, _ := a.value(c, "output"); strings.ToLower(strings.TrimSpace(out)) {
	case "json":
		return true, nil
	case "text", "":
		return false, nil
	default:
		return false, &config.Error{Where: where, Err: fmt.Errorf("%q is not %s", out, human.Join(outputFormats, "or"))}
	}
}

// retriedStatuses is "408, 429, 500, 502, 503 and 504", from the list
// the client retries by.
func retriedStatuses() string {
	var s []string
	for _, code := range notify.RetriedStatuses {
		s = append(s, strconv.Itoa(code))
	}
	return human.Join(s, "and")
}

// sendOptions are send's flags, read once.
type sendOptions struct {
	overrides config.Overrides
	input     notify.Input
	body      string // --body as given
	hasBody   bool   // whether --body was given at all
	fields    []string
	phaseSet  bool
	idFrom    bool // --id-from build
	dryRun    bool
	json      bool
}

// sendOptions reads send's flags, and the variables behind them, into
// plain values.
func (a *app) sendOptions(c *cli.Context) (sendOptions, error) {
	var o sendOptions
	if c.Args().Present() {
		return o, &callError{fmt.Errorf("unexpected argument %q: fields are given with --field K=V (see 'jobnotify send --help')", c.Args().First())}
	}
	var err error
	if o.json, err = a.jsonOutput(c); err != nil {
		return o, byCall(err)
	}
	if err := a.contentOptions(c, &o); err != nil {
		return o, err
	}
	o.input = notify.Input{ID: a.str(c, "id"), Status: strings.TrimSpace(a.str(c, "status")), Phase: c.String("phase")}
	switch from, where, _ := a.value(c, "id-from"); strings.ToLower(strings.TrimSpace(from)) {
	case "":
	case "build":
		// As everywhere, the command line beats a variable: --id over
		// $JOBNOTIFY_ID_FROM, --id-from over $JOBNOTIFY_ID.
		_, idWhere, _ := a.value(c, "id")
		switch fromFlag := strings.HasPrefix(where, "--"); {
		case o.input.ID == "":
			o.idFrom = true
		case fromFlag == strings.HasPrefix(idWhere, "--"):
			return o, byCall(&config.Error{Where: idWhere + " and " + where, Err: errors.New("choose one")})
		case fromFlag:
			o.input.ID, o.idFrom = "", true
		}
	default:
		return o, byCall(&config.Error{Where: where, Err: fmt.Errorf("%q is not %s, the one source of an id", from, human.Join(idSources, "or"))})
	}
	o.phaseSet = a.given(c)["phase"]
	o.dryRun = c.Bool("dry-run")
	return o, nil
}

// contentOptions reads the flags contentFlags declares, and those that
// override config keys, into o.
func (a *app) contentOptions(c *cli.Context, o *sendOptions) error {
	var err error
	if o.overrides, err = a.overrides(c); err != nil {
		return byCall(err)
	}
	switch bodies := list(c, "body"); len(bodies) {
	case 0:
	case 1:
		o.body, o.hasBody = bodies[0], true
	default:
		return &callError{fmt.Errorf("--body: given %d times; give one (add to it with --field)", len(bodies))}
	}
	o.fields = list(c, "field")
	return nil
}

// keyFlags are the flags that override config keys, made from the
// config's table of keys, which names each one's flag and variable.
func keyFlags() []cli.Flag {
	var flags []cli.Flag
	for _, f := range config.Flags() {
		var aliases []string
		if f.Short != "" {
			aliases = []string{f.Short}
		}
		if f.Bool {
			flags = append(flags, &cli.BoolFlag{Name: f.Name, Aliases: aliases, Usage: f.Usage, EnvVars: []string{f.Env}})
		} else {
			flags = append(flags, &cli.StringFlag{Name: f.Name, Aliases: aliases, Usage: f.Usage, EnvVars: []string{f.Env}, DefaultText: f.Default})
		}
	}
	return flags
}

// overrides turns the flags and JOBNOTIFY_* variables that set config
// keys, and --header, into config overrides.
func (a *app) overrides(c *cli.Context) (config.Overrides, error) {
	var ov config.Overrides
	for _, f := range config.Flags() {
		if v, where, ok := a.value(c, f.Name); ok {
			if err := ov.Set(f.Key, v, where); err != nil {
				return ov, err
			}
		}
	}
	for _, h := range list(c, "header") {
		hd, err := config.NewHeader(h, "--header")
		if err != nil {
			return ov, err
		}
		ov.Headers = append(ov.Headers, hd)
	}
	return ov, nil
}

func (a *app) send(c *cli.Context) error {
	o, err := a.sendOptions(c)
	var plans []*plan
	if err == nil {
		plans, err = a.plan(c, o)
	}
	if err != nil {
		return a.notSent(c, o, err)
	}
	a.sendPlans(c.Context, plans, o)
	return a.sendOutcome(c, o, plans)
}

// notSent ends a send that failed before anything was sent: a usage,
// config or input error, exit 2, unless soft fail hides it (never one of
// the pipeline's own call). With -o json it is one result object.
func (a *app) notSent(c *cli.Context, o sendOptions, err error) error {
	res := &notify.Result{ErrorClass: notify.ClassInput, Error: err.Error()}
	var te *targetError
	if errors.As(err, &te) {
		res.Target = te.name
	}
	if o.json {
		defer a.printResult(res)
	}
	var (
		sig signalError
		ce  *callError
	)
	switch {
	case errors.As(context.Cause(c.Context), &sig):
		return err
	case errors.As(err, &ce), !a.softFail(c, err):
		return err // the pipeline's own call: soft fail does not hide it
	}
	// A config or environment problem at send time: on every agent
	// with that config, every build would fail. Printed even with
	// --quiet, as every error is.
	a.logf("ERROR: %v; nothing was sent (soft fail: exit 0)", err)
	res.SoftFail = true
	return nil
}

// printResult writes res as one line of JSON on stdout; not HTML-escaped,
// so a dry run's body reads as sent.
func (a *app) printResult(res *notify.Result) {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(res)
}

// sendOutcome says what became of each target's notification, and ends
// the send: exit 1 when a target that is neither optional nor soft
// failed, naming it; 130/143 on a signal, which soft fail never hides.
func (a *app) sendOutcome(c *cli.Context, o sendOptions, plans []*plan) error {
	several := len(plans) > 1
	var (
		failed []string
		first  error
		code   int
	)
	for _, p := range plans {
		res := p.res
		var de *notify.DeliveryError
		switch {
		case p.skip != "":
			if !a.quiet {
				p.a.logf("not sent: %s", p.skip)
			}
			res = &notify.Result{ID: p.req.ID, Skipped: true, Reason: p.skip}
		case p.err == nil:
		case errors.As(p.err, &de) && de.Class == notify.ClassInterrupted:
			// Soft fail and optional never hide an abort.
			failed, first, code = append(failed, p.name), cmp.Or(first, p.err), max(code, 1)
			if several {
				p.a.logf("%v", p.err)
			}
		case p.s.Optional || p.s.SoftFail:
			why := "soft fail"
			if p.s.Optional {
				why = "optional"
			}
			if de != nil {
				p.a.logf("warning: %v (%s: exit 0)", p.err, why)
			} else {
				p.a.logf("ERROR: %v; nothing was sent (%s: exit 0)", p.err, why)
			}
			res.SoftFail = true
		default:
			failed, first = append(failed, p.name), cmp.Or(first, p.err)
			if de != nil {
				code = max(code, 1)
			} else {
				code = 2 // a problem of the config or environment at send time: a proxy variable
			}
			if several {
				p.a.logf("%v", p.err)
			}
		}
		if o.json && res != nil {
			res.Target = p.name
			a.printResult(res)
		}
	}
	var sig signalError
	var summary error
	if several && len(failed) > 0 {
		summary = &exitStatus{code: code, err: fmt.Errorf("not delivered to %s (%d of %d targets)", human.Join(failed, "and"), len(failed), len(plans))}
	}
	switch {
	case errors.As(context.Cause(c.Context), &sig):
		return cmp.Or(summary, first, error(sig)) // also one that came after the delivery, in flush on send
	case len(failed) == 0:
		return nil
	case !several:
		return first
	}
	return summary
}

// callError is a mistake in the pipeline's own call of jobnotify — a
// --body or --field that does not parse, --id against -H — rather than in
// the config or the environment: soft fail does not hide it (exit 2),
// since it fails the same way on every agent and is seen on the first run.
type callError struct{ err error }

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// byCall marks err as the pipeline's call's when it names a flag (a
// $JOBNOTIFY_* variable is the agent's environment, soft like the config).
func byCall(err error) error {
	var ie *notify.InputError
	var cfg *config.Error
	switch {
	case errors.As(err, &ie) && strings.HasPrefix(ie.Where, "--"),
		errors.As(err, &cfg) && strings.HasPrefix(cfg.Where, "--") && !strings.HasPrefix(cfg.Where, "--target") && !strings.HasPrefix(cfg.Where, "--config"):
		// --target and --config name what the agent's config must
		// have: a target missing on some agents is a rollout's problem.
		return &callError{err}
	}
	return err
}

// softFail reports whether err, which stopped a send before anything
// was sent, is a warning and exit 0: soft_fail or --soft-fail
// ($JOBNOTIFY_SOFT_FAIL) in the settings of the target it names, or,
// when they did not resolve, from the command line or its variable, else
// as the config file says in the top level or that target's table, read
// leniently (config.PeekSoftFail). With several targets none gets its
// notification, so it is a warning only when each of them says soft
// fail, whichever of them the error names.
func (a *app) softFail(c *cli.Context, err error) bool {
	var te *targetError
	targets := []string{""}
	if errors.As(err, &te) {
		if te.s != nil && len(te.call) == 0 {
			return te.s.SoftFail
		}
		targets = []string{te.name}
		if len(te.call) > 0 {
			targets = te.call
		}
	} else if v, _, _ := a.value(c, "target"); strings.TrimSpace(v) != "" {
		targets = strings.Split(v, ",")
	}
	if b, where, err := a.boolValue(c, "soft-fail"); err == nil && where != "" {
		return b
	}
	path := a.configPath
	if path == "" { // the flags failed before the config was looked for
		path, _ = config.Find(a.configFlag(c), a.env)
	}
	for _, t := range targets {
		if path == "" || !config.PeekSoftFail(path, strings.TrimSpace(t)) {
			return false
		}
	}
	return true
}

// A plan is the notification of a send to one of its targets, made
// before any is sent; then what became of it.
type plan struct {
	dest
	req    *notify.Request
	inputs []string // as readContent returns them
	skip   string   // why it is not sent (its on); "" to send it
	res    *notify.Result
	err    error
}

// plan does a send's work up to the delivery: the settings of every
// target, the content, one id, and each target's notification. Any
// problem with any of them is an error, and nothing is sent to any.
func (a *app) plan(c *cli.Context, o sendOptions) ([]*plan, error) {
	ds, err := a.dests(c, o.overrides)
	if err != nil {
		return nil, err
	}
	several := len(ds) > 1
	for _, d := range ds {
		if o.phaseSet && d.s.Format != "notification-plugin" {
			err := fmt.Errorf("--phase: applies to format notification-plugin only, not %q", d.s.Format)
			if strings.HasPrefix(d.s.OverriddenBy("format"), "--") {
				err = &callError{err} // both on the command line
			} // else the config's format changed under the pipeline
			return nil, d.fail(err, several)
		}
		if err := d.s.CheckIDHeader(o.input.ID); err != nil {
			return nil, d.fail(byCall(err), several)
		}
		if _, err := a.transport(d.s); err != nil {
			return nil, d.fail(err, several)
		}
	}
	in := o.input
	in.Time = time.Now()
	if in.ID == "" {
		in.ID = notify.NewID()
	}
	// The body must fit every target's max_body: read it up to the least.
	least := ds[0]
	for _, d := range ds {
		if d.s.MaxBody < least.s.MaxBody {
			least = d
		}
	}
	inputs, err := a.readContent(c, least.s.MaxBody, o, &in)
	if err != nil {
		var tl *input.TooLargeError
		if errors.As(err, &tl) {
			return nil, least.fail(err, several)
		}
		return nil, err
	}
	if o.idFrom {
		if in.ID, err = a.buildID(ds, in.Status, inputs); err != nil {
			return nil, err
		}
	}
	previous := strings.TrimSpace(a.str(c, "previous-status"))
	plans := make([]*plan, 0, len(ds))
	for _, d := range ds {
		bc := envcollect.Collect(a.environ, envOptions(d.s))
		req, err := notify.Build(bc, d.s, in, getVersion())
		if err != nil {
			return nil, d.fail(byCall(err), several)
		}
		if several {
			req.Target = "" // each line starts with the target's name
		}
		p := &plan{dest: d, req: req, inputs: inputs}
		if ok, why := d.s.Wants(in.Status, previous); !ok {
			p.skip = why
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// sendPlans delivers each plan that is not skipped, all at once, or
// prints them for a dry run (with -o json, keeps them as results).
func (a *app) sendPlans(ctx context.Context, plans []*plan, o sendOptions) {
	if o.dryRun {
		for _, p := range plans {
			if p.skip != "" {
				continue
			}
			p.req.Sign(time.Now())
			switch {
			case o.json:
				p.res = &notify.Result{DryRun: true, ID: p.req.ID, Request: p.req.Show()}
			default:
				if len(plans) > 1 {
					fmt.Fprintf(a.stdout, "# target %s\n", p.name)
				}
				p.err = p.req.Dump(a.stdout)
				if len(plans) > 1 {
					fmt.Fprintln(a.stdout)
				}
			}
		}
		return
	}
	each(len(plans), func(i int) {
		p := plans[i]
		if p.skip != "" {
			return
		}
		p.res, p.err = p.a.deliver(ctx, p.s, p.req, p.inputs)
		if p.err == nil {
			p.a.logDelivered("", p.req, p.res)
		}
		if p.res == nil && p.err != nil {
			p.res = &notify.Result{ID: p.req.ID, ErrorClass: notify.ClassInput, Error: p.err.Error()}
		}
	})
}

// logDelivered is the line of a delivered notification, after prefix.
func (a *app) logDelivered(prefix string, req *notify.Request, res *notify.Result) {
	if !a.quiet {
		a.logf("%s%s -> %s (%s, %s)", prefix, req.Where(), notify.StatusLine(res.StatusCode),
			human.Plural(res.Attempts, "attempt"), human.Elapsed(res.Elapsed))
	}
}

// readContent reads --body and parses it and each --field into in. It
// returns what the command line put into the payload, before any format
// encodes it, for the spool to check for secrets as given: the --field
// arguments and the --body text.
func (a *app) readContent(c *cli.Context, maxBody int64, o sendOptions, in *notify.Input) (inputs []string, err error) {
	var note string
	if in.Trace, note = notify.ParseTrace(a.env["TRACEPARENT"], a.env["TRACESTATE"]); note != "" && a.verbose {
		a.logf("%s", note)
	}
	inputs = append(inputs, o.fields...)
	if o.hasBody {
		text, where, err := a.readBody(c.Context, o.body, maxBody)
		var tl *input.TooLargeError
		if errors.As(err, &tl) {
			return nil, err // max_body is the config's
		}
		if err != nil {
			return nil, &callError{err}
		}
		if in.Body, err = notify.ParseBody(text, where); err != nil {
			return nil, &callError{err}
		}
		inputs = append(inputs, text)
	}
	for _, arg := range o.fields {
		f, err := notify.ParseField(arg)
		if err != nil {
			return nil, &callError{err}
		}
		in.Fields = append(in.Fields, f)
	}
	return inputs, nil
}

// buildKeys are the variables that name a build, and its stage, in each
// CI system, tried in order: a retried step in the same build has the
// same values, another build or stage other ones.
var (
	buildKeys = [][]string{{"BUILD_TAG"}, {"GITHUB_REPOSITORY", "GITHUB_RUN_ID"}, {"CI_PROJECT_PATH", "CI_PIPELINE_ID"}}
	stageKeys = []string{"STAGE_NAME", "GITHUB_JOB", "CI_JOB_NAME"}
)

// buildID derives a notification's id for --id-from build (a UUIDv5):
// from the build (BUILD_TAG on Jenkins), the stage, the status, the
// targets and a digest of the user's part of the payload — each target's
// [fields], the --body text and the --field arguments, each with its
// secrets as ***, so the id says nothing about them. One id for all the
// targets of a call, as every send has. A pipeline's retry {} around the
// step sends the same id, and the receiver drops the repeat; another
// status, stage or body is another notification. Outside a build it is
// an error: a random id would defeat the flag.
func (a *app) buildID(ds []dest, status string, inputs []string) (string, error) {
	var build string
	for _, keys := range buildKeys {
		var parts []string
		for _, k := range keys {
			if v := a.env[k]; v != "" {
				parts = append(parts, v)
			}
		}
		if len(parts) == len(keys) {
			build = strings.Join(parts, "/")
			break
		}
	}
	if build == "" {
		return "", errors.New("--id-from build: no build here to derive the id from (BUILD_TAG on Jenkins, GITHUB_RUN_ID on GitHub Actions, CI_PIPELINE_ID on GitLab CI is not set)")
	}
	var stage string
	for _, k := range stageKeys {
		if stage = a.env[k]; stage != "" {
			break
		}
	}
	var targets, texts []string
	// By name: the same targets in another order are the same call.
	ds = slices.SortedFunc(slices.Values(ds), func(a, b dest) int { return strings.Compare(a.name, b.name) })
	for _, d := range ds {
		fields, err := json.Marshal(d.s.Fields) // map keys sorted: the same fields, the same text
		if err != nil {
			return "", err
		}
		targets, texts = append(targets, d.name), append(texts, string(fields))
	}
	digest := sha256.New()
	for _, text := range append(texts, inputs...) {
		fmt.Fprintf(digest, "%d:%s", len(text), a.red.String(text))
	}
	// One target gives the id it gave before a call could have several.
	return notify.NameID(strings.Join([]string{"build/v1", build, stage, strings.ToUpper(status), strings.Join(targets, ","), hex.EncodeToString(digest.Sum(nil))}, "\x00")), nil
}

// readBody returns the text of --body: literal, @FILE, or - for stdin,
// at most limit bytes (max_body), without the UTF-8 byte order mark
// Windows PowerShell 5 writes, and decoded from UTF-16 with a byte order
// mark; UTF-16 without one is an error naming it. A signal
// stops the read, also while a FIFO waits for a writer or a pipe never
// closes.
func (a *app) readBody(ctx context.Context, arg string, limit int64) (text, where string, err error) {
	what, fix, literal := "the text", "give it as UTF-8", false
	switch {
	case arg == "-":
		where, what = "--body - (stdin)", "the input"
		text, err = input.Read(ctx, a.stdin, limit)
	case arg == "@":
		return "", "--body @", errors.New("--body @: a file name is missing after @ (give @FILE, or - for stdin)")
	case strings.HasPrefix(arg, "@"):
		where, what, fix = "--body "+arg, "the file", "save it as UTF-8"
		text, err = input.ReadFile(ctx, arg[1:], limit)
	default:
		where, text, literal = "--body", arg, true
		if int64(len(arg)) > limit {
			err = &input.TooLargeError{Limit: limit}
		}
	}
	if err == nil {
		text, err = input.UTF8(text)
	}
	var (
		tl *input.TooLargeError
		ue *input.UTF16Error
	)
	switch {
	case errors.As(err, &tl):
		return "", where, fmt.Errorf("%s: %w, the most max_body allows (set max_body in the config file to send more)", where, err)
	case errors.As(err, &ue):
		return "", where, fmt.Errorf("%s: %s is %w; %s", where, what, err, fix)
	case err != nil:
		return "", where, fmt.Errorf("%s: %w", where, err)
	case !literal && strings.TrimSpace(text) == "":
		// A file or stdin (not the argument itself) with nothing in it
		// is a step that failed to write it, not a message; an empty
		// argument, -b '', is text.
		return "", where, fmt.Errorf("%s: %s is empty (give a body, or leave out --body)", where, what)
	}
	return text, where, nil
}

// spoolRecord is what the spool would keep of req, a notification of s,
// with the redactor of the secrets it must not hold; nil, and why, when
// it may not be kept at all. inputs are the --body text and --field
// arguments as given.
func (a *app) spoolRecord(s *config.Settings, req *notify.Request, inputs []string) (*spool.Record, *redact.Redactor, string) {
	rec := &spool.Record{
		Target: s.Target, Format: s.Format, Method: req.Method, ID: req.ID,
		Created: time.Now().UTC(), Query: req.Query, Body: req.Body.Bytes(), Header: req.FormatHeader,
	}
	if s.SecretFields {
		// Whatever the format made of them (escaped, upper-cased by a
		// template, markdown-escaped), the payload holds them.
		return nil, nil, "[fields] took a value from a ${VAR} in the config, which the spool must not store"
	}
	secrets := newRedactor(append(notify.Secrets(notify.EndpointOf(s)), s.Secrets...)...)
	for _, text := range inputs {
		// Checked as given, so no encoding a format or template makes
		// of it (printf, slice, an escape) can hide it; and against
		// every secret the call knows, since with several targets the
		// body and fields of one are those of all.
		if a.red.Contains(text) || secrets.Contains(text) {
			return nil, nil, "the --body or a --field holds a secret (a configured header's, a URL's or a ${VAR}'s value, of this target or another), which the spool must not store"
		}
	}
	if by := s.OverriddenBy("url"); by != "" {
		if u, err := url.Parse(s.URL); err != nil || u.User != nil || u.RawQuery != "" || secrets.Contains(s.URL) {
			return nil, nil, fmt.Sprintf("the URL from %s holds a secret (userinfo, a query value or a ${VAR}'s value), which the spool must not store, and flush must not send it elsewhere", by)
		}
		rec.URL = s.URL
	}
	if why := spool.Refuses(rec, secrets.Contains); why != "" {
		return nil, nil, why
	}
	return rec, secrets, ""
}
