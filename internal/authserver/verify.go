package authserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/lookout-hq/lookout/internal/store"
)

// VerifyAccessToken is an auth.TokenVerifier for lookout's access tokens.
// It looks the token up by hash and returns TokenInfo{UserID: principal,
// Scopes: ["read"] or ["read", "triage"], Expiration, Extra: {"resource",
// "client_id"}}. Unknown, expired and revoked tokens, and tokens whose
// Sentry grant was deleted, give an error wrapping auth.ErrInvalidToken.
//
// It does not compare the token's resource with the request: callers do,
// with CheckResource or Extra["resource"] (a token is good for exactly the
// resource it was issued for).
func (s *Server) VerifyAccessToken(ctx context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
	if !strings.HasPrefix(token, prefixAccessToken) {
		return nil, fmt.Errorf("%w: not a lookout access token", auth.ErrInvalidToken)
	}
	t, err := s.cfg.Store.GetToken(ctx, hashString(token), s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("%w: the access token is unknown, expired or revoked", auth.ErrInvalidToken)
	case err != nil:
		return nil, fmt.Errorf("authserver: load access token: %w", err)
	case t.Kind != store.AccessToken:
		return nil, fmt.Errorf("%w: not an access token", auth.ErrInvalidToken)
	}
	if _, err := s.cfg.Store.GetGrant(ctx, t.Principal); errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: the Sentry connection behind this token was removed", auth.ErrInvalidToken)
	} else if err != nil {
		return nil, fmt.Errorf("authserver: load grant: %w", err)
	}
	return &auth.TokenInfo{
		UserID:     t.Principal,
		Scopes:     strings.Fields(t.Scope),
		Expiration: t.ExpiresAt,
		Extra:      map[string]any{"resource": t.Resource, "client_id": t.ClientID},
	}, nil
}
