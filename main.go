// Command jobnotify sends one HTTP notification about a CI build — its
// Jenkins context, a status and the user's body — to the endpoint an
// administrator configured in a global TOML file, with retries.
//
//	jobnotify send --status SUCCESS --field stage=deploy
//
// See README.md for the configuration and the payload.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/listen"
	"github.com/jobnotify/jobnotify/notify"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module version go install recorded.
var version = ""

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args, os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalError is the cause of a context cancelled by a signal.
type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string { return "received " + e.sig.String() }

// signalContext returns a context cancelled, with a signalError as its
// cause, on SIGINT or SIGTERM (Jenkins aborts a build with SIGTERM).
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		if s, ok := <-ch; ok {
			cancel(signalError{s.(syscall.Signal)})
		}
	}()
	return ctx, func() { signal.Stop(ch); close(ch); cancel(nil) }
}

func getVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "dev"
}

// run is the whole program; it returns the exit code. Every byte it writes
// goes through one redactor.
func run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := envMap(environ)
	red := notify.NewRedactor(notify.ProxySecrets(env)...)
	out, errw := red.Writer(stdout), red.Writer(stderr)
	defer out.Flush()
	defer errw.Flush()
	a := &app{environ: environ, env: env, stdin: stdin, stdout: out, stderr: errw, red: red}
	err := a.newApp().RunContext(ctx, args)
	if err == nil {
		return 0
	}
	fmt.Fprintf(errw, "jobnotify: %v\n", err)
	return exitCode(ctx, err)
}

// exitCode decides the exit code: 130/143 when a signal stopped us, 1 for
// a failed delivery, 2 for everything else (usage, config, input), which
// always fails before anything is sent.
func exitCode(ctx context.Context, err error) int {
	var sig signalError
	if errors.As(context.Cause(ctx), &sig) {
		return 128 + int(sig.sig)
	}
	var de *notify.DeliveryError
	if errors.As(err, &de) {
		return 1
	}
	return 2
}

func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// app holds what the commands share.
type app struct {
	environ        []string
	env            map[string]string
	stdin          io.Reader
	stdout, stderr io.Writer
	red            *notify.Redactor
	quiet, verbose bool
}

func (a *app) logf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "jobnotify: "+format+"\n", args...)
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "config `FILE` (default: $JOBNOTIFY_CONFIG, then $XDG_CONFIG_HOME/jobnotify/config.toml or ~/.config/jobnotify/config.toml, then /etc/jobnotify/config.toml)"},
		&cli.StringFlag{Name: "target", Usage: "use the [targets.`NAME`] table of the config", EnvVars: []string{"JOBNOTIFY_TARGET"}},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "also print request headers and the response"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print errors only"},
	}
}

