package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Migration is one schema change, read from a file named NNNN_name.sql.
type Migration struct {
	Version int    // NNNN
	Name    string // the file name without ".sql", e.g. "0001_init"
	SQL     string
}

var migrationFile = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]{4,})_([a-z0-9_]+)\.sql$`) })

// LoadMigrations reads the migrations in dir of fsys (every file there must
// be named NNNN_name.sql) and returns them in version order. Versions must
// run 1, 2, 3... without duplicates or gaps: either usually means a file was
// lost or doubled in a merge, and applying around it would leave databases
// whose schema depends on when they were migrated.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir) // sorted by name
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		match := migrationFile().FindStringSubmatch(e.Name())
		if e.IsDir() || match == nil {
			return nil, fmt.Errorf("migration %q: name is not NNNN_name.sql", e.Name())
		}
		version, err := strconv.Atoi(match[1])
		if err != nil {
			return nil, fmt.Errorf("migration %q: %w", e.Name(), err)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: version, Name: strings.TrimSuffix(e.Name(), ".sql"), SQL: string(body)})
	}
	// Names sort by version because versions are zero-padded; a version
	// wider than the padding ("10000_x" before "9999_y") shows up below as
	// a gap, which is the right complaint.
	for i, m := range ms {
		switch {
		case i > 0 && m.Version == ms[i-1].Version:
			return nil, fmt.Errorf("migrations %s and %s: duplicate version %d", ms[i-1].Name, m.Name, m.Version)
		case m.Version != i+1:
			return nil, fmt.Errorf("migration %s: version %d, want %d (versions must start at 1 with no gaps)", m.Name, m.Version, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return ms, nil
}

// MigrationTx is the part of one backend transaction the runner needs.
// Queries use $1-style placeholders, which both backends accept.
type MigrationTx interface {
	Exec(ctx context.Context, query string, args ...any) error
	QueryInt(ctx context.Context, query string, args ...any) (int, error)
}

// MigrationReport says what one migration run did, for `lookout migrate`.
type MigrationReport struct {
	Applied []string // names applied by this run, in order
	Version int      // schema version after the run
}

func (r MigrationReport) String() string {
	switch len(r.Applied) {
	case 0:
		return fmt.Sprintf("database is up to date (version %d)", r.Version)
	case 1:
		return fmt.Sprintf("applied 1 migration (%s)", r.Applied[0])
	default:
		return fmt.Sprintf("applied %d migrations (%s)", len(r.Applied), strings.Join(r.Applied, ", "))
	}
}

// RunMigrations applies the migrations not yet recorded in
// schema_migrations, each in its own transaction.
//
// inTx runs fn in one transaction that already holds the backend's
// migration lock and in which the schema_migrations(version, name,
// applied_at) table exists; it commits when fn returns nil. Because the
// current version is read under that lock, a process that waited for
// another one to migrate finds the work done and applies nothing.
func RunMigrations(ctx context.Context, ms []Migration, inTx func(ctx context.Context, fn func(MigrationTx) error) error) (MigrationReport, error) {
	var report MigrationReport
	for {
		var next *Migration
		err := inTx(ctx, func(tx MigrationTx) error {
			next = nil
			current, err := tx.QueryInt(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
			if err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			report.Version = current
			if current > len(ms) {
				return fmt.Errorf("database schema is at version %d but this lookout knows only %d: run a newer lookout", current, len(ms))
			}
			if current == len(ms) {
				return nil
			}
			m := ms[current]
			if err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.Name, err)
			}
			if err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return fmt.Errorf("record migration %s: %w", m.Name, err)
			}
			next = &m
			return nil
		})
		if err != nil {
			return report, err
		}
		if next == nil {
			return report, nil
		}
		report.Applied = append(report.Applied, next.Name)
		report.Version = next.Version
	}
}
