// Command compare is the timing half of bench/run.sh: it runs groups of
// commands in rotation (A B C A B C …, after a warm-up), and prints for
// each command the median wall time, the median of its per-round ratios to
// the group's first command, and its peak resident set size.
//
// Wall times come from the timed rounds alone. Peak RSS is measured in
// separate runs afterwards (-rss-runs per command) under GNU time -f %M
// (wait4's ru_maxrss of a child forked by a small C program). A Go parent
// cannot read it itself: os/exec starts children with CLONE_VM, so the
// child's ru_maxrss starts at the parent's own RSS. Without GNU time, peak
// RSS is VmHWM sampled from /proc/PID/status every 200µs, a lower bound.
//
// It is not meant to be run by hand: bench/run.sh builds the binaries,
// starts bench/server and passes their paths.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

type options struct {
	jobnotify, label, minpost, curl, gnuTime string
	variants                                 variants
	url, dir                                 string
	rounds, bigRounds, warmup, rssRuns       int
	groups                                   string // the groups to run, by number, space- or comma-separated; empty: all
}

// variants are other builds of jobnotify, "LABEL=PATH", timed beside the
// headline build in the small groups.
type variants [][2]string

func (v *variants) String() string { return fmt.Sprint(*v) }

func (v *variants) Set(s string) error {
	label, path, ok := strings.Cut(s, "=")
	if !ok || label == "" || path == "" {
		return fmt.Errorf("want LABEL=PATH, got %q", s)
	}
	*v = append(*v, [2]string{label, path})
	return nil
}

