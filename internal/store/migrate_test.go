package store

import (
	"context"
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_add_index.sql": {Data: []byte("CREATE INDEX i ON t (x);")},
		"m/0001_init.sql":      {Data: []byte("CREATE TABLE t (x int);")},
	}
	ms, err := LoadMigrations(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	want := []Migration{
		{Version: 1, Name: "0001_init", SQL: "CREATE TABLE t (x int);"},
		{Version: 2, Name: "0002_add_index", SQL: "CREATE INDEX i ON t (x);"},
	}
	if !reflect.DeepEqual(ms, want) {
		t.Errorf("got %+v, want %+v", ms, want)
	}
}

func TestLoadMigrationsRejects(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte("SELECT 1;")}
	for name, tc := range map[string]struct {
		files   []string
		message string
	}{
		"duplicate":  {[]string{"0001_init.sql", "0002_a.sql", "0002_b.sql"}, "duplicate version 2"},
		"gap":        {[]string{"0001_init.sql", "0003_c.sql"}, "version 3, want 2"},
		"not from 1": {[]string{"0002_b.sql"}, "version 2, want 1"},
		"bad name":   {[]string{"0001_init.sql", "2_x.sql"}, `"2_x.sql": name is not NNNN_name.sql`},
		"not sql":    {[]string{"0001_init.sql", "README.md"}, "README.md"},
		"empty":      {nil, "no migrations"},
	} {
		fsys := fstest.MapFS{"m": {Mode: fs.ModeDir | 0o755}}
		for _, f := range tc.files {
			fsys["m/"+f] = sql
		}
		_, err := LoadMigrations(fsys, "m")
		if err == nil || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, tc.message)
		}
	}
}

// fakeDB is a database with a migration lock and transactions that apply
// only on commit.
type fakeDB struct {
	mu      sync.Mutex // the migration lock
	applied []int      // schema_migrations versions
	schema  []string   // executed migration SQL
	failOn  string     // SQL that fails
}

type fakeTx struct {
	db      *fakeDB
	applied []int
	schema  []string
}

func (db *fakeDB) inTx(ctx context.Context, fn func(MigrationTx) error) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx := &fakeTx{db: db, applied: append([]int(nil), db.applied...), schema: append([]string(nil), db.schema...)}
	if err := fn(tx); err != nil {
		return err // rolled back: tx is dropped
	}
	db.applied, db.schema = tx.applied, tx.schema
	return nil
}

func (tx *fakeTx) Exec(ctx context.Context, query string, args ...any) error {
	switch {
	case query == tx.db.failOn:
		return errors.New("syntax error")
	case strings.HasPrefix(query, "INSERT INTO schema_migrations"):
		tx.applied = append(tx.applied, args[0].(int))
	default:
		tx.schema = append(tx.schema, query)
	}
	return nil
}

func (tx *fakeTx) QueryInt(ctx context.Context, query string, args ...any) (int, error) {
	return len(tx.applied), nil
}

var threeMigrations = []Migration{
	{Version: 1, Name: "0001_a", SQL: "A"},
	{Version: 2, Name: "0002_b", SQL: "B"},
	{Version: 3, Name: "0003_c", SQL: "C"},
}

func TestRunMigrations(t *testing.T) {
	db := &fakeDB{}
	rep, err := RunMigrations(t.Context(), threeMigrations[:2], db.inTx)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.String(); got != "applied 2 migrations (0001_a, 0002_b)" || rep.Version != 2 {
		t.Errorf("first run: %q at version %d", got, rep.Version)
	}
	rep, err = RunMigrations(t.Context(), threeMigrations, db.inTx)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.String(); got != "applied 1 migration (0003_c)" || rep.Version != 3 {
		t.Errorf("second run: %q at version %d", got, rep.Version)
	}
	rep, err = RunMigrations(t.Context(), threeMigrations, db.inTx)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.String(); got != "database is up to date (version 3)" {
		t.Errorf("third run: %q", got)
	}
	if strings.Join(db.schema, "") != "ABC" || !reflect.DeepEqual(db.applied, []int{1, 2, 3}) {
		t.Errorf("schema %v, applied %v", db.schema, db.applied)
	}

	// An older binary must not run against a newer schema.
	if _, err := RunMigrations(t.Context(), threeMigrations[:1], db.inTx); err == nil || !strings.Contains(err.Error(), "version 3") {
		t.Errorf("older binary: %v", err)
	}
}

func TestRunMigrationsStopsAtFailure(t *testing.T) {
	db := &fakeDB{failOn: "B"}
	rep, err := RunMigrations(t.Context(), threeMigrations, db.inTx)
	if err == nil || !strings.Contains(err.Error(), "0002_b") {
		t.Fatalf("error %v, want one naming 0002_b", err)
	}
	// 0001 stays applied (its own transaction); 0002 left no trace.
	if !reflect.DeepEqual(rep.Applied, []string{"0001_a"}) || rep.Version != 1 {
		t.Errorf("report %+v", rep)
	}
	if strings.Join(db.schema, "") != "A" || !reflect.DeepEqual(db.applied, []int{1}) {
		t.Errorf("schema %v, applied %v", db.schema, db.applied)
	}
}

func TestRunMigrationsConcurrently(t *testing.T) {
	db := &fakeDB{}
	var wg sync.WaitGroup
	reports := make([]MigrationReport, 8)
	for i := range reports {
		wg.Go(func() {
			var err error
			reports[i], err = RunMigrations(t.Context(), threeMigrations, db.inTx)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	total := 0
	for _, r := range reports {
		total += len(r.Applied)
		if r.Version != 3 {
			t.Errorf("a run ended at version %d", r.Version)
		}
	}
	if total != 3 || strings.Join(db.schema, "") != "ABC" {
		t.Errorf("applied %d in total, schema %v; want each of 3 once", total, db.schema)
	}
}
