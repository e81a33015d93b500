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

const (
	self  = "S-1-5-21-1004336348-1177238915-682003330-1001"
	other = "S-1-5-21-1004336348-1177238915-682003330-1002"
	// Rights as icacls writes them: F full control, M change, RX read and
	// run, and the special rights of %ProgramData%'s Users entry.
	full  = 0x1f01ff
	mod   = 0x1301bf
	rx    = 0x1200a9
	wdAdd = 0x2 | 0x4 | 0x10 | 0x100 // WD, AD, WEA, WA
)

// TestSecurityProblem: the rule Check applies on Windows to a file's
// owner and ACL, with the ACLs Windows gives by default.
func TestSecurityProblem(t *testing.T) {
	admins := []ACE{{Allow: true, SID: "S-1-5-18", Mask: full}, {Allow: true, SID: "S-1-5-32-544", Mask: full}}
	tests := []struct {
		name string
		s    Security
		want string // "" for trusted, else what the reason must name
	}{
		{"the user's own, in the profile", Security{Owner: self, DACL: append([]ACE{{Allow: true, SID: self, Mask: full}}, admins...)}, ""},
		{"owned by SYSTEM", Security{Owner: "S-1-5-18", DACL: admins}, ""},
		{"owned by Administrators", Security{Owner: "S-1-5-32-544", DACL: admins}, ""},
		{"owned by TrustedInstaller", Security{Owner: "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"}, ""},
		{"an empty ACL: only the owner may change it", Security{Owner: self}, ""},
		{
			// A config written by an administrator into %ProgramData%\jobnotify:
			// Users may read it; their right to add files is the folder's.
			"ProgramData's file, as inherited", Security{Owner: "S-1-5-32-544", DACL: append(admins,
				ACE{Allow: true, SID: "S-1-5-32-545", Mask: rx},
				ACE{Allow: true, InheritOnly: true, SID: "S-1-3-0", Mask: full})},
			"",
		},
		{"CREATOR OWNER is whoever makes the file: jobnotify", Security{Owner: self, DACL: []ACE{{Allow: true, InheritOnly: true, SID: "S-1-3-0", Mask: full}}}, ""},
		{"Users may read what is made inside", Security{Owner: self, DACL: []ACE{{Allow: true, InheritOnly: true, SID: "S-1-5-32-545", Mask: rx}}}, ""},
		{"a deny entry is not a grant", Security{Owner: self, DACL: []ACE{{SID: "S-1-1-0", Mask: full}}}, ""},
		{"OWNER RIGHTS is the owner", Security{Owner: self, DACL: []ACE{{Allow: true, SID: "S-1-3-4", Mask: full}}}, ""},

		{"owned by another user", Security{Owner: other}, "owned by " + other},
		{"owned by Users", Security{Owner: "S-1-5-32-545"}, "owned by Users (S-1-5-32-545)"},
		{"no ACL at all", Security{Owner: self, NoDACL: true}, "no access control list"},
		{
			// A folder made under C:\ (C:\jenkins\spool) inherits this.
			"Authenticated Users may change it", Security{Owner: self, DACL: append(admins, ACE{Allow: true, SID: "S-1-5-11", Mask: mod})},
			"lets Authenticated Users (S-1-5-11) change it",
		},
		{"Users may add files", Security{Owner: self, DACL: []ACE{{Allow: true, SID: "S-1-5-32-545", Mask: wdAdd}}}, "Users (S-1-5-32-545)"},
		{"another user may delete it", Security{Owner: self, DACL: []ACE{{Allow: true, SID: other, Mask: 0x10000}}}, other},
		{"another user may change its ACL", Security{Owner: self, DACL: []ACE{{Allow: true, SID: other, Mask: 0x40000}}}, other},
		{"Everyone, GENERIC_ALL", Security{Owner: self, DACL: []ACE{{Allow: true, SID: "S-1-1-0", Mask: 0x10000000}}}, "Everyone (S-1-1-0)"},
		{
			// A trusted directory whose files would each be refused,
			// and never sent.
			"Users may change what is made inside", Security{Owner: self, DACL: []ACE{{Allow: true, InheritOnly: true, SID: "S-1-5-32-545", Mask: full}}},
			"lets Users (S-1-5-32-545) change each file made in it",
		},
		{"Everyone may only read", Security{Owner: self, DACL: []ACE{{Allow: true, SID: "S-1-1-0", Mask: rx}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			why := tt.s.Problem(self)
			switch {
			case tt.want == "" && why != "":
				t.Errorf("got %q, want trusted", why)
			case tt.want != "" && !strings.Contains(why, tt.want):
				t.Errorf("got %q, want it refused naming %q", why, tt.want)
			}
		})
	}
}

func TestRestrictedSDDL(t *testing.T) {
	// Protected (P: nothing inherited from the parent), full control
	// inherited by files (OI) and folders (CI) for the user, SYSTEM and
	// Administrators, and no one else.
	if got, want := RestrictedSDDL(self), "D:P(A;OICI;FA;;;"+self+")(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
