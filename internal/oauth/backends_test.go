package oauth

import (
	"testing"

	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/store/storetest"
)

// The state tests also run on the real backends: SQLite always, PostgreSQL
// when storetest.PostgresEnv is set (skipped otherwise).
func init() {
	stateBackends["sqlite"] = func(t *testing.T) store.States { return storetest.SQLite(t) }
	stateBackends["postgres"] = func(t *testing.T) store.States { return storetest.Postgres(t) }
}
