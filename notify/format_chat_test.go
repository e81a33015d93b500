package notify

import (
	"html"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
)

// A pull request's author writes its title, its branch's name and, in the
// Jenkinsfile of that branch, the job's stages and the message: every one
// of them may try to plant a link or a ping in the chat message.
const (
	hostileTitle   = "Fix](https://evil.example/login) [Reset your password](https://evil.example/reset)"
	hostileJob     = "team/[app](https://evil.example/job)"
	hostileBranch  = "[main](https://evil.example/branch) <https://evil.example/b|main> <!channel> @everyone"
	hostileStage   = "# **Deploy** <https://evil.example/stage>"
	hostileMessage = "[Reset your password](https://evil.example/msg) <https://evil.example/m|click> <users/all> <!channel> @everyone\n- [x](https://evil.example/list)"
)

// The links jobnotify itself makes, from testdata/jenkins.env.
const (
	testBuildURL  = "https://ci.example.com/job/team/job/app/42/"
	testChangeURL = "https://git.example.com/team/app/pull/17"
)

func hostileEnv(tb testing.TB) []string {
	tb.Helper()
	return append(jenkinsEnv(tb),
		"JOB_NAME="+hostileJob,
		"BRANCH_NAME="+hostileBranch,
		"STAGE_NAME="+hostileStage,
		"CHANGE_TITLE="+hostileTitle,
	)
}

// chatStrings returns every string of a decoded chat message but those
// under the keys that hold a URL by design (a button's or a title's
// target), keyed by where it is.
func chatStrings(v any) map[string]string {
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if k == "url" || k == "$schema" {
					continue
				}
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range v {
				walk(path+"."+strconv.Itoa(i), e)
			}
		case string:
			out[path] = v
		}
	}
	walk("", v)
	return out
}

// unescaped reports whether s[i] is not preceded by an odd number of
// backslashes, which in markdown make it a literal character.
func unescaped(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 0
}

// markdownUnescape removes the backslash escapes of ASCII punctuation, as
// a CommonMark renderer does outside code.
func markdownUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// markdownLinks returns the problems of a markdown text: markup that makes
// a link, other than jobnotify's own links to the build and the change.
func markdownLinks(s string) []string { return markdownProblems(s, false) }

// discordLinks returns the problems of a Discord text: links as for
// markdownLinks, and mentions.
func discordLinks(s string) []string { return markdownProblems(s, true) }

func markdownProblems(s string, mentions bool) []string {
	for _, own := range []string{testBuildURL, testChangeURL} {
		s = strings.ReplaceAll(s, "](<"+own+">)", "")
		s = strings.ReplaceAll(s, "]("+own+")", "")
	}
	var bad []string
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "](") && unescaped(s, i):
			bad = append(bad, "a masked link at "+quoteAround(s, i))
		case s[i] == '<' && unescaped(s, i):
			bad = append(bad, "an autolink or tag at "+quoteAround(s, i))
		case mentions && strings.HasPrefix(s[i:], "@everyone") && unescaped(s, i):
			bad = append(bad, "a mention at "+quoteAround(s, i))
		}
	}
	return bad
}

// angleLinks returns the problems of a Slack or Google Chat text: any
// control sequence (<url|text>, <!channel>, <users/all>) other than
// jobnotify's own links.
func angleLinks(s string) []string {
	for _, own := range []string{testBuildURL, testChangeURL} {
		s = strings.ReplaceAll(s, "<"+own+"|", "")
		s = strings.ReplaceAll(s, `<a href="`+own+`">`, "")
	}
	s = strings.ReplaceAll(s, "</a>", "")
	s = strings.ReplaceAll(s, `<font color="`, "")
	s = strings.ReplaceAll(s, "</font>", "")
	var bad []string
	for i := 0; i < len(s); i++ {
		if s[i] == '<' {
			bad = append(bad, "a control sequence at "+quoteAround(s, i))
		}
	}
	return bad
}

func quoteAround(s string, i int) string {
	return strings.TrimSpace(s[max(0, i-20):min(len(s), i+30)])
}

// chatProblems finds link and mention markup in a text of each format.
var chatProblems = map[string]func(string) []string{
	"slack": angleLinks, "googlechat": angleLinks, "teams": markdownLinks, "discord": discordLinks,
}

