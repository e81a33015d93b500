package envcollect

import (
	"strconv"
	"strings"
)

// The CI systems Collect recognises, as Context.System names them.
const (
	SystemJenkins       = "jenkins"
	SystemGitHubActions = "github-actions"
	SystemGitLabCI      = "gitlab-ci"
)

// githubAllow is the built-in allow-list on GitHub Actions. It names every
// variable: a GITHUB_* or ACTIONS_* glob would also take the runner's
// credentials and the paths of its command files.
var githubAllow = []string{
	"CI", "GITHUB_ACTIONS",
	"GITHUB_WORKFLOW", "GITHUB_WORKFLOW_REF", "GITHUB_WORKFLOW_SHA", "GITHUB_JOB",
	"GITHUB_RUN_ID", "GITHUB_RUN_NUMBER", "GITHUB_RUN_ATTEMPT", "GITHUB_RETENTION_DAYS",
	"GITHUB_REPOSITORY", "GITHUB_REPOSITORY_ID", "GITHUB_REPOSITORY_OWNER", "GITHUB_REPOSITORY_OWNER_ID",
	"GITHUB_SHA", "GITHUB_REF", "GITHUB_REF_NAME", "GITHUB_REF_TYPE", "GITHUB_REF_PROTECTED",
	"GITHUB_HEAD_REF", "GITHUB_BASE_REF", "GITHUB_EVENT_NAME",
	"GITHUB_ACTOR", "GITHUB_ACTOR_ID", "GITHUB_TRIGGERING_ACTOR",
	"GITHUB_SERVER_URL", "GITHUB_API_URL", "GITHUB_GRAPHQL_URL", "GITHUB_WORKSPACE",
	"RUNNER_NAME", "RUNNER_OS", "RUNNER_ARCH", "RUNNER_ENVIRONMENT",
}

// gitlabAllow is the built-in allow-list on GitLab CI/CD. Like githubAllow it
// names every variable: CI_* would take CI_JOB_JWT, CI_REPOSITORY_URL (whose
// userinfo is the job token) and the runner's file variables.
var gitlabAllow = []string{
	"CI", "GITLAB_CI",
	"CI_SERVER_URL", "CI_SERVER_HOST", "CI_SERVER_NAME", "CI_SERVER_VERSION", "CI_API_V4_URL",
	"CI_PROJECT_ID", "CI_PROJECT_PATH", "CI_PROJECT_PATH_SLUG", "CI_PROJECT_NAME", "CI_PROJECT_TITLE",
	"CI_PROJECT_NAMESPACE", "CI_PROJECT_ROOT_NAMESPACE", "CI_PROJECT_URL", "CI_PROJECT_DIR", "CI_DEFAULT_BRANCH",
	"CI_PIPELINE_ID", "CI_PIPELINE_IID", "CI_PIPELINE_URL", "CI_PIPELINE_SOURCE", "CI_PIPELINE_CREATED_AT",
	"CI_JOB_ID", "CI_JOB_NAME", "CI_JOB_URL", "CI_JOB_STAGE", "CI_JOB_STARTED_AT", "CI_NODE_INDEX", "CI_NODE_TOTAL",
	"CI_COMMIT_SHA", "CI_COMMIT_SHORT_SHA", "CI_COMMIT_BEFORE_SHA", "CI_COMMIT_REF_NAME", "CI_COMMIT_REF_SLUG",
	"CI_COMMIT_BRANCH", "CI_COMMIT_TAG", "CI_COMMIT_TITLE", "CI_COMMIT_AUTHOR", "CI_COMMIT_TIMESTAMP",
	"CI_MERGE_REQUEST_ID", "CI_MERGE_REQUEST_IID", "CI_MERGE_REQUEST_TITLE", "CI_MERGE_REQUEST_EVENT_TYPE",
	"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA",
	"CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "CI_MERGE_REQUEST_TARGET_BRANCH_SHA",
	"CI_MERGE_REQUEST_PROJECT_URL", "CI_MERGE_REQUEST_PROJECT_PATH", "CI_MERGE_REQUEST_SOURCE_PROJECT_URL",
	"CI_ENVIRONMENT_NAME", "CI_ENVIRONMENT_SLUG", "CI_ENVIRONMENT_TIER", "CI_ENVIRONMENT_URL",
	"CI_RUNNER_ID", "CI_RUNNER_DESCRIPTION", "CI_RUNNER_TAGS", "CI_RUNNER_VERSION",
	"GITLAB_USER_ID", "GITLAB_USER_LOGIN", "GITLAB_USER_NAME",
}

// ciCredentials are variables that hold a credential, or lead to one, under
// names the secret-word rule does not see. Like a secret-looking name, only
// an [env] include naming one exactly lets it in; no glob does.
var ciCredentials = map[string]bool{
	"CI_JOB_JWT": true, "CI_JOB_JWT_V1": true, "CI_JOB_JWT_V2": true, // GitLab's OIDC tokens (removed in 17.0)
	"CI_REPOSITORY_URL":       true, // https://gitlab-ci-token:<job token>@host/…: stripped anyway, kept out twice
	"CI_SERVER_TLS_CA_FILE":   true, // file variables: a path to what the runner trusts or presents
	"CI_SERVER_TLS_CERT_FILE": true,
	"CI_SERVER_TLS_KEY_FILE":  true,
}