func (a *app) newApp() *cli.App {
	usageErr := func(c *cli.Context, err error, _ bool) error {
		return fmt.Errorf("%w (see 'jobnotify %s --help')", err, strings.TrimPrefix(c.Command.FullName(), "jobnotify "))
	}
	withGlobals := func(flags ...cli.Flag) []cli.Flag { return append(globalFlags(), flags...) }
	return &cli.App{
		Name:                      "jobnotify",
		Usage:                     "send one notification about a CI build to a configured HTTP endpoint",
		UsageText:                 "jobnotify [--config FILE] [--target NAME] [--verbose | --quiet] COMMAND [options]",
		Version:                   getVersion(),
		Writer:                    a.stdout,
		ErrWriter:                 a.stderr,
		Reader:                    a.stdin,
		HideVersion:               true, // its -v alias would take --verbose's
		Flags:                     append(globalFlags(), &cli.BoolFlag{Name: "version", Usage: "print the version"}),
		DisableSliceFlagSeparator: true, // --field msg=a,b is one field
		HideHelpCommand:           true,
		EnableBashCompletion:      true, // --generate-bash-completion, which the bash and zsh scripts call
		OnUsageError:              usageErr,
		ExitErrHandler:            func(*cli.Context, error) {}, // exit codes are decided in run
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				return a.printVersion(c)
			}
			if c.Args().Present() {
				return fmt.Errorf("unknown command %q (commands: send, flush, listen, validate, env, completion, version)", c.Args().First())
			}
			return errors.New("no command given (try 'jobnotify --help')")
		},
		Commands: []*cli.Command{
			{
				Name:      "send",
				Usage:     "send one notification",
				UsageText: "jobnotify send [--status STATUS] [--body BODY] [--field K=V]... [options]",
				Description: `Sends the build's context, the status and your body to the configured endpoint,
retrying on network errors, timeouts, 408, 429 and 5xx (except 501).

Exit status: 0 delivered (or --dry-run, or --soft-fail); 1 delivery failed;
2 bad usage, config or input (nothing was sent); 130/143 interrupted.

Examples:
   jobnotify send --status SUCCESS --field stage=deploy
   jobnotify send -s FAILURE --body 'Deploy to prod failed'
   jobnotify send --body @result.json --field 'tests:=42'
   jobnotify send --dry-run --url https://api.example.com/hook --status SUCCESS`,
				Flags: withGlobals(
					&cli.StringFlag{Name: "status", Aliases: []string{"s"}, Usage: "build `STATUS`, e.g. ${currentBuild.currentResult}", EnvVars: []string{"JOBNOTIFY_STATUS"}},
					&cli.StringFlag{Name: "body", Aliases: []string{"b"}, Usage: "a JSON object; @FILE reads a file, - reads stdin; other text is sent as {\"message\": TEXT}"},
					&cli.StringSliceFlag{Name: "field", Aliases: []string{"f"}, Usage: "add K=V (a string) or K:=JSON (raw JSON); a.b=c nests; repeatable"},
					&cli.StringFlag{Name: "url", Usage: "endpoint `URL`", EnvVars: []string{"JOBNOTIFY_URL"}},
					&cli.StringFlag{Name: "method", Aliases: []string{"X"}, Usage: "GET, POST, PUT, PATCH or DELETE (default: POST)", EnvVars: []string{"JOBNOTIFY_METHOD"}},
					&cli.StringSliceFlag{Name: "header", Aliases: []string{"H"}, Usage: "add or replace a header, 'Name: value' ('Name:' removes it); repeatable"},
					&cli.DurationFlag{Name: "timeout", Usage: "per attempt, e.g. 10s (default: 10s)", EnvVars: []string{"JOBNOTIFY_TIMEOUT"}},
					&cli.IntFlag{Name: "attempts", Usage: "total attempts including the first (default: 4)", EnvVars: []string{"JOBNOTIFY_ATTEMPTS"}},
					&cli.StringFlag{Name: "id", Usage: "notification `ID`, also sent as Idempotency-Key (default: a random UUID)", EnvVars: []string{"JOBNOTIFY_ID"}},
					&cli.StringFlag{Name: "format", Usage: "payload format: " + strings.Join(config.Formats, ", ") + " (default: jobnotify)", EnvVars: []string{"JOBNOTIFY_FORMAT"}},
					&cli.StringFlag{Name: "phase", Usage: "notification-plugin phase: QUEUED, STARTED, COMPLETED or FINALIZED (default: from --status)"},
					&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the request, secrets as ***, and send nothing"},
					&cli.BoolFlag{Name: "soft-fail", Usage: "a failed delivery prints a warning and exits 0", EnvVars: []string{"JOBNOTIFY_SOFT_FAIL"}},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text, or json: one result object on stdout"},
				),
				OnUsageError: usageErr,
				Action:       a.send,
			},
			{
				Name:      "flush",
				Usage:     "resend the notifications saved in the spool ([spool] dir), oldest first",
				UsageText: "jobnotify flush [--dry-run]",
				Description: `Each saved notification is sent with its original id and body; URL, headers
and signing come from the current config, so a rotated token works.
Delivered ones are removed; failed ones stay, with their error updated.
Exit status: 0 when the spool is empty afterwards, 1 otherwise.`,
				Flags: withGlobals(
					&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the requests, secrets as ***, and send nothing"},
				),
				OnUsageError: usageErr,
				Action:       a.flush,
			},
			{
				Name:      "listen",
				Usage:     "run a local receiver that prints what it gets, for trying things out",
				UsageText: "jobnotify listen [--addr 127.0.0.1:8787] [--fail N] [--status CODE]",
				Description: `Prints each request (method, path, headers with secret values as ***, the
body pretty-printed when it is JSON) and checks its signature with the
[signing] config. In another terminal:
   jobnotify send --url http://127.0.0.1:8787/hook --status SUCCESS`,
				Flags: withGlobals(
					&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8787", Usage: "`HOST:PORT` to listen on (loopback unless you say otherwise)"},
					&cli.IntFlag{Name: "fail", Usage: "answer 503 to the first `N` requests, to watch retries"},
					&cli.IntFlag{Name: "status", Value: 200, Usage: "the status `CODE` of every other answer"},
				),
				OnUsageError: usageErr,
				Action:       a.listen,
			},
			{
				Name:      "completion",
				Usage:     "print a shell completion script: bash, zsh or fish",
				UsageText: "jobnotify completion bash|zsh|fish",
				Description: `bash:  source <(jobnotify completion bash)
zsh:   jobnotify completion zsh > "${fpath[1]}/_jobnotify"
fish:  jobnotify completion fish > ~/.config/fish/completions/jobnotify.fish`,
				OnUsageError: usageErr,
				Action:       a.completion,
			},
			{
				Name:         "validate",
				Usage:        "check the config and print the resolved settings as JSON, secrets as ***",
				Flags:        globalFlags(),
				OnUsageError: usageErr,
				Action:       a.validate,
			},
			{
				Name:         "env",
				Usage:        "print as JSON the build context send would include (no network)",
				Flags:        globalFlags(),
				OnUsageError: usageErr,
				Action:       a.printEnv,
			},
			{
				Name:   "version",
				Usage:  "print the version",
				Action: a.printVersion,
			},
		},
	}
}

