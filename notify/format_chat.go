package notify

import (
	"cmp"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jobnotify/jobnotify/internal/fastjson"
	"github.com/jobnotify/jobnotify/internal/human"
)

// The chat formats post one readable line to a chat platform's incoming
// webhook: status symbol, job, build number linked to the build, branch,
// short commit and the user's message, with a colour by status where the
// platform has one. They read the jobnotify payload, so outside Jenkins
// --field job.name=… or build.url=… fill the same places.
//
// Everything they show is plain text: a pull request's author writes its
// title and branch, and the Jenkinsfile that sets the stages and the
// message, so none of it may make a link, a ping or a heading. Each
// platform's markup has one escaping function (markup.esc), and every
// value passes through it; the user's message too, unless the config says
// markdown = true. The only links are jobnotify's own, to the build and
// the change, and only to http(s) URLs.
//
// For jobnotify run, the headline names the command, and the outcome's
// says how it ended ("make: exit 2 after 1m2s"); the log tail follows in
// the platform's code block. A command writes its log, and a build's
// command runs what a pull request changed, so the tail is as hostile as
// any value: each platform's code (markup.block) makes it plain text
// inside the block, and no line of it can end the block early.

// chatStyle is how a status looks in a chat message.
type chatStyle struct {
	symbol string
	color  int    // 0xRRGGBB
	teams  string // Adaptive Card TextBlock color
}

const (
	chatGreen = 0x2EB67D
	chatRed   = 0xE01E5A
	chatAmber = 0xECB22E
	chatGrey  = 0x9EA3A8
	chatBlue  = 0x1D9BD1
)

// chatStyles are keyed by upper-case status; "" is no status.
var chatStyles = map[string]chatStyle{
	"SUCCESS":   {"✅", chatGreen, "good"},
	"FAILURE":   {"❌", chatRed, "attention"},
	"UNSTABLE":  {"⚠️", chatAmber, "warning"},
	"ABORTED":   {"⏹", chatGrey, "default"},
	"NOT_BUILT": {"⏭", chatGrey, "default"},
	"QUEUED":    {"⏳", chatBlue, "accent"},
	"STARTED":   {"▶️", chatBlue, "accent"},
	"START":     {"▶️", chatBlue, "accent"},
	"RUNNING":   {"▶️", chatBlue, "accent"},
	"":          {"▶️", chatBlue, "accent"},
}

// otherStyle is the style of a status jobnotify does not know.
var otherStyle = chatStyle{"ℹ️", chatGrey, "default"}

// Length limits of the platforms, in characters.
const (
	slackTextMax       = 3000 // a section block's text
	discordContentMax  = 2000
	discordTitleMax    = 256
	discordFieldMax    = 300  // Discord allows 1024; 300 keeps the embed readable, as elsewhere
	chatMessageMax     = 4096 // Teams and Google Chat: no hard field limit, but a whole message is ~28 KB
	chatFactMax        = 300  // a detail such as a change title
	chatEllipsis       = "…"
	chatNoContextTitle = "jobnotify"
)

// chatMessage is what the chat formats show, taken from the payload.
type chatMessage struct {
	status      string // upper case; "" for none
	style       chatStyle
	job         string // JOB_NAME
	number      string // BUILD_NUMBER
	buildURL    string // BUILD_URL
	branch      string // BRANCH_NAME, else GIT_BRANCH
	commit      string // GIT_COMMIT[:7]
	stage       string // STAGE_NAME
	change      string // "#17 title" of a pull request build
	changeID    string
	changeTitle string // CHANGE_TITLE
	changeURL   string
	message     string // the user's message
	markdown    bool   // the message is the platform's markup, not plain text
	run         string // jobnotify run: "make"; the outcome's "make: exit 2 after 1m2s"
	tail        string // jobnotify run: the outcome's log tail, "" for none
}

