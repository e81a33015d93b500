package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/internal/weburl"
	"github.com/jobnotify/jobnotify/notify"
)

func (a *app) flushCommand() *cli.Command {
	return &cli.Command{
		Name:      "flush",
		Usage:     "resend the notifications saved in the spool ([spool] dir), oldest first",
		UsageText: "jobnotify flush [--dry-run]",
		Description: `Each saved notification is sent with its original id and body; URL, headers
and signing come from the current config, so a rotated token works.
Delivered ones are removed; failed ones stay, with their error updated.
Exit status: 0 when the spool is empty afterwards, 1 otherwise.`,
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
	base, err := a.resolve(f, a.str(c, "target"), config.Overrides{})
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
				a.logf("flushed %s: %s %s -> %s (%s)", rec.ID, req.Method, weburl.Origin(s.URL), notify.StatusLine(res.StatusCode), human.Plural(res.Attempts, "attempt"))
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
