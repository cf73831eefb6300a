package slack

import (
	"regexp"
	"strconv"
	"strings"
)

// mrkdwn converts the agent's markdown to Slack mrkdwn, simply: **bold**
// and __bold__ become *bold*, *italic* becomes _italic_, ~~x~~ becomes ~x~,
// [text](url) becomes <url|text>, headings become bold lines, "- " items
// become bullets, fenced code keeps its fence (without the language), and
// a table becomes its header in italics and a bullet per row. &, < and > are escaped everywhere,
// as Slack requires, so text can never form a mention or a link by
// accident.
func mrkdwn(md string) string {
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	out := make([]string, 0, len(lines))
	inFence, tableHeader := false, false
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inFence = !inFence
			out = append(out, "```")
			continue
		}
		if inFence {
			out = append(out, escapeText(line))
			continue
		}
		if strings.HasPrefix(trimmed, "|") {
			// Slack has no tables: a header in italics, then a bullet per row.
			if tableRule.MatchString(trimmed) {
				continue
			}
			cells := tableCells(trimmed)
			if !tableHeader && i+1 < len(lines) && tableRule.MatchString(strings.TrimSpace(lines[i+1])) {
				tableHeader = true
				out = append(out, "_"+escapeText(strings.Join(cells, " · "))+"_")
				continue
			}
			for j, c := range cells {
				cells[j] = inline(c)
			}
			out = append(out, "• "+strings.Join(cells, " · "))
			continue
		}
		tableHeader = false
		out = append(out, convertLine(line))
	}
	if inFence {
		out = append(out, "```")
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// tableCells splits a markdown table row into trimmed cells (escaped \|
// stays inside its cell), with plain text for a header.
func tableCells(row string) []string {
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	row = strings.ReplaceAll(row, `\|`, "\x02")
	cells := strings.Split(row, "|")
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(strings.TrimSpace(c), "\x02", "|")
	}
	return cells
}

var (
	tableRule  = regexp.MustCompile(`^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$`)
	headingRe  = regexp.MustCompile(`^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	bulletRe   = regexp.MustCompile(`^(\s*)[-*+]\s+(.*)$`)
	ruleRe     = regexp.MustCompile(`^\s*(-\s*){3,}$|^\s*(\*\s*){3,}$|^\s*(_\s*){3,}$`)
	quoteRe    = regexp.MustCompile(`^\s*>\s?(.*)$`)
	linkRe     = regexp.MustCompile(`\[([^\[\]]+)\]\(\s*(https?://[^\s()]+(?:\([^\s()]*\))?[^\s()]*)\s*\)`)
	autoLinkRe = regexp.MustCompile(`<(https?://[^\s<>]+)>`)
	boldRe     = regexp.MustCompile(`\*\*(\S(?:.*?\S)?)\*\*|__(\S(?:.*?\S)?)__`)
	italicRe   = regexp.MustCompile(`(^|[^\w*])\*(\S(?:[^*]*?\S)?)\*`)
	strikeRe   = regexp.MustCompile(`~~(\S(?:.*?\S)?)~~`)
)

func convertLine(line string) string {
	if m := headingRe.FindStringSubmatch(line); m != nil {
		title := strings.NewReplacer("**", "", "__", "").Replace(m[1])
		if title == "" {
			return ""
		}
		return "*" + inline(title) + "*"
	}
	if ruleRe.MatchString(line) {
		return "───"
	}
	if m := bulletRe.FindStringSubmatch(line); m != nil {
		return m[1] + "• " + inline(m[2])
	}
	if m := quoteRe.FindStringSubmatch(line); m != nil {
		return "> " + inline(m[1])
	}
	return inline(line)
}

// inline converts one line's inline markup, leaving `code` spans alone
// (apart from escaping).
func inline(s string) string {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unmatched backtick: treat it as text
		parts[len(parts)-2] += "`" + parts[len(parts)-1]
		parts = parts[:len(parts)-1]
	}
	for i := range parts {
		if i%2 == 1 {
			parts[i] = escapeText(parts[i])
		} else {
			parts[i] = inlineText(parts[i])
		}
	}
	return strings.Join(parts, "`")
}

func inlineText(s string) string {
	s = strings.NewReplacer("\x00", "", "\x01", "").Replace(s) // our placeholders
	// Links first, out of the way of escaping and emphasis.
	var links []string
	hold := func(l string) string {
		links = append(links, l)
		return "\x00" + strconv.Itoa(len(links)-1) + "\x00"
	}
	s = linkRe.ReplaceAllStringFunc(s, func(x string) string {
		m := linkRe.FindStringSubmatch(x)
		label := strings.NewReplacer("**", "", "__", "", "`", "", "|", "/").Replace(m[1])
		return hold("<" + escapeText(m[2]) + "|" + escapeText(label) + ">")
	})
	s = autoLinkRe.ReplaceAllStringFunc(s, func(x string) string {
		return hold("<" + escapeText(x[1:len(x)-1]) + ">")
	})
	s = escapeText(s)
	s = boldRe.ReplaceAllStringFunc(s, func(x string) string {
		m := boldRe.FindStringSubmatch(x)
		return "\x01" + m[1] + m[2] + "\x01"
	})
	s = italicRe.ReplaceAllString(s, "${1}_${2}_")
	s = strikeRe.ReplaceAllString(s, "~${1}~")
	s = strings.ReplaceAll(s, "\x01", "*")
	if len(links) > 0 {
		s = placeholder.ReplaceAllStringFunc(s, func(x string) string {
			i, _ := strconv.Atoi(x[1 : len(x)-1])
			return links[i]
		})
	}
	return s
}

var placeholder = regexp.MustCompile("\x00[0-9]+\x00")

// escapeText escapes the three characters Slack treats as markup.
func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
