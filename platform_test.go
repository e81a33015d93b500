package main

import (
	"reflect"
	"testing"
)

// TestEnvMapWindows: Windows variable names ignore case, so jobnotify's
// own variables and the config's locations are found however they were
// spelt; elsewhere case matters, as the shell says.
func TestEnvMapWindows(t *testing.T) {
	environ := []string{"jobnotify_quiet=1", "AppData=C:\\Users\\j\\AppData\\Roaming", "ProgramData=C:\\ProgramData", "Token=a", "TOKEN=b", "A=x=y"}
	got := envMap("windows", environ)
	for k, want := range map[string]string{
		"JOBNOTIFY_QUIET": "1", "jobnotify_quiet": "1",
		"APPDATA": `C:\Users\j\AppData\Roaming`, "PROGRAMDATA": `C:\ProgramData`,
		"Token": "a", "TOKEN": "b", // a variable of that spelling wins
		"A": "x=y",
	} {
		if got[k] != want {
			t.Errorf("windows: %s = %q, want %q", k, got[k], want)
		}
	}
	linux := envMap("linux", environ)
	if _, ok := linux["JOBNOTIFY_QUIET"]; ok {
		t.Error("linux: JOBNOTIFY_QUIET found for jobnotify_quiet")
	}
	if want := len(environ); len(linux) != want {
		t.Errorf("linux: %d variables, want %d", len(linux), want)
	}
}

// TestConfigFilesWindows: help names the Windows locations on Windows.
func TestConfigFilesWindows(t *testing.T) {
	user, system := configFiles("windows")
	if want := []string{`%APPDATA%\jobnotify\config.toml`}; !reflect.DeepEqual(user, want) {
		t.Errorf("user: got %q, want %q", user, want)
	}
	if want := []string{`%ProgramData%\jobnotify\config.toml`}; !reflect.DeepEqual(system, want) {
		t.Errorf("system: got %q, want %q", system, want)
	}
	user, system = configFiles("linux")
	if want := []string{"$XDG_CONFIG_HOME/jobnotify/config.toml", "~/.config/jobnotify/config.toml"}; !reflect.DeepEqual(user, want) {
		t.Errorf("linux user: got %q, want %q", user, want)
	}
	if want := []string{"/etc/jobnotify/config.toml"}; !reflect.DeepEqual(system, want) {
		t.Errorf("linux system: got %q, want %q", system, want)
	}
}

// TestLookedIn: a message never says "looked in" followed by nothing.
func TestLookedIn(t *testing.T) {
	if got, want := lookedIn("windows", map[string]string{}), "no place: APPDATA and ProgramData are not set"; got != want {
		t.Errorf("windows, no variables: got %q, want %q", got, want)
	}
	if got, want := lookedIn("windows", map[string]string{"PROGRAMDATA": `C:\ProgramData`}), `C:\ProgramData\jobnotify\config.toml`; got != want {
		t.Errorf("windows: got %q, want %q", got, want)
	}
	if got, want := lookedIn("linux", map[string]string{"HOME": "/h"}), "/h/.config/jobnotify/config.toml, /etc/jobnotify/config.toml"; got != want {
		t.Errorf("linux: got %q, want %q", got, want)
	}
}
