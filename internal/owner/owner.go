// Package owner says, where file modes mean nothing, whether a file
// belongs to someone jobnotify may trust with its config and spool, and
// whether anyone else may change it.
//
// On Unix that is a uid and mode bits, which the callers read from
// fs.FileInfo. On Windows Go makes a file's mode up from its read-only
// attribute (0666 or 0444, directories 0777), and who may change a file
// is its owner (who may always change its ACL) and its ACL. There any
// user may create folders and files in %ProgramData% (the system
// config's place) that do not exist yet, and becomes their owner; and a
// folder made under C:\ gives Authenticated Users the right to change
// what is in it, by inheritance.
package owner

import (
	"fmt"
	"strings"
)

// Modes reports whether goos's file mode bits say who may write a file:
// false on Windows (and Plan 9), where they do not.
func Modes(goos string) bool { return goos != "windows" && goos != "plan9" }

// Well-known Windows SIDs trusted with jobnotify's files besides the user
// running it: they administer the machine and could change anything
// jobnotify reads anyway. OWNER RIGHTS stands for the file's owner, who
// must be trusted for the file to be.
var trustedSIDs = map[string]string{
	"S-1-5-18":     "SYSTEM",
	"S-1-5-32-544": "Administrators",
	"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464": "TrustedInstaller",
	"S-1-3-4": "OWNER RIGHTS",
}

// creatorOwner in an inherited entry stands for whoever creates the file
// or directory that inherits it: jobnotify itself, when it writes there.
const creatorOwner = "S-1-3-0"

// Names of SIDs an error may name, so that it is read without a lookup.
var wellKnown = map[string]string{
	"S-1-1-0":      "Everyone",
	"S-1-5-11":     "Authenticated Users",
	"S-1-5-32-545": "Users",
	"S-1-5-4":      "INTERACTIVE",
	"S-1-3-0":      "CREATOR OWNER",
}

func trusted(sid, self string) bool {
	_, ok := trustedSIDs[sid]
	return ok || sid == self
}

// name is a SID as an error shows it: with its well-known name if it has
// one.
func name(sid string) string {
	if n, ok := trustedSIDs[sid]; ok {
		return n + " (" + sid + ")"
	}
	if n, ok := wellKnown[sid]; ok {
		return n + " (" + sid + ")"
	}
	return sid
}

// ACE is one entry of an access control list, as Check reads it.
type ACE struct {
	Allow       bool   // access allowed (others deny, and are not counted)
	InheritOnly bool   // for what is created inside, not for this file
	SID         string // whom it is for
	Mask        uint32 // the access rights
}

// writeRights are the rights that let an account change a file, or what
// a directory holds, or its ACL or owner: FILE_WRITE_DATA (for a
// directory, FILE_ADD_FILE), FILE_APPEND_DATA (FILE_ADD_SUBDIRECTORY),
// FILE_DELETE_CHILD, DELETE, WRITE_DAC, WRITE_OWNER, GENERIC_ALL and
// GENERIC_WRITE.
const writeRights = 0x2 | 0x4 | 0x40 | 0x10000 | 0x40000 | 0x80000 | 0x10000000 | 0x40000000

// Security is what Check reads of a file's security descriptor.
type Security struct {
	Owner  string // SID
	NoDACL bool   // no ACL at all: anyone may do anything
	DACL   []ACE
}

// Problem says why a file with this security cannot be trusted by the
// process running as the SID self, or "" when it can: it is owned by
// self or by SYSTEM, Administrators or TrustedInstaller, and no one else
// may change it.
func (s Security) Problem(self string) string {
	if !trusted(s.Owner, self) {
		return fmt.Sprintf("owned by %s, not by the user running jobnotify (%s) or the administrators", name(s.Owner), self)
	}
	if s.NoDACL {
		return "it has no access control list: anyone may change it"
	}
	var others, inside []string
	for _, e := range s.DACL {
		switch {
		case !e.Allow || e.Mask&writeRights == 0 || trusted(e.SID, self):
		case !e.InheritOnly:
			others = append(others, name(e.SID))
		case e.SID != creatorOwner:
			// Not for a directory itself but for each file made in
			// it: those would be refused, and never sent.
			inside = append(inside, name(e.SID))
		}
	}
	switch {
	case len(others) > 0:
		return "its access control list lets " + strings.Join(others, ", ") + " change it"
	case len(inside) > 0:
		return "its access control list lets " + strings.Join(inside, ", ") + " change each file made in it"
	}
	return ""
}

// RestrictedSDDL is the security descriptor, in SDDL, of a directory
// MkdirPrivate makes on Windows: full control for the SID self, SYSTEM
// and Administrators, inherited by what is created inside, and nothing
// inherited from the parent.
func RestrictedSDDL(self string) string {
	return "D:P(A;OICI;FA;;;" + self + ")(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
}
