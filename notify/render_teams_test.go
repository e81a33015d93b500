package notify

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// renderedCard is a Teams card as Microsoft's Adaptive Cards library
// renders it: its links and the text of each TextBlock.
type renderedCard struct {
	Links []struct{ Href, Text string }
	Texts []string
}

// renderTeams renders Teams messages with the Adaptive Cards library
// (testdata/adaptivecards/render.js, markdown by markdown-it). It skips
// the test when node or the packages are not installed:
// npm ci --prefix notify/testdata/adaptivecards installs them.
func renderTeams(tb testing.TB, msgs ...[]byte) []renderedCard {
	tb.Helper()
	dir := filepath.Join("testdata", "adaptivecards")
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Skip("node is not installed: the Adaptive Cards rendering is not checked")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "adaptivecards", "package.json")); err != nil {
		tb.Skip("the Adaptive Cards packages are not installed (npm ci --prefix notify/testdata/adaptivecards): the rendering is not checked")
	}
	raw := make([]json.RawMessage, len(msgs))
	for i, m := range msgs {
		raw[i] = m
	}
	in, err := json.Marshal(raw)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(node, "render.js")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("render.js: %v\n%s", err, stderr.Bytes())
	}
	var cards []renderedCard
	if err := json.Unmarshal(out, &cards); err != nil {
		tb.Fatalf("render.js: %v\n%s", err, out)
	}
	if len(cards) != len(msgs) {
		tb.Fatalf("render.js: got %d cards, want %d", len(cards), len(msgs))
	}
	return cards
}

// TestTeamsCardsRender renders the teams format's card as a Teams client
// would: the hostile pull request draws no link but jobnotify's own, and
// every value reads exactly as it was written.
func TestTeamsCardsRender(t *testing.T) {
	plain := []string{
		"a *b* _c_ ~~d~~ `e` **f** \\g",
		"1. not a list",
		"- not a list either",
		"> not a quote",
		"## not a heading",
		"<b>not html</b> &amp; &#91;not an entity&#93;",
		"[x]: https://evil.example/ref [x]",
		"![image](https://evil.example/i.png)",
		"<https://evil.example/auto> <mail@evil.example>",
		"+ = | \\] \\\\](https://evil.example/bs)",
	}
	msgs := [][]byte{chatBody(t, "teams", hostileEnv(t), "", hostileMessage)}
	for _, s := range plain {
		msgs = append(msgs, chatBody(t, "teams", append(jenkinsEnv(t), "CHANGE_TITLE="+s), "", s))
	}
	// The control: a markdown message's link is drawn, so the renderer
	// does render links and the checks above can fail.
	msgs = append(msgs, chatBody(t, "teams", jenkinsEnv(t), "markdown = true", "see [the report](https://docs.example/run)"))
	cards := renderTeams(t, msgs...)
	control := cards[len(cards)-1]
	if !slices.Contains(control.Links, struct{ Href, Text string }{"https://docs.example/run", "the report"}) {
		t.Errorf("markdown = true: got links %v, want the message's link drawn", control.Links)
	}

	hostile := cards[0]
	for _, l := range hostile.Links {
		if l.Href != testBuildURL {
			t.Errorf("hostile card: a link %q to %s, want only the link to the build", l.Text, l.Href)
		}
	}
	if len(hostile.Links) != 1 {
		t.Errorf("hostile card: got %d links, want 1 (the build): %v", len(hostile.Links), hostile.Links)
	}
	for _, want := range []string{"#17 " + hostileTitle, hostileJob, hostileBranch, hostileStage, hostileMessage} {
		if !slices.Contains(hostile.Texts, want) {
			t.Errorf("hostile card: no text reads %q; got %q", want, hostile.Texts)
		}
	}
	for i, s := range plain {
		c := cards[i+1]
		if len(c.Links) != 1 {
			t.Errorf("%q: got links %v, want only the build's", s, c.Links)
		}
		if !slices.Contains(c.Texts, s) {
			t.Errorf("%q: not in the message's text; got %q", s, c.Texts)
		}
		if !slices.Contains(c.Texts, "#17 "+s) {
			t.Errorf("%q: not in the Change fact; got %q", s, c.Texts)
		}
	}
}