// looksCICredential reports whether name is one of ciCredentials or has JWT
// as one of its _-separated words (GitLab's id_tokens may be given any name).
func looksCICredential(name string) bool {
	if ciCredentials[name] {
		return true
	}
	for rest := name; rest != ""; {
		var w string
		w, rest, _ = strings.Cut(rest, "_")
		if strings.EqualFold(w, "JWT") {
			return true
		}
	}
	return false
}

// detect names the CI system environ comes from: Jenkins when JENKINS_URL,
// or both BUILD_NUMBER and JOB_NAME, are set, even when another system's
// marker is too; else GitHub Actions; else GitLab CI; else "". An empty
// value counts as unset, and later duplicates win, as in Collect.
func detect(environ []string) string {
	var jenkinsURL, buildNumber, jobName, github, gitlab string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "JENKINS_URL":
			jenkinsURL = v
		case "BUILD_NUMBER":
			buildNumber = v
		case "JOB_NAME":
			jobName = v
		case "GITHUB_ACTIONS":
			github = v
		case "GITLAB_CI":
			gitlab = v
		}
	}
	switch {
	case jenkinsURL != "" || buildNumber != "" && jobName != "":
		return SystemJenkins
	case github == "true":
		return SystemGitHubActions
	case gitlab == "true":
		return SystemGitLabCI
	}
	return ""
}

// compileFor is o compiled with the built-in allow-list of system sys in
// place of Jenkins's; Jenkins's stays when sys is Jenkins or none.
func (o Options) compileFor(sys string) filter {
	f := o.compile()
	switch sys {
	case SystemGitHubActions:
		f.jenkins = compile(githubAllow)
	case SystemGitLabCI:
		f.jenkins = compile(gitlabAllow)
	}
	return f
}

// admit is allowed plus the CI credential rule: a name in ciCredentials
// enters only when an include names it exactly (and no exclude matches).
func (f filter) admit(name string) bool {
	if !f.allowed(name) {
		return false
	}
	if !looksCICredential(name) {
		return true
	}
	for _, p := range f.include {
		if p.text == name {
			return true
		}
	}
	return false
}

// ciSections builds the sections for GitHub Actions and GitLab CI from the
// filtered environment; ok is false for Jenkins and for no system, whose
// sections come from the sections table.
func ciSections(sys string, env map[string]string) (secs map[string]any, ok bool) {
	switch sys {
	case SystemGitHubActions:
		return githubSections(env), true
	case SystemGitLabCI:
		return gitlabSections(env), true
	}
	return nil, false
}

// githubSections maps GitHub Actions' variables onto job, build, scm and
// change. URLs are built from GITHUB_SERVER_URL and GITHUB_REPOSITORY;
// change is filled for pull_request and pull_request_target events only.
func githubSections(env map[string]string) map[string]any {
	secs := make(map[string]any)
	repoURL := ""
	if server, repo := strings.TrimSuffix(env["GITHUB_SERVER_URL"], "/"), env["GITHUB_REPOSITORY"]; server != "" && repo != "" {
		repoURL = server + "/" + repo
	}

	job := make(map[string]any)
	setString(job, "name", env["GITHUB_WORKFLOW"])
	if repoURL != "" {
		if file := workflowFile(env["GITHUB_WORKFLOW_REF"], env["GITHUB_REPOSITORY"]); file != "" {
			setURL(job, "url", repoURL+"/actions/workflows/"+file)
		} else {
			setURL(job, "url", repoURL+"/actions")
		}
	}
	setSection(secs, "job", job)

	build := make(map[string]any)
	setNumber(build, "number", env["GITHUB_RUN_NUMBER"])
	setString(build, "id", env["GITHUB_RUN_ID"])
	if repoURL != "" && env["GITHUB_RUN_ID"] != "" {
		setURL(build, "url", repoURL+"/actions/runs/"+env["GITHUB_RUN_ID"])
	}
	setNumber(build, "attempt", env["GITHUB_RUN_ATTEMPT"])
	setString(build, "node", env["RUNNER_NAME"])
	setSection(secs, "build", build)

	scm := make(map[string]any)
	setURL(scm, "url", repoURL)
	switch ref := env["GITHUB_REF"]; {
	case env["GITHUB_HEAD_REF"] != "":
		setString(scm, "branch", env["GITHUB_HEAD_REF"])
	case env["GITHUB_REF_TYPE"] == "tag" || strings.HasPrefix(ref, "refs/tags/"):
		setString(scm, "tag", env["GITHUB_REF_NAME"])
	default:
		setString(scm, "branch", env["GITHUB_REF_NAME"])
	}
	setString(scm, "commit", env["GITHUB_SHA"])
	setString(scm, "ref", env["GITHUB_REF"])
	setSection(secs, "scm", scm)

	if ev := env["GITHUB_EVENT_NAME"]; ev == "pull_request" || ev == "pull_request_target" {
		change := make(map[string]any)
		// pull_request runs on refs/pull/N/merge; pull_request_target runs
		// on the base branch, and its PR number is only in the event file.
		if n := pullNumber(env["GITHUB_REF"]); n != "" {
			setString(change, "id", n)
			if repoURL != "" {
				setURL(change, "url", repoURL+"/pull/"+n)
			}
		}
		setString(change, "author", env["GITHUB_ACTOR"])
		setString(change, "target", env["GITHUB_BASE_REF"])
		setString(change, "branch", env["GITHUB_HEAD_REF"])
		setSection(secs, "change", change)
	}
	return secs
}

