package agent

import (
	"strings"
	"unicode/utf8"
)

// MaxReplyChars bounds a reply: Slack shows about 4000 characters of a
// message before it folds it, and the mrkdwn conversion adds a little.
const MaxReplyChars = 3500

// maxToolResultBytes bounds one tool result as the model reads it: enough
// for a page of issues or one issue's details, small enough that eight
// calls fit any model's context.
const maxToolResultBytes = 8 << 10

// bound cuts text to at most max characters on a line boundary when it can,
// closes a code block left open by the cut, and says that it cut.
func bound(text string, max int) string {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) <= max {
		return text
	}
	const note = "\n\n_(answer cut short here: ask for less, e.g. a narrower search or one issue)_"
	budget := max - utf8.RuneCountInString(note) - len("\n```")
	cut := string([]rune(text)[:budget])
	if i := strings.LastIndexByte(cut, '\n'); i > len(cut)/2 {
		cut = cut[:i]
	}
	cut = strings.TrimRight(cut, " \n")
	if strings.Count(cut, "```")%2 == 1 {
		cut += "\n```"
	}
	return cut + note
}

// truncateForModel cuts a tool result to maxToolResultBytes on a line
// boundary and tells the model so.
func truncateForModel(s string) string {
	if len(s) <= maxToolResultBytes {
		return s
	}
	cut := s[:maxToolResultBytes]
	if i := strings.LastIndexByte(cut, '\n'); i > len(cut)/2 {
		cut = cut[:i]
	}
	for !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return cut + "\n\n[result truncated to 8 KiB: call the tool again with a narrower query or a lower limit for the rest]"
}
