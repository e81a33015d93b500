package main

import (
	"bufio"
	"errors"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// update is the one -update flag of this package: it rewrites the golden
// output of the scripts (the second file of a failing cmp, inside the
// .txtar) and docs/jobnotify.1 (man_test.go). Review the diff after.
var update = flag.Bool("update", false, "rewrite golden output: cmp files in testdata/script/*.txtar and docs/jobnotify.1")

// TestScripts runs the CLI cases that need no network, one concern per
// file, as testdata/script/*.txtar. "exec jobnotify" runs main inside the
// test binary (see TestMain), so no binary is built for them.
//
// Each script starts from nothing of the outer environment: HOME is an
// empty $WORK/home (no config is found unless the script gives one), no
// JOBNOTIFY_* or XDG_* variable is set, and the files of the archive are
// mode 0600 whatever the umask (a script that wants another mode says
// chmod). $TESTDATA is the package's testdata directory, for the sample
// CI environments.
//
// Besides testscript's own commands, scripts have:
//
//	exitcode N prog [args...]  exec, then fail unless the exit status is exactly N
//	envfile FILE               set each K=V line of FILE, except HOME and PATH
//	scrub SRC DST              copy SRC (stdout, stderr or a file) to DST, the clock's values as <NOW>
//
// Refresh the golden output with: go test -run TestScripts -update .
func TestScripts(t *testing.T) {
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(e *testscript.Env) error {
			return setupScript(e, testdata)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitcode,
			"envfile":  cmdEnvfile,
			"scrub":    cmdScrub,
		},
	})
}

// setupScript gives a script an empty HOME and none of the outer
// JOBNOTIFY_* or XDG_* variables, makes its files private, and keeps a
// race-instrumented jobnotify from waiting at exit.
func setupScript(e *testscript.Env, testdata string) error {
	// testscript builds the environment from scratch, so no JOBNOTIFY_*
	// or XDG_* should be here; dropping them says that the suite depends
	// on it. HOME (testscript's /no-home) is set again below.
	vars := e.Vars[:0]
	for _, kv := range e.Vars {
		if !strings.HasPrefix(kv, "JOBNOTIFY_") && !strings.HasPrefix(kv, "XDG_") && !strings.HasPrefix(kv, "HOME=") {
			vars = append(vars, kv)
		}
	}
	e.Vars = vars
	// Under umask 0 the archive's files would be world-writable, and
	// jobnotify refuses such a config: chmod them, as writeConfig does.
	err := filepath.WalkDir(e.WorkDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chmod(path, 0o600)
	})
	if err != nil {
		return err
	}
	home := filepath.Join(e.WorkDir, "home")
	// MkdirAll: a script may ship a user config in home/.config/jobnotify.
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	e.Setenv("HOME", home)
	e.Setenv("TESTDATA", testdata)
	if os.Getenv("GORACE") == "" {
		// Under -race each jobnotify would wait a second at exit for
		// reports; a race still fails the script (exit 66).
		e.Setenv("GORACE", "atexit_sleep_ms=10")
	}
	return nil
}

// cmdExitcode is exec with an exact exit status. "! exec" only says
// non-zero, and "bad input exits 2 (and sends nothing)" is a contract
// that 1 (a failed delivery) would break.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exitcode (give the code you want instead)")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	got := 0
	var ee *exec.ExitError
	switch err := ts.Exec(args[1], args[2:]...); {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exitcode: %v", err)
	}
	if got != want {
		ts.Fatalf("exit code: got %d, want %d", got, want)
	}
}

// cmdEnvfile sets the variables of a sample CI environment, one K=V a
// line. It keeps the script's HOME (so no config is found but the
// script's) and PATH (so jobnotify is found).
func cmdEnvfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: envfile FILE")
	}
	sc := bufio.NewScanner(strings.NewReader(ts.ReadFile(args[0])))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			ts.Fatalf("envfile %s: %q is not K=V", args[0], line)
		}
		if k != "HOME" && k != "PATH" {
			ts.Setenv(k, v)
		}
	}
}

// clockValues are the parts of a dry run that change every second: the
// payload's timestamp (JSON, or a GET query parameter) and the Standard
// Webhooks timestamp header.
var clockValues = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`"timestamp":"[^"]*"`), `"timestamp":"<NOW>"`},
	{regexp.MustCompile(`([?&]timestamp=)[^&\s]*`), `${1}<NOW>`},
	{regexp.MustCompile(`(?mi)^(webhook-timestamp: )\d+$`), `${1}<NOW>`},
}

// cmdScrub copies output with the clock's values replaced, so a dry run
// can be compared with golden output: scrub stdout got; cmp got want.
func cmdScrub(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: scrub stdout|stderr|FILE DST")
	}
	text := ts.ReadFile(args[0])
	for _, c := range clockValues {
		text = c.re.ReplaceAllString(text, c.repl)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(text), 0o600))
}
