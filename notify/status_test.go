package notify

import (
	"slices"
	"testing"
)

// TestStatusesKnown checks that Statuses, which completion offers for
// --status, are the statuses the formats know: each has a chat style of
// its own and a CDEvents meaning.
func TestStatusesKnown(t *testing.T) {
	for _, status := range Statuses() {
		t.Run(status, func(t *testing.T) {
			if _, ok := chatStyles[status]; !ok {
				t.Errorf("%s has no chat style", status)
			}
			if _, err := ftBuild(t, jenkinsEnv(t), `format = "cdevents"`, Input{ID: testID, Status: status, Time: testTime}); err != nil {
				t.Errorf("cdevents: %v", err)
			}
		})
	}
	for status := range chatStyles {
		if status != "" && !slices.Contains(Statuses(), status) {
			t.Errorf("chat style for %s, which Statuses leaves out", status)
		}
	}
}
