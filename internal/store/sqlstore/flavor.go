package sqlstore

import (
	"strconv"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// flavor is what differs between SQLite and PostgreSQL, kept small so that
// every query is written once.
type flavor struct {
	name string // the directory of its migrations

	// numbered: placeholders are $1, $2... instead of ?.
	numbered bool
	// time is how a time is passed as an argument.
	time func(time.Time) any
	// noLimit is the LIMIT argument that means "no limit".
	noLimit any
	// skipLocked ends a SELECT that picks rows to update, so that
	// concurrent pickers skip each other's rows instead of waiting ("":
	// writers are serialised anyway).
	skipLocked string
	// prepare: prepare each statement once per connection here. The pgx
	// driver already prepares and caches statements per connection (and
	// drops a cached one whose table changed), SQLite's does not.
	prepare bool

	// migrationTable creates schema_migrations if it does not exist.
	migrationTable string
	// migrationLock, run first in each migration transaction, makes
	// migrating processes take turns ("": the transaction itself does).
	migrationLock string
	// keyLock, run in a write transaction with one text argument, makes
	// transactions that name the same key take turns until they end ("":
	// write transactions take turns anyway).
	keyLock string
}

var sqliteFlavor = &flavor{
	name:     "sqlite",
	numbered: false,
	// INTEGER unix microseconds: the precision PostgreSQL keeps.
	time:       func(t time.Time) any { return t.UnixMicro() },
	noLimit:    -1,
	skipLocked: "",
	prepare:    true,
	// Indented as the former sqlite package wrote it: SQLite keeps the text.
	migrationTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
		)`,
	// BEGIN IMMEDIATE (the write connection's _txlock) is the lock.
	migrationLock: "",
	keyLock:       "",
}

var postgresFlavor = &flavor{
	name:       "postgres",
	numbered:   true,
	time:       func(t time.Time) any { return t },
	noLimit:    nil, // LIMIT NULL
	skipLocked: " FOR UPDATE SKIP LOCKED",
	prepare:    false,
	migrationTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`,
	// Transaction-scoped and keyed by the schema: tests in separate schemas
	// do not wait for each other.
	migrationLock: `SELECT pg_advisory_xact_lock(hashtextextended('lookout.migrate:' || coalesce(current_schema(), ''), 0))`,
	// Keyed by the schema too; a hash collision only makes two unrelated
	// keys take turns.
	keyLock: `SELECT pg_advisory_xact_lock(hashtextextended(coalesce(current_schema(), '') || ':' || CAST(? AS text), 0))`,
}

func (f *flavor) migrations() ([]store.Migration, error) {
	return store.LoadMigrations(migrationFS, "migrations/"+f.name)
}

// rebind rewrites the ? placeholders of query into the flavor's. A ? inside
// a quoted string or identifier is left alone.
func (f *flavor) rebind(query string) string {
	if !f.numbered {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	var quote byte // the quote we are inside, or 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