// workflowFile returns ci.yml from a GITHUB_WORKFLOW_REF such as
// team/app/.github/workflows/ci.yml@refs/heads/main when it is a workflow of
// repo, else "".
func workflowFile(ref, repo string) string {
	if repo == "" {
		return ""
	}
	rest, ok := strings.CutPrefix(ref, repo+"/.github/workflows/")
	if !ok {
		return ""
	}
	file, _, ok := strings.Cut(rest, "@")
	if !ok || file == "" || strings.ContainsAny(file, "/?#") {
		return ""
	}
	return file
}

// pullNumber returns 17 from refs/pull/17/merge or refs/pull/17/head, else "".
func pullNumber(ref string) string {
	rest, ok := strings.CutPrefix(ref, "refs/pull/")
	if !ok {
		return ""
	}
	n, _, _ := strings.Cut(rest, "/")
	if n == "" || strings.Trim(n, "0123456789") != "" {
		return ""
	}
	return n
}

// zeroSHA is what GitLab gives as CI_COMMIT_BEFORE_SHA when there is no
// previous commit: a new branch, a merge request or a scheduled pipeline.
const zeroSHA = "0000000000000000000000000000000000000000"

// gitlabSections maps GitLab CI's variables onto job, build, scm and
// change; change is filled in merge request pipelines only.
func gitlabSections(env map[string]string) map[string]any {
	secs := make(map[string]any)

	job := make(map[string]any)
	setString(job, "name", env["CI_PROJECT_PATH"])
	setString(job, "base_name", env["CI_PROJECT_NAME"])
	setURL(job, "url", env["CI_PROJECT_URL"])
	setSection(secs, "job", job)

	build := make(map[string]any)
	setNumber(build, "number", env["CI_PIPELINE_IID"])
	setString(build, "id", env["CI_PIPELINE_ID"])
	setURL(build, "url", env["CI_PIPELINE_URL"])
	setURL(build, "job_url", env["CI_JOB_URL"])
	setString(build, "node", env["CI_RUNNER_DESCRIPTION"])
	setString(build, "stage", env["CI_JOB_STAGE"])
	setSection(secs, "build", build)

	scm := make(map[string]any)
	setURL(scm, "url", env["CI_PROJECT_URL"])
	switch {
	case env["CI_COMMIT_BRANCH"] != "":
		setString(scm, "branch", env["CI_COMMIT_BRANCH"])
	case env["CI_COMMIT_TAG"] != "":
		setString(scm, "tag", env["CI_COMMIT_TAG"])
	default: // merge request pipelines have no CI_COMMIT_BRANCH
		setString(scm, "branch", env["CI_COMMIT_REF_NAME"])
	}
	setString(scm, "commit", env["CI_COMMIT_SHA"])
	if prev := env["CI_COMMIT_BEFORE_SHA"]; prev != zeroSHA {
		setString(scm, "previous_commit", prev)
	}
	setSection(secs, "scm", scm)

	if iid := env["CI_MERGE_REQUEST_IID"]; iid != "" {
		change := make(map[string]any)
		setString(change, "id", iid)
		if u := strings.TrimSuffix(env["CI_MERGE_REQUEST_PROJECT_URL"], "/"); u != "" {
			setURL(change, "url", u+"/-/merge_requests/"+iid)
		}
		setString(change, "title", env["CI_MERGE_REQUEST_TITLE"])
		setString(change, "target", env["CI_MERGE_REQUEST_TARGET_BRANCH_NAME"])
		setString(change, "branch", env["CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"])
		setSection(secs, "change", change)
	}
	return secs
}

// setString sets m[key] to v unless v is empty.
func setString(m map[string]any, key, v string) {
	if v != "" {
		m[key] = v
	}
}

// setURL sets m[key] to v without its userinfo unless v is empty.
func setURL(m map[string]any, key, v string) {
	setString(m, key, StripUserinfo(v))
}

// setNumber sets m[key] to v as an int64 when it is one, else as text, as
// the Jenkins sections do; an empty v sets nothing.
func setNumber(m map[string]any, key, v string) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		m[key] = n
	} else {
		setString(m, key, v)
	}
}

// setSection puts sec into secs as name unless it is empty.
func setSection(secs map[string]any, name string, sec map[string]any) {
	if len(sec) > 0 {
		secs[name] = sec
	}
}
