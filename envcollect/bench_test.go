package envcollect_test

import (
	"fmt"
	"testing"

	"github.com/jobnotify/jobnotify/envcollect"
)

// benchEnviron returns n K=V pairs shaped like a large CI environment:
// about half of them on Jenkins's allow-list, some secret-looking, the rest
// the agent's own.
func benchEnviron(n int) []string {
	env := make([]string, 0, n)
	kinds := []string{"BUILD_STEP_%d", "GIT_META_%d", "DEPLOY_%d", "TOOL_%d_HOME", "SERVICE_%d_TOKEN", "JAVA_OPT_%d"}
	for i := 0; len(env) < n; i++ {
		name := fmt.Sprintf(kinds[i%len(kinds)], i)
		env = append(env, name+"=https://ci.example.com/job/team/job/app/"+fmt.Sprint(i)+"/value")
	}
	copy(env, []string{
		"BUILD_NUMBER=1287", "BUILD_URL=https://ci.example.com/job/team/job/app/1287/",
		"JOB_NAME=team/app", "GIT_COMMIT=0123456789abcdef0123456789abcdef01234567",
		"GIT_URL=https://bot:secret-token@git.example.com/team/app.git", "NODE_NAME=agent-7",
		"EXECUTOR_NUMBER=1", "WORKSPACE=/ws", "JENKINS_URL=https://ci.example.com/",
	})
	return env
}

// BenchmarkCollect is the build context from the environment at two sizes,
// with the [env] include and exclude patterns a config typically adds.
func BenchmarkCollect(b *testing.B) {
	opts := envcollect.Options{Include: []string{"DEPLOY_*"}, Exclude: []string{"*_INTERNAL", "NOTIFY_TOKEN"}}
	for _, n := range []int{300, 3000} {
		b.Run(fmt.Sprintf("vars=%d", n), func(b *testing.B) {
			environ := benchEnviron(n)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if c := envcollect.Collect(environ, opts); len(c.Env) == 0 {
					b.Fatal("empty context")
				}
			}
		})
	}
}

// BenchmarkStripUserinfo is the URL clean-up every collected value gets.
func BenchmarkStripUserinfo(b *testing.B) {
	for _, v := range []string{"https://ci.example.com/job/app/42/", "https://bot:tok@git.example.com/team/app.git"} {
		b.Run(v[8:11], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				_ = envcollect.StripUserinfo(v)
			}
		})
	}
}
