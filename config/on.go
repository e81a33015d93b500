package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/jobnotify/jobnotify/internal/human"
)

// outcomeWords are the words of on and --on, in the order help lists them.
var outcomeWords = []string{"success", "failure", "unstable", "aborted", "started", "always",
	"changed", "fixed", "regression", "still-failing"}

// OutcomeWords are the words on and --on take.
func OutcomeWords() []string { return slices.Clone(outcomeWords) }

// parseOutcomes checks a list of outcome words, lower-cased and trimmed:
// an unknown one is an error naming it and listing the valid ones, and
// so is an empty list, which would never send.
func parseOutcomes(words []string) ([]string, error) {
	if len(words) == 0 {
		return nil, fmt.Errorf("no outcome: give one or more of %s", human.Join(outcomeWords, "or"))
	}
	out := make([]string, 0, len(words))
	for _, w := range words {
		w = strings.ToLower(strings.TrimSpace(w))
		if !slices.Contains(outcomeWords, w) {
			hint := ""
			if best := human.Closest(w, outcomeWords); best != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", best)
			}
			return nil, fmt.Errorf("%q is not an outcome%s: the outcomes are %s", w, hint, human.Join(outcomeWords, "and"))
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out, nil
}

// outcomesKey is on: a list of outcome words. A level's list replaces the
// one below it, as --on replaces the file's.
func outcomesKey() key {
	return key{
		name: "on",
		parse: func(v any) (any, error) {
			words, err := stringList(v)
			if err != nil {
				return nil, err
			}
			return parseOutcomes(words)
		},
		fromEnv: func(t string) (any, error) {
			if strings.TrimSpace(t) == "" {
				return parseOutcomes(nil)
			}
			return parseOutcomes(strings.Split(t, ","))
		},
		set: func(s *Settings, v any, _ func(string) string) { s.On = v.([]string) },
		show: func(s *Settings) any {
			if s.On == nil {
				return nil
			}
			return slices.Clone(s.On)
		},
	}
}

// Wants reports whether a notification of status goes out under s's on,
// the previous build having ended as previous; when it does not, why
// says so, naming where on was set. Statuses are compared in any case;
// a previous status of "" or "null" (Groovy's text of a build that has
// none) is none. changed, fixed, regression and still-failing are about
// outcomes: a start (STARTED, START, RUNNING or no status) is never one
// of them.
func (s *Settings) Wants(status, previous string) (ok bool, why string) {
	if len(s.On) == 0 {
		return true, ""
	}
	status = strings.ToUpper(strings.TrimSpace(status))
	previous = strings.ToUpper(strings.TrimSpace(previous))
	if previous == "NULL" {
		previous = ""
	}
	start := status == "" || status == "STARTED" || status == "START" || status == "RUNNING"
	for _, w := range s.On {
		var match bool
		switch w {
		case "always":
			match = true
		case "success", "failure", "unstable":
			match = status == strings.ToUpper(w)
		case "aborted":
			match = status == "ABORTED" || status == "NOT_BUILT"
		case "started":
			match = start
		case "changed":
			match = !start && status != previous
		case "fixed":
			match = status == "SUCCESS" && previous != "SUCCESS"
		case "regression":
			match = !start && status != "SUCCESS" && previous == "SUCCESS"
		case "still-failing":
			match = status == "FAILURE" && previous == "FAILURE"
		}
		if match {
			return true, ""
		}
	}
	shown := cmp.Or(status, "no status")
	if slices.ContainsFunc(s.On, func(w string) bool {
		return w == "changed" || w == "fixed" || w == "regression" || w == "still-failing"
	}) {
		shown += " after " + cmp.Or(previous, "no previous status")
	}
	return false, fmt.Sprintf("%s is none of on = [%s] (%s)", shown, strings.Join(s.On, ", "), s.src["on"])
}
