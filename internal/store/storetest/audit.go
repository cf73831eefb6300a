package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

func testAuditAppendList(t *testing.T, s store.Store) {
	es, err := s.ListAudit(ctx(t), "", 10)
	is(t, "list empty", err, nil)
	if len(es) != 0 {
		t.Errorf("empty log lists %d events", len(es))
	}
	var in []store.AuditEvent
	for i, p := range []string{"p", "q", "p", "p", "q"} {
		e := store.AuditEvent{ID: 999, Time: at(time.Duration(i) * time.Second), Principal: p,
			Action: "grant.refreshed", Detail: fmt.Sprintf("event %d", i)}
		is(t, "append", s.AppendAudit(ctx(t), e), nil)
		in = append(in, e)
	}

	all, err := s.ListAudit(ctx(t), "", 0)
	is(t, "list all", err, nil)
	if len(all) != len(in) {
		t.Fatalf("listed %d events, want %d", len(all), len(in))
	}
	for i, e := range all {
		// Newest first, with ids the store assigned and that grow.
		want := in[len(in)-1-i]
		want.ID = e.ID
		same(t, fmt.Sprintf("event %d", i), e, want)
		if i > 0 && e.ID >= all[i-1].ID {
			t.Errorf("ids not decreasing newest first: %d then %d", all[i-1].ID, e.ID)
		}
	}
	if all[0].ID == 999 && all[1].ID == 999 {
		t.Errorf("store kept the caller's ids")
	}

	ps, err := s.ListAudit(ctx(t), "p", 2)
	is(t, "list p", err, nil)
	if len(ps) != 2 || ps[0].Detail != "event 3" || ps[1].Detail != "event 2" {
		t.Errorf("p's newest 2: %+v, want events 3 and 2", ps)
	}
	qs, err := s.ListAudit(ctx(t), "q", 10)
	is(t, "list q", err, nil)
	if len(qs) != 2 || qs[0].Detail != "event 4" || qs[1].Detail != "event 1" {
		t.Errorf("q's events: %+v, want 4 and 1", qs)
	}
	none, err := s.ListAudit(ctx(t), "nobody", 10)
	is(t, "list nobody", err, nil)
	if len(none) != 0 {
		t.Errorf("nobody has %d events", len(none))
	}
}

func testAuditAppendConcurrent(t *testing.T, s store.Store) {
	errs := race(contenders, func(i int) error {
		return s.AppendAudit(ctx(t), store.AuditEvent{Time: t0, Principal: "p", Action: "grant.used", Detail: fmt.Sprint(i)})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("append %d: %v", i, err)
		}
	}
	es, err := s.ListAudit(ctx(t), "p", 0)
	is(t, "list", err, nil)
	ids, details := map[int64]bool{}, map[string]bool{}
	for _, e := range es {
		ids[e.ID], details[e.Detail] = true, true
	}
	if len(es) != contenders || len(ids) != contenders || len(details) != contenders {
		t.Errorf("%d events, %d distinct ids, %d distinct details; want %d of each", len(es), len(ids), len(details), contenders)
	}
}

func testEventRecord(t *testing.T, s store.Store) {
	is(t, "record", s.RecordEvent(ctx(t), "Ev1", t0, at(time.Hour)), nil)
	is(t, "record again", s.RecordEvent(ctx(t), "Ev1", at(time.Minute), at(2*time.Hour)), store.ErrAlreadyUsed)
	is(t, "record another", s.RecordEvent(ctx(t), "Ev2", t0, at(time.Hour)), nil)
	// The retry at minute 1 did not extend the record: at hour 1 it has
	// expired and the id may be recorded afresh, once.
	is(t, "record after expiry", s.RecordEvent(ctx(t), "Ev1", at(time.Hour), at(3*time.Hour)), nil)
	is(t, "record again after renewal", s.RecordEvent(ctx(t), "Ev1", at(2*time.Hour), at(4*time.Hour)), store.ErrAlreadyUsed)

	for _, c := range []struct {
		id   string
		now  time.Time
		want bool
	}{
		{"Ev1", at(2 * time.Hour), true},
		{"Ev2", at(30 * time.Minute), true},
		{"Ev2", at(time.Hour), false}, // expired
		{"Ev3", t0, false},            // never recorded
	} {
		seen, err := s.EventSeen(ctx(t), c.id, c.now)
		if err != nil || seen != c.want {
			t.Errorf("EventSeen(%s, %v) = %t, %v; want %t", c.id, c.now, seen, err, c.want)
		}
	}
	// Looking does not record.
	seen, _ := s.EventSeen(ctx(t), "Ev4", t0)
	is(t, "record after a look", s.RecordEvent(ctx(t), "Ev4", t0, at(time.Hour)), nil)
	if seen {
		t.Error("EventSeen saw an id never recorded")
	}
}

