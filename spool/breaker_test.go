package spool

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// clock is a settable time for a breaker.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newBreaker(t *testing.T, c *clock) *Breaker {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "spool")
	return &Breaker{Dir: Dir{Path: dir}, Failures: 3, Cooldown: time.Minute, Lease: 10 * time.Second, Now: c.now}
}

const origin = "https://api.example.com"

// TestBreakerCycle: closed until the third consecutive failure; open for
// the cooldown; then one probe, while other sends keep spooling; a failed
// probe opens it again for a whole cooldown, a delivered one closes it.
// An answer that is no outage resets the count.
func TestBreakerCycle(t *testing.T) {
	c := &clock{time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)}
	b := newBreaker(t, c)
	if g := b.Allow(origin); g.Open || g.Probe {
		t.Fatalf("new breaker: %+v", g)
	}
	b.Record(origin, false, "i/o timeout")
	b.Record(origin, false, "i/o timeout")
	b.Record(origin, true, "")
	if st, _ := b.read(origin); st.Failures != 0 {
		t.Fatalf("an answer did not reset the count: %+v", st)
	}
	for i := range 3 {
		_, opened := b.Record(origin, false, "503 Service Unavailable")
		if opened != (i == 2) {
			t.Fatalf("failure %d: opened %v", i+1, opened)
		}
	}
	g := b.Allow(origin)
	if !g.Open || g.State.Failures != 3 || g.State.LastError != "503 Service Unavailable" || !g.NextProbe.Equal(c.t.Add(time.Minute)) {
		t.Fatalf("after 3 failures: %+v", g)
	}
	c.t = c.t.Add(time.Minute)
	if g := b.Allow(origin); !g.Probe {
		t.Fatalf("after the cooldown: %+v, want the probe", g)
	}
	if g := b.Allow(origin); !g.Open {
		t.Fatalf("during the probe: %+v, want open for the others", g)
	}
	if _, opened := b.Record(origin, false, "connection refused"); !opened {
		t.Fatal("a failed probe did not open it again")
	}
	c.t = c.t.Add(59 * time.Second)
	if g := b.Allow(origin); !g.Open {
		t.Fatalf("59s after a failed probe: %+v, want open", g)
	}
	c.t = c.t.Add(time.Second)
	if g := b.Allow(origin); !g.Probe {
		t.Fatalf("a cooldown after the failed probe: %+v, want the probe", g)
	}
	c.t = c.t.Add(11 * time.Second) // the probe's lease ran out: it died
	if g := b.Allow(origin); !g.Probe {
		t.Fatalf("after the lease: %+v, want another probe", g)
	}
	b.Record(origin, true, "")
	if g := b.Allow(origin); g.Open || g.Probe {
		t.Fatalf("after a delivered probe: %+v, want closed", g)
	}
	if _, err := os.Stat(filepath.Join(b.Dir.Path, stateName(origin))); !os.IsNotExist(err) {
		t.Errorf("a closed breaker left its state file: %v", err)
	}
}

// TestBreakerBadState: a state file that is corrupt, of another version,
// of another origin or too large is ignored (the breaker is closed), and
// replaced by the next record.
func TestBreakerBadState(t *testing.T) {
	for name, content := range map[string]string{
		"corrupt":        "{not json",
		"other version":  `{"version": 2, "origin": "https://api.example.com", "failures": 9, "opened": "2026-12-02T04:00:00Z"}`,
		"other origin":   `{"version": 1, "origin": "https://other.example.com", "failures": 9, "opened": "2026-12-02T04:00:00Z"}`,
		"negative count": `{"version": 1, "origin": "https://api.example.com", "failures": -5}`,
		"empty":          "",
	} {
		t.Run(name, func(t *testing.T) {
			c := &clock{time.Date(2026, 12, 2, 4, 0, 30, 0, time.UTC)}
			b := newBreaker(t, c)
			if err := b.Dir.ensure(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(b.Dir.Path, stateName(origin))
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if g := b.Allow(origin); g.Open {
				t.Fatalf("a bad state file opened the breaker: %+v", g)
			}
			b.Record(origin, false, "timeout")
			st, ok := b.read(origin)
			if !ok || st.Failures != 1 {
				t.Errorf("after a failure: %+v, %v; want a new state with 1 failure", st, ok)
			}
		})
	}
}

// TestBreakerShared: breakers of the same directory in many goroutines
// (each like another process: the lock is a file's, not a mutex) count
// every failure once.
func TestBreakerShared(t *testing.T) {
	c := &clock{time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)}
	b := newBreaker(t, c)
	b.Failures = 1000
	var wg sync.WaitGroup
	const n, each = 8, 25
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := *b
			for range each {
				mine.Record(origin, false, "timeout")
			}
		}()
	}
	wg.Wait()
	if st, _ := b.read(origin); st.Failures != n*each {
		t.Errorf("failures: got %d, want %d", st.Failures, n*each)
	}
}
