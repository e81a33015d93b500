package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJenkinsSharedLibrary compiles the Jenkins shared library
// (jenkins/vars) with groovyc, and runs jenkins/test/LibraryTest.groovy,
// which drives jobNotify and withJobNotify against stubs of the Pipeline
// steps: the command line stays fixed text whatever the values, the values
// go through the environment and a body file, the credential is bound
// around jobnotify alone, and each exit status does what the docs say.
//
// It needs Groovy and a Java runtime, and skips without them, except under
// CI, which installs both (.ci/run).
func TestJenkinsSharedLibrary(t *testing.T) {
	needTool(t, "groovy")
	needTool(t, "groovyc")
	needTool(t, "java")
	t.Parallel()
	env := groovyEnv(t)
	vars, err := filepath.Glob(filepath.Join("jenkins", "vars", "*.groovy"))
	if err != nil || len(vars) < 2 {
		t.Fatalf("jenkins/vars: got %v (%v), want jobNotify.groovy and withJobNotify.groovy", vars, err)
	}
	// Read here too, so that go test's cache knows them: Groovy reads
	// them in another process, which the cache does not see.
	for _, f := range append(vars, filepath.Join("jenkins", "test", "LibraryTest.groovy")) {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	runGroovy(t, env, "groovyc", append([]string{"-d", t.TempDir()}, vars...)...)
	out := runGroovy(t, env, "groovy", filepath.Join("jenkins", "test", "LibraryTest.groovy"), filepath.Join("jenkins", "vars"))
	t.Log(strings.TrimSpace(out))
}

// groovyEnv is the environment for groovy and groovyc: this one, with
// JAVA_HOME pointing at the java on the PATH when it does not name a Java
// already. Debian's groovy falls back to /usr/lib/jvm/default-java, which
// only the default-jre packages make.
func groovyEnv(t *testing.T) []string {
	t.Helper()
	if home := os.Getenv("JAVA_HOME"); home != "" {
		if _, err := os.Stat(filepath.Join(home, "bin", "java")); err == nil {
			return os.Environ()
		}
	}
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatalf("no java: %v", err)
	}
	if java, err = filepath.EvalSymlinks(java); err != nil {
		t.Fatalf("java: %v", err)
	}
	return append(os.Environ(), "JAVA_HOME="+filepath.Dir(filepath.Dir(java)))
}

// runGroovy runs groovy or groovyc in the repository's root and returns
// what it printed, failing the test with that when it does not exit 0.
func runGroovy(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
