package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// ErrInjected is the error a Faulty store returns for a failing call,
// worded like a database that went away.
var ErrInjected = errors.New("storetest: injected fault: connection refused (dial tcp 10.0.0.5:5432)")

// Fault is what a Faulty store does with calls of one method.
type Fault int

const (
	// Pass lets calls through.
	Pass Fault = iota
	// Fail returns ErrInjected at once, as a database that refuses
	// connections (or a full disk) does.
	Fail
	// Block holds the call until its context ends, as a black-holed
	// database does, then returns the context's error.
	Block
)

// Faulty wraps a store.Store and fails or blocks the methods it is told
// to, on demand: the fault-injecting store of the vault's and the server's
// tests. The method names are the store.Store method names ("GetGrant",
// "SwapGrant", "LeaseGrant", ...); Calls counts every call, faulted or not.
type Faulty struct {
	store.Store

	mu     sync.Mutex
	faults map[string]Fault
	once   map[string]int // calls left before the fault lifts (0: until Set)
	calls  map[string]int
}

// NewFaulty wraps s with every method passing.
func NewFaulty(s store.Store) *Faulty {
	return &Faulty{Store: s, faults: map[string]Fault{}, once: map[string]int{}, calls: map[string]int{}}
}

// Set makes every later call of the methods do f (Pass lifts a fault).
func (s *Faulty) Set(f Fault, methods ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range methods {
		s.faults[m] = f
		delete(s.once, m)
	}
}

// SetN makes the next n calls of method do f; later calls pass.
func (s *Faulty) SetN(f Fault, n int, method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = f
	s.once[method] = n
}

// Calls reports how many calls method has had.
func (s *Faulty) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// fault applies method's fault, if any, and reports the error to return.
func (s *Faulty) fault(ctx context.Context, method string) error {
	s.mu.Lock()
	s.calls[method]++
	f := s.faults[method]
	if n, ok := s.once[method]; ok && f != Pass {
		if n--; n <= 0 {
			delete(s.once, method)
			delete(s.faults, method)
		} else {
			s.once[method] = n
		}
	}
	s.mu.Unlock()
	switch f {
	case Fail:
		return fmt.Errorf("%s: %w", method, ErrInjected)
	case Block:
		if _, ok := ctx.Deadline(); !ok {
			// A call without a deadline would hang for the whole outage:
			// the bug this fault exists to catch. Fail the call loudly
			// after a while rather than hang the test run.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			<-ctx.Done()
			return fmt.Errorf("%s: called without a deadline, blocked 30s: %w", method, ctx.Err())
		}
		<-ctx.Done()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
	return nil
}

func (s *Faulty) GetGrant(ctx context.Context, principal string) (store.Grant, error) {
	if err := s.fault(ctx, "GetGrant"); err != nil {
		return store.Grant{}, err
	}
	return s.Store.GetGrant(ctx, principal)
}

func (s *Faulty) PutGrant(ctx context.Context, g store.Grant) (store.Grant, error) {
	if err := s.fault(ctx, "PutGrant"); err != nil {
		return store.Grant{}, err
	}
	return s.Store.PutGrant(ctx, g)
}

func (s *Faulty) SwapGrant(ctx context.Context, g store.Grant) (store.Grant, error) {
	if err := s.fault(ctx, "SwapGrant"); err != nil {
		return store.Grant{}, err
	}
	return s.Store.SwapGrant(ctx, g)
}

func (s *Faulty) DeleteGrant(ctx context.Context, principal string) error {
	if err := s.fault(ctx, "DeleteGrant"); err != nil {
		return err
	}
	return s.Store.DeleteGrant(ctx, principal)
}

func (s *Faulty) ListGrants(ctx context.Context, after string, limit int) ([]store.Grant, error) {
	if err := s.fault(ctx, "ListGrants"); err != nil {
		return nil, err
	}
	return s.Store.ListGrants(ctx, after, limit)
}

func (s *Faulty) LeaseGrant(ctx context.Context, principal, owner string, now, until time.Time) (store.Grant, error) {
	if err := s.fault(ctx, "LeaseGrant"); err != nil {
		return store.Grant{}, err
	}
	return s.Store.LeaseGrant(ctx, principal, owner, now, until)
}

func (s *Faulty) ReleaseGrantLease(ctx context.Context, principal, owner string) error {
	if err := s.fault(ctx, "ReleaseGrantLease"); err != nil {
		return err
	}
	return s.Store.ReleaseGrantLease(ctx, principal, owner)
}

func (s *Faulty) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	if err := s.fault(ctx, "AppendAudit"); err != nil {
		return err
	}
	return s.Store.AppendAudit(ctx, e)
}

func (s *Faulty) Ping(ctx context.Context) error {
	if err := s.fault(ctx, "Ping"); err != nil {
		return err
	}
	return s.Store.Ping(ctx)
}

func (s *Faulty) GetToken(ctx context.Context, hash string, now time.Time) (store.Token, error) {
	if err := s.fault(ctx, "GetToken"); err != nil {
		return store.Token{}, err
	}
	return s.Store.GetToken(ctx, hash, now)
}

func (s *Faulty) PingWrite(ctx context.Context) error {
	if err := s.fault(ctx, "PingWrite"); err != nil {
		return err
	}
	return s.Store.PingWrite(ctx)
}