// noArgs refuses positional arguments a command does not take, so a
// forgotten flag name is an error rather than silently ignored.
func noArgs(c *cli.Context) error {
	if c.Args().Present() {
		return fmt.Errorf("unexpected argument %q (see 'jobnotify %s --help')", c.Args().First(), c.Command.Name)
	}
	return nil
}

// listen runs the local receiver until SIGINT or SIGTERM.
func (a *app) listen(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	f, err := a.loadConfig(c)
	if err != nil {
		return err
	}
	var sign config.Signing
	if f != nil {
		s, err := a.resolve(f, global(c, "target"), config.Overrides{})
		if err != nil {
			return err
		}
		sign = s.Signing
	}
	o := listen.Options{Addr: c.String("addr"), Fail: c.Int("fail"), Status: c.Int("status"), Signing: sign, Now: time.Now}
	err = listen.Run(c.Context, o, a.stdout, func(addr string) {
		a.logf("listening on http://%s/ (Ctrl-C to stop)", addr)
		if host, _, _ := net.SplitHostPort(addr); !net.ParseIP(host).IsLoopback() {
			a.logf("warning: %s is not a loopback address: other machines can send to it", addr)
		}
	})
	if c.Context.Err() != nil {
		return nil // stopped by SIGINT or SIGTERM, as asked
	}
	return err
}

// completion prints a shell completion script.
func (a *app) completion(c *cli.Context) error {
	switch sh := c.Args().First(); sh {
	case "bash":
		_, err := io.WriteString(a.stdout, bashCompletion)
		return err
	case "zsh":
		_, err := io.WriteString(a.stdout, zshCompletion)
		return err
	case "fish":
		script, err := c.App.ToFishCompletion()
		if err != nil {
			return err
		}
		_, err = io.WriteString(a.stdout, script)
		return err
	default:
		return fmt.Errorf("completion: want bash, zsh or fish, got %q", sh)
	}
}

func (a *app) printVersion(*cli.Context) error {
	_, err := fmt.Fprintf(a.stdout, "jobnotify version %s\n", getVersion())
	return err
}

// global returns a global flag's value whether it was given before or
// after the command name.
func global(c *cli.Context, name string) string {
	for _, x := range c.Lineage() {
		if x.IsSet(name) {
			return x.String(name)
		}
	}
	return ""
}

