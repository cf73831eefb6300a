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
	// timeout bounds every statement (and transaction) whose context has
	// no sooner deadline: a black-holed database fails calls in seconds
	// instead of hanging them for the whole outage (SetStatementTimeout).
	timeout time.Duration
}

// DefaultStatementTimeout bounds a store call whose caller set no sooner
// deadline.
const DefaultStatementTimeout = 10 * time.Second

type statement struct {
	text string              // in the flavor's placeholders
	stmt *sql.Stmt           // nil unless the flavor prepares
	done func(time.Duration) // from the pool's observer; nil without
}

func newPool(db *sql.DB, f *flavor) *pool {
	return &pool{db: db, flavor: f, timeout: DefaultStatementTimeout}
}

// bound gives ctx the pool's statement deadline, unless it ends sooner.
func (p *pool) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); p.timeout <= 0 || (ok && time.Until(d) <= p.timeout) {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, p.timeout)
}

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
	ctx, cancel := p.bound(ctx)
	defer cancel()
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

func (p *pool) query(ctx context.Context, query string, args ...any) (*rows, error) {
	ctx, cancel := p.bound(ctx)
	st, err := p.statement(ctx, query)
	defer st.observe(time.Now())
	var rs *sql.Rows
	switch {
	case err != nil:
	case st.stmt != nil:
		rs, err = st.stmt.QueryContext(ctx, args...)
	default:
		rs, err = p.db.QueryContext(ctx, st.text, args...)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	return &rows{Rows: rs, cancel: cancel}, nil
}

// rows are a query's results, read under the statement's deadline, which
// Close releases.
type rows struct {
	*sql.Rows
	cancel context.CancelFunc
}

func (r *rows) Close() error {
	err := r.Rows.Close()
	r.cancel()
	return err
}

func (p *pool) queryRow(ctx context.Context, query string, args ...any) scanner {
	ctx, cancel := p.bound(ctx)
	st, err := p.statement(ctx, query)
	defer st.observe(time.Now())
	switch {
	case err != nil:
		cancel()
		return errRow{err}
	case st.stmt != nil:
		return row{st.stmt.QueryRowContext(ctx, args...), cancel}
	}
	return row{p.db.QueryRowContext(ctx, st.text, args...), cancel}
}

// row is a query's one row, scanned under the statement's deadline, which
// Scan releases.
type row struct {
	*sql.Row
	cancel context.CancelFunc
}

func (r row) Scan(dest ...any) error {
	defer r.cancel()
	return r.Row.Scan(dest...)
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
