package vault

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

const redacted = "[redacted]"

// Token is an upstream Sentry token set. Printing, logging or marshalling a
// Token by mistake shows "[redacted]"; only the fields themselves hold the
// values, and only internal/vault and the per-turn Sentry client read them.
type Token struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time // zero: does not expire
}

// Format implements fmt.Formatter for every verb, %v %+v %#v %s %q alike.
func (Token) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (Token) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler.
func (Token) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// expiresWithin reports whether the access token is expired or will be
// within d of now.
func (t Token) expiresWithin(now time.Time, d time.Duration) bool {
	return !t.Expiry.IsZero() && !now.Add(d).Before(t.Expiry)
}

// SentryUser is who the grant belongs to on Sentry.
type SentryUser struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// Grant is one principal's Sentry grant, decrypted.
type Grant struct {
	Principal string
	Token     Token
	Scopes    []string
	User      SentryUser
	// Stale means Sentry no longer accepts the grant (refresh refused); the
	// user must connect again.
	Stale       bool
	ConnectedAt time.Time
	RefreshedAt time.Time
	// Version is the store's compare-and-swap version; set by the vault.
	Version int64
}

// HasScope reports whether the grant carries scope.
func (g Grant) HasScope(scope string) bool { return slices.Contains(g.Scopes, scope) }

// Format implements fmt.Formatter: the metadata is shown, the token never.
func (g Grant) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "vault.Grant{Principal:%q Scopes:%q User:%q Stale:%t Expiry:%s Version:%d Token:%s}",
		g.Principal, strings.Join(g.Scopes, " "), g.User.ID, g.Stale,
		g.Token.Expiry.UTC().Format(time.RFC3339), g.Version, redacted)
}

// LogValue implements slog.LogValuer.
func (g Grant) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("principal", g.Principal),
		slog.String("scopes", strings.Join(g.Scopes, " ")),
		slog.String("sentry_user", g.User.ID),
		slog.Bool("stale", g.Stale),
		slog.Time("expiry", g.Token.Expiry),
		slog.Int64("version", g.Version),
	)
}

// MarshalJSON implements json.Marshaler without token material.
func (g Grant) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Principal string     `json:"principal"`
		Scopes    []string   `json:"scopes"`
		User      SentryUser `json:"sentry_user"`
		Stale     bool       `json:"stale"`
		Expiry    time.Time  `json:"expiry"`
		Version   int64      `json:"version"`
		Token     string     `json:"token"`
	}{g.Principal, g.Scopes, g.User, g.Stale, g.Token.Expiry, g.Version, redacted})
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
		AccessToken: g.Token.AccessToken, RefreshToken: g.Token.RefreshToken, Expiry: g.Token.Expiry,
		Scopes: g.Scopes, User: g.User, Stale: g.Stale, ConnectedAt: g.ConnectedAt, RefreshedAt: g.RefreshedAt,
	}
}

func (s sealedGrant) grant(principal string, version int64) Grant {
	return Grant{
		Principal: principal,
		Token:     Token{AccessToken: s.AccessToken, RefreshToken: s.RefreshToken, Expiry: s.Expiry},
		Scopes:    s.Scopes, User: s.User, Stale: s.Stale,
		ConnectedAt: s.ConnectedAt, RefreshedAt: s.RefreshedAt, Version: version,
	}
}
