//go:build !stdio

package main

import (
	"context"
	"fmt"

	"github.com/lookout-hq/lookout/internal/store"
)

// reportingMigrator is implemented by both backends.
type reportingMigrator interface {
	MigrateReport(ctx context.Context) (store.MigrationReport, error)
}

func runMigrate(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "migrate", "migrate [--database-url=URL]")
	flags := newEnvFlags(fs)
	flags.string("database-url", "DATABASE_URL", "database to migrate (default sqlite://./lookout.db)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfigFrom(flags.getenv(env.getenv))
	if err != nil {
		return err
	}
	s, err := openStore(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := s.(reportingMigrator).MigrateReport(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: %s\n", describeDSN(cfg.DatabaseURL.Reveal()), rep)
	return nil
}
