package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/notify"
	"github.com/jobnotify/jobnotify/redact"
	"github.com/jobnotify/jobnotify/spool"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module version go install recorded.
var version = ""

func getVersion() string {
	if version != "" {
		return version
	}
	return moduleVersion()
}

// moduleVersion is the version go install recorded, read (and parsed out
// of the build information) once.
var moduleVersion = sync.OnceValue(func() string {
	// A build from a clone without a tag records a v0.0.0-TIME-COMMIT
	// pseudo-version: that is a development build, and version shows
	// its commit anyway.
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" && !strings.HasPrefix(bi.Main.Version, "v0.0.0-") {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "dev"
})

// app holds what the commands share: the process's inputs, its redacted
// outputs, and the environment variable behind each flag that has one.
type app struct {
	args           []string // the command line, for messages about it
	environ        []string
	env            map[string]string
	stdin          io.Reader
	stdout, stderr *redact.Writer
	// rawStdout and rawStderr are the process's own streams, for the
	// command jobnotify run runs: its output is its own, not jobnotify's.
	rawStdout, rawStderr io.Writer
	console              *consoleSafe // under stderr
	red                  *redact.Redactor
	quiet, verbose       bool
	prefix               string // after "jobnotify: " on each line: a target's name and ": ", when a call has several
	// configPath is the config file found, and loaded the file as read
	// (nil when none, or it did not load): soft fail and validate
	// --strict look at them.
	configPath string
	loaded     *config.File
	// watching returns once a signal cancels the context (see
	// signalContext); nil when it does from the start.
	watching func()

	// envVars maps a flag's name to its JOBNOTIFY_* variable. It is
	// filled from the flags' declarations (see takeEnvVar), so each
	// variable is named once, beside its flag.
	envVars    map[string]string
	flagsGiven map[*cli.Context]map[string]bool // see given
}

func newApp(environ []string, stdin io.Reader, stdout, stderr io.Writer) *app {
	env := envMap(runtime.GOOS, environ)
	red := newRedactor(notify.ProxySecrets(env)...)
	console := &consoleSafe{w: stderr}
	return &app{environ: environ, env: env, stdin: stdin, stdout: red.Writer(stdout), stderr: red.Writer(console), console: console,
		rawStdout: stdout, rawStderr: stderr, red: red, envVars: map[string]string{}}
}

// consoleSafe escapes what reaches the console that a terminal would act
// on — control characters, C1 controls, bidi overrides, invalid UTF-8 —
// keeping line breaks and tabs: an error can quote a server (a TLS
// certificate's names, a proxy's reason phrase), and every stderr line
// passes here after redaction. stdout is not escaped: it carries what a
// machine reads, escaped by each format already.
type consoleSafe struct {
	w io.Writer

	mu sync.Mutex
	// wrote, when set, is told each text written: run reads its
	// command's tail back from a log that jobnotify's lines go to too.
	wrote func(string)
}

func (c *consoleSafe) Write(p []byte) (int, error) {
	text := notify.EscapeLines(p)
	_, err := io.WriteString(c.w, text)
	c.mu.Lock()
	wrote := c.wrote
	c.mu.Unlock()
	if wrote != nil {
		wrote(text)
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// tell sets what is told each text written (nil: nothing).
func (c *consoleSafe) tell(wrote func(string)) {
	c.mu.Lock()
	c.wrote = wrote
	c.mu.Unlock()
}

// newRedactor returns a redactor of secrets that also knows the
// encodings the formats write text in.
func newRedactor(secrets ...string) *redact.Redactor {
	r := redact.New()
	r.AddEncodings(notify.Encodings()...) // first, so each secret's forms are made once
	r.Add(secrets...)
	return r
}

// flushOutput writes out the last, unterminated line of each output.
func (a *app) flushOutput() {
	a.stdout.Flush()
	a.stderr.Flush()
}

// envMap is the environment as a map. On Windows, where variable names
// ignore case (Path, PATH), each name is also there in capitals unless a
// variable of that spelling exists: jobnotify reads its own variables,
// and config ${VAR}s, by the names it is given, so JOBNOTIFY_QUIET finds
// a variable set as jobnotify_quiet, and APPDATA finds AppData.
func envMap(goos string, environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	if goos == "windows" {
		for k, v := range m {
			if _, ok := m[strings.ToUpper(k)]; !ok {
				m[strings.ToUpper(k)] = v
			}
		}
	}
	return m
}

func (a *app) logf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "jobnotify: "+a.prefix+format+"\n", args...)
}

