package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/internal/human"
	"github.com/jobnotify/jobnotify/internal/weburl"
	"github.com/jobnotify/jobnotify/notify"
	"github.com/jobnotify/jobnotify/redact"
	"github.com/jobnotify/jobnotify/spool"
)

// Flush on send: how many of its target's spooled notifications a send
// delivers first, and within how long at most (and at most max_time).
const (
	flushOnSendItems  = 3
	flushOnSendBudget = 3 * time.Second
)

// delivery is one send's way to its receivers when a spool is set: the
// breaker of each origin it sends to, and the gates it holds, so that a
// send that got to probe goes on sending until a failure.
type delivery struct {
	a       *app
	s       *config.Settings
	sp      spool.Dir
	breaker *spool.Breaker
	gates   map[string]spool.Gate
}

// deliver sends req under s. Without a spool that is one client.Send.
// With one, req goes through its origin's breaker — spooled without a try
// while the breaker is open, unless it may not wait in the spool — and is
// spooled when its delivery fails; once it is delivered, the origin is up,
// and the send flushes a few of its target's spooled notifications (flush
// on send, where the build's credentials are). The current notification
// goes first: the backlog never delays it, and is tried only against an
// origin that has just answered.
func (a *app) deliver(ctx context.Context, s *config.Settings, req *notify.Request, inputs []string) (*notify.Result, error) {
	client, err := a.client(s)
	if err != nil {
		return nil, err
	}
	if s.SpoolDir == "" {
		return client.Send(ctx, req)
	}
	d := a.newDelivery(s)
	sp := d.sp
	origin := weburl.OriginKey(s.URL)
	// What the spool would keep, worked out only when it is needed: a
	// delivered send never is.
	spoolable := sync.OnceValue(func() keepable {
		rec, secrets, why := a.spoolRecord(s, req, inputs)
		return keepable{rec, secrets, why}
	})
	// keep saves the notification after a failed delivery, with where
	// it was going, so that flush sends it there and nowhere else; or
	// says why it may not (spoolRecord).
	keep := func(res *notify.Result, err error) {
		if res != nil && res.MaybePosted {
			a.logf("not saved to the spool: a chat message that may have been posted is not sent again")
			return
		}
		sr := spoolable()
		if sr.rec == nil {
			a.logf("not saved to the spool: %s", sr.why)
			return
		}
		sr.rec.LastError = err.Error()
		if res != nil {
			sr.rec.Attempts = res.Attempts
		}
		sp.Keep(sr.rec, sr.secrets.Contains)
	}
	if g := d.allow(origin); g.Open {
		if spoolable().rec != nil {
			err := &notify.DeliveryError{Class: notify.ClassBreaker, Where: req.Where(),
				Err: fmt.Errorf("%s: not sent, saved to the spool: the breaker is open after %s", req.Where(), g)}
			res := &notify.Result{ID: req.ID, ErrorClass: err.Class, Error: err.Error()}
			keep(res, err)
			return res, err
		}
		// Spooled, it would be lost: try it, breaker or not.
		a.logf("the breaker of %s is open, but this notification may not wait in the spool (%s): sending it anyway", origin, spoolable().why)
	}
	res, err := client.Send(ctx, req)
	d.record(origin, res, err)
	if err != nil {
		keep(res, err)
		return res, err
	}
	if s.FlushOnSend {
		d.flushSome(ctx)
	}
	return res, nil
}

// newDelivery is a delivery under s, which has a spool.
func (a *app) newDelivery(s *config.Settings) *delivery {
	sp := a.spool(s)
	return &delivery{a: a, s: s, sp: sp, gates: map[string]spool.Gate{},
		breaker: &spool.Breaker{Dir: sp, Failures: s.Breaker.Failures, Cooldown: s.Breaker.Cooldown,
			Lease: s.Retry.MaxTime + flushOnSendBudget}}
}