func newChatMessage(f *formatInput) chatMessage {
	status := strings.ToUpper(strings.TrimSpace(f.In.Status))
	style, ok := chatStyles[status]
	if !ok {
		style = otherStyle
	}
	m := chatMessage{
		status:      status,
		style:       style,
		job:         f.payloadText("job", "name"),
		number:      f.payloadText("build", "number"),
		buildURL:    linkURL(f.payloadText("build", "url")),
		branch:      cmp.Or(f.env("BRANCH_NAME"), f.payloadText("scm", "branch")),
		commit:      f.payloadText("scm", "commit"),
		stage:       f.env("STAGE_NAME"),
		changeID:    f.payloadText("change", "id"),
		changeTitle: f.payloadText("change", "title"),
		changeURL:   linkURL(f.payloadText("change", "url")),
		message:     strings.TrimSpace(f.message()),
		markdown:    f.S.Options.Markdown,
	}
	if len(m.commit) > 7 {
		m.commit = m.commit[:7]
	}
	if m.changeID != "" {
		m.change = strings.TrimSpace("#" + m.changeID + " " + m.changeTitle)
	}
	if r := f.In.Run; r != nil {
		m.run = runSummary(r, status)
		if r.Outcome {
			m.tail = r.LogTail
		}
	}
	return m
}

// runSummary is what a chat message says of jobnotify run's command: its
// name at the start; at the outcome how it ended and after how long.
func runSummary(r *Run, status string) string {
	if !r.Outcome {
		return r.Command
	}
	after := " after " + human.Round(r.Duration).String()
	var how string
	switch {
	case status == "ABORTED" && r.Signal != "":
		how = "aborted (" + r.Signal + ")" + after
	case status == "ABORTED":
		how = "aborted" + after
	case r.Signal != "":
		how = "killed by " + r.Signal + after
	case r.ExitCode != nil:
		how = "exit " + strconv.Itoa(*r.ExitCode) + after
	default:
		how = "ended" + after
	}
	if r.Command == "" {
		return how
	}
	return r.Command + ": " + how
}

// linkURL is u when it is an absolute http(s) URL, "" otherwise (a
// javascript: or relative "URL" is never linked), with the characters
// that would end a link in some platform's markup (space < > ( ) [ ] |
// " ` \ ^ { } and controls) percent-encoded.
func linkURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c <= ' ' || c == 0x7f || strings.IndexByte("<>()[]|\"`\\^{}", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// payloadText is the payload's value at a path of keys as text, or "".
func (f *formatInput) payloadText(path ...string) string {
	var v any = f.Payload
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	switch v.(type) {
	case map[string]any, []any:
		return "" // not a scalar: nothing sensible to show
	}
	return text(v)
}

// markup renders text in one platform's message syntax.
type markup struct {
	// esc makes a value plain text: every character that the platform
	// would read as markup is escaped. The escape of a character depends
	// only on what comes before it, so that fit can cut a value anywhere.
	esc  func(string) string
	bold func(string) string         // of escaped text
	code func(string) string         // of raw text: escapes it as the platform's code needs
	link func(text, u string) string // text is escaped; u is from linkURL
	// block makes raw text (a log) plain inside the platform's ``` code
	// block, or on Teams, which has none, in a monospace TextBlock.
	block func(string) string
}

var plainMarkup = markup{
	esc:   func(s string) string { return s },
	bold:  func(s string) string { return s },
	code:  func(s string) string { return s },
	link:  func(t, _ string) string { return t },
	block: func(s string) string { return s },
}

// fenceSafe makes text safe inside a ``` code block, where there is no
// escape (a backslash shows as itself) and the first ``` ends the block:
// a log that prints one would end it early and have the rest read as
// markup, mentions and links. A zero-width space goes between any two
// backticks in a row, so no ``` is left; the text still reads as it was
// written, where a look-alike such as ’’’ would change what it says (a
// line copied from the chat holds the invisible character).
func fenceSafe(s string) string {
	if !strings.Contains(s, "``") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '`' && i+1 < len(s) && s[i+1] == '`' {
			b.WriteString("\u200b")
		}
	}
	return b.String()
}