func testEventRecordConcurrent(t *testing.T, s store.Store) {
	id := func(r int) string { return fmt.Sprintf("Ev%d", r) }
	errs := raceEach(func(r, _ int) error { return s.RecordEvent(ctx(t), id(r), t0, at(time.Hour)) })
	exactlyOneWins(t, errs, store.ErrAlreadyUsed)

	// Taking over an expired record is just as exclusive.
	errs = raceEach(func(r, _ int) error { return s.RecordEvent(ctx(t), id(r), at(time.Hour), at(2*time.Hour)) })
	exactlyOneWins(t, errs, store.ErrAlreadyUsed)
}

func testAuditRetention(t *testing.T, s store.Store) {
	for i, p := range []string{"p", "q", "p", "q"} {
		e := store.AuditEvent{Time: at(time.Duration(i) * time.Hour), Principal: p, Action: "client.registered", Detail: fmt.Sprint(i)}
		is(t, "append", s.AppendAudit(ctx(t), e), nil)
	}
	// Older than the cutoff goes; at the cutoff stays.
	n, err := s.DeleteAuditBefore(ctx(t), at(2*time.Hour))
	is(t, "delete before", err, nil)
	if n != 2 {
		t.Errorf("deleted %d, want 2", n)
	}
	es, err := s.ListAudit(ctx(t), "", 0)
	is(t, "list", err, nil)
	if len(es) != 2 || es[0].Detail != "3" || es[1].Detail != "2" {
		t.Errorf("kept %+v, want events 3 and 2", es)
	}
	n, err = s.DeleteAuditBefore(ctx(t), at(2*time.Hour))
	is(t, "delete again", err, nil)
	if n != 0 {
		t.Errorf("second run deleted %d", n)
	}
	// DeleteExpired leaves the audit log to its retention.
	_, err = s.DeleteExpired(ctx(t), at(1000*time.Hour))
	is(t, "delete expired", err, nil)
	if es, _ := s.ListAudit(ctx(t), "", 0); len(es) != 2 {
		t.Errorf("DeleteExpired removed audit events: %d left", len(es))
	}
}

