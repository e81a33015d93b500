package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReleaseOrder(t *testing.T) {
	for _, tt := range []struct {
		a, b   string
		before bool
	}{
		{"1.3", "1.4", true},
		{"1.4", "1.4", false},
		{"1.4.0", "1.4", false},
		{"1.4.1", "1.4", false},
		{"1.10", "1.9", false},
		{"v1.3.9", "1.4", true},
		{"1.4.0-rc1", "1.4", true},           // a pre-release comes before its release
		{"1.4.1-snapshot-abc", "1.4", false}, // a snapshot after 1.4.0
		{"2", "1.9.9", false},
	} {
		a, ok1 := parseRelease(tt.a)
		b, ok2 := parseRelease(tt.b)
		if !ok1 || !ok2 {
			t.Fatalf("%s or %s did not parse", tt.a, tt.b)
		}
		if got := a.before(b); got != tt.before {
			t.Errorf("%s before %s = %v, want %v", tt.a, tt.b, got, tt.before)
		}
	}
	for _, bad := range []string{"", "dev", "1.x", "1.2.3.4", "01.2", "1.-2", "1.4-", "latest", " "} {
		if _, ok := parseRelease(bad); ok {
			t.Errorf("parseRelease(%q) parsed", bad)
		}
	}
}

// TestRequires: a config that requires a newer jobnotify than this one
// has its unknown keys ignored, each with a warning naming its line;
// otherwise, and without requires, an unknown key stays an error (a typo
// must not drop a token). A requires that does not parse is an error
// whatever the version.
func TestRequires(t *testing.T) {
	const base = "url = \"https://api.example.com/\"\n"
	for _, tt := range []struct {
		name, version, src string
		err                []string // parts of the error; nil for none
		warnings           []string // parts of the one warning expected
		ignored            []string
	}{
		{
			name: "older binary: unknown keys are warnings", version: "1.3.0",
			src:      "requires = \"1.4\"\n" + base + "[quota]\nper_hour = 5\nwindow = \"2m\"\n[targets.chat]\nurl = \"https://chat.example.com/\"\nnew_key = true\n",
			warnings: []string{`c.toml:3: quota: unknown key "quota"`, "requires jobnotify 1.4 and this is 1.3.0"},
			ignored:  []string{"quota", "targets.chat.new_key"},
		},
		{
			name: "dev build takes any requires as newer", version: "dev",
			src:      "requires = \"0.1\"\n" + base + "new_key = 1\n",
			warnings: []string{`unknown key "new_key"`, "this build (dev) does not know its version"},
			ignored:  []string{"new_key"},
		},
		{
			name: "same version: an unknown key is an error", version: "1.4.0",
			src: "requires = \"1.4\"\n" + base + "heders = 1\n",
			err: []string{"c.toml:3: heders", `unknown key "heders"`, `did you mean "headers"`},
		},
		{
			name: "no requires: an unknown key is an error", version: "dev",
			src: base + "new_key = 1\n",
			err: []string{"c.toml:2: new_key", `unknown key "new_key"`},
		},
		{
			name: "a requires that does not parse", version: "dev",
			src: "requires = \">= 1.4\"\n" + base + "new_key = 1\n",
			err: []string{"c.toml:1: requires", `">= 1.4" is not a version`, "cannot tell a newer key from a typo"},
		},
		{
			name: "requires must be a string", version: "1.0.0",
			src: "requires = 1.4\n" + base,
			err: []string{"c.toml:1: requires", "want a version in quotes", "got a float"},
		},
		{
			name: "requires in a target", version: "1.0.0",
			src: base + "[targets.chat]\nrequires = \"1.4\"\n",
			err: []string{"c.toml:3: targets.chat.requires", "set it at the top"},
		},
		{
			name: "known keys are still checked", version: "1.0.0",
			src: "requires = \"9.0\"\n" + base + "timeout = \"soon\"\n",
			err: []string{"c.toml:3: timeout"},
		},
		{
			name: "older binary, nothing unknown", version: "1.0.0",
			src: "requires = \"1.2\"\n" + base,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("c.toml", []byte(tt.src), tt.version)
			if tt.err != nil {
				if err == nil {
					t.Fatalf("no error, want %q", tt.err)
				}
				for _, w := range tt.err {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Ignored, tt.ignored) {
				t.Errorf("ignored %q, want %q", f.Ignored, tt.ignored)
			}
			if len(f.Warnings) != len(tt.ignored) {
				t.Errorf("warnings %q, want one per ignored key", f.Warnings)
			}
			for _, w := range tt.warnings {
				if len(f.Warnings) == 0 || !strings.Contains(f.Warnings[0], w) {
					t.Errorf("warnings %q: the first does not say %q", f.Warnings, w)
				}
			}
		})
	}
}

// TestSpoolBudget: with a spool, max_time defaults to 15s (the spool
// carries the rest); one set in the file or on the command line stays.
func TestSpoolBudget(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want time.Duration
	}{
		{src: "url = \"https://api.example.com/\"\n", want: 60 * time.Second},
		{src: "url = \"https://api.example.com/\"\n[spool]\ndir = \"/tmp/s\"\n", want: SpoolMaxTime},
		{src: "url = \"https://api.example.com/\"\n[spool]\ndir = \"/tmp/s\"\n[retry]\nmax_time = \"40s\"\n", want: 40 * time.Second},
		{src: "url = \"https://api.example.com/\"\n[targets.t]\nspool = { dir = \"/tmp/s\" }\n", want: 60 * time.Second}, // top level: no spool
	} {
		s := mustResolve(t, mustLoad(t, tt.src), "", Overrides{}, nil)
		if s.Retry.MaxTime != tt.want {
			t.Errorf("%q: max_time %s, want %s", tt.src, s.Retry.MaxTime, tt.want)
		}
	}
	s := mustResolve(t, mustLoad(t, "url = \"https://api.example.com/\"\n[targets.t]\nspool = { dir = \"/tmp/s\" }\n"), "t", Overrides{}, nil)
	if s.Retry.MaxTime != SpoolMaxTime || !s.FlushOnSend || s.Breaker.Failures != 3 || s.Breaker.Cooldown != time.Minute {
		t.Errorf("target with a spool: %+v %v %+v", s.Retry, s.FlushOnSend, s.Breaker)
	}
	for _, bad := range []string{"[breaker]\nfailures = -1\n", "[breaker]\ncooldown = \"0s\"\n", "[breaker]\nfailures = 5000\n"} {
		if _, err := Parse("c.toml", []byte("url = \"https://api.example.com/\"\n"+bad), testVersion); err == nil || !strings.Contains(err.Error(), "breaker.") {
			t.Errorf("%q: %v, want an error naming the breaker key", bad, err)
		}
	}
}
