package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// pool is one database/sql pool and the statements it has run, each
// rebound to the flavor's placeholders once and, when the flavor says so,
// prepared once: SQLite then parses a hot query once per connection
// instead of on every call. The statements are the constant queries of this
// package, so the cache is bounded.
type pool struct {
	db     *sql.DB
	flavor *flavor
	stmts  sync.Map // query as written -> *statement
	// observer, when set, times the statements (SetObserver).
	observer Observer
}

type statement struct {
	text string              // in the flavor's placeholders
	stmt *sql.Stmt           // nil unless the flavor prepares
	done func(time.Duration) // from the pool's observer; nil without
}

func newPool(db *sql.DB, f *flavor) *pool { return &pool{db: db, flavor: f} }

func (p *pool) statement(ctx context.Context, query string) (*statement, error) {
	if v, ok := p.stmts.Load(query); ok {
		return v.(*statement), nil
	}
	st := &statement{text: p.flavor.rebind(query)}
	if p.observer != nil {
		st.done = p.observer(statementName(query))
	}
	if p.flavor.prepare {
		stmt, err := p.db.PrepareContext(ctx, st.text)
		if err != nil {
			return nil, err
		}
		st.stmt = stmt
	}
	if v, loaded := p.stmts.LoadOrStore(query, st); loaded {
		// Another goroutine prepared it first.
		if st.stmt != nil {
			st.stmt.Close()
		}
		return v.(*statement), nil
	}
	return st, nil
}

func (p *pool) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.statement(ctx, query)
	defer st.observe(time.Now())
	switch {
	case err != nil:
		return nil, err
	case st.stmt != nil:
		return st.stmt.ExecContext(ctx, args...)
	}
	return p.db.ExecContext(ctx, st.text, args...)
}

func (p *pool) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.statement(ctx, query)
	defer st.observe(time.Now())
	switch {
	case err != nil:
		return nil, err
	case st.stmt != nil:
		return st.stmt.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, st.text, args...)
}

func (p *pool) queryRow(ctx context.Context, query string, args ...any) scanner {
	st, err := p.statement(ctx, query)
	defer st.observe(time.Now())
	switch {
	case err != nil:
		return errRow{err}
	case st.stmt != nil:
		return st.stmt.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, st.text, args...)
}

// close closes the prepared statements, then the pool.
func (p *pool) close() error {
	var errs []error
	p.stmts.Range(func(_, v any) bool {
		if st := v.(*statement); st.stmt != nil {
			errs = append(errs, st.stmt.Close())
		}
		return true
	})
	return errors.Join(append(errs, p.db.Close())...)
}

// scanner is a *sql.Row, *sql.Rows or errRow.
type scanner interface{ Scan(dest ...any) error }

// errRow is a row whose query could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
