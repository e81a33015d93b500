package config

import (
	"context"
	"slices"
	"testing"
)

// TestWants is each outcome word's truth table, the previous status
// given or not.
func TestWants(t *testing.T) {
	statuses := []string{"SUCCESS", "FAILURE", "UNSTABLE", "ABORTED", "NOT_BUILT", "STARTED", "START", "RUNNING", ""}
	previous := []string{"", "SUCCESS", "FAILURE", "UNSTABLE", "ABORTED"}
	for _, tc := range []struct {
		word string
		want func(status, prev string) bool
	}{
		{"always", func(string, string) bool { return true }},
		{"success", func(s, _ string) bool { return s == "SUCCESS" }},
		{"failure", func(s, _ string) bool { return s == "FAILURE" }},
		{"unstable", func(s, _ string) bool { return s == "UNSTABLE" }},
		{"aborted", func(s, _ string) bool { return s == "ABORTED" || s == "NOT_BUILT" }},
		{"started", func(s, _ string) bool { return s == "STARTED" || s == "START" || s == "RUNNING" || s == "" }},
		{"changed", func(s, p string) bool { return s != "STARTED" && s != "START" && s != "RUNNING" && s != "" && s != p }},
		{"fixed", func(s, p string) bool { return s == "SUCCESS" && p != "SUCCESS" }},
		{"regression", func(s, p string) bool {
			return s != "SUCCESS" && s != "STARTED" && s != "START" && s != "RUNNING" && s != "" && p == "SUCCESS"
		}},
		{"still-failing", func(s, p string) bool { return s == "FAILURE" && p == "FAILURE" }},
	} {
		s := &Settings{On: []string{tc.word}, src: map[string]string{"on": "--on"}}
		for _, st := range statuses {
			for _, p := range previous {
				got, why := s.Wants(st, p)
				if want := tc.want(st, p); got != want {
					t.Errorf("on %s: status %q after %q: got %v, want %v", tc.word, st, p, got, want)
				}
				if !got && why == "" {
					t.Errorf("on %s: status %q after %q: skipped without a reason", tc.word, st, p)
				}
			}
		}
	}
}

// TestWantsCaseAndNull: statuses in any case; Groovy's "null" (no
// previous build) is no previous status; several words are any of them.
func TestWantsCaseAndNull(t *testing.T) {
	s := &Settings{On: []string{"failure", "fixed"}, src: map[string]string{"on": "/etc/jobnotify.toml:3: on"}}
	for _, tc := range []struct {
		status, prev string
		want         bool
	}{
		{"success", "failure", true},
		{"Success", "null", true}, // the first build is fixed: nothing succeeded before it
		{"SUCCESS", "success", false},
		{"failure", "SUCCESS", true},
		{"unstable", "SUCCESS", false},
	} {
		got, why := s.Wants(tc.status, tc.prev)
		if got != tc.want {
			t.Errorf("%q after %q: got %v (%s), want %v", tc.status, tc.prev, got, why, tc.want)
		}
	}
	if _, why := s.Wants("UNSTABLE", ""); why != "UNSTABLE after no previous status is none of on = [failure, fixed] (/etc/jobnotify.toml:3: on)" {
		t.Errorf("why: %q", why)
	}
	if ok, _ := (&Settings{}).Wants("ANYTHING", ""); !ok {
		t.Error("no on: every notification goes")
	}
}

func TestOnErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"on = [\"fixd\"]", `config.toml:1: on: "fixd" is not an outcome (did you mean "fixed"?): the outcomes are success, failure,`},
		{"on = []", "config.toml:1: on: no outcome"},
		{"on = \"failure\"", "config.toml:1: on: want a list of strings"},
		{"[targets.a]\nurl = \"http://127.0.0.1/\"\non = [\"failure\", 3]", "config.toml:3: targets.a.on: want a list of strings, got"},
		{"default_targets = [\"a\", \"b\"]\n[targets.a]\nurl = \"http://127.0.0.1/\"", "config.toml:1: default_targets: no [targets.b] in the file (targets: a)"},
		{"default_targets = [\"a\", \"a\"]\n[targets.a]\nurl = \"http://127.0.0.1/\"", `config.toml:1: default_targets: "a" is named twice`},
		{"default_targets = []", "config.toml:1: default_targets: no target"},
		{"[targets.a]\ndefault_targets = [\"a\"]", "config.toml:2: targets.a.default_targets: default_targets is the whole file's"},
		{"default_target = [\"a\"]", `did you mean "default_targets"?`},
	} {
		_, err := Load(context.Background(), writeConfig(t, tc.src), testVersion)
		checkErr(t, err, []string{tc.want}, nil)
	}
	var ov Overrides
	err := ov.Set("on", "failure,bogus", "--on")
	checkErr(t, err, []string{`--on: "bogus" is not an outcome`, "still-failing"}, nil)
}

// TestOnLayers: a target's on replaces the top level's, --on both.
func TestOnLayers(t *testing.T) {
	f := mustLoad(t, "url = \"http://127.0.0.1/\"\non = [\"failure\"]\ndefault_targets = [\"b\", \"a\"]\n[targets.a]\non = [\"Fixed\", \"always\"]\n[targets.b]\noptional = true\n")
	if got := f.DefaultTargets(); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("default targets %q, want in the file's order", got)
	}
	for _, tc := range []struct {
		target, flag string
		want         []string
		optional     bool
	}{
		{"", "", []string{"failure"}, false},
		{"a", "", []string{"fixed", "always"}, false},
		{"b", "", []string{"failure"}, true},
		{"a", "success, STILL-failing", []string{"success", "still-failing"}, false},
	} {
		var ov Overrides
		if tc.flag != "" {
			if err := ov.Set("on", tc.flag, "--on"); err != nil {
				t.Fatal(err)
			}
		}
		s, err := Resolve(f, tc.target, ov, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.On, tc.want) || s.Optional != tc.optional {
			t.Errorf("target %q, --on %q: on %q optional %v; want %q %v", tc.target, tc.flag, s.On, s.Optional, tc.want, tc.optional)
		}
	}
}