func globalBool(c *cli.Context, name string) bool {
	for _, x := range c.Lineage() {
		if x.IsSet(name) {
			return x.Bool(name)
		}
	}
	return false
}

// flagWhere names the flag behind a settings key, for error messages.
func flagWhere(key string) string {
	flag := map[string]string{
		"url": "url", "method": "method", "timeout": "timeout", "soft_fail": "soft-fail",
		"format": "format", "retry.attempts": "attempts",
	}[key]
	if flag == "" {
		return key
	}
	return "--" + flag + " (or $JOBNOTIFY_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_")) + ")"
}

// loadConfig finds and parses the config file; nil when there is none
// (and none was named). Its warnings go to stderr.
func (a *app) loadConfig(c *cli.Context) (*config.File, error) {
	a.verbose, a.quiet = globalBool(c, "verbose"), globalBool(c, "quiet")
	if a.verbose && a.quiet {
		return nil, errors.New("--verbose and --quiet: choose one")
	}
	path, err := config.Find(global(c, "config"), a.env)
	if err != nil || path == "" {
		if a.verbose && err == nil {
			a.logf("config: none (looked in %s)", strings.Join(config.Candidates(a.env), ", "))
		}
		return nil, err
	}
	f, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if a.verbose {
		a.logf("config: %s", path)
	}
	if !a.quiet {
		for _, w := range f.Warnings {
			a.logf("warning: %s", w)
		}
	}
	return f, nil
}

// resolve computes the settings for a target and teaches the redactor
// their secrets.
func (a *app) resolve(f *config.File, target string, ov config.Overrides) (*config.Settings, error) {
	ov.Where = flagWhere
	s, err := config.Resolve(f, target, ov, a.env)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			a.red.Add(ce.Secrets...)
		}
		return nil, err
	}
	a.red.Add(notify.Secrets(s)...)
	return s, nil
}

// settings loads the config (optional unless named) and resolves it with
// the command-line overrides.
func (a *app) settings(c *cli.Context, ov config.Overrides) (*config.Settings, error) {
	f, err := a.loadConfig(c)
	if err != nil {
		return nil, err
	}
	return a.resolve(f, global(c, "target"), ov)
}

// client returns a delivery client for s, its lines going to stderr.
func (a *app) client(s *config.Settings) (*notify.Client, error) {
	proxy, err := notify.Proxy(a.env)
	if err != nil {
		return nil, err
	}
	tr, err := notify.NewTransport(s.TLS, proxy)
	if err != nil {
		return nil, err
	}
	if s.TLS.InsecureSkipVerify {
		// Printed even with --quiet: it is the one warning that must not be missed.
		a.logf("WARNING: TLS certificate verification is off ([tls] insecure_skip_verify): anyone on the network path can read and change this notification")
	}
	cl := notify.NewClient(s)
	cl.Transport = tr
	cl.Redact = a.red.String
	if !a.quiet {
		cl.Log = func(line string) { a.logf("%s", line) }
	}
	if a.verbose {
		cl.Debug = func(line string) {
			for _, l := range strings.Split(line, "\n") {
				a.logf("%s", l)
			}
		}
	}
	return cl, nil
}

func (a *app) overrides(c *cli.Context) (config.Overrides, error) {
	var ov config.Overrides
	str := func(name string) *string {
		if !c.IsSet(name) {
			return nil
		}
		v := c.String(name)
		return &v
	}
	ov.URL, ov.Method, ov.Format = str("url"), str("method"), str("format")
	if c.IsSet("timeout") {
		d := config.Duration(c.Duration("timeout"))
		ov.Timeout = &d
	}
	if c.IsSet("attempts") {
		n := c.Int("attempts")
		ov.Retry.Attempts = &n
	}
	if c.IsSet("soft-fail") {
		b := c.Bool("soft-fail")
		ov.SoftFail = &b
	}
	for _, h := range c.StringSlice("header") {
		hd, err := config.NewHeader(h, "--header")
		if err != nil {
			return ov, err
		}
		ov.Headers = append(ov.Headers, hd)
	}
	return ov, nil
}