// withEnv gives a repeatable flag its variable.
func withEnv(f *cli.GenericFlag, env string) *cli.GenericFlag {
	f.EnvVars = []string{env}
	return f
}

// globalFlags are the flags of every command. They are accepted before
// the command's name and after it; either way, a flag on the command line
// beats its environment variable (see value). verbose says what
// --verbose adds to the command they are for.
func globalFlags(verbose string) []cli.Flag {
	return []cli.Flag{
		// config.Find reads $JOBNOTIFY_CONFIG itself (see configFlag);
		// it is declared here so that help and the man page name it.
		&cli.StringFlag{Name: "config", EnvVars: []string{"JOBNOTIFY_CONFIG"}, Usage: "read the config from `FILE`",
			DefaultText: configDefault()},
		withEnv(repeatable("target", "", "use the [targets.`NAME`] table of the config; send and run take several, comma-separated or repeated, and send to each"), "JOBNOTIFY_TARGET"),
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: verbose, EnvVars: []string{"JOBNOTIFY_VERBOSE"}},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print errors only", EnvVars: []string{"JOBNOTIFY_QUIET"}},
	}
}

// What --verbose adds: only send and flush make requests.
const (
	verboseRoot    = "print more: the config file used and, for send and flush, each attempt's request headers and response"
	verboseSend    = "also print the config file used, and each attempt's request headers and response (secrets as ***)"
	verboseOffline = "also print the config file used (or where one was looked for)"
)

// configDefault is what help says --config defaults to: the files
// looked for, worked out once (each command has --config).
var configDefault = sync.OnceValue(func() string {
	user, system := configFiles(runtime.GOOS)
	return strings.Join(user, " or ") + ", then " + strings.Join(system, ", ")
})

