// Package storetest is the conformance suite every store.Store backend
// passes, and the helpers other packages' tests use to get a real store.
//
// A backend's test calls Run with a function that returns a fresh, migrated
// store and arranges for it to be closed (and its data dropped) when the
// test ends:
//
//	func TestConformance(t *testing.T) { storetest.Run(t, storetest.SQLite) }
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// Run runs every conformance subtest, each on its own store from newStore;
// all but the races run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Migrate/Idempotent", testMigrateIdempotent},
		{"Ping", testPing},
		{"Times/UTCMicroseconds", testTimes},

		{"Grant/PutGet", testGrantPutGet},
		{"Grant/PutReplace", testGrantPutReplace},
		{"Grant/Swap", testGrantSwap},
		{"Grant/SwapConcurrent", testGrantSwapConcurrent},
		{"Grant/Delete", testGrantDelete},
		{"Grant/List", testGrantList},
		{"Grant/Lease", testGrantLease},
		{"Grant/LeaseReleasedByWrites", testGrantLeaseReleasedByWrites},
		{"Grant/LeaseConcurrent", testGrantLeaseConcurrent},
		{"Grant/Metadata", testGrantMetadata},
		{"Grant/ListExpiring", testGrantListExpiring},
		{"Grant/BySentryUser", testGrantBySentryUser},
		{"Grant/Touch", testGrantTouch},

		{"State/Consume", testStateConsume},
		{"State/Duplicate", testStateDuplicate},
		{"State/Expiry", testStateExpiry},
		{"State/ConsumeConcurrent", testStateConsumeConcurrent},
		{"State/PendingOrCreate", testStatePendingOrCreate},
		{"State/PendingOrCreateConcurrent", testStatePendingOrCreateConcurrent},

		{"Parked/Lifecycle", testParkedLifecycle},
		{"Parked/Expiry", testParkedExpiry},
		{"Parked/ClaimLimitOrder", testParkedClaimLimitOrder},
		{"Parked/ClaimConcurrent", testParkedClaimConcurrent},

		{"Client/CRUD", testClientCRUD},
		{"Client/Expiry", testClientExpiry},
		{"Client/Usage", testClientUsage},

		{"AuthCode/Consume", testAuthCodeConsume},
		{"AuthCode/GetDoesNotUse", testAuthCodeGet},
		{"AuthCode/ConsumeConcurrent", testAuthCodeConsumeConcurrent},

		{"Token/CreateGet", testTokenCreateGet},
		{"Token/GetWithGrant", testTokenGrant},
		{"Token/GetWithGrantSeesWrites", testTokenGrantSeesWrites},
		{"Token/Revoke", testTokenRevoke},
		{"Token/UseRefresh", testTokenUseRefresh},
		{"Token/UseRefreshConcurrent", testTokenUseRefreshConcurrent},
		{"Token/RevokeFamily", testTokenRevokeFamily},
		{"Token/RevokePrincipal", testTokenRevokePrincipal},
		{"Token/Holders", testTokenHolders},

		{"Approval/CRUD", testApprovalCRUD},

		{"Audit/AppendList", testAuditAppendList},
		{"Audit/AppendConcurrent", testAuditAppendConcurrent},
		{"Audit/Retention", testAuditRetention},
		{"Audit/Search", testAuditSearch},

		{"Event/Record", testEventRecord},
		{"Event/RecordConcurrent", testEventRecordConcurrent},

		{"Lease/Acquire", testLease},
		{"Lease/AcquireConcurrent", testLeaseConcurrent},

		{"Inbox/Record", testInboxRecord},
		{"Inbox/Lifecycle", testInboxLifecycle},
		{"Inbox/LeaseLapse", testInboxLeaseLapse},
		{"Inbox/ClaimKindsOrder", testInboxClaimKindsOrder},
		{"Inbox/ClaimConcurrent", testInboxClaimConcurrent},
		{"Inbox/ClaimBatchConcurrent", testInboxClaimBatchConcurrent},

		{"Preference/SetGet", testPreferences},
		{"Preference/SetConcurrent", testPreferencesConcurrent},

		{"DeleteExpired", testDeleteExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Races run alone, before the rest: with the CPUs busy on
			// other subtests the racers rarely overlap, and a lost update
			// would slip through.
			if !strings.HasSuffix(tc.name, "Concurrent") {
				t.Parallel()
			}
			tc.fn(t, newStore(t))
		})
	}
}

// t0 is "now" for most tests: fixed, so expiry is exact, and whole
// microseconds, the precision every backend keeps.
var t0 = time.Date(2026, 11, 24, 12, 0, 0, 123456000, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// contenders goroutines race for each of records single-use records, one
// record at a time. On a two-CPU machine one race on one record let a
// non-atomic check-then-write through only now and then; ten in a row
// catch it in practice every time.
const contenders, records = 100, 10

// race runs fn from n goroutines released at once and returns their errors.
// They wait by spinning, not on a channel, so that every CPU is already
// running one of them when the gate opens: the first few start together
// instead of one finishing before an idle CPU has woken up.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var open atomic.Bool
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for !open.Load() {
				runtime.Gosched()
			}
			errs[i] = fn(i)
		})
	}
	open.Store(true)
	wg.Wait()
	return errs
}

