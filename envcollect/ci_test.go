package envcollect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// recorded reads a recorded environment from the repository's testdata.
func recorded(t testing.TB, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return environ(t, string(b))
}

// planted returns the values in environ that carry a canary: the
// credentials the recorded environments plant.
func planted(t testing.TB, environ []string) []string {
	t.Helper()
	var out []string
	for _, kv := range environ {
		if _, v, _ := strings.Cut(kv, "="); strings.Contains(v, "canary") {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		t.Fatal("got no planted credential in the recorded environment, want some")
	}
	return out
}

// githubPush is what differs in the recorded GitHub Actions environment
// when the workflow runs for a push to main.
var githubPush = []string{
	"GITHUB_EVENT_NAME=push", "GITHUB_REF=refs/heads/main", "GITHUB_REF_NAME=main",
	"GITHUB_HEAD_REF=", "GITHUB_BASE_REF=",
	"GITHUB_WORKFLOW_REF=team/app/.github/workflows/ci.yml@refs/heads/main",
}

// gitlabPush is what differs in the recorded GitLab CI environment when
// the pipeline runs for a push to main.
var gitlabPush = []string{
	"CI_PIPELINE_SOURCE=push", "CI_COMMIT_BRANCH=main", "CI_COMMIT_REF_NAME=main", "CI_COMMIT_REF_SLUG=main",
	"CI_COMMIT_BEFORE_SHA=fedcba9876543210fedcba9876543210fedcba98",
	"CI_MERGE_REQUEST_IID=", "CI_MERGE_REQUEST_ID=", "CI_MERGE_REQUEST_TITLE=", "CI_MERGE_REQUEST_EVENT_TYPE=",
	"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=",
	"CI_MERGE_REQUEST_PROJECT_URL=", "CI_MERGE_REQUEST_PROJECT_PATH=", "CI_MERGE_REQUEST_SOURCE_PROJECT_URL=",
}

func TestCollectCISections(t *testing.T) {
	github := recorded(t, "github-actions.env")
	gitlab := recorded(t, "gitlab-ci.env")

	githubJob := map[string]any{"name": "CI", "url": "https://github.com/team/app/actions/workflows/ci.yml"}
	githubBuild := map[string]any{
		"number":  int64(42),
		"id":      "11223344556",
		"url":     "https://github.com/team/app/actions/runs/11223344556",
		"attempt": int64(2),
		"node":    "GitHub Actions 12",
	}
	gitlabJob := map[string]any{"name": "group/proj", "base_name": "proj", "url": "https://gitlab.example.com/group/proj"}
	gitlabBuild := map[string]any{
		"number":  int64(42),
		"id":      "1234567",
		"url":     "https://gitlab.example.com/group/proj/-/pipelines/1234567",
		"job_url": "https://gitlab.example.com/group/proj/-/jobs/7654321",
		"node":    "docker-runner-1",
		"stage":   "deploy",
	}

	tests := []struct {
		name       string
		environ    []string
		opts       Options
		wantSystem string
		want       map[string]any
	}{
		{
			name:       "github pull_request",
			environ:    github,
			wantSystem: SystemGitHubActions,
			want: map[string]any{
				"job":   githubJob,
				"build": githubBuild,
				"scm": map[string]any{
					"url":    "https://github.com/team/app",
					"branch": "feature-x",
					"commit": "0123456789abcdef0123456789abcdef01234567",
					"ref":    "refs/pull/17/merge",
				},
				"change": map[string]any{
					"id":     "17",
					"url":    "https://github.com/team/app/pull/17",
					"author": "alice",
					"target": "main",
					"branch": "feature-x",
				},
			},
		},
		{
			name:       "github push has no change",
			environ:    with(github, githubPush...),
			wantSystem: SystemGitHubActions,
			want: map[string]any{
				"job":   githubJob,
				"build": githubBuild,
				"scm": map[string]any{
					"url":    "https://github.com/team/app",
					"branch": "main",
					"commit": "0123456789abcdef0123456789abcdef01234567",
					"ref":    "refs/heads/main",
				},
			},
		},
		{
			name:       "github tag push has a tag, not a branch",
			environ:    with(github, append(githubPush, "GITHUB_REF=refs/tags/v1.2.0", "GITHUB_REF_NAME=v1.2.0", "GITHUB_REF_TYPE=tag")...),
			wantSystem: SystemGitHubActions,
			want: map[string]any{
				"job":   githubJob,
				"build": githubBuild,
				"scm": map[string]any{
					"url":    "https://github.com/team/app",
					"tag":    "v1.2.0",
					"commit": "0123456789abcdef0123456789abcdef01234567",
					"ref":    "refs/tags/v1.2.0",
				},
			},
		},
		{
			name: "github pull_request_target runs on the base branch: no PR number in the environment",
			environ: with(github, "GITHUB_EVENT_NAME=pull_request_target", "GITHUB_REF=refs/heads/main", "GITHUB_REF_NAME=main",
				"GITHUB_WORKFLOW_REF=team/app/.github/workflows/ci.yml@refs/heads/main"),
			wantSystem: SystemGitHubActions,
			want: map[string]any{
				"job":   githubJob,
				"build": githubBuild,
				"scm": map[string]any{
					"url":    "https://github.com/team/app",
					"branch": "feature-x",
					"commit": "0123456789abcdef0123456789abcdef01234567",
					"ref":    "refs/heads/main",
				},
				"change": map[string]any{"author": "alice", "target": "main", "branch": "feature-x"},
			},
		},
		{
			name:       "github exclude removes section values and the URLs built from them",
			environ:    github,
			opts:       Options{Exclude: []string{"GITHUB_REPOSITORY", "GITHUB_SHA", "RUNNER_*"}},
			wantSystem: SystemGitHubActions,
			want: map[string]any{
				"job":    map[string]any{"name": "CI"},
				"build":  map[string]any{"number": int64(42), "id": "11223344556", "attempt": int64(2)},
				"scm":    map[string]any{"branch": "feature-x", "ref": "refs/pull/17/merge"},
				"change": map[string]any{"id": "17", "author": "alice", "target": "main", "branch": "feature-x"},
			},
		},
		{
			name:       "github without a workflow ref links the actions page",
			environ:    with(github, "GITHUB_WORKFLOW_REF=other/repo/.github/workflows/ci.yml@refs/heads/main", "GITHUB_EVENT_NAME=workflow_dispatch"),
			wantSystem: SystemGitHubActions,
			want: map[string]any{
				"job":   map[string]any{"name": "CI", "url": "https://github.com/team/app/actions"},
				"build": githubBuild,
				"scm": map[string]any{
					"url":    "https://github.com/team/app",
					"branch": "feature-x",
					"commit": "0123456789abcdef0123456789abcdef01234567",
					"ref":    "refs/pull/17/merge",
				},
			},
		},
		{
			name:       "github server URL with userinfo",
			environ:    with(github, "GITHUB_SERVER_URL=https://bot:canary-ghes-password@ghes.example.com/"),
			wantSystem: SystemGitHubActions,
			want: map[string]any{
				"job": map[string]any{"name": "CI", "url": "https://ghes.example.com/team/app/actions/workflows/ci.yml"},
				"build": map[string]any{
					"number": int64(42), "id": "11223344556", "attempt": int64(2), "node": "GitHub Actions 12",
					"url": "https://ghes.example.com/team/app/actions/runs/11223344556",
				},
				"scm": map[string]any{
					"url":    "https://ghes.example.com/team/app",
					"branch": "feature-x",
					"commit": "0123456789abcdef0123456789abcdef01234567",
					"ref":    "refs/pull/17/merge",
				},
				"change": map[string]any{
					"id": "17", "url": "https://ghes.example.com/team/app/pull/17",
					"author": "alice", "target": "main", "branch": "feature-x",
				},
			},
		},
		{
			name:       "gitlab merge request: before SHA of zeros omitted",
			environ:    gitlab,
			wantSystem: SystemGitLabCI,
			want: map[string]any{
				"job":   gitlabJob,
				"build": gitlabBuild,
				"scm": map[string]any{
					"url":    "https://gitlab.example.com/group/proj",
					"branch": "feature-x",
					"commit": "0123456789abcdef0123456789abcdef01234567",
				},
				"change": map[string]any{
					"id":     "17",
					"url":    "https://gitlab.example.com/group/proj/-/merge_requests/17",
					"title":  "Add the <new> & improved deploy",
					"target": "main",
					"branch": "feature-x",
				},
			},
		},
		{
			name:       "gitlab push has no change and a previous commit",
			environ:    with(gitlab, gitlabPush...),
			wantSystem: SystemGitLabCI,
			want: map[string]any{
				"job":   gitlabJob,
				"build": gitlabBuild,
				"scm": map[string]any{
					"url":             "https://gitlab.example.com/group/proj",
					"branch":          "main",
					"commit":          "0123456789abcdef0123456789abcdef01234567",
					"previous_commit": "fedcba9876543210fedcba9876543210fedcba98",
				},
			},
		},
		{
			name:       "gitlab tag pipeline has a tag, not a branch",
			environ:    with(gitlab, append(gitlabPush, "CI_COMMIT_BRANCH=", "CI_COMMIT_TAG=v1.2.0", "CI_COMMIT_REF_NAME=v1.2.0", "CI_COMMIT_BEFORE_SHA="+zeroSHA)...),
			wantSystem: SystemGitLabCI,
			want: map[string]any{
				"job":   gitlabJob,
				"build": gitlabBuild,
				"scm": map[string]any{
					"url":    "https://gitlab.example.com/group/proj",
					"tag":    "v1.2.0",
					"commit": "0123456789abcdef0123456789abcdef01234567",
				},
			},
		},
		{
			name:       "gitlab exclude removes section values",
			environ:    gitlab,
			opts:       Options{Exclude: []string{"CI_PIPELINE_IID", "CI_MERGE_REQUEST_PROJECT_URL", "CI_MERGE_REQUEST_TITLE", "CI_RUNNER_*"}},
			wantSystem: SystemGitLabCI,
			want: map[string]any{
				"job": gitlabJob,
				"build": map[string]any{
					"id":      "1234567",
					"url":     "https://gitlab.example.com/group/proj/-/pipelines/1234567",
					"job_url": "https://gitlab.example.com/group/proj/-/jobs/7654321",
					"stage":   "deploy",
				},
				"scm": map[string]any{
					"url":    "https://gitlab.example.com/group/proj",
					"branch": "feature-x",
					"commit": "0123456789abcdef0123456789abcdef01234567",
				},
				"change": map[string]any{"id": "17", "target": "main", "branch": "feature-x"},
			},
		},
		{
			name: "gitlab URLs lose their userinfo",
			environ: with(gitlab,
				"CI_PROJECT_URL=https://u:canary-project-url@gitlab.example.com/group/proj",
				"CI_PIPELINE_URL=https://u:canary-pipeline-url@gitlab.example.com/group/proj/-/pipelines/1234567",
				"CI_JOB_URL=https://canary-job-url@gitlab.example.com/group/proj/-/jobs/7654321",
				"CI_MERGE_REQUEST_PROJECT_URL=https://u:canary-mr-url@gitlab.example.com/group/proj/"),
			wantSystem: SystemGitLabCI,
			want: map[string]any{
				"job":   gitlabJob,
				"build": gitlabBuild,
				"scm": map[string]any{
					"url":    "https://gitlab.example.com/group/proj",
					"branch": "feature-x",
					"commit": "0123456789abcdef0123456789abcdef01234567",
				},
				"change": map[string]any{
					"id":     "17",
					"url":    "https://gitlab.example.com/group/proj/-/merge_requests/17",
					"title":  "Add the <new> & improved deploy",
					"target": "main",
					"branch": "feature-x",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Collect(tt.environ, tt.opts)
			if c.System != tt.wantSystem {
				t.Errorf("got system %q, want %q", c.System, tt.wantSystem)
			}
			if !reflect.DeepEqual(c.Sections, tt.want) {
				t.Errorf("got sections\n%#v\nwant\n%#v", c.Sections, tt.want)
			}
			for _, name := range tt.opts.Exclude {
				for k := range c.Env {
					if ok, _ := filepath.Match(name, k); ok {
						t.Errorf("got env %s, want it excluded by %q", k, name)
					}
				}
			}
		})
	}
}

func TestCollectCIEnv(t *testing.T) {
	tests := []struct {
		name string
		file string
		want map[string]string
	}{
		{
			name: "github actions",
			file: "github-actions.env",
			want: map[string]string{
				"CI":                         "true",
				"GITHUB_ACTIONS":             "true",
				"GITHUB_ACTOR":               "alice",
				"GITHUB_ACTOR_ID":            "1234567",
				"GITHUB_API_URL":             "https://api.github.com",
				"GITHUB_BASE_REF":            "main",
				"GITHUB_EVENT_NAME":          "pull_request",
				"GITHUB_GRAPHQL_URL":         "https://api.github.com/graphql",
				"GITHUB_HEAD_REF":            "feature-x",
				"GITHUB_JOB":                 "notify",
				"GITHUB_REF":                 "refs/pull/17/merge",
				"GITHUB_REF_NAME":            "17/merge",
				"GITHUB_REF_PROTECTED":       "false",
				"GITHUB_REF_TYPE":            "branch",
				"GITHUB_REPOSITORY":          "team/app",
				"GITHUB_REPOSITORY_ID":       "712345678",
				"GITHUB_REPOSITORY_OWNER":    "team",
				"GITHUB_REPOSITORY_OWNER_ID": "98765432",
				"GITHUB_RETENTION_DAYS":      "90",
				"GITHUB_RUN_ATTEMPT":         "2",
				"GITHUB_RUN_ID":              "11223344556",
				"GITHUB_RUN_NUMBER":          "42",
				"GITHUB_SERVER_URL":          "https://github.com",
				"GITHUB_SHA":                 "0123456789abcdef0123456789abcdef01234567",
				"GITHUB_TRIGGERING_ACTOR":    "alice",
				"GITHUB_WORKFLOW":            "CI",
				"GITHUB_WORKFLOW_REF":        "team/app/.github/workflows/ci.yml@refs/pull/17/merge",
				"GITHUB_WORKFLOW_SHA":        "0123456789abcdef0123456789abcdef01234567",
				"GITHUB_WORKSPACE":           "/home/runner/work/app/app",
				"RUNNER_ARCH":                "X64",
				"RUNNER_ENVIRONMENT":         "github-hosted",
				"RUNNER_NAME":                "GitHub Actions 12",
				"RUNNER_OS":                  "Linux",
			},
		},
		{
			name: "gitlab ci",
			file: "gitlab-ci.env",
			want: map[string]string{
				"CI":                                  "true",
				"GITLAB_CI":                           "true",
				"CI_API_V4_URL":                       "https://gitlab.example.com/api/v4",
				"CI_COMMIT_AUTHOR":                    "Alice Example <alice@example.com>",
				"CI_COMMIT_BEFORE_SHA":                zeroSHA,
				"CI_COMMIT_REF_NAME":                  "feature-x",
				"CI_COMMIT_REF_SLUG":                  "feature-x",
				"CI_COMMIT_SHA":                       "0123456789abcdef0123456789abcdef01234567",
				"CI_COMMIT_SHORT_SHA":                 "01234567",
				"CI_COMMIT_TIMESTAMP":                 "2026-11-27T03:17:41+00:00",
				"CI_COMMIT_TITLE":                     "Add the new deploy",
				"CI_DEFAULT_BRANCH":                   "main",
				"CI_JOB_ID":                           "7654321",
				"CI_JOB_NAME":                         "notify",
				"CI_JOB_STAGE":                        "deploy",
				"CI_JOB_STARTED_AT":                   "2026-11-27T03:19:02Z",
				"CI_JOB_URL":                          "https://gitlab.example.com/group/proj/-/jobs/7654321",
				"CI_MERGE_REQUEST_EVENT_TYPE":         "detached",
				"CI_MERGE_REQUEST_ID":                 "98765",
				"CI_MERGE_REQUEST_IID":                "17",
				"CI_MERGE_REQUEST_PROJECT_PATH":       "group/proj",
				"CI_MERGE_REQUEST_PROJECT_URL":        "https://gitlab.example.com/group/proj",
				"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature-x",
				"CI_MERGE_REQUEST_SOURCE_PROJECT_URL": "https://gitlab.example.com/group/proj",
				"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
				"CI_MERGE_REQUEST_TITLE":              "Add the <new> & improved deploy",
				"CI_NODE_TOTAL":                       "1",
				"CI_PIPELINE_CREATED_AT":              "2026-11-27T03:18:52Z",
				"CI_PIPELINE_ID":                      "1234567",
				"CI_PIPELINE_IID":                     "42",
				"CI_PIPELINE_SOURCE":                  "merge_request_event",
				"CI_PIPELINE_URL":                     "https://gitlab.example.com/group/proj/-/pipelines/1234567",
				"CI_PROJECT_DIR":                      "/builds/group/proj",
				"CI_PROJECT_ID":                       "4242",
				"CI_PROJECT_NAME":                     "proj",
				"CI_PROJECT_NAMESPACE":                "group",
				"CI_PROJECT_PATH":                     "group/proj",
				"CI_PROJECT_PATH_SLUG":                "group-proj",
				"CI_PROJECT_ROOT_NAMESPACE":           "group",
				"CI_PROJECT_TITLE":                    "Proj",
				"CI_PROJECT_URL":                      "https://gitlab.example.com/group/proj",
				"CI_RUNNER_DESCRIPTION":               "docker-runner-1",
				"CI_RUNNER_ID":                        "3",
				"CI_RUNNER_TAGS":                      `["docker", "linux"]`,
				"CI_RUNNER_VERSION":                   "17.5.0",
				"CI_SERVER_HOST":                      "gitlab.example.com",
				"CI_SERVER_NAME":                      "GitLab",
				"CI_SERVER_URL":                       "https://gitlab.example.com",
				"CI_SERVER_VERSION":                   "17.5.1",
				"GITLAB_USER_ID":                      "11",
				"GITLAB_USER_LOGIN":                   "alice",
				"GITLAB_USER_NAME":                    "Alice Example",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Collect(recorded(t, tt.file), Options{}).Env
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got env\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

// TestCollectCINoCredentials plants the credentials GitHub Actions and
// GitLab CI hand a job and looks for them in everything Collect returns,
// also when [env] include globs reach for them.
func TestCollectCINoCredentials(t *testing.T) {
	includes := []struct {
		name    string
		include []string
	}{
		{name: "built-in"},
		{name: "include star", include: []string{"*"}},
		{name: "include the systems' prefixes", include: []string{"CI_*", "GITHUB_*", "ACTIONS_*", "RUNNER_*", "GITLAB_*"}},
		{name: "include the planted names' shapes", include: []string{"CI_JOB_*", "CI_REPOSITORY_*", "CI_SERVER_TLS_*", "*_JWT", "*_JWT_V?", "*_TOKEN", "DEPLOY_*"}},
	}
	for _, file := range []string{"github-actions.env", "gitlab-ci.env", "jenkins.env"} {
		env := recorded(t, file)
		secrets := planted(t, env)
		for _, inc := range includes {
			t.Run(file+"/"+inc.name, func(t *testing.T) {
				c := Collect(env, Options{Include: inc.include})
				out, err := json.Marshal(c.Map())
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range secrets {
					if strings.Contains(string(out), s) {
						t.Errorf("got planted credential %q in %s, want none", s, out)
					}
				}
				if strings.Contains(string(out), "canary") {
					t.Errorf("got a canary in %s, want none", out)
				}
			})
		}
	}
}

func TestCollectCIIncludeByName(t *testing.T) {
	gitlab := recorded(t, "gitlab-ci.env")
	tests := []struct {
		name string
		opts Options
		want map[string]string // these entries of Env; "" for absent
	}{
		{
			name: "naming a credential exactly lets it in",
			opts: Options{Include: []string{"CI_JOB_JWT_V2", "OIDC_JWT"}},
			want: map[string]string{
				"CI_JOB_JWT_V2": "eyJhbGciOiJSUzI1NiIsImtpZCI6IjIifQ.canary-ci-job-jwt-v2.sig",
				"OIDC_JWT":      "eyJhbGciOiJSUzI1NiIsImtpZCI6IjIifQ.canary-oidc-jwt.sig",
				"CI_JOB_JWT":    "", "CI_JOB_JWT_V1": "",
			},
		},
		{
			name: "CI_REPOSITORY_URL named exactly still loses its userinfo",
			opts: Options{Include: []string{"CI_REPOSITORY_URL"}},
			want: map[string]string{"CI_REPOSITORY_URL": "https://gitlab.example.com/group/proj.git"},
		},
		{
			name: "a URL taken in by a glob loses its userinfo",
			opts: Options{Include: []string{"DEPLOY_*"}},
			want: map[string]string{"DEPLOY_HOOK_URL": "https://deploy.example.com/hooks/app", "DEPLOY_ENV": "staging"},
		},
		{
			name: "exclude beats an include naming it",
			opts: Options{Include: []string{"CI_JOB_JWT_V2"}, Exclude: []string{"CI_JOB_*"}},
			want: map[string]string{"CI_JOB_JWT_V2": "", "CI_JOB_ID": "", "CI_PIPELINE_ID": "1234567"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Collect(gitlab, tt.opts).Env
			for k, want := range tt.want {
				if got := env[k]; got != want {
					t.Errorf("got env %s=%q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    string
	}{
		{name: "nothing", environ: []string{"HOME=/root"}, want: ""},
		{name: "jenkins by JENKINS_URL", environ: []string{"JENKINS_URL=https://ci/"}, want: SystemJenkins},
		{name: "jenkins by build number and job name", environ: []string{"BUILD_NUMBER=1", "JOB_NAME=a"}, want: SystemJenkins},
		{name: "build number alone is not jenkins", environ: []string{"BUILD_NUMBER=1"}, want: ""},
		{name: "github", environ: []string{"GITHUB_ACTIONS=true"}, want: SystemGitHubActions},
		{name: "gitlab", environ: []string{"GITLAB_CI=true"}, want: SystemGitLabCI},
		{name: "jenkins wins over github", environ: []string{"GITHUB_ACTIONS=true", "JENKINS_URL=https://ci/"}, want: SystemJenkins},
		{name: "jenkins wins over gitlab", environ: []string{"GITLAB_CI=true", "BUILD_NUMBER=1", "JOB_NAME=a"}, want: SystemJenkins},
		{name: "github wins over gitlab", environ: []string{"GITLAB_CI=true", "GITHUB_ACTIONS=true"}, want: SystemGitHubActions},
		{name: "github build number without job name stays github", environ: []string{"GITHUB_ACTIONS=true", "BUILD_NUMBER=1"}, want: SystemGitHubActions},
		{name: "only true counts", environ: []string{"GITHUB_ACTIONS=false", "GITLAB_CI=1"}, want: ""},
		{name: "empty JENKINS_URL is unset", environ: []string{"JENKINS_URL=", "GITLAB_CI=true"}, want: SystemGitLabCI},
		{name: "later duplicate wins", environ: []string{"GITHUB_ACTIONS=true", "GITHUB_ACTIONS="}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Collect(tt.environ, Options{}).System; got != tt.want {
				t.Errorf("got system %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCollectJenkinsWins runs the recorded GitHub Actions environment on a
// Jenkins agent: Jenkins's list and mapping apply, GitHub's variables stay
// out.
func TestCollectJenkinsWins(t *testing.T) {
	c := Collect(with(recorded(t, "github-actions.env"), "JENKINS_URL=https://ci.example.com/"), Options{})
	if c.System != SystemJenkins {
		t.Errorf("got system %q, want %q", c.System, SystemJenkins)
	}
	if want := map[string]any{"jenkins_url": "https://ci.example.com/"}; !reflect.DeepEqual(c.Sections, want) {
		t.Errorf("got sections %#v, want %#v", c.Sections, want)
	}
	if want := map[string]string{"CI": "true", "JENKINS_URL": "https://ci.example.com/"}; !reflect.DeepEqual(c.Env, want) {
		t.Errorf("got env %v, want %v", c.Env, want)
	}

	j := Collect(recorded(t, "jenkins.env"), Options{})
	if j.System != SystemJenkins {
		t.Errorf("got system %q for the recorded Jenkins environment, want %q", j.System, SystemJenkins)
	}
	if want := Collect(environ(t, jenkinsEnv), Options{}); !reflect.DeepEqual(j.Sections, want.Sections) {
		t.Errorf("got Jenkins sections\n%#v\nwant those of the package's copy\n%#v", j.Sections, want.Sections)
	}
}

// TestMapLeavesSystemOut: the payload's shape does not depend on whether a
// system was detected; only the sections and env do.
func TestMapLeavesSystemOut(t *testing.T) {
	for _, file := range []string{"github-actions.env", "gitlab-ci.env", "jenkins.env"} {
		m := Collect(recorded(t, file), Options{}).Map()
		for k := range m {
			switch k {
			case "job", "build", "scm", "change", "jenkins_url", "env":
			default:
				t.Errorf("%s: got top-level key %q in Map, want only sections and env", file, k)
			}
		}
	}
}

func TestLooksCICredential(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"CI_JOB_JWT", true},
		{"CI_JOB_JWT_V1", true},
		{"CI_JOB_JWT_V2", true},
		{"OIDC_JWT", true},
		{"jwt_for_vault", true},
		{"CI_REPOSITORY_URL", true},
		{"CI_SERVER_TLS_CA_FILE", true},
		{"JWTS_ISSUED", false},
		{"CI_JOB_ID", false},
		{"CI_REPOSITORY_URL_2", false},
		{"CI_PROJECT_URL", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := looksCICredential(tt.name); got != tt.want {
				t.Errorf("got looksCICredential(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}
