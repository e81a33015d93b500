package owner

import (
	"strings"
	"testing"
)

func TestModes(t *testing.T) {
	for goos, want := range map[string]bool{"linux": true, "darwin": true, "freebsd": true, "windows": false} {
		if got := Modes(goos); got != want {
			t.Errorf("Modes(%q) = %v, want %v", goos, got, want)
		}
	}
}

// TestProblem: the rule Check applies on Windows to a file's owner SID.
func TestProblem(t *testing.T) {
	const self = "S-1-5-21-1004336348-1177238915-682003330-1001"
	for _, owner := range []string{self, "S-1-5-18", "S-1-5-32-544", "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"} {
		if why := Problem(owner, self); why != "" {
			t.Errorf("Problem(%s) = %q, want trusted", owner, why)
		}
	}
	// Another user, the Users group, Everyone: each could have created the
	// file where it did not exist.
	for _, owner := range []string{"S-1-5-21-1004336348-1177238915-682003330-1002", "S-1-5-32-545", "S-1-1-0"} {
		why := Problem(owner, self)
		if !strings.Contains(why, "owned by "+owner) || !strings.Contains(why, self) {
			t.Errorf("Problem(%s) = %q, want it named and refused", owner, why)
		}
	}
}
