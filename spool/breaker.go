package spool

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Breaker is the circuit breaker of the origins (scheme, host and port)
// this spool's notifications go to, kept as one small file per origin in
// the spool directory, so that every send on the host — and on every
// host sharing the volume — sees the same state. After Failures
// consecutive failed deliveries to an origin it is open: sends go
// straight to the spool for Cooldown, then one send probes the origin
// and, delivered, closes it.
//
// A state file is read and written under an OS lock on the directory's
// .breaker.lock (the lock rule of the spool's files: the kernel drops a
// dead process's lock). A state file that is corrupt, of another
// version or not trusted is ignored (and replaced by the next record):
// the breaker never stops a send by failing itself.
type Breaker struct {
	Dir      Dir
	Failures int           // consecutive failures that open it; 0 turns it off
	Cooldown time.Duration // how long it stays open before a probe
	// Lease is how long a probe has before another send may probe: the
	// probe's own budget, after which it has delivered, failed or died.
	Lease time.Duration
	Now   func() time.Time // time.Now when nil
}

// breakerVersion is the version of the state files.
const breakerVersion = 1

// BreakerState is an origin's record in the spool directory.
type BreakerState struct {
	Version   int       `json:"version"`
	Origin    string    `json:"origin"`               // redacted
	Failures  int       `json:"failures"`             // consecutive failed deliveries
	Opened    time.Time `json:"opened,omitzero"`      // when it opened; zero while closed
	Probe     time.Time `json:"probe_until,omitzero"` // a probe is under way until then
	LastError string    `json:"last_error,omitempty"` // redacted
}

// Gate is what Allow decides for one delivery.
type Gate struct {
	Open  bool // do not send: spool it
	Probe bool // send: this delivery is the probe after a cooldown
	// When the breaker is open: since when, the failures that opened it,
	// the last error and when the next probe may go.
	State     BreakerState
	NextProbe time.Time
}

func (b *Breaker) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Breaker) on() bool { return b != nil && b.Failures > 0 && b.Dir.Path != "" }

// stateName is the file of an origin's state: a digest of the origin,
// so that no host name becomes a file name.
func stateName(origin string) string {
	sum := sha256.Sum256([]byte(origin))
	return ".breaker-" + hex.EncodeToString(sum[:8]) + ".json"
}

// Allow says whether a delivery to origin may go. Closed, it goes. Open,
// it does not until Cooldown has passed since it opened; then the first
// send to ask is the probe (its lease recorded, so concurrent sends keep
// spooling), and the others wait for its outcome.
func (b *Breaker) Allow(origin string) Gate {
	if !b.on() {
		return Gate{}
	}
	// Most sends find no file, or one below the threshold: no lock.
	st, ok := b.read(origin)
	if !ok || st.Failures < b.Failures {
		return Gate{}
	}
	var g Gate
	b.locked(func() {
		st, ok := b.read(origin)
		if !ok || st.Failures < b.Failures {
			g = Gate{}
			return
		}
		now := b.now()
		next := st.Opened.Add(b.Cooldown)
		switch {
		case now.Before(next):
			g = Gate{Open: true, State: st, NextProbe: next}
		case now.Before(st.Probe):
			g = Gate{Open: true, State: st, NextProbe: st.Probe}
		default:
			st.Probe = now.Add(b.Lease)
			b.write(origin, st)
			g = Gate{Probe: true, State: st}
		}
	})
	return g
}

