package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// OpenPostgres connects to the database at dsn (postgres://... or key=value
// form) and checks that it answers. It does not migrate. Parameters pgx
// does not know, such as search_path, are sent to the server as session
// settings, which is how tests put each store in its own schema.
//
// The DSN is read as pgxpool reads it, which lookout used before it went
// through database/sql: pool_max_conns, pool_max_conn_lifetime and
// pool_max_conn_idle_time still size the pool (and are not sent to the
// server), with pgxpool's defaults.
func OpenPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors repeat the DSN, password included.
		return nil, errors.New("parse postgres DSN: invalid connection string")
	}
	db := stdlib.OpenDB(*cfg.ConnConfig)
	db.SetMaxOpenConns(int(cfg.MaxConns))
	db.SetMaxIdleConns(int(cfg.MaxConns))
	db.SetConnMaxLifetime(cfg.MaxConnLifetime)
	db.SetConnMaxIdleTime(cfg.MaxConnIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	p := newPool(db, postgresFlavor)
	return newStore(postgresFlavor, p, p), nil
}