func main() {
	var o options
	flag.StringVar(&o.jobnotify, "jobnotify", "", "jobnotify binary")
	flag.StringVar(&o.label, "label", "jobnotify send", "label of the -jobnotify rows")
	flag.Var(&o.variants, "variant", "another build, `LABEL=PATH`, timed in the small groups; repeatable")
	flag.StringVar(&o.minpost, "minpost", "", "bench/minpost binary")
	flag.StringVar(&o.curl, "curl", "", "curl binary; empty skips the curl rows")
	flag.StringVar(&o.gnuTime, "gnu-time", "", "GNU time binary for peak RSS; empty samples /proc instead")
	flag.StringVar(&o.url, "url", "", "base URL of bench/server")
	flag.StringVar(&o.dir, "dir", "", "scratch directory")
	flag.IntVar(&o.rounds, "rounds", 30, "measured rounds per small group")
	flag.IntVar(&o.bigRounds, "big-rounds", 20, "measured rounds per large-body group")
	flag.IntVar(&o.warmup, "warmup", 3, "unmeasured rounds first")
	flag.IntVar(&o.rssRuns, "rss-runs", 5, "runs per command for peak RSS")
	flag.StringVar(&o.groups, "groups", "", "run only these `GROUPS`, by number (\"1 2b 2c\"); empty runs all")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("compare: ")
	if o.jobnotify == "" || o.minpost == "" || o.url == "" || o.dir == "" {
		log.Fatal("need -jobnotify, -minpost, -url and -dir")
	}
	if err := run(o, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// command is one program line of a group.
type command struct {
	label string
	argv  []string

	wall []time.Duration
	rss  []int64 // peak RSS per RSS run, KiB
}

// group is commands measured in rotation against each other.
type group struct {
	name   string
	rounds int
	cmds   []*command
	ratios [][]float64 // per command: its wall time / the first's, per round
}

func run(o options, w io.Writer) error {
	env := jenkinsEnv(o.dir)
	f, err := prepare(o, env, o.selected("5") || o.selected("5b"))
	if err != nil {
		return err
	}
	hdr := []string{
		"Authorization: Bearer " + benchToken,
		"X-Team: platform",
		"Content-Type: application/json",
		"User-Agent: jobnotify/dev",
		"Idempotency-Key: 3b0c5c1e-7d1c-4a5e-9a59-0e4b1c2d3e4f",
	}
	curl := func(file string) []string {
		a := []string{o.curl, "-sS", "-f", "-o", "/dev/null", "-X", "POST"}
		for _, h := range hdr {
			a = append(a, "-H", h)
		}
		return append(a, "--data-binary", "@"+file, f.hook)
	}
	minpost := func(file string) []string { return append([]string{o.minpost, f.hook, file}, hdr...) }
	jn := func(bin string, extra ...string) []string {
		return append([]string{bin, "--config", f.config, "send", "--status", "SUCCESS"}, extra...)
	}
	small := []string{"--body", smallBody}
	withCurl := func(cmds ...*command) []*command {
		if o.curl == "" {
			return slices.DeleteFunc(cmds, func(c *command) bool { return c.argv[0] == "" })
		}
		return cmds
	}

	groups := []*group{
		{name: "1. small send", rounds: o.rounds, cmds: withCurl(
			&command{label: o.label, argv: jn(o.jobnotify, small...)},
			&command{label: "curl -sS -X POST", argv: curl(f.smallPayload)},
			&command{label: "bench/minpost", argv: minpost(f.smallPayload)},
		)},
		// The parts of the small send, each a whole process: a Go
		// program's start and exit (minpost's, which links net/http),
		// jobnotify's start with its command line parsed (version),
		// everything but the request (a dry run), and the POST alone.
		{name: "1b. a small send's parts", rounds: o.rounds, cmds: []*command{
			{label: o.label, argv: jn(o.jobnotify, small...)},
			{label: "bench/minpost -start (start and exit)", argv: []string{o.minpost, "-start"}},
			{label: "bench/minpost (start, POST, exit)", argv: minpost(f.smallPayload)},
			{label: "jobnotify version (start, command line, exit)", argv: []string{o.jobnotify, "version"}},
			{label: "jobnotify send --dry-run (all but the request)", argv: jn(o.jobnotify, append(small, "--dry-run")...)},
		}},
		{name: "2a. 1 MiB --body @file", rounds: o.bigRounds, cmds: withCurl(
			&command{label: o.label, argv: jn(o.jobnotify, "--body", "@"+f.body1)},
			&command{label: "curl --data-binary @file", argv: curl(f.body1)},
			&command{label: "bench/minpost", argv: minpost(f.body1)},
		)},
		{name: "2b. 10 MiB --body @file", rounds: o.bigRounds, cmds: withCurl(
			&command{label: o.label, argv: jn(o.jobnotify, "--body", "@"+f.body10)},
			&command{label: "curl --data-binary @file", argv: curl(f.body10)},
			&command{label: "bench/minpost", argv: minpost(f.body10)},
		)},
		{name: "2c. 10 MiB, 3 attempts (503, 503, 200)", rounds: o.bigRounds / 2, cmds: []*command{
			{label: "jobnotify send, 1 attempt", argv: jn(o.jobnotify, "--target", "fast", "--body", "@"+f.body10)},
			{label: "jobnotify send, 3 attempts", argv: jn(o.jobnotify, "--target", "fast", "--header", "X-Bench-Fail: 2", "--body", "@"+f.body10)},
		}},
		{name: "3. send --dry-run (no network)", rounds: o.rounds, cmds: []*command{
			{label: o.label + " --dry-run", argv: jn(o.jobnotify, append(small, "--dry-run")...)},
		}},
		// A receiver that hangs, timeout 1s, a spool: with the breaker
		// open a send spools at once; without one each send waits for
		// its timeout, and first for a flush-on-send attempt's.
		{name: "4a. outage: the breaker open (spooled, not tried)", rounds: o.rounds, cmds: []*command{
			{label: "jobnotify send, breaker open", argv: jn(o.jobnotify, append(small, "--target", "outage")...)},
		}},
		{name: "4b. outage: no breaker (failures = 0)", rounds: max(2, o.rounds/10), cmds: []*command{
			{label: "jobnotify send, no breaker", argv: jn(o.jobnotify, append(small, "--target", "outage-no-breaker")...)},
		}},
		// jobnotify run passing 1 GiB of a command's output to a file, as
		// a Jenkins step's output goes to its log (> LOG 2>&1): the
		// command has that file itself, with --tail too (the tail is read
		// back from the log).
		{name: "5. run: 1 GiB of output to a file", rounds: max(3, o.bigRounds/4), cmds: []*command{
			{label: "cat FILE > LOG 2>&1", argv: sink(f.sink, "cat", f.output)},
			{label: "jobnotify run -- cat FILE > LOG 2>&1", argv: sink(f.sink, append(runArgs(o.jobnotify, f.config), "cat", f.output)...)},
			{label: "jobnotify run --tail 40 -- cat FILE > LOG 2>&1", argv: sink(f.sink, append(runArgs(o.jobnotify, f.config, "--tail", "40"), "cat", f.output)...)},
		}},
		// The same into a pipe, as a GitHub Actions or GitLab job's
		// output goes to its runner: with --tail, jobnotify copies the
		// output through a pipe of its own, keeping its end.
		{name: "5b. run: 1 GiB of output to a pipe", rounds: max(3, o.bigRounds/4), cmds: []*command{
			{label: "cat FILE 2>&1 | cat > LOG", argv: pipeSink(f.sink, "cat", f.output)},
			{label: "jobnotify run --tail 40 -- cat FILE 2>&1 | cat > LOG", argv: pipeSink(f.sink, append(runArgs(o.jobnotify, f.config, "--tail", "40"), "cat", f.output)...)},
		}},
	}
	for _, v := range o.variants {
		g := groups[0]
		g.cmds = append(g.cmds, &command{label: v[0], argv: jn(v[1], small...)})
		g = groups[slices.IndexFunc(groups, func(g *group) bool { return strings.HasPrefix(g.name, "3. ") })]
		g.cmds = append(g.cmds, &command{label: v[0] + " --dry-run", argv: jn(v[1], append(small, "--dry-run")...)})
	}

	for _, n := range o.only() {
		if !slices.ContainsFunc(groups, func(g *group) bool { return g.number() == n }) {
			return fmt.Errorf("-groups: no group %q", n)
		}
	}
	groups = slices.DeleteFunc(groups, func(g *group) bool { return !o.selected(g.number()) })
	for _, g := range groups {
		fmt.Fprintf(os.Stderr, "compare: %s (%d rounds)\n", g.name, g.rounds)
		if err := g.measure(env, o); err != nil {
			return fmt.Errorf("%s: %w", g.name, err)
		}
	}
	report(w, groups, f, o)
	return nil
}

// number is the group's number, "1" or "2b": its name up to the dot.
func (g *group) number() string {
	n, _, _ := strings.Cut(g.name, ".")
	return n
}

// only is the groups -groups names; none for all.
func (o options) only() []string {
	return strings.FieldsFunc(o.groups, func(r rune) bool { return r == ' ' || r == ',' })
}

// selected reports whether -groups asks for the group numbered n.
func (o options) selected(n string) bool {
	return o.groups == "" || slices.Contains(o.only(), n)
}

// runArgs is jobnotify run under config up to the "--" before the command.
func runArgs(bin, config string, extra ...string) []string {
	return append(append([]string{bin, "--config", config, "run", "--field", "stage=bench"}, extra...), "--")
}

// sink is argv with its stdout and stderr to the file path, through
// sh's exec, so that the command writes the file itself (and GNU time
// measures it).
func sink(path string, argv ...string) []string {
	return append([]string{"/bin/sh", "-c", `exec "$@" > "$0" 2>&1`, path}, argv...)
}

// pipeSink is argv with its stdout and stderr into a pipe to cat, which
// writes the file path.
func pipeSink(path string, argv ...string) []string {
	return append([]string{"/bin/sh", "-c", `"$@" 2>&1 | cat > "$0"`, path}, argv...)
}

// measure runs the group's commands in rotation and records each run.
func (g *group) measure(env []string, o options) error {
	g.ratios = make([][]float64, len(g.cmds))
	for r := -o.warmup; r < g.rounds; r++ {
		var first time.Duration
		for i, c := range g.cmds {
			d, err := once(c, env)
			if err != nil {
				return err
			}
			if r < 0 {
				continue
			}
			c.wall = append(c.wall, d)
			if i == 0 {
				first = d
			}
			g.ratios[i] = append(g.ratios[i], float64(first)/float64(d))
		}
	}
	for _, c := range g.cmds {
		for range o.rssRuns {
			var kib int64
			var err error
			if o.gnuTime != "" {
				kib, err = gnuRSS(o.gnuTime, c, env, o.dir)
			} else {
				kib, err = sampledRSS(c, env)
			}
			if err != nil {
				return err
			}
			c.rss = append(c.rss, kib)
		}
	}
	return nil
}

// once runs a command and returns its wall time.
func once(c *command, env []string) (time.Duration, error) {
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: %w\n%s", c.label, err, stderr.Bytes())
	}
	return d, nil
}

// gnuRSS runs the command once under GNU time and returns its %M in KiB.
func gnuRSS(gnuTime string, c *command, env []string, dir string) (int64, error) {
	out := filepath.Join(dir, "gnu-time.out")
	cmd := exec.Command(gnuTime, append([]string{"-f", "%M", "-o", out}, c.argv...)...)
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%s under %s: %w\n%s", c.label, gnuTime, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// sampledRSS runs the command once and returns the largest VmHWM seen in
// /proc/PID/status while it ran: a lower bound of its peak RSS, in KiB.
func sampledRSS(c *command, env []string) (int64, error) {
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak int64
	for {
		select {
		case err := <-done:
			if err != nil {
				return 0, fmt.Errorf("%s: %w", c.label, err)
			}
			return peak, nil
		default:
		}
		if b, err := os.ReadFile(status); err == nil {
			if _, rest, ok := strings.Cut(string(b), "VmHWM:"); ok {
				f := strings.Fields(rest)
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil && n > peak {
					peak = n
				}
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + " ms" }
func mib(kib int64) string      { return strconv.FormatFloat(float64(kib)/1024, 'f', 1, 64) + " MiB" }

func report(w io.Writer, groups []*group, f *files, o options) {
	fmt.Fprintf(w, "| scenario | command | runs | median wall | median ratio to row 1 | peak RSS median (max) |\n")
	fmt.Fprintf(w, "|---|---|--:|--:|--:|--:|\n")
	for _, g := range groups {
		for i, c := range g.cmds {
			name, ratio := "", "—"
			if i == 0 {
				name = g.name
			} else {
				ratio = fmt.Sprintf("%.2f", median(g.ratios[i]))
			}
			rss := fmt.Sprintf("%s (%s)", mib(median(c.rss)), mib(slices.Max(c.rss)))
			fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s |\n", name, c.label, len(c.wall), ms(median(c.wall)), ratio, rss)
		}
	}
	fmt.Fprintf(w, "\nRatio = row-1 command's wall time / this command's, per round, then the median: above 1 means jobnotify (row 1) is slower.\n")
	how := "GNU time -f %M"
	if o.gnuTime == "" {
		how = "VmHWM sampled from /proc (a lower bound; install GNU time for the exact peak)"
	}
	fmt.Fprintf(w, "Peak RSS: %d separate runs per command, %s.\n", o.rssRuns, how)
	fmt.Fprintf(w, "Environment: %d variables; small payload %d bytes; bodies %d and %d bytes.\n\n", len(jenkinsEnv(o.dir)), f.smallSize, f.size1, f.size10)

	// The targets, checked from the same run.
	var checks []string
	check := func(ok bool, format string, args ...any) {
		mark := "MET    "
		if !ok {
			mark = "NOT MET"
		}
		checks = append(checks, mark+"  "+fmt.Sprintf(format, args...))
	}
	byLabel := func(g *group, prefix string) (int, *command) {
		for i, c := range g.cmds {
			if strings.HasPrefix(c.label, prefix) {
				return i, c
			}
		}
		return -1, nil
	}
	byNumber := func(n string) *group {
		if i := slices.IndexFunc(groups, func(g *group) bool { return g.number() == n }); i >= 0 {
			return groups[i]
		}
		return nil
	}
	if sm := byNumber("1"); sm != nil {
		if i, _ := byLabel(sm, "curl"); i > 0 {
			r := median(sm.ratios[i])
			check(r <= 0.75, "small send: %.2f × curl (target ≤ 0.75)", r)
		}
		if i, _ := byLabel(sm, "bench/minpost"); i > 0 {
			r := median(sm.ratios[i])
			check(r <= 1.25, "small send: %.2f × bench/minpost, built alike (target ≤ 1.25)", r)
		}
		jrss := median(sm.cmds[0].rss)
		check(jrss <= 12*1024, "small send: peak RSS %s (target ≤ 12 MiB)", mib(jrss))
	}
	if big := byNumber("2b"); big != nil {
		if i, c := byLabel(big, "curl"); i > 0 {
			r := median(big.ratios[i])
			check(r <= 1.0, "10 MiB body: %.2f × curl (target ≤ 1.0)", r)
			brss, crss := median(big.cmds[0].rss), median(c.rss)
			check(brss <= crss+4*1024, "10 MiB body: peak RSS %s, curl's %s (target ≤ curl's + 4 MiB = %s)", mib(brss), mib(crss), mib(crss+4*1024))
		}
	}
	if retry := byNumber("2c"); retry != nil {
		one, three := median(retry.cmds[0].rss), median(retry.cmds[1].rss)
		check(three-one < int64(f.size10)/1024/2, "10 MiB body, 3 attempts: peak RSS %s vs %s for 1 attempt (target: no copy of the body per attempt)", mib(three), mib(one))
	}
	for _, g := range groups {
		if !strings.HasPrefix(g.name, "5") {
			continue
		}
		for k := 1; k < len(g.cmds); k++ {
			r := median(g.ratios[k]) // cat's time / this command's: its throughput, as a share of cat's
			check(r >= 0.90, "%s: throughput %.2f × cat's alone (target ≥ 0.90)", g.cmds[k].label, r)
		}
	}
	for _, c := range checks {
		fmt.Fprintln(w, c)
	}
}