// saveFirst and deliverSaved deliver a notification that must outlive
// this process, which may be killed at any moment (run's ABORTED, which
// Jenkins follows with SIGKILL): saveFirst saves it to the spool before
// any attempt (synced to disk) and returns the file, held, so that no
// flush takes it meanwhile (a flush on send of this very process, after
// the start's delivery, would); deliverSaved then delivers it, removes
// the file once it is delivered, and lets it go. There is no flush on
// send after it: there is no time. A notification not saved — no spool,
// or one that may not be kept — deliverSaved sends as deliver does.
func (a *app) saveFirst(s *config.Settings, req *notify.Request, inputs []string) *spool.Claim {
	if s.SpoolDir == "" {
		return nil
	}
	rec, secrets, _ := a.spoolRecord(s, req, inputs)
	if rec == nil {
		return nil // deliver says why, should it fail
	}
	rec.LastError = "saved before its first attempt, as jobnotify was stopping"
	return a.spool(s).KeepHeld(rec, secrets.Contains)
}

// deliverSaved is the second half of saveFirst.
func (a *app) deliverSaved(ctx context.Context, s *config.Settings, req *notify.Request, inputs []string, held *spool.Claim) (*notify.Result, error) {
	if held == nil {
		return a.deliver(ctx, s, req, inputs)
	}
	client, err := a.client(s)
	if err != nil {
		held.Release()
		return nil, err
	}
	return a.newDelivery(s).sendKept(ctx, client, weburl.OriginKey(s.URL), req, held)
}

// sendKept delivers req, saved a moment ago in the spool and held,
// through origin's breaker, and removes the file once it is delivered; a
// failure leaves it there, recording the attempts. Either way it lets
// the file go.
func (d *delivery) sendKept(ctx context.Context, client *notify.Client, origin string, req *notify.Request, held *spool.Claim) (*notify.Result, error) {
	if g := d.allow(origin); g.Open {
		held.Release()
		err := &notify.DeliveryError{Class: notify.ClassBreaker, Where: req.Where(),
			Err: fmt.Errorf("%s: not sent, left in the spool: the breaker is open after %s", req.Where(), g)}
		d.a.logf("%v", err)
		return &notify.Result{ID: req.ID, ErrorClass: err.Class, Error: err.Error()}, err
	}
	var (
		res  *notify.Result
		serr error
	)
	err := d.sp.Offer(ctx, held, func(ctx context.Context, _ string, _ *spool.Record) (int, error) {
		res, serr = client.Send(ctx, req)
		d.record(origin, res, serr)
		if res == nil {
			return 0, serr
		}
		return res.Attempts, dropIfPosted(serr)
	})
	if res == nil && serr == nil {
		// Never sent: the file could not be read back (flush reports
		// it).
		return nil, fmt.Errorf("%s: left in the spool: %w", req.Where(), err)
	}
	return res, serr
}

// keepable is what spoolRecord says of a notification.
type keepable struct {
	rec     *spool.Record
	secrets *redact.Redactor
	why     string
}

// allow asks origin's breaker whether a delivery may go. A pass is kept
// for the rest of this send: a probe, once let through, is not refused
// by its own lease.
func (d *delivery) allow(origin string) spool.Gate {
	if origin == "" {
		return spool.Gate{}
	}
	if g, ok := d.gates[origin]; ok {
		return g
	}
	g := d.breaker.Allow(origin)
	if g.Probe && !d.a.quiet {
		d.a.logf("breaker: probing %s after %s", origin, human.Elapsed(d.s.Breaker.Cooldown))
	}
	if !g.Open {
		d.gates[origin] = g
	}
	return g
}