func (s *Faulty) RecordEvent(ctx context.Context, id string, now, expiresAt time.Time) error {
	if err := s.fault(ctx, "RecordEvent"); err != nil {
		return err
	}
	return s.Store.RecordEvent(ctx, id, now, expiresAt)
}

func (s *Faulty) EventSeen(ctx context.Context, id string, now time.Time) (bool, error) {
	if err := s.fault(ctx, "EventSeen"); err != nil {
		return false, err
	}
	return s.Store.EventSeen(ctx, id, now)
}

func (s *Faulty) RecordInbox(ctx context.Context, it store.InboxItem) (store.InboxItem, error) {
	if err := s.fault(ctx, "RecordInbox"); err != nil {
		return store.InboxItem{}, err
	}
	return s.Store.RecordInbox(ctx, it)
}

func (s *Faulty) ClaimInboxItem(ctx context.Context, id, owner string, now, leaseUntil time.Time) (store.InboxItem, error) {
	if err := s.fault(ctx, "ClaimInboxItem"); err != nil {
		return store.InboxItem{}, err
	}
	return s.Store.ClaimInboxItem(ctx, id, owner, now, leaseUntil)
}

func (s *Faulty) ClaimInbox(ctx context.Context, owner string, now, leaseUntil time.Time, limit int, kinds ...string) ([]store.InboxItem, error) {
	if err := s.fault(ctx, "ClaimInbox"); err != nil {
		return nil, err
	}
	return s.Store.ClaimInbox(ctx, owner, now, leaseUntil, limit, kinds...)
}

func (s *Faulty) ExtendInboxLease(ctx context.Context, id, owner string, now, leaseUntil time.Time) error {
	if err := s.fault(ctx, "ExtendInboxLease"); err != nil {
		return err
	}
	return s.Store.ExtendInboxLease(ctx, id, owner, now, leaseUntil)
}

func (s *Faulty) SaveInboxProgress(ctx context.Context, id, owner string, progress []byte, now time.Time) error {
	if err := s.fault(ctx, "SaveInboxProgress"); err != nil {
		return err
	}
	return s.Store.SaveInboxProgress(ctx, id, owner, progress, now)
}

func (s *Faulty) ReleaseInbox(ctx context.Context, id, owner string, now, availableAt time.Time) error {
	if err := s.fault(ctx, "ReleaseInbox"); err != nil {
		return err
	}
	return s.Store.ReleaseInbox(ctx, id, owner, now, availableAt)
}

func (s *Faulty) FinishInbox(ctx context.Context, id, owner string, state store.InboxState, now time.Time) error {
	if err := s.fault(ctx, "FinishInbox"); err != nil {
		return err
	}
	return s.Store.FinishInbox(ctx, id, owner, state, now)
}

func (s *Faulty) ParkRequest(ctx context.Context, p store.ParkedRequest) error {
	if err := s.fault(ctx, "ParkRequest"); err != nil {
		return err
	}
	return s.Store.ParkRequest(ctx, p)
}

func (s *Faulty) ClaimParkedRequests(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]store.ParkedRequest, error) {
	if err := s.fault(ctx, "ClaimParkedRequests"); err != nil {
		return nil, err
	}
	return s.Store.ClaimParkedRequests(ctx, owner, now, leaseUntil, limit)
}

func (s *Faulty) CompleteParkedRequest(ctx context.Context, id string) error {
	if err := s.fault(ctx, "CompleteParkedRequest"); err != nil {
		return err
	}
	return s.Store.CompleteParkedRequest(ctx, id)
}

func (s *Faulty) MarkParkedReady(ctx context.Context, principal string, now time.Time) (int, error) {
	if err := s.fault(ctx, "MarkParkedReady"); err != nil {
		return 0, err
	}
	return s.Store.MarkParkedReady(ctx, principal, now)
}

func (s *Faulty) ListExpiringGrants(ctx context.Context, before time.Time, limit int) ([]store.Grant, error) {
	if err := s.fault(ctx, "ListExpiringGrants"); err != nil {
		return nil, err
	}
	return s.Store.ListExpiringGrants(ctx, before, limit)
}

func (s *Faulty) TouchGrant(ctx context.Context, principal string, now time.Time) error {
	if err := s.fault(ctx, "TouchGrant"); err != nil {
		return err
	}
	return s.Store.TouchGrant(ctx, principal, now)
}

func (s *Faulty) AcquireLease(ctx context.Context, name, owner string, now, until time.Time) error {
	if err := s.fault(ctx, "AcquireLease"); err != nil {
		return err
	}
	return s.Store.AcquireLease(ctx, name, owner, now, until)
}

func (s *Faulty) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := s.fault(ctx, "ReleaseLease"); err != nil {
		return err
	}
	return s.Store.ReleaseLease(ctx, name, owner)
}

func (s *Faulty) GetTokenGrant(ctx context.Context, hash string, now time.Time) (store.TokenGrant, error) {
	if err := s.fault(ctx, "GetTokenGrant"); err != nil {
		return store.TokenGrant{}, err
	}
	return s.Store.GetTokenGrant(ctx, hash, now)
}
