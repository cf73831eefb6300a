package tools

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxOutput bounds what one tool call returns, so a model's context and a
// Slack message stay usable. Handlers page and truncate lists themselves
// and say how to get more; this is the last guard.
const maxOutput = 24 << 10

// truncate cuts s to at most n bytes on a line boundary and says so.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := s[:n]
	if i := strings.LastIndexByte(cut, '\n'); i > n/2 {
		cut = cut[:i]
	}
	for !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return cut + "\n\n_(output truncated: narrow the query or lower the limit to see the rest)_\n"
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// cell makes s safe inside a markdown table cell.
func cell(s string) string {
	return strings.TrimSpace(cellEscaper.Replace(s))
}

// cellEscaper is shared: a Replacer builds its lookup table on first use,
// which per cell was most of a table's allocations.
var cellEscaper = strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ")

// moreNote tells the reader how to get the next page.
func moreNote(shown int, cursor string) string {
	if cursor == "" {
		return ""
	}
	return fmt.Sprintf("\n_Showing the first %d. More results exist: narrow the query or raise `limit`._\n", shown)
}

// lazyRegexp compiles pattern on first use. A package-level
// regexp.MustCompile runs at start-up in every lookout subcommand, `lookout
// mcp`'s included, whether or not a tool ever needs it.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
