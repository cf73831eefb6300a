package vault

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/secret"
)

const redacted = secret.Redacted

// Token is an upstream Sentry token set. Its fields are unexported: outside
// this package a Token can be made (NewToken, by internal/oauth from
// Sentry's answer), passed on and printed as "[redacted]", never read. Only
// the vault, and the token source it gives one turn's Sentry client, see
// the values.
type Token struct {
	access  secret.Value
	refresh secret.Value
	expiry  time.Time // zero: does not expire
}

// NewToken wraps what Sentry's token endpoint answered.
func NewToken(access, refresh string, expiry time.Time) Token {
	return Token{access: secret.New(access), refresh: secret.New(refresh), expiry: expiry}
}

// Expiry is when the access token stops working (zero: never).
func (t Token) Expiry() time.Time { return t.expiry }

// Format implements fmt.Formatter for every verb, %v %+v %#v %s %q alike.
func (Token) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (Token) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler.
func (Token) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// expiresWithin reports whether the access token is expired or will be
// within d of now.
func (t Token) expiresWithin(now time.Time, d time.Duration) bool {
	return !t.expiry.IsZero() && !now.Add(d).Before(t.expiry)
}

// SentryUser is who the grant belongs to on Sentry.
type SentryUser struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// Grant is what a consent hands to Put: one principal's Sentry grant. The
// vault keeps it; front doors get a Status back, never a Grant.
type Grant struct {
	Principal string
	Token     Token
	Scopes    []string
	User      SentryUser

	// Set by the vault.
	stale       bool
	connectedAt time.Time
	refreshedAt time.Time
	version     int64 // the store's compare-and-swap version
}

// Format implements fmt.Formatter: the metadata is shown, the token never.
func (g Grant) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "vault.Grant{Principal:%q Scopes:%q User:%q Stale:%t Expiry:%s Version:%d Token:%s}",
		g.Principal, strings.Join(g.Scopes, " "), g.User.ID, g.stale,
		g.Token.expiry.UTC().Format(time.RFC3339), g.version, redacted)
}

// LogValue implements slog.LogValuer.
func (g Grant) LogValue() slog.Value { return g.status().LogValue() }

// MarshalJSON implements json.Marshaler without token material.
func (g Grant) MarshalJSON() ([]byte, error) { return json.Marshal(g.status()) }

func (g Grant) status() Status {
	return Status{
		Principal: g.Principal, User: g.User, Scopes: slices.Clone(g.Scopes), Expiry: g.Token.expiry,
		Stale: g.stale, ConnectedAt: g.connectedAt, RefreshedAt: g.refreshedAt,
	}
}

// Status is what front doors may know of a grant: who it is on Sentry,
// what it may do, until when, and whether Sentry still accepts it.
type Status struct {
	Principal string     `json:"principal"`
	User      SentryUser `json:"sentry_user"`
	Scopes    []string   `json:"scopes"`
	// Expiry of the current access token (zero: does not expire). The vault
	// refreshes it before it is used past then.
	Expiry time.Time `json:"expiry,omitzero"`
	// Stale means Sentry refused the grant (its refresh token was rejected,
	// or a fresh token got a 401); the user must connect again.
	Stale       bool      `json:"stale"`
	ConnectedAt time.Time `json:"connected_at,omitzero"`
	RefreshedAt time.Time `json:"refreshed_at,omitzero"`
}

// HasScope reports whether the grant carries scope.
func (s Status) HasScope(scope string) bool { return slices.Contains(s.Scopes, scope) }

// LogValue implements slog.LogValuer.
func (s Status) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("principal", s.Principal),
		slog.String("scopes", strings.Join(s.Scopes, " ")),
		slog.String("sentry_user", s.User.ID),
		slog.Bool("stale", s.Stale),
		slog.Time("expiry", s.Expiry),
	)
}

// sealedGrant is the plaintext that gets encrypted. It is the only place
// token values are marshalled, and it never leaves this package.
type sealedGrant struct {
	AccessToken  string     `json:"at"`
	RefreshToken string     `json:"rt,omitempty"`
	Expiry       time.Time  `json:"exp,omitzero"`
	Scopes       []string   `json:"scopes,omitempty"`
	User         SentryUser `json:"user,omitzero"`
	Stale        bool       `json:"stale,omitempty"`
	ConnectedAt  time.Time  `json:"connected_at,omitzero"`
	RefreshedAt  time.Time  `json:"refreshed_at,omitzero"`
}

func toSealed(g Grant) sealedGrant {
	return sealedGrant{
		AccessToken: g.Token.access.Reveal(), RefreshToken: g.Token.refresh.Reveal(), Expiry: g.Token.expiry,
		Scopes: g.Scopes, User: g.User, Stale: g.stale, ConnectedAt: g.connectedAt, RefreshedAt: g.refreshedAt,
	}
}

func (s sealedGrant) grant(principal string, version int64) Grant {
	return Grant{
		Principal: principal,
		Token:     NewToken(s.AccessToken, s.RefreshToken, s.Expiry),
		Scopes:    s.Scopes, User: s.User, stale: s.Stale,
		connectedAt: s.ConnectedAt, refreshedAt: s.RefreshedAt, version: version,
	}
}