// testDeleteExpired expires one record of each kind and keeps one, and
// checks the expired ones are gone (their ids are free again), not hidden.
func testDeleteExpired(t *testing.T, s store.Store) {
	exp, live := at(time.Minute), at(time.Hour)
	now := at(time.Minute) // expired means ExpiresAt <= now
	c := ctx(t)

	_, err := s.PutGrant(c, store.Grant{Principal: "p", KeyID: "k", Ciphertext: []byte("c"), UpdatedAt: t0})
	is(t, "put grant", err, nil)
	is(t, "audit", s.AppendAudit(c, store.AuditEvent{Time: t0, Principal: "p", Action: "grant.connected"}), nil)
	for _, id := range []string{"s-exp", "s-live"} {
		e := map[string]time.Time{"s-exp": exp, "s-live": live}[id]
		is(t, "state", s.CreateState(c, store.State{ID: id, Kind: "k", Principal: "p", CreatedAt: t0, ExpiresAt: e}), nil)
	}
	park(t, s, "r-exp", "p", 0, time.Minute)
	park(t, s, "r-live", "p", 0, time.Hour)
	is(t, "client", s.CreateClient(c, store.Client{ID: "c-exp", CreatedAt: t0, ExpiresAt: exp}), nil)
	is(t, "client", s.CreateClient(c, store.Client{ID: "c-live", CreatedAt: t0, ExpiresAt: live}), nil)
	is(t, "client", s.CreateClient(c, store.Client{ID: "c-never", CreatedAt: t0}), nil)
	is(t, "code", s.CreateAuthCode(c, newCode("code-exp", time.Minute)), nil)
	is(t, "code", s.CreateAuthCode(c, newCode("code-live", time.Hour)), nil)
	createTokens(t, s, newToken("t-exp", store.RefreshToken, "f", "p", time.Minute), newToken("t-live", store.RefreshToken, "f", "p", time.Hour))
	is(t, "approval", s.CreateApproval(c, store.Approval{ID: "a-exp", ClientID: "c", CreatedAt: t0, ExpiresAt: exp}), nil)
	is(t, "approval", s.CreateApproval(c, store.Approval{ID: "a-live", ClientID: "c", CreatedAt: t0, ExpiresAt: live}), nil)
	is(t, "event", s.RecordEvent(c, "e-exp", t0, exp), nil)
	is(t, "event", s.RecordEvent(c, "e-live", t0, live), nil)
	record(t, s, "i-exp", "k", 0, time.Minute)
	record(t, s, "i-live", "k", 0, time.Hour)

	n, err := s.DeleteExpired(c, now)
	is(t, "delete expired", err, nil)
	if n != 8 {
		t.Errorf("deleted %d, want 8 (one of each kind)", n)
	}
	n, err = s.DeleteExpired(c, now)
	is(t, "delete expired again", err, nil)
	if n != 0 {
		t.Errorf("second run deleted %d", n)
	}
	// Gone, not hidden: looked at from before its expiry, it is not there.
	if items, err := s.ListInbox(c, "", t0, 0); err != nil || len(items) != 1 || items[0].ID != "i-live" {
		t.Errorf("inbox after cleanup, seen from t0: %+v, %v; want i-live alone", items, err)
	}

	// Gone: each id can be created again.
	checks := []struct {
		what string
		err  error
	}{
		{"state", s.CreateState(c, store.State{ID: "s-exp", Kind: "k", Principal: "p", CreatedAt: t0, ExpiresAt: live})},
		{"parked request", s.ParkRequest(c, store.ParkedRequest{ID: "r-exp", Principal: "p", CreatedAt: t0, ExpiresAt: live})},
		{"client", s.CreateClient(c, store.Client{ID: "c-exp", CreatedAt: t0})},
		{"auth code", s.CreateAuthCode(c, newCode("code-exp", time.Hour))},
		{"token", s.CreateToken(c, newToken("t-exp", store.AccessToken, "f", "p", time.Hour))},
		{"approval", s.CreateApproval(c, store.Approval{ID: "a-exp", ClientID: "c", CreatedAt: t0, ExpiresAt: live})},
	}
	for _, ch := range checks {
		if ch.err != nil {
			t.Errorf("re-create expired %s: %v", ch.what, ch.err)
		}
	}
	// Kept: the live ones, the client that never expires, grants, audit.
	keep := []struct {
		what string
		err  error
	}{
		{"state", func() error { _, err := s.ConsumeState(c, "s-live", now); return err }()},
		{"client", func() error { _, err := s.GetClient(c, "c-live", now); return err }()},
		{"client without expiry", func() error { _, err := s.GetClient(c, "c-never", now); return err }()},
		{"auth code", func() error { _, err := s.ConsumeAuthCode(c, "code-live", now); return err }()},
		{"token", func() error { _, err := s.GetToken(c, "t-live", now); return err }()},
		{"approval", func() error { _, err := s.GetApproval(c, "a-live", now); return err }()},
		{"grant", func() error { _, err := s.GetGrant(c, "p"); return err }()},
		{"inbox item", func() error { _, err := s.GetInbox(c, "i-live", now); return err }()},
	}
	for _, k := range keep {
		if k.err != nil {
			t.Errorf("live %s: %v", k.what, k.err)
		}
	}
	if err := s.RecordEvent(c, "e-live", now, live); !errors.Is(err, store.ErrAlreadyUsed) {
		t.Errorf("live event: %v, want it still recorded", err)
	}
	ps, err := s.ListParkedRequests(c, "p", now)
	is(t, "list parked", err, nil)
	if len(ps) != 2 || (ps[0].ID != "r-exp" && ps[1].ID != "r-exp") {
		t.Errorf("parked after cleanup: %+v, want r-live and the re-parked r-exp", ps)
	}
	es, err := s.ListAudit(c, "", 0)
	is(t, "list audit", err, nil)
	if len(es) != 1 {
		t.Errorf("audit after cleanup: %d events, want 1", len(es))
	}
}
