//go:build !stdio

package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/sqlstore"
)

// openStore opens the backend DATABASE_URL names.
func openStore(ctx context.Context, dsn string) (store.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return sqlstore.OpenSQLite(ctx, dsn)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return sqlstore.OpenPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("DATABASE_URL must start with sqlite: or postgres:// (got scheme %q)", scheme(dsn))
	}
}

// describeDSN names a database without credentials: the sqlite path, or
// the postgres host and database.
func describeDSN(dsn string) string {
	if strings.HasPrefix(dsn, "sqlite:") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return scheme(dsn)
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// scheme returns the part of a DSN before ':' so errors never echo
// credentials embedded in the rest.
func scheme(dsn string) string {
	s, _, _ := strings.Cut(dsn, ":")
	return s
}