// fence is the text of a ``` code block.
func fence(code string) string { return "```\n" + code + "\n```" }

// fenceSize is what fence adds, in characters.
const fenceSize = len("```\n\n```")

// codeBlock is the log tail in a ``` code block of at most max
// characters, its oldest lines cut (fitEnd); "" when there is no tail or
// no room.
func (m chatMessage) codeBlock(mk markup, max int) string {
	if m.tail == "" || max-fenceSize < 1 {
		return ""
	}
	return fence(fitEnd(m.tail, max-fenceSize, mk.block))
}

// lineWithTail is the line, then the log tail's code block, together at
// most max characters (one text holds both on Google Chat and Discord).
// The line keeps at least half of max, so a long message does not crowd
// out the log, and the block has the rest, its oldest lines cut.
func (m chatMessage) lineWithTail(mk markup, max int) string {
	if m.tail == "" {
		return m.line(mk, max)
	}
	full := utf8.RuneCountInString(m.codeBlock(mk, max))
	line := m.line(mk, max-min(full+1, max/2))
	block := m.codeBlock(mk, max-utf8.RuneCountInString(line)-1)
	if block == "" {
		return line
	}
	return line + "\n" + block
}

// messageText is the user's message cut to max characters: plain text
// like every value, or as written when the config says markdown = true.
func (m chatMessage) messageText(mk markup, max int) string {
	if m.markdown {
		return fit(m.message, max, plainMarkup.esc)
	}
	return fit(m.message, max, mk.esc)
}

// Encodings are the escapes the chat formats write text in, for the
// redactor to find a secret in them too (redact.Redactor.AddEncodings):
// each platform's, at the start of a line and within one.
func Encodings() []func(string) string {
	var out []func(string) string
	for _, esc := range []func(string) string{slackMarkup.esc, teamsMarkup.esc, discordMarkup.esc} {
		out = append(out, esc, func(s string) string { return esc("x" + s)[1:] })
	}
	return out
}

// markdownEscaper returns the esc of a markdown dialect: a backslash
// before every character of always, and before the characters that start
// a block at the start of a line (a heading's #, a quote's >, a list's -
// or + or the . or ) after its number, a heading's = underline). Both
// CommonMark (Teams' markdown-it) and Discord read a backslash before any
// ASCII punctuation as that character, so the text reads as it was
// written. Block characters elsewhere in a line are left alone: escaping
// every - and . would make branch names and versions hard to read in the
// JSON and in any preview that shows it raw.
func markdownEscaper(always string) func(string) string {
	return func(s string) string {
		var b strings.Builder
		const (
			lineStart = iota // only spaces and tabs so far on this line
			number           // then digits: a . or ) would make a list item
			inLine
		)
		state := lineStart
		for _, r := range s {
			switch {
			case r < utf8.RuneSelf && strings.IndexByte(always, byte(r)) >= 0,
				state == lineStart && strings.ContainsRune("#>-+=", r),
				state == number && (r == '.' || r == ')'):
				b.WriteByte('\\')
			}
			b.WriteRune(r)
			switch {
			case r == '\n' || r == '\r':
				state = lineStart
			case (r == ' ' || r == '\t') && state == lineStart:
			case r >= '0' && r <= '9' && state != inLine:
				state = number
			default:
				state = inLine
			}
		}
		return b.String()
	}
}

