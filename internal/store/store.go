// Package store declares what lookout persists and the errors every backend
// reports. The backend is store/sqlstore, one package with a SQLite and a
// PostgreSQL flavor; store/storetest is the conformance suite both pass.
//
// The store never sees a token in clear: grants arrive encrypted from
// internal/vault, and lookout's own OAuth codes and tokens arrive as hashes.
// Times are passed in by the caller so that expiry is testable and every
// replica agrees on what "now" meant for a decision. A record expires when
// its ExpiresAt <= now. Backends keep times to the microsecond (PostgreSQL's
// precision) and return them in UTC. A limit <= 0 means no limit.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them; callers test with errors.Is.
var (
	// ErrNotFound: no such record, or it has expired.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a create collided with an existing key.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict: a compare-and-swap lost to a concurrent writer.
	ErrConflict = errors.New("store: version conflict")
	// ErrAlreadyUsed: a single-use record (state, code, refresh token,
	// event id) was consumed before.
	ErrAlreadyUsed = errors.New("store: already used")
	// ErrLeaseHeld: another holder owns an unexpired lease on the record.
	ErrLeaseHeld = errors.New("store: lease held by another owner")
)

// Store is everything lookout persists. Implementations are safe for
// concurrent use by many goroutines and, for shared backends, by many
// processes.
type Store interface {
	Grants
	States
	ParkedRequests
	Clients
	AuthCodes
	Tokens
	Approvals
	Audit
	Events
	Inbox
	Leases
	Preferences

	// Migrate applies every embedded migration not yet applied. It is
	// idempotent and safe to run from several processes at once.
	Migrate(ctx context.Context) error
	// Ping reports whether the backend is reachable.
	Ping(ctx context.Context) error
	// PingWrite reports whether the backend accepts a write (readiness: a
	// full disk or a read-only database still answers Ping). It writes a
	// short-lived record that DeleteExpired sweeps.
	PingWrite(ctx context.Context) error
	// DeleteExpired removes records expired at now (inbox items too,
	// answered or not) and returns how many went. Grants and the audit log
	// never expire this way (the audit log has DeleteAuditBefore).
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
	Close() error
}

// Grant is one principal's upstream Sentry grant, sealed by internal/vault.
type Grant struct {
	Principal  string
	KeyID      string // id of the vault key that sealed Ciphertext
	Ciphertext []byte
	// Version starts at 1 and grows by one on every successful write; it is
	// the compare-and-swap token.
	Version int64
	// CreatedAt is kept across writes. UpdatedAt is the time of this write,
	// set by the caller of PutGrant/SwapGrant (zero: the store's clock).
	CreatedAt time.Time
	UpdatedAt time.Time

	// What the vault copies out of the sealed grant so that grants can be
	// found without decrypting each one; none of it is secret. PutGrant and
	// SwapGrant store it as given. Described is false on rows written
	// before these fields existed (and by writers that do not set them):
	// the vault rewrites those.
	SentryUserID string
	ExpiresAt    time.Time // the access token's expiry; zero: never expires
	Stale        bool      // Sentry refused the grant
	Described    bool
	// LastUsedAt is set by TouchGrant alone; writes keep it.
	LastUsedAt time.Time
}

// Grants stores sealed grants. The refresh lease lets exactly one holder,
// across processes, refresh a grant while others wait.
type Grants interface {
	// PutGrant creates or replaces the grant for g.Principal, ignoring any
	// version: a fresh consent supersedes what was there. It returns the
	// stored grant with its new Version. Any lease is released.
	PutGrant(ctx context.Context, g Grant) (Grant, error)
	// GetGrant returns ErrNotFound when the principal has no grant.
	GetGrant(ctx context.Context, principal string) (Grant, error)
	// SwapGrant replaces the grant only if the stored Version equals
	// g.Version, and returns it with Version+1 (ErrConflict otherwise,
	// ErrNotFound if it is gone). Any lease is released.
	SwapGrant(ctx context.Context, g Grant) (Grant, error)
	// DeleteGrant removes the grant; ErrNotFound if there was none.
	DeleteGrant(ctx context.Context, principal string) error
	// ListGrants returns up to limit grants whose principal sorts after
	// `after`, in principal order: a resumable scan.
	ListGrants(ctx context.Context, after string, limit int) ([]Grant, error)
	// LeaseGrant gives owner the refresh lease until `until` if no other
	// owner holds an unexpired one at now (ErrLeaseHeld otherwise; the same
	// owner may extend its own). It returns the grant as stored.
	LeaseGrant(ctx context.Context, principal, owner string, now, until time.Time) (Grant, error)
	// ReleaseGrantLease drops owner's lease, if it still holds it (a no-op
	// otherwise, also when the grant is gone).
	ReleaseGrantLease(ctx context.Context, principal, owner string) error
	// ListExpiringGrants returns up to limit described, not stale grants
	// whose access token expires at or before `before`, soonest first (then
	// by principal): the background refresher's work list.
	ListExpiringGrants(ctx context.Context, before time.Time, limit int) ([]Grant, error)
	// ListGrantsBySentryUser returns the grants described as belonging to
	// the Sentry user id, in principal order.
	ListGrantsBySentryUser(ctx context.Context, sentryUserID string) ([]Grant, error)
	// TouchGrant records that principal's grant was used at now. It never
	// moves LastUsedAt back, changes nothing else (not the version, not a
	// lease) and reports ErrNotFound when there is no grant.
	TouchGrant(ctx context.Context, principal string, now time.Time) error
}

