package notify

import (
	"cmp"
	"fmt"
	"html"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/jobnotify/jobnotify/internal/fastjson"
)

// The chat formats post one readable line to a chat platform's incoming
// webhook: status symbol, job, build number linked to the build, branch,
// short commit and the user's message, with a colour by status where the
// platform has one. They read the jobnotify payload, so outside Jenkins
// --field job.name=… or build.url=… fill the same places.

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
	discordDescMax     = 4096
	discordTitleMax    = 256
	discordFieldMax    = 300  // Discord allows 1024; 300 keeps the embed readable, as elsewhere
	discordEmbedMax    = 6000 // all of an embed's text together, or Discord refuses the message
	chatMessageMax     = 4096 // Teams and Google Chat: no hard field limit, but a whole message is ~28 KB
	chatFactMax        = 300  // a detail such as a change title
	chatEllipsis       = "…"
	chatNoContextTitle = "jobnotify"
)

// chatMessage is what the chat formats show, taken from the payload.
type chatMessage struct {
	status    string // upper case; "" for none
	style     chatStyle
	job       string // JOB_NAME
	number    string // BUILD_NUMBER
	buildURL  string // BUILD_URL
	branch    string // BRANCH_NAME, else GIT_BRANCH
	commit    string // GIT_COMMIT[:7]
	stage     string // STAGE_NAME
	change    string // "#17 title" of a pull request build
	changeID  string
	changeURL string
	message   string // the user's message
}

func newChatMessage(f *formatInput) chatMessage {
	status := strings.ToUpper(strings.TrimSpace(f.In.Status))
	style, ok := chatStyles[status]
	if !ok {
		style = otherStyle
	}
	m := chatMessage{
		status:    status,
		style:     style,
		job:       f.payloadText("job", "name"),
		number:    f.payloadText("build", "number"),
		buildURL:  f.payloadText("build", "url"),
		branch:    cmp.Or(f.env("BRANCH_NAME"), f.payloadText("scm", "branch")),
		commit:    f.payloadText("scm", "commit"),
		stage:     f.env("STAGE_NAME"),
		changeID:  f.payloadText("change", "id"),
		changeURL: f.payloadText("change", "url"),
		message:   strings.TrimSpace(f.message()),
	}
	if len(m.commit) > 7 {
		m.commit = m.commit[:7]
	}
	if m.changeID != "" {
		m.change = "#" + m.changeID
		if title := f.payloadText("change", "title"); title != "" {
			m.change += " " + title
		}
	}
	return m
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
	esc  func(string) string         // escape the platform's special characters
	bold func(string) string         // of escaped text
	code func(string) string         // of escaped text
	link func(text, u string) string // text is escaped; u is raw
}

var plainMarkup = markup{
	esc:  func(s string) string { return s },
	bold: func(s string) string { return s },
	code: func(s string) string { return s },
	link: func(t, _ string) string { return t },
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
		num := mk.esc("#" + m.number)
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
		parts = append(parts, mk.code(mk.esc(m.commit)))
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
	return h + sep + fit(m.message, room, mk.esc)
}

// name is "team/app #42", or what there is of it.
func (m chatMessage) name() string {
	if m.number == "" {
		return m.job
	}
	return strings.TrimSpace(m.job + " #" + m.number)
}

// title is the plain headline without branch and commit, for card titles:
// "✅ SUCCESS · team/app #42".
func (m chatMessage) title() string {
	t := m.style.symbol
	if m.status != "" {
		t += " " + m.status
	}
	if n := m.name(); n != "" {
		return t + " · " + n
	}
	if m.status == "" {
		return t + " " + chatNoContextTitle
	}
	return t
}

