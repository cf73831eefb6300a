package storetest

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

func testPreferences(t *testing.T, s store.Store) {
	got, err := s.Preferences(ctx(t), "p")
	is(t, "none yet", err, nil)
	samePrefs(t, "none yet", got, map[string]string{})

	is(t, "set org", s.SetPreference(ctx(t), "p", "org", "acme", t0), nil)
	is(t, "set project", s.SetPreference(ctx(t), "p", "project", "web", t0), nil)
	is(t, "someone else's", s.SetPreference(ctx(t), "q", "org", "globex", t0), nil)
	got, err = s.Preferences(ctx(t), "p")
	is(t, "read", err, nil)
	samePrefs(t, "p's", got, map[string]string{"org": "acme", "project": "web"})

	is(t, "change org", s.SetPreference(ctx(t), "p", "org", "globex", at(time.Minute)), nil)
	is(t, "clear project", s.SetPreference(ctx(t), "p", "project", "", at(time.Minute)), nil)
	is(t, "clear what was never set", s.SetPreference(ctx(t), "p", "nothing", "", at(time.Minute)), nil)
	got, err = s.Preferences(ctx(t), "p")
	is(t, "read again", err, nil)
	samePrefs(t, "p's after changes", got, map[string]string{"org": "globex"})
	got, err = s.Preferences(ctx(t), "q")
	is(t, "q's", err, nil)
	samePrefs(t, "q's untouched", got, map[string]string{"org": "globex"})

	// Preferences are kept: they do not expire.
	_, err = s.DeleteExpired(ctx(t), at(1000*time.Hour))
	is(t, "delete expired", err, nil)
	got, err = s.Preferences(ctx(t), "p")
	is(t, "read after sweep", err, nil)
	samePrefs(t, "kept", got, map[string]string{"org": "globex"})
}

// testPreferencesConcurrent: writers of one preference race; every write
// succeeds (no SQLITE_BUSY, no unique violation) and one value stays.
func testPreferencesConcurrent(t *testing.T, s store.Store) {
	errs := race(contenders, func(i int) error {
		return s.SetPreference(ctx(t), "p", "org", fmt.Sprintf("org-%d", i), t0)
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got, err := s.Preferences(ctx(t), "p")
	is(t, "read", err, nil)
	if len(got) != 1 || got["org"] == "" {
		t.Errorf("after the race: %v, want one org", got)
	}
}

func samePrefs(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}