// headline is the line without the message: "✅ SUCCESS · team/app #42 ·
// main · 0123456". Whatever is absent is left out.
func (m chatMessage) headline(mk markup) string {
	head := m.style.symbol
	if m.status != "" {
		head += " " + mk.bold(mk.esc(m.status))
	}
	var parts []string
	build := mk.esc(m.job)
	if m.number != "" {
		num := "#" + mk.esc(m.number) // mid-line: this # starts no heading
		if m.buildURL != "" {
			num = mk.link(num, m.buildURL)
		}
		build = strings.TrimSpace(build + " " + num)
	}
	for _, p := range []string{build, mk.esc(m.branch)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if m.commit != "" {
		parts = append(parts, mk.code(m.commit))
	}
	if m.run != "" {
		parts = append(parts, mk.esc(m.run))
	}
	if len(parts) == 0 {
		return head
	}
	return head + " · " + strings.Join(parts, " · ")
}

// line is the headline and the message, escaped and cut to max characters.
func (m chatMessage) line(mk markup, max int) string {
	h := m.headline(mk)
	if m.message == "" {
		if m.status == "" && h == m.style.symbol {
			h += " " + chatNoContextTitle
		}
		return fit(h, max, plainMarkup.esc)
	}
	sep := " — "
	if m.status == "" && h == m.style.symbol {
		sep = " "
	}
	room := max - utf8.RuneCountInString(h+sep)
	if room < 1 {
		return fit(h, max, plainMarkup.esc)
	}
	return h + sep + m.messageText(mk, room)
}

// name is "team/app #42", or what there is of it, escaped with esc.
func (m chatMessage) name(esc func(string) string) string {
	if m.number == "" {
		return esc(m.job)
	}
	return strings.TrimSpace(esc(m.job) + " #" + esc(m.number))
}

// title is the headline without branch and commit, for card titles:
// "✅ SUCCESS · team/app #42", escaped with esc.
func (m chatMessage) title(esc func(string) string) string {
	t := m.style.symbol
	if m.status != "" {
		t += " " + esc(m.status)
	}
	if n := m.name(esc); n != "" {
		return t + " · " + n
	}
	if m.status == "" {
		return t + " " + chatNoContextTitle
	}
	return t
}

// fit returns esc(s), cut with "…" so that it is at most max characters.
// It cuts s, not its escaped form, so an escape sequence is never split:
// the result is esc of the longest prefix of s that leaves room for "…".
func fit(s string, max int, esc func(string) string) string {
	e := esc(s)
	if utf8.RuneCountInString(e) <= max {
		return e
	}
	var cuts []int // where each rune of s starts
	for i := range s {
		cuts = append(cuts, i)
	}
	// A longer prefix never escapes to fewer characters.
	n := sort.Search(len(cuts), func(k int) bool {
		return utf8.RuneCountInString(esc(s[:cuts[k]])) > max-1
	})
	if n == 0 {
		return chatEllipsis
	}
	return esc(s[:cuts[n-1]]) + chatEllipsis
}

// fitEnd returns esc(s), cut at its start so that it is at most max
// characters: the newest lines that fit, after a line "…"; when not even
// the last line fits, "…" and the end of that line. Like fit, it cuts s,
// never its escaped form. The cut is found by binary search: what it
// returns always fits, and it is the longest end that does because, with
// every markup here, a shorter end never escapes to more characters.
func fitEnd(s string, max int, esc func(string) string) string {
	if e := esc(s); utf8.RuneCountInString(e) <= max {
		return e
	}
	fits := func(t string) bool { return utf8.RuneCountInString(esc(t)) <= max }
	var starts []int // where each line but the first starts
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	k := sort.Search(len(starts), func(k int) bool { return fits(chatEllipsis + "\n" + s[starts[k]:]) })
	if k < len(starts) && starts[k] < len(s) {
		return esc(chatEllipsis + "\n" + s[starts[k]:])
	}
	last := s
	if len(starts) > 0 {
		last = s[starts[len(starts)-1]:]
	}
	var cuts []int // where each rune of the last line starts
	for i := range last {
		cuts = append(cuts, i)
	}
	n := sort.Search(len(cuts), func(k int) bool { return fits(chatEllipsis + last[cuts[k]:]) })
	if n == len(cuts) { // no room for a character after "…"
		if max < 1 {
			return ""
		}
		return chatEllipsis
	}
	return esc(chatEllipsis + last[cuts[n]:])
}

// detail is one name/value pair shown beside the line.
type detail struct{ name, value, url string }

// details are the facts a card shows: branch, commit, stage and change.
func (m chatMessage) details() []detail {
	var d []detail
	add := func(name, value, u string) {
		if value != "" {
			d = append(d, detail{name, value, u})
		}
	}
	add("Branch", m.branch, "")
	add("Commit", m.commit, "")
	add("Stage", m.stage, "")
	add("Change", m.change, m.changeURL)
	return d
}

func hexColor(c int) string { return fmt.Sprintf("#%06X", c) }

// Slack mrkdwn: &, < and > are control characters (<!channel> pings a
// whole channel, <url|text> is the only link), so user text has them
// escaped, and no value can make a link or a mention. *bold*, _italic_,
// ~strike~ and `code` have no escape in mrkdwn; a value that holds them
// may show in bold, which misleads no one about where a link goes. The
// text objects are verbatim, so that Slack does not turn names in them
// into channel links or mentions either; a bare URL shows as what it is.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

var slackMarkup = markup{
	esc:  slackEscaper.Replace,
	bold: func(s string) string { return "*" + s + "*" },
	code: func(s string) string {
		if strings.ContainsAny(s, "`\n") {
			return slackEscaper.Replace(s) // it would end the code span
		}
		return "`" + slackEscaper.Replace(s) + "`"
	},
	link: func(t, u string) string { return "<" + slackEscaper.Replace(u) + "|" + t + ">" },
	// Slack asks for &, < and > to be escaped in all text and makes no
	// exception for code: escaped, they show as themselves inside the
	// block too, and a <!channel> in a log stays text. The block has no
	// escape of its own for the ``` that would end it (fenceSafe).
	block: func(s string) string { return fenceSafe(slackEscaper.Replace(s)) },
}

// mrkdwn is a Slack mrkdwn text object; verbatim for text that holds
// values (see slackMarkup).
func mrkdwn(s string, verbatim bool) map[string]any {
	m := map[string]any{"type": "mrkdwn", "text": s}
	if verbatim {
		m["verbatim"] = true
	}
	return m
}

// slack is a Slack incoming webhook message: text (the notification
// fallback) and blocks, with the message and details in an attachment
// coloured by status.
func slack(f *formatInput) ([]byte, http.Header, error) {
	m := newChatMessage(f)
	fallback := m.line(markup{esc: slackMarkup.esc, bold: plainMarkup.bold, code: slackMarkup.esc, link: plainMarkup.link}, slackTextMax)
	blocks := []any{map[string]any{"type": "section", "text": mrkdwn(fit(m.headline(slackMarkup), slackTextMax, plainMarkup.esc), true)}}
	var inner []any
	if m.message != "" {
		inner = append(inner, map[string]any{"type": "section", "text": mrkdwn(m.messageText(slackMarkup, slackTextMax), !m.markdown)})
	}
	if tail := m.codeBlock(slackMarkup, slackTextMax); tail != "" {
		inner = append(inner, map[string]any{"type": "section", "text": mrkdwn(tail, true)})
	}
	var elems []any
	for _, d := range m.details() {
		if d.name == "Branch" || d.name == "Commit" {
			continue // already in the headline
		}
		v := fit(d.value, chatFactMax, slackMarkup.esc)
		if d.url != "" {
			v = slackMarkup.link(v, d.url)
		}
		elems = append(elems, mrkdwn(d.name+": "+v, true))
	}
	if len(elems) > 0 {
		inner = append(inner, map[string]any{"type": "context", "elements": elems})
	}
	msg := map[string]any{"text": fallback, "blocks": blocks}
	if len(inner) > 0 {
		msg["attachments"] = []any{map[string]any{"color": hexColor(m.style.color), "blocks": inner}}
	}
	b, err := fastjson.Marshal(msg)
	return b, jsonHeader("application/json"), err
}

// Teams: Adaptive Card TextBlocks and FactSet values are markdown
// (CommonMark, as the markdown-it of the Adaptive Cards renderer reads
// it), so every value has its markdown characters backslash-escaped: &
// too, since CommonMark decodes &lt; and &#91;. The headline TextBlock is
// bold already, and Teams has no code style.
var teamsEscape = markdownEscaper("\\`*_~|[]()<&")

var teamsMarkup = markup{
	esc:   teamsEscape,
	bold:  plainMarkup.bold,
	code:  teamsEscape,
	link:  func(t, u string) string { return "[" + t + "](" + u + ")" },
	block: teamsLog,
}

// teamsLog is a log as the markdown of a monospace TextBlock (Teams has
// no code block): escaped as every value is, with each line kept a line.
// Markdown would join lines (a line break is a space), strip a line's
// indentation, and read a line indented by four spaces after a blank one
// as a code block, which shows the escapes' backslashes. So each line
// ends in a hard break (two spaces, the break every markdown knows), a
// tab is four spaces, a space that starts a line or follows another is a
// no-break space, and a blank line is one no-break space: the log stays
// one paragraph, whose lines keep their indentation (but for the first:
// a renderer may trim the paragraph's start).
func teamsLog(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.Trim(l, " \t") == "" {
			lines[i] = "\u00a0"
			continue
		}
		l = teamsEscape(strings.ReplaceAll(l, "\t", "    "))
		var b strings.Builder
		prev := ' ' // at the start of a line, as after a space
		for _, r := range l {
			if r == ' ' && prev == ' ' {
				b.WriteRune('\u00a0')
			} else {
				b.WriteRune(r)
			}
			if r == '\u00a0' {
				r = ' '
			}
			prev = r
		}
		lines[i] = b.String()
	}
	return strings.Join(lines, "  \n")
}

