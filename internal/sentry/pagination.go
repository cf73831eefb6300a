package sentry

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Page is where a list stopped. Pass NextCursor back as the Cursor of the next
// call; it is empty when Sentry says there are no more results. Only the
// cursor is taken from the Link header, never its URL: following a URL from a
// response would bypass region validation.
type Page struct {
	NextCursor string
	PrevCursor string
}

// HasNext reports whether another page exists.
func (p Page) HasNext() bool { return p.NextCursor != "" }

// ListOptions page through a list. Limit 0 means Sentry's default; Sentry caps
// pages at 100.
type ListOptions struct {
	Cursor string
	Limit  int
}

const maxPageSize = 100

// setPage adds cursor and limit to q; limitParam is "per_page" for most
// endpoints and "limit" for issue search.
func setPage(q url.Values, limitParam string, limit int, cursor string) error {
	if limit < 0 || limit > maxPageSize {
		return fmt.Errorf("%w: limit %d: must be between 1 and %d (0 for Sentry's default)", ErrInvalidArgument, limit, maxPageSize)
	}
	if limit > 0 {
		q.Set(limitParam, strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return nil
}

// parseLink reads Sentry's Link header:
//
//	<https://…/?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1",
//	<https://…/?cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"
//
// A link whose results="false" yields no cursor. URLs are skipped whole, so
// commas inside them do not split links.
func parseLink(header string) Page {
	var p Page
	s := header
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			return p
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			return p
		}
		var params map[string]string
		params, s = linkParams(s[i+j+1:])
		cursor := params["cursor"]
		if cursor == "" || strings.EqualFold(params["results"], "false") {
			continue
		}
		switch strings.ToLower(params["rel"]) {
		case "next":
			p.NextCursor = cursor
		case "previous", "prev":
			p.PrevCursor = cursor
		}
	}
}

// linkParams reads `; key="value"; key=value` up to the comma ending one link
// and returns the params and the rest of the header.
func linkParams(s string) (map[string]string, string) {
	params := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return params, s
		}
		if s[0] == ',' {
			return params, s[1:]
		}
		if s[0] != ';' {
			// Not a parameter: skip to the next link.
			k := strings.IndexByte(s, ',')
			if k < 0 {
				return params, ""
			}
			return params, s[k+1:]
		}
		s = strings.TrimLeft(s[1:], " \t")
		k := strings.IndexAny(s, "=;,")
		if k < 0 {
			return params, ""
		}
		key := strings.ToLower(strings.TrimSpace(s[:k]))
		if s[k] != '=' {
			s = s[k:]
			continue
		}
		s = strings.TrimLeft(s[k+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				val, s = s[1:], ""
			} else {
				val, s = s[1:1+end], s[2+end:]
			}
		} else {
			end := strings.IndexAny(s, ";,")
			if end < 0 {
				end = len(s)
			}
			val, s = strings.TrimSpace(s[:end]), s[end:]
		}
		params[key] = val
	}
}