// TestChatPlainText: whatever the build's environment and the message
// hold, no chat format turns it into a link or a mention, and the text
// still reads as it was written.
func TestChatPlainText(t *testing.T) {
	tests := []struct {
		format string
		plain  func(string) string // the text as the platform shows it, near enough
	}{
		{"slack", html.UnescapeString},
		{"googlechat", html.UnescapeString},
		{"teams", markdownUnescape},
		{"discord", markdownUnescape},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			m := ftObject(t, chatBody(t, tt.format, hostileEnv(t), "", hostileMessage))
			strs := chatStrings(m)
			paths := slices.Sorted(maps.Keys(strs))
			var shown strings.Builder
			for _, p := range paths {
				for _, bad := range chatProblems[tt.format](strs[p]) {
					t.Errorf("%s: %s holds %s", tt.format, p, bad)
				}
				shown.WriteString(tt.plain(strs[p]) + "\n")
			}
			for _, want := range []string{hostileTitle, hostileJob, hostileBranch, hostileMessage, hostileStage} {
				if !strings.Contains(shown.String(), want) {
					t.Errorf("%s: no text reads %q; got:\n%s", tt.format, want, shown.String())
				}
			}
		})
	}
}

// TestDiscordMessageOnce: the message is shown once, not in the content
// and again in the embed.
func TestDiscordMessageOnce(t *testing.T) {
	const msg = "deployed to prod"
	m := ftChat(t, "discord", jenkinsEnv(t), "SUCCESS", msg)
	var where []string
	for p, s := range chatStrings(m) {
		if strings.Contains(s, msg) {
			where = append(where, p)
		}
	}
	if len(where) != 1 {
		t.Errorf("the message is in %v, want it in exactly one place", where)
	}
	if got, _ := ftGet(m, "content").(string); !strings.HasSuffix(got, " — "+msg) {
		t.Errorf("content: got %q, want the line with the message", got)
	}
}

// chatBody builds a chat format's body with the message given as the
// "message" field (a --body that starts with [ would be read as JSON).
func chatBody(tb testing.TB, format string, environ []string, toml, message string) []byte {
	tb.Helper()
	in := Input{ID: testID, Status: "FAILURE", Time: testTime, Fields: mustFields(tb, "message="+message)}
	r, err := ftBuild(tb, environ, "format = \""+format+"\"\n"+toml, in)
	if err != nil {
		tb.Fatalf("Build: %v", err)
	}
	return r.Body.Bytes()
}

// TestChatMarkdown: with markdown = true (at the top level or for the
// target) the message is sent as written, in the platform's markup, while
// the values from the build's environment stay plain text.
func TestChatMarkdown(t *testing.T) {
	const msg = "see [the report](https://docs.example/run) or <https://docs.example/run|the report>, *now*"
	tests := []struct {
		name, toml, target string
		markdown           bool
	}{
		{name: "default", toml: "", markdown: false},
		{name: "top level", toml: "markdown = true", markdown: true},
		{name: "target", toml: "[targets.chat]\nmarkdown = true", target: "chat", markdown: true},
		{name: "target turns it off", toml: "markdown = true\n[targets.chat]\nmarkdown = false", target: "chat", markdown: false},
		{name: "another target keeps the top level's", toml: "markdown = true\n[targets.chat]\nmarkdown = false\n[targets.other]", target: "other", markdown: true},
	}
	for _, tt := range tests {
		for _, format := range []string{"slack", "teams", "googlechat", "discord"} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				environ := hostileEnv(t)
				toml := "url = \"http://127.0.0.1:9/hook\"\nformat = \"" + format + "\"\n" + tt.toml + "\n"
				file, err := config.Parse("test.toml", []byte(toml), testVersion)
				if err != nil {
					t.Fatal(err)
				}
				s, err := config.Resolve(file, tt.target, config.Overrides{}, envMap(environ))
				if err != nil {
					t.Fatal(err)
				}
				in := Input{ID: testID, Status: "FAILURE", Time: testTime, Fields: mustFields(t, "message="+msg)}
				r, err := Build(envcollect.Collect(environ, envcollect.Options(s.Env)), s, in, "1.2.3")
				if err != nil {
					t.Fatal(err)
				}
				m := ftObject(t, r.Body.Bytes())
				raw := false
				for p, str := range chatStrings(m) {
					if strings.Contains(str, msg) {
						raw = true
					}
					if strings.Contains(str, "Reset your password") { // the hostile title
						for _, bad := range chatProblems[format](str) {
							t.Errorf("%s holds %s", p, bad)
						}
					}
				}
				if raw != tt.markdown {
					t.Errorf("message sent as written: got %v, want %v", raw, tt.markdown)
				}
				if format == "slack" {
					if got := ftGet(m, "attachments", 0, "blocks", 0, "text", "verbatim") == true; got == tt.markdown {
						t.Errorf("message verbatim: got %v, want %v (Slack links bare URLs in markdown only)", got, !tt.markdown)
					}
				}
			})
		}
	}
}