// teams is a Microsoft Teams Workflows (Power Automate) webhook message
// holding one Adaptive Card. Adaptive Cards have no free colours: the
// headline uses the named colours good, attention, warning and accent.
func teams(f *formatInput) ([]byte, http.Header, error) {
	m := newChatMessage(f)
	body := []any{map[string]any{
		"type": "TextBlock", "text": m.headline(teamsMarkup), "wrap": true,
		"weight": "Bolder", "size": "Medium", "color": m.style.teams,
	}}
	if m.message != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": m.messageText(teamsMarkup, chatMessageMax), "wrap": true})
	}
	if m.tail != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": fitEnd(m.tail, chatMessageMax, teamsMarkup.block), "wrap": true, "fontType": "Monospace"})
	}
	var facts []any
	if m.job != "" {
		facts = append(facts, map[string]any{"title": "Job", "value": fit(m.job, chatFactMax, teamsMarkup.esc)})
	}
	for _, d := range m.details() {
		facts = append(facts, map[string]any{"title": d.name, "value": fit(d.value, chatFactMax, teamsMarkup.esc)})
	}
	if len(facts) > 0 {
		body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
	}
	if m.buildURL != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open build", "url": m.buildURL}}
	}
	msg := map[string]any{
		"type": "message",
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"content":     card,
		}},
	}
	b, err := fastjson.Marshal(msg)
	return b, jsonHeader("application/json"), err
}

