package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/internal/weburl"
	"github.com/jobnotify/jobnotify/notify"
	"github.com/jobnotify/jobnotify/spool"
)

func (a *app) flushCommand() *cli.Command {
	return &cli.Command{
		Name:      "flush",
		Usage:     "resend the notifications saved in the spool ([spool] dir), oldest first",
		UsageText: "jobnotify flush [--dry-run]",
		Description: `Each saved notification is sent with its original id and body to where send
sent it: the URL --url or $JOBNOTIFY_URL gave send (recorded in the file),
else its target's URL in the current config. Headers and signing come from
the current config, so a rotated token works, and config headers still go
only to their own origin. send's --header values are never spooled.
Delivered ones are removed; failed ones stay, with their error updated.
Each file's target is resolved when it is sent: one that needs a ${VAR}
not set here is skipped, naming it, and stays; an empty spool needs none.
A file another flush is sending is skipped; a file another user could have
written is reported and never sent.
Exit status: 0 when the spool is empty afterwards, 1 otherwise, 2 when the
directory is not trusted (not yours, or writable by group or others).`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the requests, secrets as ***, and send nothing"},
		},
		Action: a.flush,
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
	// Only to find the spool: spool.dir is never expanded, so this needs
	// no variable set. Each file's own target is resolved as it is sent,
	// so an empty spool needs none of the build's secrets (a cron flush).
	target, err := a.oneTarget(c)
	if err != nil {
		return err
	}
	base, err := a.resolveOffline(f, target, config.Overrides{})
	if err != nil {
		return err
	}
	if base.SpoolDir == "" {
		return errors.New("spool.dir: not set, so there is no spool to flush")
	}
	dry := c.Bool("dry-run")
	deliver := func(ctx context.Context, name string, rec *spool.Record) (int, error) {
		s, req, err := a.spooledRequest(f, name, rec)
		if err != nil {
			return 0, err
		}
		if dry {
			req.Sign(time.Now())
			fmt.Fprintf(a.stdout, "# %s\n", name)
			_ = req.Dump(a.stdout)
			return 0, spool.ErrKeep
		}
		client, err := a.client(s)
		if err != nil {
			return 0, spool.Abort(err)
		}
		res, err := client.Send(ctx, req)
		if res == nil { // no request could be made of it: nothing was attempted
			return 0, err
		}
		if err == nil && !a.quiet {
			a.logf("flushed %s: %s -> %s (%s)", rec.ID, req.Where(), notify.StatusLine(res.StatusCode), human.Plural(res.Attempts, "attempt"))
		}
		return res.Attempts, dropIfPosted(err)
	}
	err = a.spool(base).Flush(c.Context, deliver)
	var left *spool.LeftError
	if dry && errors.As(err, &left) {
		return nil // a dry run leaves every file, as it should
	}
	return err
}

// spooledRequest rebuilds a saved notification's request: its id, method
// and bytes, to the URL it recorded (else its target's), with headers and
// signing from the current config. Of the file's headers
// (*spool.Claim).Load has kept only the format's own.
func (a *app) spooledRequest(f *config.File, name string, rec *spool.Record) (*config.Settings, *notify.Request, error) {
	var ov config.Overrides
	if rec.URL != "" {
		// Where send sent it: the config's headers go only to their
		// origin, as they did then.
		if err := ov.Set("url", rec.URL, name+": url"); err != nil {
			return nil, nil, err
		}
	}
	s, err := a.resolve(f, rec.Target, ov)
	if err != nil {
		return nil, nil, err
	}
	if err := s.NeedURL(); err != nil {
		return nil, nil, err
	}
	if len(s.Dropped) > 0 && !a.quiet {
		a.logf("%s: not sending config header(s) %s: they were not configured for the origin (scheme, host and port) of %s, where it was sent",
			name, strings.Join(s.Dropped, ", "), weburl.Origin(s.URL))
	}
	if note := notify.KeepTrace(rec.Header); note != "" {
		a.logf("%s: %s", name, note)
	}
	e := notify.EndpointOf(s)
	e.Format = rec.Format // the format of its bytes: how they are retried
	req, err := notify.NewRequest(e, rec.Method, rec.ID, notify.PiecesOf(rec.Body), rec.Query, getVersion(), rec.Header)
	return s, req, err
}