// record tells origin's breaker how a delivery went: the origin was up
// when it answered (delivered, or a status that is no outage), down when
// it did not or answered 408, 429 or 5xx. An interrupted send says
// nothing about the origin.
func (d *delivery) record(origin string, res *notify.Result, err error) (down bool) {
	var de *notify.DeliveryError
	up := err == nil
	if err != nil && !errors.As(err, &de) {
		return false // nothing was sent (a request that cannot be made): the origin is as it was
	}
	if de != nil {
		switch de.Class {
		case notify.ClassInterrupted, notify.ClassInput, notify.ClassBreaker:
			return false
		case notify.ClassStatus, notify.ClassRedirect, notify.ClassTLS:
			code := 0
			if res != nil {
				code = res.StatusCode
			}
			up = code != http.StatusRequestTimeout && code != http.StatusTooManyRequests && code < 500
		}
	}
	if !up {
		delete(d.gates, origin) // a failure ends a probe's pass
	}
	if origin == "" {
		return !up // no origin to keep a breaker for (a URL jobnotify cannot parse)
	}
	if st, opened := d.breaker.Record(origin, up, fmt.Sprint(err)); opened && !d.a.quiet {
		d.a.logf("breaker: %s failed %s in a row: sends to it go to the spool for %s, then one probes", origin, human.Plural(st.Failures, "time"), human.Elapsed(d.s.Breaker.Cooldown))
	}
	return !up
}

// flushSome delivers up to flushOnSendItems of this target's spooled
// notifications, oldest first, each in one attempt, all within
// min(flushOnSendBudget, max_time). It stops at the first that finds its
// origin down; one its receiver rejects (a 4xx) stays, recorded, and the
// next is tried. Each goes to the destination it recorded, with headers
// from this target's settings for that origin only (spooledRequest):
// another target's notifications are left to its sends and to flush,
// never sent with this one's credentials.
func (d *delivery) flushSome(ctx context.Context) {
	budget := min(flushOnSendBudget, d.s.Retry.MaxTime)
	deadline := time.Now().Add(budget)
	mainOrigin := weburl.OriginKey(d.s.URL)
	fctx, stop := context.WithDeadline(ctx, deadline)
	defer stop()
	mine := func(rec *spool.Record) bool { return rec.Target == d.s.Target }
	d.sp.FlushSome(fctx, flushOnSendItems, mine, func(_ context.Context, name string, rec *spool.Record) (int, error) {
		rs, req, err := d.a.spooledRequest(d.a.loaded, name, rec)
		if err != nil {
			return 0, err
		}
		origin := weburl.OriginKey(rs.URL)
		if d.allow(origin).Open {
			return 0, spool.ErrKeep
		}
		left := time.Until(deadline)
		if left < 10*time.Millisecond {
			return 0, spool.ErrKeep
		}
		once := *rs
		once.Timeout = min(rs.Timeout, left)
		once.Retry.Attempts, once.Retry.MaxTime = 1, left
		client, err := d.a.client(&once)
		if err != nil {
			return 0, err
		}
		// ctx, not fctx: the attempt's own timeout ends it within the
		// budget.
		res, err := client.Send(ctx, req)
		attempts := 0
		if res != nil {
			attempts = res.Attempts
		}
		var de *notify.DeliveryError
		if once.Timeout < rs.Timeout && origin == mainOrigin && errors.As(err, &de) && (de.Class == notify.ClassTimeout || de.Class == notify.ClassMaxTime) {
			// Cut short by the budget, not by the target's timeout, at
			// the origin that has just answered this send: slow, not
			// down. (Another origin, one only spooled notifications
			// name, counts as down: else each send would wait for it.)
			stop()
			if de.MaybePosted {
				return attempts, dropIfPosted(err)
			}
			return attempts, fmt.Errorf("not delivered within flush on send's %s (left for the next send or flush): %w", human.Elapsed(budget), err)
		}
		if d.record(origin, res, err) {
			stop() // down: the rest would fail the same way
		}
		if err == nil && !d.a.quiet {
			d.a.logf("flushed %s (spooled %s): %s -> %s", rec.ID, rec.Created.UTC().Format(time.RFC3339), req.Where(), notify.StatusLine(res.StatusCode))
		}
		return attempts, dropIfPosted(err)
	})
}

// dropIfPosted is the error of a spooled notification's delivery as
// spool's Deliver returns it: a chat message that may have been posted
// leaves the spool (spool.Drop), since sending it again would post it
// twice.
func dropIfPosted(err error) error {
	var de *notify.DeliveryError
	if errors.As(err, &de) && de.MaybePosted {
		return spool.Drop(err)
	}
	return err
}
