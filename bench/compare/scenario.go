package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// benchToken is the value behind the config's ${NOTIFY_TOKEN}.
const benchToken = "bench-notify-token-0123456789abcdef"

// smallBody is the --body of the small send.
const smallBody = `{"message":"deploy to staging finished","tests":{"passed":412,"failed":0,"skipped":3}}`

// jenkinsEnv is a realistic Jenkins agent environment: 60 variables, the
// build's own and the agent's, with a few credentials bound by the job.
func jenkinsEnv(dir string) []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=" + dir,
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "xdg"),
		"USER=jenkins",
		"LOGNAME=jenkins",
		"SHELL=/bin/bash",
		"LANG=C.UTF-8",
		"PWD=/var/lib/jenkins/workspace/team_app_main",
		"HOSTNAME=agent-7",
		"JAVA_HOME=/opt/java/openjdk",
		"MAVEN_HOME=/usr/share/maven",
		"GOPATH=/var/lib/jenkins/go",
		"JENKINS_HOME=/var/lib/jenkins",
		"JENKINS_URL=https://ci.example.com/",
		"JENKINS_SERVER_COOKIE=durable-7b3f1a9c0d2e4f6a8b1c3d5e7f9a0b2c",
		"JENKINS_NODE_COOKIE=2c4e6a8b-0d1f-4a3b-9c5d-7e9f1a3b5c7d",
		"HUDSON_HOME=/var/lib/jenkins",
		"HUDSON_URL=https://ci.example.com/",
		"HUDSON_SERVER_COOKIE=0f1e2d3c4b5a6978",
		"HUDSON_COOKIE=4a3b2c1d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
		"BUILD_NUMBER=1287",
		"BUILD_ID=1287",
		"BUILD_DISPLAY_NAME=#1287",
		"BUILD_TAG=jenkins-team-app-main-1287",
		"BUILD_URL=https://ci.example.com/job/team/job/app/job/main/1287/",
		"BUILD_CAUSE=SCMTRIGGER",
		"BUILD_CAUSE_SCMTRIGGER=true",
		"JOB_NAME=team/app/main",
		"JOB_BASE_NAME=main",
		"JOB_URL=https://ci.example.com/job/team/job/app/job/main/",
		"JOB_DISPLAY_URL=https://ci.example.com/job/team/job/app/job/main/display/redirect",
		"RUN_DISPLAY_URL=https://ci.example.com/job/team/job/app/job/main/1287/display/redirect",
		"RUN_ARTIFACTS_DISPLAY_URL=https://ci.example.com/job/team/job/app/job/main/1287/display/redirect?page=artifacts",
		"RUN_CHANGES_DISPLAY_URL=https://ci.example.com/job/team/job/app/job/main/1287/display/redirect?page=changes",
		"RUN_TESTS_DISPLAY_URL=https://ci.example.com/job/team/job/app/job/main/1287/display/redirect?page=tests",
		"NODE_NAME=agent-7",
		"NODE_LABELS=agent-7 linux docker x86_64",
		"EXECUTOR_NUMBER=1",
		"WORKSPACE=/var/lib/jenkins/workspace/team_app_main",
		"WORKSPACE_TMP=/var/lib/jenkins/workspace/team_app_main@tmp",
		"STAGE_NAME=Deploy",
		"CI=true",
		"BRANCH_NAME=main",
		"BRANCH_IS_PRIMARY=true",
		"GIT_URL=https://jenkins-bot:ghp_userinfoToken0123456789@git.example.com/team/app.git",
		"GIT_BRANCH=origin/main",
		"GIT_LOCAL_BRANCH=main",
		"GIT_COMMIT=0123456789abcdef0123456789abcdef01234567",
		"GIT_PREVIOUS_COMMIT=fedcba9876543210fedcba9876543210fedcba98",
		"GIT_PREVIOUS_SUCCESSFUL_COMMIT=fedcba9876543210fedcba9876543210fedcba98",
		"GIT_AUTHOR_NAME=Alice Example",
		"GIT_AUTHOR_EMAIL=alice@example.com",
		"GIT_COMMITTER_NAME=Alice Example",
		"GIT_COMMITTER_EMAIL=alice@example.com",
		"DEPLOY_ENV=staging",
		"NOTIFY_TOKEN=" + benchToken,
		"GITHUB_TOKEN=ghp_benchGithubToken0123456789abcdef",
		"AWS_ACCESS_KEY_ID=AKIABENCHEXAMPLE0000",
		"AWS_SECRET_ACCESS_KEY=bench/aws+secret/access/key/0123456789",
		"DOCKER_PASSWORD=bench-docker-password",
	}
}