// readBody returns the text of --body: literal, @FILE, or - for stdin.
func (a *app) readBody(ctx context.Context, arg string) (text, where string, err error) {
	switch {
	case arg == "-":
		// Read in the background, so SIGTERM stops us while a pipe
		// that never closes still holds stdin.
		type result struct {
			text string
			err  error
		}
		done := make(chan result, 1)
		go func() {
			var b strings.Builder
			_, err := io.Copy(&b, a.stdin)
			done <- result{b.String(), err}
		}()
		select {
		case <-ctx.Done():
			return "", "--body -", fmt.Errorf("--body -: reading stdin: %w", context.Cause(ctx))
		case r := <-done:
			if r.err != nil {
				return "", "--body -", fmt.Errorf("--body -: reading stdin: %w", r.err)
			}
			return r.text, "--body - (stdin)", nil
		}
	case strings.HasPrefix(arg, "@"):
		where := "--body " + arg
		text, err := readFileString(arg[1:])
		if err != nil {
			return "", where, fmt.Errorf("%s: %w", where, errors.Unwrap(err))
		}
		return text, where, nil
	}
	return arg, "--body", nil
}

// readFileString reads a whole file into a string without the second copy
// string(os.ReadFile(name)) makes: for a 10 MiB --body @file, 10 MiB less
// memory and some 2,500 page faults fewer.
func readFileString(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b strings.Builder
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		b.Grow(int(fi.Size()))
	}
	_, err = io.Copy(&b, f)
	return b.String(), err
}

func (a *app) send(c *cli.Context) (err error) {
	if c.Args().Present() {
		return fmt.Errorf("unexpected argument %q: fields are given with --field K=V (see 'jobnotify send --help')", c.Args().First())
	}
	asJSON := false
	switch o := c.String("output"); o {
	case "json":
		asJSON = true
	case "text":
	default:
		return fmt.Errorf("--output: %q is not text or json", o)
	}
	var res *notify.Result
	if asJSON {
		defer func() {
			if res == nil && err != nil {
				res = &notify.Result{ErrorClass: "input", Error: err.Error()}
			}
			if res != nil {
				b, _ := json.Marshal(res)
				fmt.Fprintf(a.stdout, "%s\n", b)
			}
		}()
	}
	ov, err := a.overrides(c)
	if err != nil {
		return err
	}
	s, err := a.settings(c, ov)
	if err != nil {
		return err
	}
	if err := s.NeedURL(); err != nil {
		return err
	}
	if len(s.Dropped) > 0 && !a.quiet {
		a.logf("warning: not sending config header(s) %s: they were configured for another host than %s (pass them with --header to send them)",
			strings.Join(s.Dropped, ", "), notify.Origin(s.URL))
	}
	if c.IsSet("phase") && s.Format != "notification-plugin" {
		return fmt.Errorf("--phase: applies to format notification-plugin only, not %q", s.Format)
	}
	in := notify.Input{ID: c.String("id"), Status: strings.TrimSpace(c.String("status")), Phase: c.String("phase"), Time: time.Now()}
	if in.ID == "" {
		in.ID = notify.NewID()
	}
	if c.IsSet("body") {
		text, where, err := a.readBody(c.Context, c.String("body"))
		if err != nil {
			return err
		}
		if in.Body, err = notify.ParseBody(text, where); err != nil {
			return err
		}
	}
	for _, arg := range c.StringSlice("field") {
		f, err := notify.ParseField(arg)
		if err != nil {
			return err
		}
		in.Fields = append(in.Fields, f)
	}
	bc := envcollect.Collect(a.environ, envOptions(s))
	req, err := notify.Build(bc, s, in, getVersion())
	if err != nil {
		return err
	}
	if c.Bool("dry-run") {
		if asJSON {
			res = &notify.Result{ID: req.ID}
			return nil
		}
		req.Sign(time.Now())
		return req.Dump(a.stdout)
	}
	client, err := a.client(s)
	if err != nil {
		return err
	}
	res, err = client.Send(c.Context, req)
	if err != nil {
		if s.SpoolDir != "" {
			a.save(s, req, res, err)
		}
		var de *notify.DeliveryError
		if errors.As(err, &de) && s.SoftFail && de.Class != notify.ClassInterrupted {
			a.logf("warning: %v (soft fail: exit 0)", err)
			return nil
		}
		return err
	}
	if !a.quiet {
		a.logf("%s %s -> %s (%s, %s)", req.Method, notify.Origin(s.URL), notify.StatusLine(res.StatusCode),
			plural(res.Attempts, "attempt"), roundMS(res.Elapsed))
	}
	return nil
}