func TestMarkdownEscape(t *testing.T) {
	tests := []struct {
		in, teams, discord string
	}{
		{"plain text 1.2.3 feature-x a+b", "plain text 1.2.3 feature-x a+b", "plain text 1.2.3 feature-x a+b"},
		{"[t](https://evil.example)", `\[t\]\(https://evil.example\)`, `\[t\]\(https://evil.example\)`},
		{"<https://evil.example> & @everyone", `\<https://evil.example> \& @everyone`, `\<https://evil.example> & \@everyone`},
		{"*b* _i_ ~~s~~ `c` ||spoiler|| \\", `\*b\* \_i\_ \~\~s\~\~ \` + "`" + `c\` + "`" + ` \|\|spoiler\|\| \\`, `\*b\* \_i\_ \~\~s\~\~ \` + "`" + `c\` + "`" + ` \|\|spoiler\|\| \\`},
		// Block markers only where they start a block: at a line's start.
		{"# h\n  ## h\n> q\n- l\n+ l\n12. l\n3) l\n===", "\\# h\n  \\## h\n\\> q\n\\- l\n\\+ l\n12\\. l\n3\\) l\n\\===", "\\# h\n  \\## h\n\\> q\n\\- l\n\\+ l\n12\\. l\n3\\) l\n\\==="},
		{"a # b > c - d 1. e", "a # b > c - d 1. e", "a # b > c - d 1. e"},
	}
	for _, tt := range tests {
		if got := teamsMarkup.esc(tt.in); got != tt.teams {
			t.Errorf("teams %q: got %q, want %q", tt.in, got, tt.teams)
		}
		if got := discordMarkup.esc(tt.in); got != tt.discord {
			t.Errorf("discord %q: got %q, want %q", tt.in, got, tt.discord)
		}
		if got := markdownUnescape(teamsMarkup.esc(tt.in)); got != tt.in {
			t.Errorf("teams %q: unescaped, got %q back", tt.in, got)
		}
	}
	// fit cuts the value, never an escape, also where an escape depends on
	// the place in the line.
	for _, tt := range []struct {
		s    string
		max  int
		want string
	}{
		{"[x](y)", 6, `\[x\]…`},
		{"[x](y)", 5, `\[x…`},
		{"[x](y)", 4, `\[x…`},
		{"[x](y)", 3, `\[…`},
		{"[x](y)", 2, `…`},
		{"ab\n- c", 6, "ab\n\\-…"},
		{"ab\n- c", 5, "ab\n…"},
	} {
		if got := fit(tt.s, tt.max, discordMarkup.esc); got != tt.want {
			t.Errorf("fit(%q, %d): got %q, want %q", tt.s, tt.max, got, tt.want)
		}
	}
}

// A URL from the environment is linked only when it is http(s), and never
// with a character that ends a link in some platform's markup.
func TestLinkURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://ci.example.com/job/app/42/", "https://ci.example.com/job/app/42/"},
		{"http://ci:8080/job/a%20b/1/?x=1&y=2", "http://ci:8080/job/a%20b/1/?x=1&y=2"},
		{"https://ci/x>) [evil](https://evil.example", "https://ci/x%3E%29%20%5Bevil%5D%28https://evil.example"},
		{"https://ci/a|b", "https://ci/a%7Cb"},
		{"javascript:alert(1)", ""},
		{"/job/app/42/", ""},
		{"ci.example.com/job", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := linkURL(tt.in); got != tt.want {
			t.Errorf("linkURL(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
	m := ftChat(t, "discord", append(jenkinsEnv(t), "BUILD_URL=javascript:alert(1)"), "SUCCESS", "")
	if got, _ := ftGet(m, "content").(string); strings.Contains(got, "javascript") || !strings.Contains(got, "team/app #42") {
		t.Errorf("content: got %q, want #42 unlinked", got)
	}
	if got := ftGet(m, "embeds", 0, "url"); got != nil {
		t.Errorf("embed url: got %v, want none", got)
	}
}