// files are what prepare wrote.
type files struct {
	config, hook, hang          string
	smallPayload, body1, body10 string
	smallSize, size1, size10    int
	// output is a command's output for jobnotify run to pass through,
	// and sink where it goes, as a Jenkins step's goes to its log file.
	output, sink string
}

// outputSize is the size of files.output: 1 GiB of log lines.
const outputSize = 1 << 30

// writeOutput writes size bytes of numbered log lines to path.
func writeOutput(path string, size int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for n, i := 0, 0; n < size; i++ {
		line := fmt.Sprintf("%08d compiling package %d of the build, with a line of ordinary length\n", i, i)
		if n+len(line) > size {
			line = line[:size-n]
		}
		w.WriteString(line)
		n += len(line)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// prepare writes the config, the bodies, the command output of groups 5
// and 5b when withOutput is set (1 GiB), and, by running jobnotify
// --dry-run, the exact small payload that curl and bench/minpost send in
// its place.
func prepare(o options, env []string, withOutput bool) (*files, error) {
	f := &files{
		config:       filepath.Join(o.dir, "config.toml"),
		hook:         strings.TrimRight(o.url, "/") + "/pipeline/status",
		hang:         strings.TrimRight(o.url, "/") + "/hang",
		smallPayload: filepath.Join(o.dir, "small.json"),
		body1:        filepath.Join(o.dir, "body-1MiB.json"),
		body10:       filepath.Join(o.dir, "body-10MiB.json"),
		output:       filepath.Join(o.dir, "output-1GiB.log"),
		sink:         filepath.Join(o.dir, "sink.log"),
	}
	conf := fmt.Sprintf(`url = %q
timeout = "30s"

[headers]
Authorization = "Bearer ${NOTIFY_TOKEN}"
X-Team = "platform"

[fields]
team = "platform"

[env]
include = ["DEPLOY_*"]

[targets.fast]
retry = { attempts = 3, min_wait = "1ms", max_wait = "2ms" }

# A receiver that hangs, with a spool: one with the breaker, opened by
# prepare, one without it (failures = 0). Soft fail, as a fleet runs it:
# a notification that was not delivered does not fail the step.
[targets.outage]
url = %[2]q
timeout = "1s"
soft_fail = true
spool = { dir = %[3]q }
breaker = { failures = 3, cooldown = "1h" }

[targets.outage-no-breaker]
url = %[2]q
timeout = "1s"
soft_fail = true
spool = { dir = %[4]q }
breaker = { failures = 0 }
`, f.hook, f.hang, filepath.Join(o.dir, "spool-breaker"), filepath.Join(o.dir, "spool-no-breaker"))
	if err := os.WriteFile(f.config, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	var err error
	if f.size1, err = writeBody(f.body1, 1<<20); err != nil {
		return nil, err
	}
	if f.size10, err = writeBody(f.body10, 10<<20); err != nil {
		return nil, err
	}
	if withOutput {
		if err := writeOutput(f.output, outputSize); err != nil {
			return nil, err
		}
	}
	// Three failed sends open the outage target's breaker.
	for range 3 {
		if _, err := once(&command{label: "opening the breaker", argv: []string{o.jobnotify, "--config", f.config, "--target", "outage", "send", "--status", "SUCCESS"}}, env); err != nil {
			return nil, err
		}
	}
	dry := &command{label: "jobnotify send --dry-run", argv: []string{o.jobnotify, "--config", f.config, "send", "--status", "SUCCESS", "--body", smallBody, "--dry-run"}}
	out, err := output(dry, env)
	if err != nil {
		return nil, err
	}
	// The dry run is the request line, headers, a blank line, the body.
	_, body, ok := strings.Cut(out, "\n\n")
	if !ok {
		return nil, fmt.Errorf("dry run printed no body:\n%s", out)
	}
	body = strings.TrimSuffix(body, "\n")
	f.smallSize = len(body)
	return f, os.WriteFile(f.smallPayload, []byte(body), 0o644)
}

// writeBody writes a JSON object of about size bytes: a build's console log
// as one string, the kind of large body a step attaches.
func writeBody(path string, size int) (int, error) {
	var b strings.Builder
	b.Grow(size + 256)
	b.WriteString(`{"message":"build log attached","log":"`)
	for i := 0; b.Len() < size-64; i++ {
		fmt.Fprintf(&b, `[%08d] INFO  com.example.app.DeployStep - step %d of the rollout finished in 12ms\n`, i, i)
	}
	b.WriteString(`"}`)
	return b.Len(), os.WriteFile(path, []byte(b.String()), 0o644)
}

func output(c *command, env []string) (string, error) {
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w", c.label, err)
	}
	return string(out), nil
}
