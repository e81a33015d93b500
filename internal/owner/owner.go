// Package owner says, where file modes mean nothing, whether a file
// belongs to someone jobnotify may trust with its config and spool.
//
// On Unix that is a uid and mode bits, which the callers read from
// fs.FileInfo. On Windows Go makes a file's mode up from its read-only
// attribute (0666 or 0444, directories 0777), and who may change a file
// is its ACL. There any user may create folders and files in
// %ProgramData% (the system config's place) that do not exist yet, and
// becomes their owner; the owner can always change a file's ACL, so the
// owner is what is checked.
package owner

import "fmt"

// Modes reports whether goos's file mode bits say who may write a file:
// false on Windows (and Plan 9), where they do not.
func Modes(goos string) bool { return goos != "windows" && goos != "plan9" }

// Well-known Windows SIDs trusted to own jobnotify's files besides the
// user running it: they administer the machine and could change anything
// jobnotify reads anyway.
const (
	system           = "S-1-5-18"
	administrators   = "S-1-5-32-544"
	trustedInstaller = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
)

// Problem says why a file owned by the SID owner cannot be trusted by
// the process running as the SID self, or "" when it can: it is self's,
// SYSTEM's, the Administrators group's or TrustedInstaller's.
func Problem(owner, self string) string {
	switch owner {
	case self, system, administrators, trustedInstaller:
		return ""
	}
	return fmt.Sprintf("owned by %s, not by the user running jobnotify (%s) or the administrators", owner, self)
}