// fit returns esc(s), cut with "…" so that it is at most max characters;
// an escape sequence is never split.
func fit(s string, max int, esc func(string) string) string {
	e := esc(s)
	if utf8.RuneCountInString(e) <= max {
		return e
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		er := esc(string(r))
		k := utf8.RuneCountInString(er)
		if n+k > max-1 {
			break
		}
		b.WriteString(er)
		n += k
	}
	return b.String() + chatEllipsis
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
// whole channel), so user text has them escaped.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

var slackMarkup = markup{
	esc:  slackEscaper.Replace,
	bold: func(s string) string { return "*" + s + "*" },
	code: func(s string) string { return "`" + s + "`" },
	link: func(t, u string) string { return "<" + slackEscaper.Replace(u) + "|" + t + ">" },
}

func mrkdwn(s string) map[string]any { return map[string]any{"type": "mrkdwn", "text": s} }

// slack is a Slack incoming webhook message: text (the notification
// fallback) and blocks, with the message and details in an attachment
// coloured by status.
func slack(f *formatInput) ([]byte, http.Header, error) {
	m := newChatMessage(f)
	fallback := m.line(markup{esc: slackEscaper.Replace, bold: plainMarkup.bold, code: plainMarkup.code, link: plainMarkup.link}, slackTextMax)
	blocks := []any{map[string]any{"type": "section", "text": mrkdwn(fit(m.headline(slackMarkup), slackTextMax, plainMarkup.esc))}}
	var inner []any
	if m.message != "" {
		inner = append(inner, map[string]any{"type": "section", "text": mrkdwn(fit(m.message, slackTextMax, slackEscaper.Replace))})
	}
	var elems []any
	for _, d := range m.details() {
		if d.name == "Branch" || d.name == "Commit" {
			continue // already in the headline
		}
		v := fit(d.value, chatFactMax, slackEscaper.Replace)
		if d.url != "" {
			v = "<" + slackEscaper.Replace(d.url) + "|" + v + ">"
		}
		elems = append(elems, mrkdwn(d.name+": "+v))
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

// teams is a Microsoft Teams Workflows (Power Automate) webhook message
// holding one Adaptive Card. Adaptive Cards have no free colours: the
// headline uses the named colours good, attention, warning and accent.
func teams(f *formatInput) ([]byte, http.Header, error) {
	m := newChatMessage(f)
	teamsMarkup := markup{
		esc:  plainMarkup.esc,
		bold: plainMarkup.bold,
		code: plainMarkup.code,
		link: func(t, u string) string { return "[" + t + "](" + u + ")" },
	}
	body := []any{map[string]any{
		"type": "TextBlock", "text": m.headline(teamsMarkup), "wrap": true,
		"weight": "Bolder", "size": "Medium", "color": m.style.teams,
	}}
	if m.message != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": fit(m.message, chatMessageMax, plainMarkup.esc), "wrap": true})
	}
	var facts []any
	if m.job != "" {
		facts = append(facts, map[string]any{"title": "Job", "value": m.job})
	}
	for _, d := range m.details() {
		facts = append(facts, map[string]any{"title": d.name, "value": fit(d.value, chatFactMax, plainMarkup.esc)})
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

// googleChat is a Google Chat incoming webhook message: text (the line)
// and a card with the status in colour, the details and a button.
//
// The text uses Chat's own markup (*bold*, <url|text>); & < > in user text
// are escaped so that a message cannot @mention a whole space
// (<users/all>). Card text is HTML and escaped as such.
func googleChat(f *formatInput) ([]byte, http.Header, error) {
	m := newChatMessage(f)
	chatMarkup := markup{
		esc:  slackEscaper.Replace,
		bold: func(s string) string { return "*" + s + "*" },
		code: func(s string) string { return "`" + s + "`" },
		link: func(t, u string) string { return "<" + slackEscaper.Replace(u) + "|" + t + ">" },
	}
	msg := map[string]any{"text": m.line(chatMarkup, chatMessageMax)}
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
		header := map[string]any{"title": cmp.Or(m.name(), chatNoContextTitle)}
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

// discord is a Discord webhook message: content (the line) and one embed
// coloured by status. Mentions are disabled, so that a message holding
// @everyone pings nobody.
func discord(f *formatInput) ([]byte, http.Header, error) {
	m := newChatMessage(f)
	discordMarkup := markup{
		esc:  plainMarkup.esc,
		bold: func(s string) string { return "**" + s + "**" },
		code: func(s string) string { return "`" + s + "`" },
		link: func(t, u string) string { return "[" + t + "](<" + u + ">)" },
	}
	title := fit(m.title(), discordTitleMax, plainMarkup.esc)
	embed := map[string]any{
		"title":     title,
		"color":     m.style.color,
		"timestamp": f.timestamp(),
	}
	setIf(embed, "url", m.buildURL)
	used := utf8.RuneCountInString(title)
	var fields []any
	for _, d := range m.details() {
		v := fit(d.value, discordFieldMax-len("``"), plainMarkup.esc)
		switch {
		case d.name == "Commit":
			v = "`" + v + "`"
		case d.url != "":
			v = fit(d.value, discordFieldMax-len(d.url)-8, plainMarkup.esc)
			v = "[" + v + "](<" + d.url + ">)"
		}
		fields = append(fields, map[string]any{"name": d.name, "value": v, "inline": d.name != "Change"})
		used += utf8.RuneCountInString(d.name) + utf8.RuneCountInString(v)
	}
	if len(fields) > 0 {
		embed["fields"] = fields
	}
	if m.message != "" {
		// The description gets what the embed's total leaves.
		embed["description"] = fit(m.message, min(discordDescMax, discordEmbedMax-used), plainMarkup.esc)
	}
	msg := map[string]any{
		"content":          m.line(discordMarkup, discordContentMax),
		"embeds":           []any{embed},
		"allowed_mentions": map[string]any{"parse": []any{}},
	}
	b, err := fastjson.Marshal(msg)
	return b, jsonHeader("application/json"), err
}
