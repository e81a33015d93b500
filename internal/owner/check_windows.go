package owner

import "golang.org/x/sys/windows"

// Check says why the file or directory at path cannot be trusted (see
// Problem), or "" when it can. A file whose owner cannot be read is not
// trusted either.
func Check(path string) string {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return "its owner cannot be read (" + err.Error() + ")"
	}
	owner, _, err := sd.Owner()
	if err != nil || owner == nil {
		return "it has no owner"
	}
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "the user running jobnotify cannot be read (" + err.Error() + ")"
	}
	return Problem(owner.String(), user.User.Sid.String())
}