// raceEach races contenders goroutines for each record in turn and returns
// errs[record][goroutine].
func raceEach(try func(record, goroutine int) error) [][]error {
	errs := make([][]error, records)
	for r := range errs {
		errs[r] = race(contenders, func(g int) error { return try(r, g) })
	}
	return errs
}

// exactlyOneWins fails t unless each record has exactly one winning
// goroutine (nil error) and every other lost with loser: no second winner,
// no SQLITE_BUSY, no deadlock. It returns each record's winner (-1: none).
func exactlyOneWins(t *testing.T, errs [][]error, loser error) []int {
	t.Helper()
	winners := make([]int, len(errs))
	failures := 0
	fail := func(format string, args ...any) {
		if failures++; failures <= 5 {
			t.Errorf(format, args...)
		}
	}
	for r, errs := range errs {
		winners[r] = -1
		for g, err := range errs {
			switch {
			case err == nil && winners[r] >= 0:
				fail("record %d: goroutines %d and %d both won", r, winners[r], g)
			case err == nil:
				winners[r] = g
			case !errors.Is(err, loser):
				fail("record %d, goroutine %d: %v, want %v", r, g, err, loser)
			}
		}
		if winners[r] < 0 {
			fail("record %d: no goroutine won", r)
		}
	}
	if failures > 5 {
		t.Errorf("... %d failures in all", failures)
	}
	return winners
}

// same fails t if got differs from want in any field. Times compare with
// Equal and must come back in UTC; byte slices compare by content.
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if d := diff(reflect.ValueOf(got), reflect.ValueOf(want)); d != "" {
		t.Errorf("%s: %s", what, d)
	}
}

func diff(got, want reflect.Value) string {
	if got.Kind() == reflect.Slice && got.Type().Elem().Kind() == reflect.Struct {
		if got.Len() != want.Len() {
			return fmt.Sprintf("got %d items, want %d", got.Len(), want.Len())
		}
		for i := range got.Len() {
			if d := diff(got.Index(i), want.Index(i)); d != "" {
				return fmt.Sprintf("item %d: %s", i, d)
			}
		}
		return ""
	}
	var out []string
	for i := range got.NumField() {
		name := got.Type().Field(i).Name
		g, w := got.Field(i).Interface(), want.Field(i).Interface()
		switch w := w.(type) {
		case time.Time:
			g := g.(time.Time)
			if !g.Equal(w) {
				out = append(out, fmt.Sprintf("%s = %v, want %v", name, g, w))
			} else if g.Location() != time.UTC {
				out = append(out, fmt.Sprintf("%s = %v, want it in UTC", name, g))
			}
		case []byte:
			if !bytes.Equal(g.([]byte), w) {
				out = append(out, fmt.Sprintf("%s = %q, want %q", name, g, w))
			}
		default:
			if g != w {
				out = append(out, fmt.Sprintf("%s = %v, want %v", name, g, w))
			}
		}
	}
	return strings.Join(out, "; ")
}

// is fails t unless err wraps want (nil: no error).
func is(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// noLeak fails t if err's text contains any secret: errors end up in logs.
func noLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains %q", err, s)
		}
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func testMigrateIdempotent(t *testing.T, s store.Store) {
	g, err := s.PutGrant(ctx(t), store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("c"), UpdatedAt: t0})
	is(t, "put grant", err, nil)
	for range 2 {
		is(t, "migrate again", s.Migrate(ctx(t)), nil)
	}
	if r, ok := s.(interface {
		MigrateReport(context.Context) (store.MigrationReport, error)
	}); ok {
		rep, err := r.MigrateReport(ctx(t))
		is(t, "migrate report", err, nil)
		if len(rep.Applied) != 0 || rep.Version < 1 {
			t.Errorf("migrating a migrated store: %+v, want nothing applied and version >= 1", rep)
		}
		if got := rep.String(); !strings.HasPrefix(got, "database is up to date (version ") {
			t.Errorf("report = %q", got)
		}
	}
	got, err := s.GetGrant(ctx(t), "p")
	is(t, "get grant after migrate", err, nil)
	same(t, "grant after migrate", got, g)
}

func testPing(t *testing.T, s store.Store) {
	is(t, "ping", s.Ping(ctx(t)), nil)
	// PingWrite writes, again and again (a probe every few seconds), and
	// what it writes is swept like any expired record.
	is(t, "ping write", s.PingWrite(ctx(t)), nil)
	is(t, "ping write again", s.PingWrite(ctx(t)), nil)
	n, err := s.DeleteExpired(ctx(t), time.Now().Add(2*time.Minute))
	is(t, "sweep", err, nil)
	if n != 1 {
		t.Errorf("the sweep removed %d records after PingWrite, want its 1", n)
	}
}

// testTimes checks the promise in the store package doc: times come back in
// UTC, to the microsecond, whatever zone they went in with.
func testTimes(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	created := time.Date(2026, 11, 24, 17, 30, 0, 123456789, zone)
	expires := created.Add(time.Hour)
	is(t, "create", s.CreateState(ctx(t), store.State{ID: "s", Kind: "k", Principal: "p", CreatedAt: created, ExpiresAt: expires}), nil)
	got, err := s.ConsumeState(ctx(t), "s", created)
	is(t, "consume", err, nil)
	same(t, "state", got, store.State{ID: "s", Kind: "k", Principal: "p",
		CreatedAt: created.Truncate(time.Microsecond).UTC(), ExpiresAt: expires.Truncate(time.Microsecond).UTC()})
}
