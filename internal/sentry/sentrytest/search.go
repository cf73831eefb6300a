package sentrytest

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// A small subset of Sentry's search syntax, shared by issue and event
// search: free text, key:value, !key:value, key:"quoted value",
// key:[a,b], key:>N / >= / < / <=, key:*wild*, has:key, relative times
// (lastSeen:-24h) and absolute ones (firstSeen:>2026-11-01). AND is
// implied; OR and parentheses are refused like Sentry's issue search does.

type term struct {
	key    string // "" for free text
	op     string // "", ">", ">=", "<", "<="
	values []string
	negate bool
}

var (
	errBoolean = errors.New(`Boolean statements containing "OR" or "AND" are not supported in this search`)
	errParens  = errors.New("Parentheses are not supported in this search")
)

// splitQuery cuts a query into whitespace-separated tokens, keeping quoted
// runs together.
func splitQuery(q string) ([]string, error) {
	var tokens []string
	var cur strings.Builder
	inQuote := false
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case ch == '\\' && inQuote && i+1 < len(q):
			cur.WriteByte(ch)
			i++
			cur.WriteByte(q[i])
		case ch == '"':
			inQuote = !inQuote
			cur.WriteByte(ch)
		case (ch == ' ' || ch == '\t' || ch == '\n') && !inQuote:
			if cur.Len() > 0 {
				tokens = append(tokens, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(ch)
		}
	}
	if inQuote {
		return nil, errors.New("unterminated quoted string")
	}
	if cur.Len() > 0 {
		tokens = append(tokens, cur.String())
	}
	return tokens, nil
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		s = strings.ReplaceAll(s, `\"`, `"`)
	}
	return s
}

func isKeyChar(ch byte) bool {
	return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
		ch == '_' || ch == '.' || ch == '-' || ch == '(' || ch == ')' || ch == '[' || ch == ']'
}

func parseQuery(q string) ([]term, error) {
	tokens, err := splitQuery(q)
	if err != nil {
		return nil, err
	}
	var terms []term
	for _, tok := range tokens {
		if tok == "AND" || tok == "OR" {
			return nil, errBoolean
		}
		if strings.HasPrefix(tok, "(") || strings.Count(tok, ")") > strings.Count(tok, "(") {
			return nil, errParens
		}
		t := term{}
		body := tok
		if strings.HasPrefix(body, "!") && strings.Contains(body, ":") {
			t.negate = true
			body = body[1:]
		}
		colon := strings.IndexByte(body, ':')
		validKey := colon > 0
		for i := 0; validKey && i < colon; i++ {
			validKey = isKeyChar(body[i])
		}
		if !validKey {
			terms = append(terms, term{values: []string{unquote(tok)}})
			continue
		}
		t.key, body = body[:colon], body[colon+1:]
		for _, op := range []string{">=", "<=", ">", "<"} {
			if strings.HasPrefix(body, op) {
				t.op, body = op, body[len(op):]
				break
			}
		}
		switch {
		case body == "":
			return nil, fmt.Errorf("Empty string after '%s:'", t.key)
		case strings.HasPrefix(body, "[") && strings.HasSuffix(body, "]"):
			for _, v := range strings.Split(body[1:len(body)-1], ",") {
				if v = unquote(strings.TrimSpace(v)); v != "" {
					t.values = append(t.values, v)
				}
			}
		default:
			t.values = []string{unquote(body)}
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// matchText is Sentry's value match: case-insensitive, * as wildcard.
func matchText(pattern, value string) bool {
	pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	if !strings.Contains(pattern, "*") {
		return pattern == value
	}
	// path.Match treats / specially and supports ?/[...]; escape those.
	escaped := strings.NewReplacer(`\`, `\\`, "?", `\?`, "[", `\[`, "/", "\x00").Replace(pattern)
	ok, err := path.Match(escaped, strings.ReplaceAll(value, "/", "\x00"))
	return err == nil && ok
}

// containsText is free-text search: a case-insensitive substring.
func containsText(needle string, haystacks ...string) bool {
	needle = strings.ToLower(strings.Trim(needle, "*"))
	for _, h := range haystacks {
		if strings.Contains(strings.ToLower(h), needle) {
			return true
		}
	}
	return false
}

// matchValues reports whether any of vals satisfies the term's values and
// operator (numeric comparison when both sides are numbers).
func matchValues(t term, vals []string) bool {
	for _, v := range vals {
		for _, want := range t.values {
			if t.op == "" {
				if matchText(want, v) {
					return true
				}
				continue
			}
			a, errA := strconv.ParseFloat(v, 64)
			b, errB := strconv.ParseFloat(want, 64)
			if errA != nil || errB != nil {
				if compare(strings.Compare(v, want), t.op) {
					return true
				}
				continue
			}
			if compare(cmpFloat(a, b), t.op) {
				return true
			}
		}
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(c int, op string) bool {
	switch op {
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	}
	return c == 0
}

// parseRelative reads Sentry durations: 30s, 15m, 24h, 14d, 2w.
func parseRelative(s string) (time.Duration, bool) {
	if len(s) < 2 {
		return 0, false
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n < 0 {
		return 0, false
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// matchTime applies a date filter: -24h (within the last 24 hours), +7d
// (older than 7 days), or an operator with an absolute date or time.
func matchTime(t term, at, now time.Time) (bool, error) {
	v := t.values[0]
	if strings.HasPrefix(v, "-") || strings.HasPrefix(v, "+") {
		d, ok := parseRelative(v[1:])
		if !ok {
			return false, fmt.Errorf("Invalid date: %s", v)
		}
		switch {
		case t.op != "": // lastSeen:>-24h compares with the moment 24h ago
			return compare(at.Compare(now.Add(-d)), t.op), nil
		case v[0] == '-':
			return !at.Before(now.Add(-d)), nil
		default:
			return at.Before(now.Add(-d)), nil
		}
	}
	var ref time.Time
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if ref, err = time.Parse(layout, v); err == nil {
			break
		}
	}
	if err != nil {
		return false, fmt.Errorf("Invalid date: %s", v)
	}
	if t.op == "" {
		if len(v) == len("2006-01-02") {
			return !at.Before(ref) && at.Before(ref.Add(24*time.Hour)), nil
		}
		return at.Equal(ref), nil
	}
	return compare(at.Compare(ref), t.op), nil
}

// parseStatsPeriod reads statsPeriod (e.g. 24h, 14d) or start/end, and
// returns the window ending at now; def applies when neither is given.
func parseStatsPeriod(q map[string][]string, now time.Time, def time.Duration) (from, to time.Time, err error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if p := get("statsPeriod"); p != "" {
		d, ok := parseRelative(p)
		if !ok {
			return from, to, fmt.Errorf("Invalid statsPeriod: %q", p)
		}
		return now.Add(-d), now.Add(time.Hour), nil
	}
	if s, e := get("start"), get("end"); s != "" || e != "" {
		from, err1 := time.Parse(time.RFC3339, withZone(s))
		to, err2 := time.Parse(time.RFC3339, withZone(e))
		if err1 != nil || err2 != nil {
			return from, to, errors.New("start and end must both be ISO 8601 dates")
		}
		return from, to, nil
	}
	return now.Add(-def), now.Add(time.Hour), nil
}

func withZone(s string) string {
	if s != "" && !strings.HasSuffix(s, "Z") && !strings.Contains(s[min(len(s), 19):], "+") && !strings.Contains(s[min(len(s), 19):], "-") {
		return s + "Z"
	}
	return s
}
