package authserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// VerifyAccessToken is an auth.TokenVerifier for lookout's access tokens.
// It looks the token up by hash, with its principal's grant in the same
// read, and returns TokenInfo{UserID: principal, Scopes: ["read"] or
// ["read", "triage"], Expiration, Extra: {"resource", "client_id",
// vault.GrantRowKey}}. Unknown, expired and revoked tokens, and tokens
// whose Sentry grant was deleted, give an error wrapping
// auth.ErrInvalidToken.
//
// It does not compare the token's resource with the request: callers do,
// with CheckResource or Extra["resource"] (a token is good for exactly the
// resource it was issued for). Nor does it judge the grant (stale,
// undecryptable): the vault does, from the row in Extra[vault.GrantRowKey].
func (s *Server) VerifyAccessToken(ctx context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
	if !strings.HasPrefix(token, prefixAccessToken) {
		return nil, fmt.Errorf("%w: not a lookout access token", auth.ErrInvalidToken)
	}
	tg, err := s.cfg.Store.GetTokenGrant(ctx, hashString(token), s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("%w: the access token is unknown, expired or revoked", auth.ErrInvalidToken)
	case err != nil:
		return nil, fmt.Errorf("authserver: load access token: %w", err)
	case tg.Token.Kind != store.AccessToken:
		return nil, fmt.Errorf("%w: not an access token", auth.ErrInvalidToken)
	case !tg.HasGrant:
		return nil, fmt.Errorf("%w: the Sentry connection behind this token was removed", auth.ErrInvalidToken)
	}
	t := tg.Token
	return &auth.TokenInfo{
		UserID:     t.Principal,
		Scopes:     strings.Fields(t.Scope),
		Expiration: t.ExpiresAt,
		Extra:      map[string]any{"resource": t.Resource, "client_id": t.ClientID, vault.GrantRowKey: tg.Grant},
	}, nil
}