// Record notes the outcome of a delivery to origin: up (the origin
// answered: delivered, or a 4xx that is no outage) closes the breaker;
// down (no answer, a timeout, 408, 429, 5xx) counts one more failure,
// and the Failures-th opens it, as does a failed probe. errText is
// kept, redacted by the Dir, for spool status. It returns the state and
// whether this record opened the breaker.
func (b *Breaker) Record(origin string, up bool, errText string) (st BreakerState, opened bool) {
	if !b.on() {
		return st, false
	}
	if up {
		if _, ok := b.read(origin); !ok {
			return st, false // closed, and nothing to change: no lock
		}
		b.locked(func() {
			if err := os.Remove(filepath.Join(b.Dir.Path, stateName(origin))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				b.Dir.logf("breaker: %v", err)
			}
		})
		return st, false
	}
	b.locked(func() {
		st, _ = b.read(origin)
		probing := !st.Probe.IsZero()
		st.Failures++
		st.LastError = b.Dir.redact(errText)
		st.Probe = time.Time{}
		if st.Failures == b.Failures || st.Failures > b.Failures && (probing || st.Opened.IsZero()) {
			st.Opened, opened = b.now(), true // opens, or a failed probe opens it again
		}
		b.write(origin, st)
	})
	return st, opened
}

// read returns an origin's state; ok is false when there is none, or
// none to trust: missing, not a regular file of this user's, corrupt, of
// another version or of another origin.
func (b *Breaker) read(origin string) (BreakerState, bool) {
	st, ok := readState(filepath.Join(b.Dir.Path, stateName(origin)))
	if !ok || st.Origin != b.Dir.redact(origin) {
		return BreakerState{}, false
	}
	return st, true
}

// readState reads the state file at path: ok is false when it is
// missing, not a regular file of this user's, too large, corrupt or of
// another version.
func readState(path string) (st BreakerState, ok bool) {
	fi, err := os.Lstat(path)
	if err != nil || untrustedFile(path, fi) != "" || fi.Size() > 64<<10 {
		return st, false
	}
	data, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(data, &st) != nil || st.Version != breakerVersion || st.Failures < 0 {
		return BreakerState{}, false
	}
	return st, true
}

func (b *Breaker) write(origin string, st BreakerState) {
	st.Version, st.Origin = breakerVersion, b.Dir.redact(origin)
	if _, err := b.Dir.writeJSON(filepath.Join(b.Dir.Path, stateName(origin)), st, false); err != nil {
		b.Dir.logf("breaker: %v", err)
	}
}

// lockWait is how long locked waits for another process's lock before
// going on without it: a state file is held for the time of one small
// read and write, so only a stopped process holds it longer.
const lockWait = time.Second

// locked runs f holding the lock of the directory's breaker files,
// making the directory as Save does when it is missing. When it is not
// trusted, or the lock does not come within lockWait, f does not run:
// the breaker stays as it was.
func (b *Breaker) locked(f func()) {
	if err := b.Dir.ensure(); err != nil {
		var ue *UntrustedError
		if !errors.As(err, &ue) { // which Save reports
			b.Dir.logf("breaker: %v", err)
		}
		return
	}
	path := filepath.Join(b.Dir.Path, ".breaker.lock")
	if lf, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		lf.Close()
	}
	deadline := b.now().Add(lockWait)
	for {
		lf, err := openLocked(path)
		if err == nil {
			defer lf.Close()
			f()
			return
		}
		if !errors.Is(err, errLocked) || b.now().After(deadline) {
			b.Dir.logf("breaker: %s: %v (state unchanged)", path, err)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Breakers lists the state of every origin the directory has one for,
// for spool status.
func (sp Dir) Breakers() []BreakerState {
	entries, err := os.ReadDir(sp.Path)
	if err != nil {
		return nil
	}
	var out []BreakerState
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, ".breaker-") || !strings.HasSuffix(n, ".json") {
			continue
		}
		if st, ok := readState(filepath.Join(sp.Path, n)); ok {
			out = append(out, st)
		}
	}
	return out
}

// String says what an open breaker means, for the line a send prints.
func (g Gate) String() string {
	return fmt.Sprintf("%d consecutive failed deliveries to %s since %s (last: %s); the next probe goes after %s",
		g.State.Failures, g.State.Origin, g.State.Opened.UTC().Format(time.RFC3339), g.State.LastError, g.NextProbe.UTC().Format(time.RFC3339))
}
