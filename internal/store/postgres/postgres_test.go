package postgres_test

import (
	"strings"
	"testing"

	"github.com/lookout-hq/lookout/internal/store/postgres"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.PostgresURL(t) // skip once here, not in every subtest
	storetest.Run(t, storetest.Postgres)
}

func TestMigrateConcurrently(t *testing.T) {
	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	dsn := storetest.PostgresDSN(t)
	var stores []storetest.Migrator
	for range 4 {
		s, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	storetest.MigrateConcurrently(t, len(ms), stores...)
}

func TestOpenErrorHidesPassword(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://lookout:hunter2@db.example:notaport/lookout")
	if err == nil {
		t.Fatal("Open accepted a bad port")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows the password: %v", err)
	}
}