// configFiles are the files looked for on goos when neither --config
// nor $JOBNOTIFY_CONFIG names one, as help and the man page show them: the
// user's (on Unix either of two, by XDG_CONFIG_HOME) then the system's.
// They are config.Candidates, given the names of the variables it reads
// as their values.
func configFiles(goos string) (user, system []string) {
	if goos == "windows" {
		const drive = `C:\` // makes the names absolute, as Candidates wants
		c := config.Candidates(goos, map[string]string{"APPDATA": drive + "%APPDATA%", "PROGRAMDATA": drive + "%ProgramData%"})
		return []string{strings.TrimPrefix(c[0], drive)}, []string{strings.TrimPrefix(c[1], drive)}
	}
	system = config.Candidates(goos, nil)
	for _, env := range []map[string]string{{"XDG_CONFIG_HOME": "/$XDG_CONFIG_HOME"}, {"HOME": "/~"}} {
		if c := config.Candidates(goos, env); len(c) > len(system) {
			user = append(user, strings.TrimPrefix(c[0], "/"))
		}
	}
	return user, system
}

// lookedIn says where config.Find looks for a config file on goos, for
// messages: on Windows with neither APPDATA nor ProgramData set (a
// service's bare environment), nowhere.
func lookedIn(goos string, env map[string]string) string {
	if c := config.Candidates(goos, env); len(c) > 0 {
		return strings.Join(c, ", ")
	}
	return "no place: APPDATA and ProgramData are not set"
}

// takeEnvVar moves a flag's variable (the first of its EnvVars) into
// a.envVars, under the flag's name, and returns the variable's name, ""
// for none; show names it in help.
// urfave/cli would read it from the process environment; run reads it
// from the environment it was given, in value, the one place where a
// flag beats its variable.
func (a *app) takeEnvVar(f cli.Flag, name string) string {
	var vars *[]string
	switch f := f.(type) {
	case *cli.StringFlag:
		vars = &f.EnvVars
	case *cli.BoolFlag:
		vars = &f.EnvVars
	case *cli.IntFlag:
		vars = &f.EnvVars
	case *cli.GenericFlag:
		vars = &f.EnvVars
	default:
		return ""
	}
	if len(*vars) == 0 || (*vars)[0] == "" {
		return ""
	}
	env := (*vars)[0]
	a.envVars[name] = env
	*vars = nil
	return env
}

// value returns a flag's value and where it came from: the command line
// (before or after the command's name; after wins), else the flag's
// environment variable. ok is false when neither gave it.
func (a *app) value(c *cli.Context, name string) (v, where string, ok bool) {
	for _, x := range c.Lineage() {
		if a.given(x)[name] {
			return fmt.Sprint(x.Value(name)), "--" + name, true
		}
	}
	if ev := a.envVars[name]; ev != "" {
		if v, ok := a.env[ev]; ok && v != "" {
			return v, "$" + ev, true
		}
	}
	return "", "", false
}

// given returns the names (aliases included) of the flags given on the
// command line at one level of it. It is worked out once per level:
// urfave/cli's IsSet sorts every flag on each call, and send asks about
// a dozen.
func (a *app) given(x *cli.Context) map[string]bool {
	if set, ok := a.flagsGiven[x]; ok {
		return set
	}
	set := map[string]bool{}
	for _, n := range x.LocalFlagNames() { // flags only: no flag has EnvVars left
		set[n] = true
	}
	if a.flagsGiven == nil {
		a.flagsGiven = map[*cli.Context]map[string]bool{}
	}
	a.flagsGiven[x] = set
	return set
}

// str is value without its source: "" when not given.
func (a *app) str(c *cli.Context, name string) string {
	v, _, _ := a.value(c, name)
	return v
}

// boolValue is value for a boolean flag: given on the command line, or
// its variable set to a boolean (1, true, 0, false, …).
func (a *app) boolValue(c *cli.Context, name string) (b bool, where string, err error) {
	v, where, ok := a.value(c, name)
	if !ok {
		return false, "", nil
	}
	if b, err = strconv.ParseBool(strings.TrimSpace(v)); err != nil {
		return false, where, fmt.Errorf("%s: %q is not true or false", where, v)
	}
	return b, where, nil
}

// readLoudness sets verbose and quiet from their flags or variables. Both
// at once is an error, unless one is on the command line and the other in
// the environment: the command line wins, as everywhere.
func (a *app) readLoudness(c *cli.Context) error {
	verbose, vw, err := a.boolValue(c, "verbose")
	if err != nil {
		return err
	}
	quiet, qw, err := a.boolValue(c, "quiet")
	if err != nil {
		return err
	}
	if verbose && quiet {
		fromFlag := func(where string) bool { return strings.HasPrefix(where, "--") }
		switch {
		case fromFlag(vw) && !fromFlag(qw):
			quiet = false
		case fromFlag(qw) && !fromFlag(vw):
			verbose = false
		default:
			return fmt.Errorf("%s and %s: choose one", vw, qw)
		}
	}
	a.verbose, a.quiet = verbose, quiet
	return nil
}

// configFlag is --config as given on the command line. config.Find
// reads $JOBNOTIFY_CONFIG itself, after the flag, so that its errors name
// the variable.
func (a *app) configFlag(c *cli.Context) string {
	if v, where, _ := a.value(c, "config"); where == "--config" {
		return v
	}
	return ""
}

// loadConfig finds and parses the config file; nil when there is none
// (and none was named). Its warnings go to stderr.
func (a *app) loadConfig(c *cli.Context) (*config.File, error) {
	if err := a.readLoudness(c); err != nil {
		return nil, err
	}
	path, err := config.Find(a.configFlag(c), a.env)
	a.configPath = path
	if err != nil || path == "" {
		if a.verbose && err == nil {
			a.logf("config: none (looked in %s)", lookedIn(runtime.GOOS, a.env))
		}
		return nil, err
	}
	f, err := config.Load(c.Context, path, getVersion())
	if err != nil {
		return nil, err
	}
	a.loaded = f
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
	return a.learn(config.Resolve(f, target, ov, a.env))
}

// resolveOffline is resolve for validate and env, which work where a
// send's variables are not set: it records them instead of failing (see
// config.ResolveOffline).
func (a *app) resolveOffline(f *config.File, target string, ov config.Overrides) (*config.Settings, error) {
	return a.learn(config.ResolveOffline(f, target, ov, a.env))
}

// learn teaches the redactor the secrets of resolved settings, or of the
// error resolving them.
func (a *app) learn(s *config.Settings, err error) (*config.Settings, error) {
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			a.red.Add(ce.Secrets...)
		}
		return nil, err
	}
	a.red.Add(s.Secrets...)
	a.red.Add(notify.Secrets(notify.EndpointOf(s))...)
	return s, nil
}

// settings loads the config (optional unless named) and resolves it for
// the target the command line or $JOBNOTIFY_TARGET names.
func (a *app) settings(c *cli.Context, ov config.Overrides) (*config.Settings, error) {
	f, err := a.loadConfig(c)
	if err != nil {
		return nil, err
	}
	target, err := a.oneTarget(c)
	if err != nil {
		return nil, err
	}
	return a.resolve(f, target, ov)
}

// offlineSettings is settings for validate and env, with the JOBNOTIFY_*
// variables applied as for a send: an unset ${VAR} is
// not an error (see noteUnset).
func (a *app) offlineSettings(c *cli.Context) (*config.Settings, error) {
	s, _, err := a.offlineTargets(c, false)
	return s, err
}

// offlineTargets is offlineSettings, and with all, the same for every
// other target of the file, so that validate checks the whole file.
func (a *app) offlineTargets(c *cli.Context, all bool) (s *config.Settings, others map[string]*config.Settings, err error) {
	f, err := a.loadConfig(c)
	if err != nil {
		return nil, nil, err
	}
	// The JOBNOTIFY_* variables a send would read (validate and env have
	// no flags of their own for them): what is shown is what a send uses.
	ov, err := a.overrides(c)
	if err != nil {
		return nil, nil, err
	}
	target, err := a.oneTarget(c)
	if err != nil {
		return nil, nil, err
	}
	if s, err = a.resolveOffline(f, target, ov); err != nil || !all || f == nil {
		return s, nil, err
	}
	others = map[string]*config.Settings{}
	for _, t := range f.Targets() {
		if t == target {
			continue
		}
		if others[t], err = a.resolveOffline(f, t, ov); err != nil {
			return nil, nil, fmt.Errorf("target %s: %w", t, err)
		}
	}
	return s, others, nil
}

// noteUnset says on stderr which variables a send needs that are not set
// here, and which checks were left out for them.
func (a *app) noteUnset(s *config.Settings) {
	if a.quiet {
		return
	}
	for _, v := range s.Unset() {
		a.logf("note: %s is not set here; a send needs it (%s)", v.Name, strings.Join(v.UsedAt, "; "))
	}
	for _, u := range s.Unchecked {
		a.logf("note: %s", u)
	}
}

// client returns a delivery client for s, its lines going to stderr.
func (a *app) client(s *config.Settings) (*notify.Client, error) {
	tr, err := a.transport(s)
	if err != nil {
		return nil, err
	}
	if s.TLS.InsecureSkipVerify {
		// Printed even with --quiet: it is the one warning that must not be missed.
		a.logf("WARNING: TLS certificate verification is off ([tls] insecure_skip_verify): anyone on the network path can read and change this notification")
	}
	cl := notify.NewClient(s.Timeout, s.Retry)
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

// transport is the transport of s: its [tls] files read, the proxy from
// the environment. send and run build each target's once before sending
// anything, so that a wrong file or proxy variable in one target stops
// the call before any target got its notification.
func (a *app) transport(s *config.Settings) (*http.Transport, error) {
	proxy, err := notify.Proxy(a.env)
	if err != nil {
		return nil, err
	}
	return notify.NewTransport(s.TLS, proxy)
}

// envOptions is the [env] table plus the variables behind ${VAR}
// expansions, which never enter a payload.
func envOptions(s *config.Settings) envcollect.Options {
	return envcollect.Options{Include: s.Env.Include, Exclude: append(append([]string(nil), s.Env.Exclude...), s.SecretVars...)}
}

// printJSON writes v to stdout, indented, as validate and env print.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// spool returns the spool of s, its lines going to stderr.
func (a *app) spool(s *config.Settings) spool.Dir {
	// A file holds the body in base64 (4/3 of it) and its other fields:
	// anything much larger was not written by a send under this config.
	maxFile := s.MaxBody/3*4 + 1<<20
	return spool.Dir{Path: s.SpoolDir, MaxFile: maxFile, Log: func(line string) { a.logf("%s", line) }, Redact: a.red.String}
}

// noArgs refuses positional arguments a command does not take, so a
// forgotten flag name is an error rather than silently ignored.
func noArgs(c *cli.Context) error {
	if c.Args().Present() {
		return fmt.Errorf("unexpected argument %q (see 'jobnotify %s --help')", c.Args().First(), c.Command.Name)
	}
	return nil
}