// Google Chat: webhook text uses Chat's own markup, which is Slack's:
// *bold*, <url|text> links, <users/all> mentions and & < > escaped, with
// no escape for * _ ~ ` either (see slackMarkup).
var googleChatMarkup = slackMarkup

// googleChat is a Google Chat incoming webhook message: text (the line)
// and a card with the status in colour, the details and a button. Card
// text is HTML and escaped as such; the card header is plain text.
func googleChat(f *formatInput) ([]byte, http.Header, error) {
	m := newChatMessage(f)
	msg := map[string]any{"text": m.lineWithTail(googleChatMarkup, chatMessageMax)}
	var widgets []any
	if m.status != "" {
		widgets = append(widgets, map[string]any{"decoratedText": map[string]any{
			"topLabel": "Status",
			"text":     fmt.Sprintf(`<font color="%s">%s %s</font>`, hexColor(m.style.color), m.style.symbol, html.EscapeString(m.status)),
		}})
	}
	for _, d := range m.details() {
		v := html.EscapeString(fit(d.value, chatFactMax, plainMarkup.esc))
		if d.url != "" {
			v = `<a href="` + html.EscapeString(d.url) + `">` + v + `</a>`
		}
		widgets = append(widgets, map[string]any{"decoratedText": map[string]any{"topLabel": d.name, "text": v, "wrapText": true}})
	}
	if m.buildURL != "" {
		widgets = append(widgets, map[string]any{"buttonList": map[string]any{"buttons": []any{map[string]any{
			"text": "Open build", "onClick": map[string]any{"openLink": map[string]any{"url": m.buildURL}},
		}}}})
	}
	if len(widgets) > 0 {
		header := map[string]any{"title": cmp.Or(m.name(plainMarkup.esc), chatNoContextTitle)}
		if m.status != "" {
			header["subtitle"] = m.style.symbol + " " + m.status
		}
		msg["cardsV2"] = []any{map[string]any{
			"cardId": "jobnotify",
			"card": map[string]any{
				"header":   header,
				"sections": []any{map[string]any{"widgets": widgets}},
			},
		}}
	}
	b, err := fastjson.Marshal(msg)
	return b, jsonHeader("application/json"), err
}