// State is a server-side record behind a signed OAuth state or connect
// link: what the callback needs (PKCE verifier, who asked, where to return).
type State struct {
	ID        string
	Kind      string // e.g. "mcp-authorize", "slack-connect"
	Principal string // who the flow is for, when known at start
	Data      []byte // opaque to the store
	CreatedAt time.Time
	ExpiresAt time.Time
}

// States holds single-use flow state.
type States interface {
	// CreateState stores s; ErrAlreadyExists on a duplicate ID.
	CreateState(ctx context.Context, s State) error
	// ConsumeState atomically marks the state used and returns it. Exactly
	// one caller ever succeeds; later ones get ErrAlreadyUsed. Expired
	// states report ErrNotFound.
	ConsumeState(ctx context.Context, id string, now time.Time) (State, error)
	// PendingOrCreateState returns the newest unconsumed state of s.Kind
	// for s.Principal that is still valid at reuseUntil (a connect link
	// still worth handing out again), or, when there is none, creates s and
	// returns it with created true. Concurrent callers for one kind and
	// principal, in any number of processes, all get the same state: at
	// most one of them creates.
	PendingOrCreateState(ctx context.Context, s State, reuseUntil time.Time) (st State, created bool, err error)
}

// ParkedRequest is a turn blocked on authorization, kept until the user
// connects and it can be resumed.
type ParkedRequest struct {
	ID        string
	Principal string
	Data      []byte // where to answer and what was asked; opaque to the store
	Ready     bool   // the principal has connected; resume it
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ParkedRequests is a small durable queue: park, mark ready on consent,
// claim with a lease, complete. A claimant that crashes loses its lease and
// the request is claimed again.
type ParkedRequests interface {
	// ParkRequest stores p (not ready). ErrAlreadyExists on a duplicate ID.
	ParkRequest(ctx context.Context, p ParkedRequest) error
	// MarkParkedReady marks every unexpired parked request of principal
	// ready and returns how many.
	MarkParkedReady(ctx context.Context, principal string, now time.Time) (int, error)
	// ClaimParkedRequests leases up to limit ready, unexpired requests that
	// no one holds (or whose lease ended) to owner until leaseUntil.
	ClaimParkedRequests(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]ParkedRequest, error)
	// CompleteParkedRequest removes a request; ErrNotFound if already gone.
	CompleteParkedRequest(ctx context.Context, id string) error
	// ListParkedRequests returns principal's unexpired requests, oldest first.
	ListParkedRequests(ctx context.Context, principal string, now time.Time) ([]ParkedRequest, error)
}

// Client is an OAuth client registered with lookout's authorization server.
type Client struct {
	ID         string
	SecretHash []byte // nil for public clients
	Metadata   []byte // RFC 7591 metadata as JSON; opaque to the store
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time // zero: never; registrations unused until then go
}

// Clients stores registered MCP clients.
type Clients interface {
	CreateClient(ctx context.Context, c Client) error // ErrAlreadyExists
	// GetClient returns ErrNotFound for unknown or expired clients.
	GetClient(ctx context.Context, id string, now time.Time) (Client, error)
	// TouchClient records use at now and moves ExpiresAt to expiresAt
	// (zero: keep). ErrNotFound for unknown or expired clients: use does not
	// revive a lapsed registration.
	TouchClient(ctx context.Context, id string, now, expiresAt time.Time) error
	DeleteClient(ctx context.Context, id string) error
	// ListClientUsage returns every client lookout knows of at now: live
	// registrations, and clients (registered or identified by a metadata
	// document URL) that hold a live token or approval. In id order.
	ListClientUsage(ctx context.Context, now time.Time) ([]ClientUsage, error)
}

