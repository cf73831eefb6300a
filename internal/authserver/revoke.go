package authserver

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// handleRevoke is POST /oauth/revoke (RFC 7009). The client authenticates
// as at the token endpoint. Revoking an access token revokes it; revoking a
// refresh token revokes its whole family and the Sentry grant behind it
// (the client signed out). Unknown tokens, and tokens of other clients,
// get the same 200 as success, so the endpoint tells nobody what exists.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if e := readForm(w, r); e != nil {
		writeOAuthError(w, e)
		return
	}
	c, e := s.authenticateClient(r.Context(), r)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	value := r.PostForm.Get("token")
	if value == "" {
		writeOAuthError(w, errInvalidRequest("token is required"))
		return
	}
	ctx := r.Context()
	hash := hashString(value)
	t, err := s.cfg.Store.GetToken(ctx, hash, s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.WriteHeader(http.StatusOK)
		return
	case err != nil:
		s.log.ErrorContext(r.Context(), "authserver: load token to revoke", "err", err)
		writeOAuthError(w, errServer())
		return
	case t.ClientID != c.ID:
		w.WriteHeader(http.StatusOK)
		return
	}
	if t.Kind == store.RefreshToken {
		n, err := s.cfg.Store.RevokeFamily(ctx, t.FamilyID)
		if err != nil {
			s.log.ErrorContext(r.Context(), "authserver: revoke token family", "err", err)
			writeOAuthError(w, errServer())
			return
		}
		if err := s.cfg.Vault.Delete(ctx, t.Principal, "the MCP client signed out (refresh token revoked)"); err != nil && !errors.Is(err, vault.ErrNoGrant) {
			s.log.ErrorContext(r.Context(), "authserver: delete grant", "principal", t.Principal, "err", err)
		}
		s.audit(ctx, t.Principal, ActionTokenRevoked, fmt.Sprintf("client %s revoked its refresh token: %d tokens revoked, Sentry grant deleted", c.ID, n))
	} else {
		if err := s.cfg.Store.RevokeToken(ctx, hash); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.ErrorContext(r.Context(), "authserver: revoke token", "err", err)
			writeOAuthError(w, errServer())
			return
		}
		s.audit(ctx, t.Principal, ActionTokenRevoked, fmt.Sprintf("client %s revoked an access token", c.ID))
	}
	w.WriteHeader(http.StatusOK)
}