// Discord markdown reads a backslash before any punctuation as that
// character, so every value has its markdown characters escaped: @ too,
// so that @everyone shows as text rather than as a (silenced) mention.
// Masked links are made only by jobnotify, on text it chose (#42, #17),
// never on a value such as a title: a parser of Discord's kind (such as
// simple-markdown) does not honour escaped brackets in a link's text. A
// bare URL in a value is linked by Discord and shows where it goes.
var discordEscape = markdownEscaper("\\`*_~|[]()<@")

var discordMarkup = markup{
	esc:  discordEscape,
	bold: func(s string) string { return "**" + s + "**" },
	code: func(s string) string {
		if strings.ContainsAny(s, "`\n") {
			return discordEscape(s) // it would end the code span
		}
		return "`" + s + "`" // nothing is markup inside code
	},
	link: func(t, u string) string { return "[" + t + "](<" + u + ">)" },
	// Nothing is markup inside a code block, mentions and links
	// included, and a backslash would show: only the ``` that would
	// end the block needs care.
	block: fenceSafe,
}

// discord is a Discord webhook message: content (the line, with the
// message) and one embed coloured by status with the details. The message
// is in content only: content is what Discord shows in notifications and
// previews, and a second copy in the embed's description said it twice.
// Mentions are disabled, so that a message holding @everyone pings nobody
// even with markdown = true.
func discord(f *formatInput) ([]byte, http.Header, error) {
	m := newChatMessage(f)
	embed := map[string]any{
		"title":     fit(m.title(discordMarkup.esc), discordTitleMax, plainMarkup.esc),
		"color":     m.style.color,
		"timestamp": f.timestamp(),
	}
	setIf(embed, "url", m.buildURL)
	var fields []any
	for _, d := range m.details() {
		var v string
		switch {
		case d.name == "Commit":
			v = discordMarkup.code(fit(d.value, discordFieldMax-len("``"), plainMarkup.esc))
		case d.name == "Change":
			v = "#" + discordMarkup.esc(m.changeID)
			if d.url != "" {
				v = discordMarkup.link(v, d.url)
			}
			if room := discordFieldMax - utf8.RuneCountInString(v) - 1; m.changeTitle != "" && room > 0 {
				v += " " + fit(m.changeTitle, room, discordMarkup.esc)
			}
		default:
			v = fit(d.value, discordFieldMax, discordMarkup.esc)
		}
		fields = append(fields, map[string]any{"name": d.name, "value": v, "inline": d.name != "Change"})
	}
	if len(fields) > 0 {
		embed["fields"] = fields
	}
	msg := map[string]any{
		"content":          m.lineWithTail(discordMarkup, discordContentMax),
		"embeds":           []any{embed},
		"allowed_mentions": map[string]any{"parse": []any{}},
	}
	b, err := fastjson.Marshal(msg)
	return b, jsonHeader("application/json"), err
}