// ClientUsage is one client as an operator sees it.
type ClientUsage struct {
	ID string
	// Registered: it has a live registration (the fields below are from
	// it); otherwise it is known from its tokens or approvals only, as a
	// client identified by a metadata document URL is.
	Registered bool
	Metadata   []byte
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	// LastTokenAt is when its newest token was issued (zero: never).
	LastTokenAt time.Time
	Approvals   int // live approvals
	Tokens      int // live tokens: not revoked, not expired, not spent
	Principals  int // distinct principals those tokens act for
}

// AuthCode is one of lookout's authorization codes, stored by hash.
type AuthCode struct {
	Hash          string
	ClientID      string
	Principal     string // the MCP grant principal the code stands for
	RedirectURI   string
	CodeChallenge string // PKCE S256 challenge
	Resource      string
	Scope         string
	FamilyID      string // tokens issued from this code share it
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// AuthCodes holds single-use authorization codes.
type AuthCodes interface {
	CreateAuthCode(ctx context.Context, c AuthCode) error // ErrAlreadyExists
	// GetAuthCode returns an unexpired code, used or not, without using
	// it: the token endpoint checks client, redirect URI and PKCE before it
	// spends a code. Expired or unknown: ErrNotFound.
	GetAuthCode(ctx context.Context, hash string, now time.Time) (AuthCode, error)
	// ConsumeAuthCode marks the code used and returns it; exactly one caller
	// wins. A second consumption returns the code AND ErrAlreadyUsed so the
	// caller can revoke what the first one issued. Expired: ErrNotFound.
	ConsumeAuthCode(ctx context.Context, hash string, now time.Time) (AuthCode, error)
}

// TokenKind tells access from refresh tokens.
type TokenKind string

const (
	AccessToken  TokenKind = "access"
	RefreshToken TokenKind = "refresh"
)

// Token is one of lookout's own tokens, stored by hash.
type Token struct {
	Hash      string
	Kind      TokenKind
	ClientID  string
	Principal string
	FamilyID  string // all tokens descending from one authorization code
	Resource  string
	Scope     string
	CreatedAt time.Time
	ExpiresAt time.Time
	Revoked   bool
	// UsedAt is when a refresh token was spent (zero: not yet). Set by the
	// store; ignored by CreateToken.
	UsedAt time.Time
	// SuccessorSeed is the random value given by the call that spent a
	// refresh token ("" before): the authorization server derives the
	// successor pair from it, so that the token presented again within its
	// grace period gets that same pair. Ignored by CreateToken.
	SuccessorSeed string
}

// Tokens holds lookout's access and refresh tokens.
type Tokens interface {
	CreateToken(ctx context.Context, t Token) error // ErrAlreadyExists
	// GetToken returns ErrNotFound for unknown, expired or revoked tokens.
	GetToken(ctx context.Context, hash string, now time.Time) (Token, error)
	// GetTokenGrant is GetToken and GetGrant of the token's principal in
	// one read, so that the bearer check of an MCP request, which needs
	// both, is one round trip. HasGrant is false when the principal has
	// no grant; errors are GetToken's.
	GetTokenGrant(ctx context.Context, hash string, now time.Time) (TokenGrant, error)
	// UseRefreshToken atomically marks a refresh token used, recording
	// successorSeed with it, and returns it. A token used before comes
	// back, with its UsedAt and the first caller's SuccessorSeed, and
	// ErrAlreadyUsed (reuse: the caller revokes the family, or, within a
	// grace period, hands out the successor pair again); unknown, expired or
	// revoked: ErrNotFound.
	UseRefreshToken(ctx context.Context, hash string, now time.Time, successorSeed string) (Token, error)
	// RevokeToken revokes one token (again: no error); ErrNotFound if unknown.
	RevokeToken(ctx context.Context, hash string) error
	// RevokeFamily revokes every token of a family and returns how many
	// were not revoked before.
	RevokeFamily(ctx context.Context, familyID string) (int, error)
	// RevokePrincipal revokes every token issued for principal and returns
	// how many were not revoked before.
	RevokePrincipal(ctx context.Context, principal string) (int, error)
	// RevokeClientTokens revokes every token issued to clientID, returns
	// how many were not revoked before, and the principals any token of
	// the client (revoked or not) was issued for, in order.
	RevokeClientTokens(ctx context.Context, clientID string) (revoked int, principals []string, err error)
	// ListTokenHolders sums up principal's live tokens (not revoked, not
	// expired, not spent) by client and resource, in client id order.
	ListTokenHolders(ctx context.Context, principal string, now time.Time) ([]TokenHolder, error)
}

// TokenGrant is a token and the grant of its principal, read together.
type TokenGrant struct {
	Token    Token
	Grant    Grant // zero unless HasGrant
	HasGrant bool
}

// TokenHolder is a client holding live tokens for one principal and one
// resource.
type TokenHolder struct {
	Principal    string
	ClientID     string
	Resource     string
	Tokens       int
	LastIssuedAt time.Time // the newest of those tokens
}

// Approval records that a user approved an MCP client for a scope on one
// resource, sending them back to one redirect URI: an approval covers that
// and nothing wider.
type Approval struct {
	ID          string
	ClientID    string
	Scope       string
	Resource    string // the canonical MCP resource URL approved
	RedirectURI string // as approved (loopback ports removed by the caller)
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Approvals stores client approvals referenced from the approval cookie.
type Approvals interface {
	CreateApproval(ctx context.Context, a Approval) error // ErrAlreadyExists
	// GetApproval returns ErrNotFound for unknown or expired approvals.
	GetApproval(ctx context.Context, id string, now time.Time) (Approval, error)
	DeleteApproval(ctx context.Context, id string) error
	// DeleteClientApprovals removes every approval of clientID and returns
	// how many went.
	DeleteClientApprovals(ctx context.Context, clientID string) (int64, error)
}

// AuditEvent is one entry of the grant audit log. Never token material.
type AuditEvent struct {
	ID        int64 // assigned by the store
	Time      time.Time
	Principal string
	Action    string // "grant.connected", "grant.refreshed", ...
	Detail    string // human readable, already free of secrets
}

// Audit is an append-only log with a retention.
type Audit interface {
	AppendAudit(ctx context.Context, e AuditEvent) error
	// ListAudit returns principal's events newest first (all principals when
	// principal is empty), at most limit.
	ListAudit(ctx context.Context, principal string, limit int) ([]AuditEvent, error)
	// DeleteAuditBefore removes events older than cutoff (Time < cutoff)
	// and returns how many went: the retention LOOKOUT_AUDIT_RETENTION.
	DeleteAuditBefore(ctx context.Context, cutoff time.Time) (int64, error)
	// SearchAudit returns the events q matches, newest first.
	SearchAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
}

// AuditQuery selects audit events; zero fields select everything.
type AuditQuery struct {
	Principal string
	// Action is an exact action ("grant.stale"), or a prefix ending in
	// "*" ("grant.*").
	Action string
	Since  time.Time // events at or after
	Limit  int
}

// Events deduplicates deliveries such as Slack event retries.
type Events interface {
	// RecordEvent stores id until expiresAt; ErrAlreadyUsed if it was
	// recorded before (a retry: drop it).
	RecordEvent(ctx context.Context, id string, now, expiresAt time.Time) error
	// EventSeen reports whether id is recorded and unexpired at now, without
	// recording it (e.g. "is this a thread the bot takes part in?").
	EventSeen(ctx context.Context, id string, now time.Time) (bool, error)
}

// InboxState is where an inbox item is in its life.
type InboxState string

// Inbox states: received -> claimed -> answered (or failed). A claimed item
// whose lease has ended, and a received one whose AvailableAt has come, are
// claimable.
const (
	InboxReceived InboxState = "received"
	InboxClaimed  InboxState = "claimed"
	// InboxAnswered: done; the answer went out.
	InboxAnswered InboxState = "answered"
	// InboxFailed: done without an answer (given up after too many
	// attempts, or nowhere to answer); the handler said so where it could.
	InboxFailed InboxState = "failed"
)

// Done reports whether the item is finished (answered or failed).
func (s InboxState) Done() bool { return s == InboxAnswered || s == InboxFailed }

// InboxItem is one piece of work received from outside (a Slack event, a
// question to resume after consent, a notice to send), kept from the moment
// it is acknowledged until its answer went out.
type InboxItem struct {
	// ID is the dedupe key: a second item with the same ID is the same
	// work (a redelivery), e.g. "slack-msg:T1:C1:1700000000.000100".
	ID string
	// Kind names the handler, e.g. "slack-message".
	Kind    string
	Payload []byte // what was received; opaque to the store
	State   InboxState
	// Progress is what the handler saved between steps while it held the
	// lease (its answer, the ids of messages it posted), so that whoever
	// claims the item next carries on instead of starting over. Opaque.
	Progress []byte
	// Attempts counts claims, the one that recorded it claimed included.
	Attempts   int
	LeaseOwner string    // "" when no one holds it
	LeaseUntil time.Time // zero when no one holds it
	// AvailableAt is when a received item may be claimed (a retry's
	// backoff puts it in the future).
	AvailableAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time // last write (set by the store from the caller's now)
	FinishedAt  time.Time // when it was answered or failed; zero before
	ExpiresAt   time.Time
}

// Inbox is the durable queue behind the Slack bot: record -> claim (short
// lease, extended by heartbeats) -> answer. At least once: an item whose
// claimant died is claimed again once its lease ends; exactly once is the
// handler's part (it saves progress and checks, on a later attempt, what the
// earlier one already did). "Holds the claim" below means the item is
// claimed and LeaseOwner is owner, whether or not LeaseUntil has passed:
// until someone else claims it, an owner that was slow may carry on.
type Inbox interface {
	// RecordInbox stores item, received and available at item.AvailableAt
	// (CreatedAt when zero); with item.LeaseOwner set it is stored already
	// claimed by that owner until item.LeaseUntil (Attempts 1). State and
	// Attempts are set by the store. When an unexpired item with the ID
	// exists, it returns that item and ErrAlreadyExists; an expired one is
	// replaced.
	RecordInbox(ctx context.Context, item InboxItem) (InboxItem, error)
	// GetInbox returns an unexpired item (ErrNotFound otherwise).
	GetInbox(ctx context.Context, id string, now time.Time) (InboxItem, error)
	// ListInbox returns up to limit unexpired items whose ID sorts after
	// `after`, in ID order: a resumable scan (operators, tests).
	ListInbox(ctx context.Context, after string, now time.Time, limit int) ([]InboxItem, error)
	// ClaimInboxItem claims item id for owner until leaseUntil if it is
	// claimable at now, and counts the attempt. ErrLeaseHeld when another
	// owner's lease runs or its retry time has not come, ErrAlreadyUsed
	// when it is done, ErrNotFound when unknown or expired.
	ClaimInboxItem(ctx context.Context, id, owner string, now, leaseUntil time.Time) (InboxItem, error)
	// ClaimInbox claims up to limit items claimable at now, of the given
	// kinds (every kind when none), earliest available first. Concurrent
	// claimers, in any number of processes, never get the same item while
	// its lease runs.
	ClaimInbox(ctx context.Context, owner string, now, leaseUntil time.Time, limit int, kinds ...string) ([]InboxItem, error)
	// ExtendInboxLease moves the lease of an item owner holds to
	// leaseUntil: the heartbeat. ErrLeaseHeld when owner no longer holds it
	// (someone else claimed it, or it was released or finished);
	// ErrNotFound when it is gone.
	ExtendInboxLease(ctx context.Context, id, owner string, now, leaseUntil time.Time) error
	// SaveInboxProgress replaces the Progress of an item owner holds
	// (ErrLeaseHeld, ErrNotFound as ExtendInboxLease).
	SaveInboxProgress(ctx context.Context, id, owner string, progress []byte, now time.Time) error
	// ReleaseInbox hands an item owner holds back, received and claimable
	// from availableAt, Progress kept: a retry later, here or elsewhere.
	ReleaseInbox(ctx context.Context, id, owner string, now, availableAt time.Time) error
	// FinishInbox marks an item owner holds answered or failed at now
	// (ErrLeaseHeld, ErrNotFound as ExtendInboxLease). A finished item
	// stays (a redelivery finds it done) until it expires.
	FinishInbox(ctx context.Context, id, owner string, state InboxState, now time.Time) error
}

// Leases are named, expiring locks across processes, e.g. the one that
// elects the replica running the background refresher.
type Leases interface {
	// AcquireLease gives owner the lease called name until `until`, if no
	// other owner holds it unexpired at now (ErrLeaseHeld otherwise); the
	// holder may extend it. A lease ends at until exactly.
	AcquireLease(ctx context.Context, name, owner string, now, until time.Time) error
	// ReleaseLease ends owner's lease; a no-op when owner does not hold it.
	ReleaseLease(ctx context.Context, name, owner string) error
}

// Preferences are a principal's own settings, such as the organization and
// project a Slack user pinned on the bot's Home tab to use when a question
// names none. Names and values are short plain strings; none is secret.
type Preferences interface {
	// SetPreference sets principal's preference name to value at now; an
	// empty value removes it.
	SetPreference(ctx context.Context, principal, name, value string, now time.Time) error
	// Preferences returns principal's preferences by name (empty, not an
	// error, when there are none).
	Preferences(ctx context.Context, principal string) (map[string]string, error)
}
