package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/internal/weburl"
)

// A dest is one target a call sends to: its settings, and the app its
// lines go through, which starts each with the target's name when the
// call has several.
type dest struct {
	a    *app
	name string // "" for the top level
	s    *config.Settings
	call []string // the names of every target of the call, when it has several
}

// targetError is the error of one target of a call, found before
// anything was sent. It names the target when the call has several.
type targetError struct {
	name  string
	s     *config.Settings // nil when they did not resolve
	err   error
	shown bool
	call  []string // every target of the call, when it has several: none gets its notification
}

func (e *targetError) Error() string {
	if e.shown {
		return "target " + e.name + ": " + e.err.Error()
	}
	return e.err.Error()
}

func (e *targetError) Unwrap() error { return e.err }

// callTargets are the targets a call sends to: those --target (or
// $JOBNOTIFY_TARGET) names, comma-separated or repeated; else the file's
// default_targets; else the top level. An empty --target ("") is the
// top level, whatever default_targets says.
func (a *app) callTargets(c *cli.Context, f *config.File) ([]string, error) {
	v, where, ok := a.value(c, "target")
	switch {
	case !ok && f != nil && len(f.DefaultTargets()) > 0:
		return f.DefaultTargets(), nil
	case strings.TrimSpace(v) == "":
		return []string{""}, nil
	}
	var names []string
	for _, n := range strings.Split(v, ",") {
		n = strings.TrimSpace(n)
		var err error
		switch {
		case n == "":
			err = &config.Error{Where: where, Err: fmt.Errorf("an empty name in %q", v)}
		case slices.Contains(names, n):
			err = &config.Error{Where: where, Err: fmt.Errorf("%s is named twice", n)}
		}
		if err != nil && strings.HasPrefix(where, "--") {
			// The pipeline's own mistake, the same on every agent: never
			// soft, unlike a --target the agent's config lacks.
			return nil, &callError{err}
		}
		if err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, nil
}

// oneTarget is the target of a command that works on one (validate, env,
// listen, flush): several are an error.
func (a *app) oneTarget(c *cli.Context) (string, error) {
	v, where, _ := a.value(c, "target")
	if strings.Contains(v, ",") {
		return "", &config.Error{Where: where, Err: fmt.Errorf("%q names several targets; %s works on one", v, c.Command.Name)}
	}
	return strings.TrimSpace(v), nil
}

// dests resolves every target of a send or run, each with its URL: the
// first that does not resolve is an error naming it, and nothing is sent
// to any.
func (a *app) dests(c *cli.Context, ov config.Overrides) ([]dest, error) {
	f, err := a.loadConfig(c)
	if err != nil {
		return nil, err
	}
	names, err := a.callTargets(c, f)
	if err != nil {
		return nil, byCall(err)
	}
	several := len(names) > 1
	ds := make([]dest, 0, len(names))
	for _, name := range names {
		d := dest{a: a, name: name}
		if several {
			d.a, d.call = a.named(name), names
		}
		s, err := d.a.resolve(f, name, ov)
		if err != nil {
			return nil, d.fail(byCall(err), several) // --url ftp://…, --attempts 0
		}
		d.s = s
		if err := s.NeedURL(); err != nil {
			return nil, d.fail(err, several)
		}
		if len(s.Dropped) > 0 && !a.quiet {
			d.a.logf("warning: not sending config header(s) %s: they were not configured for the origin (scheme, host and port) of %s (pass them with --header to send them)",
				strings.Join(s.Dropped, ", "), weburl.Origin(s.URL))
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// fail is a targetError of d.
func (d dest) fail(err error, several bool) error {
	return &targetError{name: d.name, s: d.s, err: err, shown: several, call: d.call}
}

// named is a for one target of several: its lines start with the name.
func (a *app) named(target string) *app {
	n := *a
	n.prefix = target + ": "
	return &n
}

// each calls fn for every i from 0 to n-1, concurrently when n > 1, and
// waits for all of them: the targets of a call are sent to at once.
func each(n int, fn func(i int)) {
	if n == 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}
