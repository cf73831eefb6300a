package sqlstore

import (
	"strings"
	"time"
)

// Observer is told the name of each statement the store runs, once, and
// returns what to call with each of its durations (internal/metrics' store
// latency). The name is the statement's verb and table, "select grants",
// never its arguments; the set is small because the queries are constants.
type Observer func(op string) func(time.Duration)

// SetObserver makes the store report how long each statement takes (the
// pools' exec, query and queryRow; transactions are not timed). Call it
// before the store is used.
func (s *Store) SetObserver(o Observer) {
	s.w.observer = o
	if s.r != s.w {
		s.r.observer = o
	}
}

// observe reports how long st took since start; a no-op without an
// observer (or a statement: the deferred call may come after a failed
// prepare).
func (st *statement) observe(start time.Time) {
	if st != nil && st.done != nil {
		st.done(time.Since(start))
	}
}

// statementName is the verb and table of a query: "select grants",
// "insert tokens", "update inbox", "delete leases".
func statementName(query string) string {
	fields := strings.Fields(query)
	if len(fields) == 0 {
		return "other"
	}
	verb := strings.ToLower(fields[0])
	after := ""
	switch verb {
	case "select", "delete":
		after = "from"
	case "insert":
		after = "into"
	case "update":
		if len(fields) > 1 {
			return verb + " " + tableName(fields[1])
		}
		return verb
	default:
		return "other"
	}
	for i, f := range fields[:len(fields)-1] {
		if strings.EqualFold(f, after) {
			return verb + " " + tableName(fields[i+1])
		}
	}
	return verb
}

// tableName keeps the identifier at the start of s ("grants(" -> "grants").
func tableName(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	if end >= 0 {
		s = s[:end]
	}
	return strings.ToLower(s)
}

// SetStatementTimeout bounds each statement and transaction whose context
// has no sooner deadline (default DefaultStatementTimeout; 0: unbounded).
// Call it before the store is used.
func (s *Store) SetStatementTimeout(d time.Duration) {
	s.w.timeout = d
	if s.r != s.w {
		s.r.timeout = d
	}
}
