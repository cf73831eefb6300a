// Package oauth is lookout's side of OAuth that is not the authorization
// server itself: the upstream Sentry client (authorization code + PKCE S256),
// the HMAC signer used for state, cookies and CSRF tokens, single-use flow
// state on top of the store, and the PKCE checks lookout's own authorization
// server needs.
package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/lookout-hq/lookout/internal/secret"
	"github.com/lookout-hq/lookout/internal/vault"
)

// SentryConfig says how to reach Sentry's OAuth endpoints. Zero HTTPClient
// means a client with a 2 minute timeout, not http.DefaultClient, so that a
// hung token endpoint cannot hold a refresh forever; it is generous because
// giving up on a refresh Sentry is still answering loses the rotated pair.
type SentryConfig struct {
	URL          string // Sentry base URL, e.g. https://sentry.io
	ClientID     string
	ClientSecret secret.Value
	RedirectURL  string // exactly <base-url>/api/oauth/callback/sentry
	HTTPClient   *http.Client
}

// DefaultTimeout bounds a token request when SentryConfig.HTTPClient is
// nil; a caller giving its own client sets its own.
const DefaultTimeout = 2 * time.Minute

// Sentry is the upstream OAuth client. It is safe for concurrent use.
type Sentry struct {
	cfg    oauth2.Config
	client *http.Client
}

// Consent is what Sentry hands back when a user approves lookout. Its
// Token is opaque outside internal/vault: hand it to Vault.Put.
type Consent struct {
	Token  vault.Token
	Scopes []string // as granted, which may differ from what was asked
	User   vault.SentryUser
}

// TokenError is Sentry's token endpoint refusing a request. It carries only
// the RFC 6749 error fields, never the response body.
type TokenError struct {
	Status      int    // HTTP status
	Code        string // RFC 6749 "error", e.g. invalid_grant
	Description string // RFC 6749 "error_description"
}

func (e *TokenError) Error() string {
	s := "sentry oauth: token endpoint answered " + strconv.Itoa(e.Status)
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Description != "" {
		s += " (" + e.Description + ")"
	}
	return s
}

// NewSentry returns a client for the Sentry at c.URL.
func NewSentry(c SentryConfig) *Sentry {
	base := strings.TrimRight(c.URL, "/")
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	return &Sentry{
		cfg: oauth2.Config{
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret.Reveal(),
			RedirectURL:  c.RedirectURL,
			Endpoint: oauth2.Endpoint{
				// Trailing slashes matter: without them Sentry redirects,
				// and a redirected POST arrives as a GET without its body.
				AuthURL:  base + "/oauth/authorize/",
				TokenURL: base + "/oauth/token/",
				// Explicit, never auto-detect: auto-detection retries a
				// failed request with the other style, which would send a
				// refresh token twice.
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		client: hc,
	}
}

// NewVerifier returns a fresh PKCE code verifier (32 random octets).
func NewVerifier() string { return oauth2.GenerateVerifier() }

// AuthCodeURL is where to send the user to consent. Only the S256 challenge
// of verifier goes into the URL; the verifier itself stays server-side.
func (s *Sentry) AuthCodeURL(state, verifier string, scopes []string) string {
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if len(scopes) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("scope", strings.Join(scopes, " ")))
	}
	return s.cfg.AuthCodeURL(state, opts...)
}

// Exchange trades an authorization code for the user's token set.
func (s *Sentry) Exchange(ctx context.Context, code, verifier string) (Consent, error) {
	tok, err := s.cfg.Exchange(s.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Consent{}, s.tokenError("exchange code", err, code, verifier)
	}
	return Consent{
		Token:  vaultToken(tok),
		Scopes: strings.Fields(extraString(tok, "scope")),
		User:   sentryUser(tok.Extra("user")),
	}, nil
}

// Refresh trades a refresh token for a new token set. Sentry rotates
// refresh tokens, so this sends the refresh token exactly once and never
// retries; the vault makes sure it is called once per token. A refusal
// (invalid_grant, 400/401) wraps vault.ErrStale; network errors, timeouts
// and 5xx do not. Bind the method value s.Refresh into the vault as its
// vault.Refresher.
func (s *Sentry) Refresh(ctx context.Context, refreshToken secret.Value) (vault.Token, error) {
	if refreshToken.IsZero() {
		return vault.Token{}, fmt.Errorf("sentry oauth: refresh: %w: the grant has no refresh token", vault.ErrStale)
	}
	// A fresh source per call with no access token: it is never Valid, so
	// Token makes exactly one refresh request and nothing is cached.
	src := s.cfg.TokenSource(s.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken.Reveal()})
	tok, err := src.Token()
	if err != nil {
		return vault.Token{}, s.tokenError("refresh", err, refreshToken.Reveal())
	}
	return vaultToken(tok), nil
}

func (s *Sentry) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, s.client)
}

// tokenError turns an x/oauth2 error into one that is safe to log and show:
// the response body is dropped (RetrieveError prints it), and secret values
// are scrubbed from what Sentry put in error_description in case it ever
// echoes its input.
func (s *Sentry) tokenError(op string, err error, secrets ...string) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		// Transport errors (*url.Error) name only the token URL, which
		// carries no secret: everything sensitive is in the POST body.
		return fmt.Errorf("sentry oauth: %s: %w", op, err)
	}
	te := &TokenError{
		Code:        scrub(re.ErrorCode, 64, s.cfg.ClientSecret, secrets),
		Description: scrub(re.ErrorDescription, 200, s.cfg.ClientSecret, secrets),
	}
	if re.Response != nil {
		te.Status = re.Response.StatusCode
	}
	if refused(te) {
		return fmt.Errorf("sentry oauth: %s: %w: %w", op, vault.ErrStale, te)
	}
	return fmt.Errorf("sentry oauth: %s: %w", op, te)
}

// refused reports whether Sentry rejected the grant itself, as opposed to
// being unavailable or lookout being misconfigured. invalid_client and
// unauthorized_client (wrong client secret, app disabled) are lookout's
// problem: marking every grant stale for them would make every user
// reconnect and lose refresh tokens that work again once the config is
// fixed.
func refused(e *TokenError) bool {
	switch e.Code {
	case "invalid_grant":
		return true
	case "invalid_client", "unauthorized_client":
		return false
	}
	return e.Status == http.StatusBadRequest || e.Status == http.StatusUnauthorized
}

// scrub bounds s, drops control characters, and redacts any secret in it.
func scrub(s string, max int, clientSecret string, secrets []string) string {
	for _, v := range append([]string{clientSecret}, secrets...) {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}

func vaultToken(t *oauth2.Token) vault.Token {
	expiry := t.Expiry // from expires_in
	if expiry.IsZero() {
		if at, err := time.Parse(time.RFC3339, extraString(t, "expires_at")); err == nil {
			expiry = at
		}
	}
	return vault.NewToken(t.AccessToken, t.RefreshToken, expiry)
}

func extraString(t *oauth2.Token, key string) string {
	s, _ := t.Extra(key).(string)
	return s
}

// sentryUser reads the token response's "user" object. Sentry sends the id
// as a string; a number is accepted too.
func sentryUser(v any) vault.SentryUser {
	m, _ := v.(map[string]any)
	var u vault.SentryUser
	switch id := m["id"].(type) {
	case string:
		u.ID = id
	case float64:
		u.ID = strconv.FormatFloat(id, 'f', -1, 64)
	}
	u.Name, _ = m["name"].(string)
	u.Email, _ = m["email"].(string)
	return u
}