// save keeps a notification whose delivery failed in the spool, saying where.
func (a *app) save(s *config.Settings, req *notify.Request, res *notify.Result, sendErr error) {
	rec := &notify.Spooled{
		Target: s.Target, Format: s.Format, Method: req.Method, ID: req.ID,
		Created: time.Now().UTC(), LastError: a.red.String(sendErr.Error()),
		Query: req.Query, Body: req.Body, Header: req.FormatHeader,
	}
	if res != nil {
		rec.Attempts = res.Attempts
	}
	// The spool never holds an expanded secret: a [fields] value from
	// ${VAR} in the body keeps the notification out of it.
	for _, secret := range s.Secrets {
		if len(secret) >= notify.MinSecret && (bytes.Contains(req.Body, []byte(secret)) || strings.Contains(req.Query, secret)) {
			a.logf("not saved to the spool: the payload holds a value from a ${VAR} in the config, which the spool must not store")
			return
		}
	}
	path, err := notify.Spool{Dir: s.SpoolDir}.Save(rec)
	if err != nil {
		a.logf("could not save the notification to the spool: %v", err)
		return
	}
	a.logf("saved to the spool: %s (resend with 'jobnotify flush')", path)
	if fi, err := os.Stat(s.SpoolDir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		a.logf("warning: the spool directory %s can be read by others (mode %04o): chmod 700 it", s.SpoolDir, fi.Mode().Perm())
	}
}

// flush resends every saved notification, oldest first, under the current
// config; delivered files go, failed ones stay with their error updated.
func (a *app) flush(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	f, err := a.loadConfig(c)
	if err != nil {
		return err
	}
	base, err := a.resolve(f, global(c, "target"), config.Overrides{})
	if err != nil {
		return err
	}
	if base.SpoolDir == "" {
		return errors.New("spool.dir: not set, so there is no spool to flush")
	}
	dry := c.Bool("dry-run")
	sp := notify.Spool{Dir: base.SpoolDir}
	names, err := sp.List()
	if err != nil {
		return err
	}
	unreadable := 0
	for _, name := range names {
		if c.Context.Err() != nil {
			break
		}
		claimed, err := sp.Claim(name)
		if errors.Is(err, notify.ErrClaimed) {
			continue
		} else if err != nil {
			a.logf("%s: %v", name, err)
			continue
		}
		rec, err := sp.Load(claimed)
		if err != nil {
			unreadable++
			a.logf("skipping %s: %v (left in place)", name, err)
			_ = sp.Unclaim(claimed, name, nil)
			continue
		}
		s, req, err := a.spooledRequest(f, rec)
		if err != nil {
			a.logf("skipping %s: %v (left in place)", name, err)
			_ = sp.Unclaim(claimed, name, nil)
			continue
		}
		if dry {
			req.Sign(time.Now())
			fmt.Fprintf(a.stdout, "# %s\n", name)
			_ = req.Dump(a.stdout)
			_ = sp.Unclaim(claimed, name, nil)
			continue
		}
		client, err := a.client(s)
		if err != nil {
			_ = sp.Unclaim(claimed, name, nil)
			return err
		}
		res, err := client.Send(c.Context, req)
		if err == nil {
			if err := sp.Remove(claimed); err != nil {
				a.logf("%s: delivered, but could not remove it: %v", name, err)
			}
			if !a.quiet {
				a.logf("flushed %s: %s %s -> %s (%s)", rec.ID, req.Method, notify.Origin(s.URL), notify.StatusLine(res.StatusCode), plural(res.Attempts, "attempt"))
			}
			continue
		}
		rec.Attempts += res.Attempts
		rec.LastError = a.red.String(err.Error())
		if uerr := sp.Unclaim(claimed, name, rec); uerr != nil {
			a.logf("%s: %v", name, uerr)
		}
		a.logf("%s: %v (kept)", name, err)
	}
	if dry {
		return nil
	}
	left, err := sp.List()
	if err != nil {
		return err
	}
	if len(left) > 0 {
		msg := fmt.Sprintf("%d file(s) still in %s", len(left), sp.Dir)
		if unreadable > 0 {
			msg += fmt.Sprintf(", %d of them not notifications (left alone)", unreadable)
		}
		return &notify.DeliveryError{Class: "spool", Err: errors.New(msg)}
	}
	return nil
}

