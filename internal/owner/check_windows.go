package owner

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Check says why the file or directory at path cannot be trusted (see
// Security.Problem), or "" when it can. A file whose security cannot be
// read is not trusted either.
func Check(path string) string {
	s, self, err := read(path, windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return err.Error()
	}
	return s.Problem(self)
}

// CheckOwner is Check of the owner alone, for the directory that holds a
// file: its owner may change its ACL, then replace the file.
func CheckOwner(path string) string {
	s, self, err := read(path, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return err.Error()
	}
	return Security{Owner: s.Owner}.Problem(self)
}

// MkdirPrivate makes the directory at path with the ACL of
// RestrictedSDDL, for the user running jobnotify alone (and the
// administrators): it never exists with the parent's ACL, which under
// %ProgramData% lets every user add files. A directory that exists
// already is left as it is, for the caller to check.
func MkdirPrivate(path string) error {
	self, err := selfSID()
	if err != nil {
		return err
	}
	sd, err := windows.SecurityDescriptorFromString(RestrictedSDDL(self))
	if err != nil {
		return err
	}
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	sa := &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
	err = windows.CreateDirectory(p, sa)
	if errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "mkdir", Path: path, Err: err}
	}
	return nil
}

func selfSID() (string, error) {
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("the user running jobnotify cannot be read (%v)", err)
	}
	return user.User.Sid.String(), nil
}

// Kinds of access control entry besides allowed and denied that grant
// access. A callback entry has its SID where an allowed one does, and
// counts as one, whatever its condition; an object entry has it after
// GUIDs, and a file's ACL seldom holds one, so it is refused.
const (
	accessAllowedObject         = 5
	accessAllowedCallback       = 9
	accessAllowedCallbackObject = 11
)

func read(path string, what windows.SECURITY_INFORMATION) (s Security, self string, err error) {
	if self, err = selfSID(); err != nil {
		return s, "", err
	}
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, what)
	if err != nil {
		return s, "", fmt.Errorf("its security cannot be read (%v)", err)
	}
	o, _, err := sd.Owner()
	if err != nil || o == nil {
		return s, "", errors.New("it has no owner")
	}
	s.Owner = o.String()
	if what&windows.DACL_SECURITY_INFORMATION == 0 {
		return s, self, nil
	}
	dacl, _, err := sd.DACL()
	if err != nil && !errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND) {
		return s, "", fmt.Errorf("its access control list cannot be read (%v)", err)
	}
	if dacl == nil {
		s.NoDACL = true
		return s, self, nil
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return s, "", fmt.Errorf("its access control list cannot be read (%v)", err)
		}
		allow := false
		switch ace.Header.AceType {
		case windows.ACCESS_ALLOWED_ACE_TYPE, accessAllowedCallback:
			allow = true
		case windows.ACCESS_DENIED_ACE_TYPE:
		case accessAllowedObject, accessAllowedCallbackObject:
			return s, "", fmt.Errorf("its access control list holds an entry of a kind jobnotify does not read (type %d)", ace.Header.AceType)
		default:
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		s.DACL = append(s.DACL, ACE{
			Allow:       allow,
			InheritOnly: ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0,
			SID:         sid.String(),
			Mask:        uint32(ace.Mask),
		})
	}
	return s, self, nil
}
