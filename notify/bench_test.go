package notify_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/notify"
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

// benchBody returns a JSON object of about size bytes: a console log as
// one string plus a few small fields.
func benchBody(size int) string {
	var b strings.Builder
	b.WriteString(`{"message":"build log attached","tests":{"passed":412,"failed":0},"log":"`)
	for i := 0; b.Len() < size-64; i++ {
		fmt.Fprintf(&b, `[%08d] INFO  com.example.app.DeployStep - step %d finished in 12ms\n`, i, i)
	}
	b.WriteString(`"}`)
	return b.String()
}

func benchSettings(b *testing.B, method string) *config.Settings {
	b.Helper()
	var ov config.Overrides
	if err := ov.Set("url", "https://api.example.com/pipeline/status", "--url"); err != nil {
		b.Fatal(err)
	}
	if err := ov.Set("method", method, "--method"); err != nil {
		b.Fatal(err)
	}
	h, err := config.NewHeader("Authorization: Bearer bench-token-0123456789", "--header")
	if err != nil {
		b.Fatal(err)
	}
	ov.Headers = []config.Header{h}
	s, err := config.Resolve(nil, "", ov, map[string]string{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkBuild is the per-call cost of everything between the command
// line and the wire: collecting the build context from the environment,
// parsing --body, merging and encoding the payload. Two sizes of each
// input show that the cost is linear in both.
func BenchmarkBuild(b *testing.B) {
	for _, tc := range []struct{ vars, body int }{
		{300, 0}, {3000, 0}, {3000, 100 << 10}, {3000, 1 << 20},
	} {
		b.Run(fmt.Sprintf("vars=%d/body=%s", tc.vars, benchSize(tc.body)), func(b *testing.B) {
			environ := benchEnviron(tc.vars)
			s := benchSettings(b, "POST")
			text := ""
			if tc.body > 0 {
				text = benchBody(tc.body)
			}
			now := time.Date(2026, 11, 27, 3, 20, 0, 0, time.UTC)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				in := notify.Input{ID: "3b0c5c1e-0000-4000-8000-000000000001", Status: "SUCCESS", Time: now}
				if text != "" {
					body, err := notify.ParseBody(text, "--body")
					if err != nil {
						b.Fatal(err)
					}
					in.Body = body
				}
				c := envcollect.Collect(environ, envcollect.Options(s.Env))
				r, err := notify.Build(c, s, in, "bench")
				if err != nil {
					b.Fatal(err)
				}
				if r.Body.Len() < len(text) {
					b.Fatalf("body of %d bytes, want at least %d", r.Body.Len(), len(text))
				}
			}
		})
	}
}

// BenchmarkParseBody is --body alone: the JSON check and decode.
func BenchmarkParseBody(b *testing.B) {
	for _, size := range []int{100 << 10, 1 << 20} {
		b.Run("body="+benchSize(size), func(b *testing.B) {
			text := benchBody(size)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := notify.ParseBody(text, "--body"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchPayload returns a payload of n leaf keys, nested like a real one.
func benchPayload(n int) map[string]any {
	p := map[string]any{}
	for i := 0; i < n; i++ {
		sec, ok := p[fmt.Sprintf("section%d", i%10)].(map[string]any)
		if !ok {
			sec = map[string]any{}
			p[fmt.Sprintf("section%d", i%10)] = sec
		}
		sec[fmt.Sprintf("key_%d", i)] = fmt.Sprintf("value %d & more/?=", i)
	}
	return p
}

// BenchmarkQuery is GET's query flattening at two payload sizes.
func BenchmarkQuery(b *testing.B) {
	for _, n := range []int{50, 500} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			p := benchPayload(n)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if q := notify.Query(p); q == "" {
					b.Fatal("empty query")
				}
			}
		})
	}
}

func benchSize(n int) string {
	switch {
	case n == 0:
		return "none"
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	default:
		return fmt.Sprintf("%dKiB", n>>10)
	}
}