// spooledRequest rebuilds a saved notification's request: its id, method
// and bytes, with URL, headers and signing from the current config.
func (a *app) spooledRequest(f *config.File, rec *notify.Spooled) (*config.Settings, *notify.Request, error) {
	s, err := a.resolve(f, rec.Target, config.Overrides{})
	if err != nil {
		return nil, nil, err
	}
	if err := s.NeedURL(); err != nil {
		return nil, nil, err
	}
	req, err := notify.NewRequest(s, rec.Method, rec.ID, rec.Body, rec.Query, getVersion(), rec.Header)
	return s, req, err
}

// envOptions is the [env] table plus the variables behind ${VAR}
// expansions, which never enter a payload.
func envOptions(s *config.Settings) envcollect.Options {
	o := s.Env
	o.Exclude = append(append([]string(nil), o.Exclude...), s.SecretVars...)
	return o
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func roundMS(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return d.Round(10 * time.Millisecond).String()
}

func (a *app) validate(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	if p, err := config.Find(global(c, "config"), a.env); err != nil {
		return err
	} else if p == "" {
		return fmt.Errorf("no config file (looked in %s; or give --config FILE)", strings.Join(config.Candidates(a.env), ", "))
	}
	s, err := a.settings(c, config.Overrides{})
	if err != nil {
		return err
	}
	if err := s.NeedURL(); err != nil {
		return err
	}
	if err := notify.CheckTemplate(s); err != nil {
		return err
	}
	headers := map[string]string{}
	for _, h := range s.Headers {
		v := h.Value
		if config.Sensitive(h.Name) {
			v = "***"
		}
		headers[h.Name] = v
	}
	out := map[string]any{
		"config":    s.Path,
		"target":    s.Target,
		"url":       notify.Display(s.URL),
		"method":    s.Method,
		"format":    s.Format,
		"timeout":   s.Timeout.String(),
		"soft_fail": s.SoftFail,
		"headers":   headers,
		"fields":    orEmpty(s.Fields),
		"retry": map[string]any{
			"attempts": s.Retry.Attempts, "min_wait": s.Retry.MinWait.String(),
			"max_wait": s.Retry.MaxWait.String(), "max_time": s.Retry.MaxTime.String(),
		},
		"env": map[string]any{"include": append([]string{}, s.Env.Include...), "exclude": append([]string{}, s.Env.Exclude...)},
	}
	if s.Signing.Scheme != "" {
		sig := map[string]any{"scheme": s.Signing.Scheme, "secrets": len(s.Signing.Keys)}
		if s.Signing.Header != "" {
			sig["header"] = s.Signing.Header
		}
		out["signing"] = sig
	}
	if s.SpoolDir != "" {
		out["spool"] = map[string]any{"dir": s.SpoolDir}
	}
	if s.TLS != (config.TLS{}) {
		out["tls"] = map[string]any{"ca_file": s.TLS.CAFile, "cert_file": s.TLS.CertFile, "key_file": s.TLS.KeyFile, "insecure_skip_verify": s.TLS.InsecureSkipVerify}
	}
	return a.printJSON(out)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func (a *app) printEnv(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	s, err := a.settings(c, config.Overrides{})
	if err != nil {
		return err
	}
	bc := envcollect.Collect(a.environ, envOptions(s))
	if !a.quiet {
		// On stderr: stdout is exactly the context send would include.
		a.logf("CI system: %s", cmp.Or(bc.System, "none detected (Jenkins allow-list)"))
	}
	return a.printJSON(bc.Map())
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
