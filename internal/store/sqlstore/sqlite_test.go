package sqlstore

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSQLiteDSN(t *testing.T) {
	for dsn, want := range map[string]string{
		"sqlite://./lookout.db":     "./lookout.db",
		"sqlite:///abs/path.db":     "/abs/path.db",
		"sqlite://relative/path.db": "relative/path.db",
		"sqlite:lookout.db":         "lookout.db",
		"sqlite::memory:":           ":memory:",
		"sqlite://:memory:":         ":memory:",
	} {
		got, err := parseSQLiteDSN(dsn)
		if err != nil || got != want {
			t.Errorf("parseSQLiteDSN(%q) = %q, %v; want %q", dsn, got, err, want)
		}
	}
	for _, dsn := range []string{"", "postgres://x/y", "sqlite://", "sqlite:", "sqlite://x.db?_pragma=foo", "file:x.db"} {
		if got, err := parseSQLiteDSN(dsn); err == nil {
			t.Errorf("parseSQLiteDSN(%q) = %q, want an error", dsn, got)
		}
	}
}

func TestOpenCreatesFileWhereTheDSNSays(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	for dsn, path := range map[string]string{
		"sqlite://./dot.db":           filepath.Join(dir, "dot.db"),
		"sqlite://sub/rel.db":         filepath.Join(dir, "sub", "rel.db"),
		"sqlite://" + dir + "/abs.db": filepath.Join(dir, "abs.db"),
	} {
		s, err := OpenSQLite(t.Context(), dsn)
		if err != nil {
			t.Fatalf("OpenSQLite(%q): %v", dsn, err)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("OpenSQLite(%q): %v", dsn, err)
		}
	}
}

// TestPragmas checks every pooled connection, not just the first, got the
// settings: they are per connection in SQLite.
func TestPragmas(t *testing.T) {
	s, err := OpenSQLite(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pragmas := func(db *sql.DB, n int) []map[string]string {
		// Hold n connections at once so the pool has to open n.
		var out []map[string]string
		var conns []*sql.Conn
		for range n {
			c, err := db.Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			got := map[string]string{}
			for _, p := range []string{"journal_mode", "busy_timeout", "foreign_keys", "synchronous", "query_only"} {
				var v string
				if err := c.QueryRowContext(t.Context(), "PRAGMA "+p).Scan(&v); err != nil {
					t.Fatal(err)
				}
				got[p] = strings.ToLower(v)
			}
			out = append(out, got)
		}
		for _, c := range conns {
			c.Close()
		}
		return out
	}
	for _, got := range pragmas(s.w.db, 1) {
		want := map[string]string{"journal_mode": "wal", "busy_timeout": "5000", "foreign_keys": "1", "synchronous": "1", "query_only": "0"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("writer %s = %s, want %s", k, got[k], v)
			}
		}
	}
	for i, got := range pragmas(s.r.db, 3) {
		want := map[string]string{"journal_mode": "wal", "busy_timeout": "5000", "foreign_keys": "1", "synchronous": "1", "query_only": "1"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("reader %d %s = %s, want %s", i, k, got[k], v)
			}
		}
	}
}
