package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"

	_ "modernc.org/sqlite" // registers driver "sqlite"
)

// On SQLite every write goes through one pooled connection whose
// transactions begin IMMEDIATE: inside the process writers queue on
// database/sql instead of racing for SQLite's lock, and another process (a
// `lookout migrate` next to `lookout serve`) waits on busy_timeout instead
// of failing with SQLITE_BUSY. Reads use a separate pool of read-only
// connections, which WAL lets run alongside the writer.
//
// Pragmas go in _pragma DSN parameters so that every connection the pool
// opens gets them, not just the first. busy_timeout goes first (the driver
// sorts it there) so that switching to WAL waits for other processes.
const (
	writeParams  = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	readParams   = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=query_only(1)"
	memoryParams = "_pragma=foreign_keys(1)&_txlock=immediate"
)

// OpenSQLite opens (creating if needed) the database named by dsn:
// sqlite://./lookout.db, sqlite:///abs/path.db, sqlite://relative/path.db,
// or sqlite::memory: for a private in-memory database. It does not migrate.
func OpenSQLite(ctx context.Context, dsn string) (*Store, error) {
	path, err := parseSQLiteDSN(dsn)
	if err != nil {
		return nil, err
	}
	if path == ":memory:" {
		// An in-memory database lives and dies with its connection, so the
		// pool holds exactly one, forever; reads share it.
		db, err := sql.Open("sqlite", ":memory:?"+memoryParams)
		if err != nil {
			return nil, fmt.Errorf("open sqlite memory database: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("open sqlite memory database: %w", err)
		}
		p := newPool(db, sqliteFlavor)
		return newStore(sqliteFlavor, p, p), nil
	}

	db, err := sql.Open("sqlite", path+"?"+writeParams)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	// Connect the writer first: it switches the file to WAL, which readers
	// then inherit (journal_mode is persistent, and query_only could not
	// set it).
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", path+"?"+readParams)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return newStore(sqliteFlavor, newPool(db, sqliteFlavor), newPool(read, sqliteFlavor)), nil
}

// parseSQLiteDSN returns the file path (or ":memory:") a sqlite: DSN names.
func parseSQLiteDSN(dsn string) (string, error) {
	rest, ok := strings.CutPrefix(dsn, "sqlite:")
	if !ok {
		return "", fmt.Errorf("sqlite DSN %q: want sqlite://path/to/file.db or sqlite::memory:", dsn)
	}
	// sqlite://./x.db and sqlite:///abs/x.db: what follows "//" is the path,
	// so the third slash of the second form makes it absolute.
	rest = strings.TrimPrefix(rest, "//")
	switch {
	case rest == "":
		return "", fmt.Errorf("sqlite DSN %q: no file path", dsn)
	case strings.ContainsAny(rest, "?#"):
		// The driver would read what follows "?" as its own parameters.
		return "", fmt.Errorf("sqlite DSN %q: query parameters are not supported; the path may not contain '?' or '#'", dsn)
	}
	return rest, nil
}
