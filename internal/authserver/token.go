package authserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/lookout-hq/lookout/internal/oauth"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// maxTokenFormBytes bounds token and revocation request bodies.
const maxTokenFormBytes = 16 << 10

// tokenResponse is RFC 6749 §5.1.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

// readForm parses a token or revocation request body and refuses repeated
// parameters (RFC 6749 §3.2).
func readForm(w http.ResponseWriter, r *http.Request) *oauthError {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return errInvalidRequest("send the parameters as application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenFormBytes)
	if err := r.ParseForm(); err != nil {
		return errInvalidRequest("the request body is unreadable or too large")
	}
	for k, vs := range r.PostForm {
		if len(vs) > 1 {
			return errInvalidRequest(k + " appears more than once")
		}
	}
	return nil
}

// handleToken is POST /oauth/token: authorization_code and refresh_token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if e := readForm(w, r); e != nil {
		writeOAuthError(w, e)
		return
	}
	c, e := s.authenticateClient(r.Context(), r)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	grant := r.PostForm.Get("grant_type")
	var resp tokenResponse
	switch grant {
	case "":
		e = errInvalidRequest("grant_type is required")
	case grantAuthorizationCode, grantRefreshToken:
		if !c.allows(grant) {
			e = &oauthError{Code: "unauthorized_client", Description: "this client is not registered for the " + grant + " grant", status: http.StatusBadRequest}
		} else if grant == grantAuthorizationCode {
			resp, e = s.exchangeCode(r.Context(), r, c)
		} else {
			resp, e = s.refresh(r.Context(), r, c)
		}
	default:
		e = &oauthError{Code: "unsupported_grant_type", Description: "use authorization_code or refresh_token", status: http.StatusBadRequest}
	}
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	s.touchClient(r.Context(), c)
	noStore(w)
	writeJSON(w, http.StatusOK, resp)
}

// exchangeCode redeems one of lookout's authorization codes.
func (s *Server) exchangeCode(ctx context.Context, r *http.Request, c *client) (tokenResponse, *oauthError) {
	f := r.PostForm
	code, verifier, redirectURI := f.Get("code"), f.Get("code_verifier"), f.Get("redirect_uri")
	switch {
	case code == "":
		return tokenResponse{}, errInvalidRequest("code is required")
	case verifier == "":
		return tokenResponse{}, errInvalidRequest("code_verifier is required (PKCE)")
	case redirectURI == "":
		return tokenResponse{}, errInvalidRequest("redirect_uri is required")
	}
	resource, e := s.requestedResource(r)
	if e != nil {
		return tokenResponse{}, e
	}
	// Check the code against the request before spending it: a stranger
	// who saw the code (another client, a wrong verifier) must neither burn
	// it nor, by presenting it twice, revoke what its owner redeemed.
	hash, now := hashString(code), s.now()
	ac, err := s.cfg.Store.GetAuthCode(ctx, hash, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return tokenResponse{}, errInvalidGrant("the authorization code is unknown or expired")
	case err != nil:
		s.log.ErrorContext(ctx, "authserver: load authorization code", "err", err)
		return tokenResponse{}, errServer()
	}
	switch {
	case ac.ClientID != c.ID:
		return tokenResponse{}, errInvalidGrant("the authorization code was issued to another client")
	case ac.RedirectURI != redirectURI:
		return tokenResponse{}, errInvalidGrant("redirect_uri does not match the authorization request")
	case !oauth.VerifyS256(verifier, ac.CodeChallenge):
		return tokenResponse{}, errInvalidGrant("code_verifier does not match the code_challenge")
	case resource != "" && resource != ac.Resource:
		return tokenResponse{}, errInvalidTarget("resource differs from the one in the authorization request")
	}
	ac, err = s.cfg.Store.ConsumeAuthCode(ctx, hash, now)
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		// RFC 6749 §4.1.2: the owning client, with the right verifier,
		// presents a code already redeemed: it was stolen along with the
		// verifier, or is being replayed. Revoke everything issued from it.
		s.revokeFamily(ctx, ac.Principal, ac.FamilyID, ActionCodeReplayed,
			fmt.Sprintf("authorization code of client %s presented again", ac.ClientID))
		return tokenResponse{}, errInvalidGrant("the authorization code was already used; every token issued from it is now revoked")
	case errors.Is(err, store.ErrNotFound):
		return tokenResponse{}, errInvalidGrant("the authorization code is unknown or expired")
	case err != nil:
		s.log.ErrorContext(ctx, "authserver: consume authorization code", "err", err)
		return tokenResponse{}, errServer()
	}
	if _, err := s.cfg.Store.GetGrant(ctx, ac.Principal); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return tokenResponse{}, errInvalidGrant("the Sentry connection behind this code was removed")
		}
		s.log.ErrorContext(ctx, "authserver: load grant", "err", err)
		return tokenResponse{}, errServer()
	}
	return s.issueTokens(ctx, c, store.Token{
		ClientID: c.ID, Principal: ac.Principal, FamilyID: ac.FamilyID, Resource: ac.Resource, Scope: ac.Scope,
	}, ac.Scope, c.allows(grantRefreshToken))
}

// refresh rotates a refresh token (OAuth 2.1 §4.3.1): the old one is spent,
// and presenting a spent one revokes its whole family.
func (s *Server) refresh(ctx context.Context, r *http.Request, c *client) (tokenResponse, *oauthError) {
	f := r.PostForm
	value := f.Get("refresh_token")
	if value == "" {
		return tokenResponse{}, errInvalidRequest("refresh_token is required")
	}
	resource, e := s.requestedResource(r)
	if e != nil {
		return tokenResponse{}, e
	}
	hash := hashString(value)
	now := s.now()
	// Look before spending it, so that a request the client got wrong
	// (scope, resource) does not cost it its refresh token.
	t, err := s.cfg.Store.GetToken(ctx, hash, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return tokenResponse{}, errInvalidGrant("the refresh token is unknown, expired or revoked")
	case err != nil:
		s.log.ErrorContext(ctx, "authserver: load refresh token", "err", err)
		return tokenResponse{}, errServer()
	case t.Kind != store.RefreshToken:
		return tokenResponse{}, errInvalidGrant("that is not a refresh token")
	case t.ClientID != c.ID:
		return tokenResponse{}, errInvalidGrant("the refresh token was issued to another client")
	case resource != "" && resource != t.Resource:
		return tokenResponse{}, errInvalidTarget("resource differs from the one the refresh token was issued for")
	}
	accessScope := t.Scope
	if raw := f.Get("scope"); raw != "" {
		scope, err := parseScope(raw)
		if err != nil {
			return tokenResponse{}, errInvalidScope(err.Error())
		}
		if !scopeCovers(t.Scope, scope) {
			return tokenResponse{}, errInvalidScope("a refresh can narrow the scope, never widen it")
		}
		accessScope = scope
	}
	t, err = s.cfg.Store.UseRefreshToken(ctx, hash, now, rand.Text())
	switch {
	case errors.Is(err, store.ErrAlreadyUsed) && now.Sub(t.UsedAt) <= refreshReuseGrace:
		// The same client's parallel refreshes: this one gets the pair the
		// first one got (issueSuccessor), never a second live branch.
		s.log.InfoContext(ctx, "authserver: refresh token presented again within the grace period", "client_id", t.ClientID)
	case errors.Is(err, store.ErrAlreadyUsed):
		s.revokeFamily(ctx, t.Principal, t.FamilyID, ActionRefreshReused,
			fmt.Sprintf("spent refresh token of client %s presented again", t.ClientID))
		return tokenResponse{}, errInvalidGrant("the refresh token was already used; this sign-in is revoked, sign in again")
	case errors.Is(err, store.ErrNotFound):
		return tokenResponse{}, errInvalidGrant("the refresh token is unknown, expired or revoked")
	case err != nil:
		s.log.ErrorContext(ctx, "authserver: use refresh token", "err", err)
		return tokenResponse{}, errServer()
	}
	g, err := s.cfg.Vault.Status(ctx, t.Principal)
	switch {
	case errors.Is(err, vault.ErrUnavailable):
		// Database down or a key missing: not the grant's fault, so the
		// client keeps its sign-in and tries again later.
		s.log.ErrorContext(ctx, "authserver: load grant", "err", err)
		return tokenResponse{}, errServer()
	case errors.Is(err, vault.ErrNoGrant), errors.Is(err, vault.ErrDecrypt), err == nil && g.Stale:
		// The Sentry side is gone: make the client sign in again instead
		// of refreshing tokens that cannot work.
		if _, err := s.cfg.Store.RevokeFamily(ctx, t.FamilyID); err != nil {
			s.log.ErrorContext(ctx, "authserver: revoke token family", "err", err)
		}
		return tokenResponse{}, errInvalidGrant("the Sentry connection expired or was removed; sign in again")
	case err != nil:
		s.log.ErrorContext(ctx, "authserver: load grant", "err", err)
		return tokenResponse{}, errServer()
	}
	return s.issueSuccessor(ctx, c, t, value, accessScope)
}

// issueSuccessor returns the pair that succeeds the spent refresh token
// (presented) in its family. The pair is derived from the presented token
// and the seed recorded when it was spent (successorValue), so every
// presentation within the grace period computes the same pair: the first
// to get here stores it, the others find it stored. A successor that was
// revoked since, or already spent in turn, is refused: the client has a
// newer token, and handing this one out again would only set off reuse
// detection later.
func (s *Server) issueSuccessor(ctx context.Context, c *client, spent store.Token, presented, accessScope string) (tokenResponse, *oauthError) {
	if spent.SuccessorSeed == "" { // spent before lookout recorded seeds
		return tokenResponse{}, errInvalidGrant("the refresh token was already used; use the newest one, or sign in again")
	}
	now := s.now()
	access := s.successorValue(prefixAccessToken, spent.SuccessorSeed, presented, accessScope)
	refresh := s.successorValue(prefixRefreshToken, spent.SuccessorSeed, presented, spent.Scope)
	tmpl := store.Token{ClientID: c.ID, Principal: spent.Principal, FamilyID: spent.FamilyID, Resource: spent.Resource, CreatedAt: now}
	at, rt := tmpl, tmpl
	at.Hash, at.Kind, at.Scope, at.ExpiresAt = hashString(access), store.AccessToken, accessScope, now.Add(s.cfg.AccessTokenTTL)
	// RFC 6749 §6: the new refresh token keeps the old one's scope.
	rt.Hash, rt.Kind, rt.Scope, rt.ExpiresAt = hashString(refresh), store.RefreshToken, spent.Scope, now.Add(s.cfg.RefreshTokenTTL)
	for _, tok := range []store.Token{at, rt} {
		if err := s.cfg.Store.CreateToken(ctx, tok); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			s.log.ErrorContext(ctx, "authserver: store "+string(tok.Kind)+" token", "client_id", c.ID, "err", err)
			return tokenResponse{}, errServer()
		}
	}
	stored := make([]store.Token, 2)
	for i, hash := range []string{at.Hash, rt.Hash} {
		var err error
		stored[i], err = s.cfg.Store.GetToken(ctx, hash, now)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return tokenResponse{}, errInvalidGrant("the refresh token was already used and its successor is revoked or expired; sign in again")
		case err != nil:
			s.log.ErrorContext(ctx, "authserver: read back successor token", "client_id", c.ID, "err", err)
			return tokenResponse{}, errServer()
		}
	}
	if !stored[1].UsedAt.IsZero() {
		return tokenResponse{}, errInvalidGrant("the refresh token was already used, and so was the one that replaced it; use the newest refresh token")
	}
	return tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(stored[0].ExpiresAt.Sub(now) / time.Second),
		RefreshToken: refresh, Scope: stored[0].Scope}, nil
}

// requestedResource reads the optional RFC 8707 resource parameter of a
// token request, in canonical form.
func (s *Server) requestedResource(r *http.Request) (string, *oauthError) {
	raw := r.PostForm.Get("resource")
	if raw == "" {
		return "", nil
	}
	res, ok := s.canonicalResource(raw)
	if !ok {
		return "", errInvalidTarget(errNotMCPResource.Error())
	}
	return res, nil
}

// issueTokens stores and returns a new access token (with accessScope) and,
// if withRefresh, a refresh token in the family of tmpl.
func (s *Server) issueTokens(ctx context.Context, c *client, tmpl store.Token, accessScope string, withRefresh bool) (tokenResponse, *oauthError) {
	now := s.now()
	access, accessHash := newSecret(prefixAccessToken)
	at := tmpl
	at.Hash, at.Kind, at.Scope, at.CreatedAt, at.ExpiresAt = accessHash, store.AccessToken, accessScope, now, now.Add(s.cfg.AccessTokenTTL)
	if err := s.cfg.Store.CreateToken(ctx, at); err != nil {
		s.log.ErrorContext(ctx, "authserver: store access token", "client_id", c.ID, "err", err)
		return tokenResponse{}, errServer()
	}
	resp := tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(s.cfg.AccessTokenTTL / time.Second), Scope: accessScope}
	if withRefresh {
		refresh, refreshHash := newSecret(prefixRefreshToken)
		rt := tmpl
		rt.Hash, rt.Kind, rt.CreatedAt, rt.ExpiresAt = refreshHash, store.RefreshToken, now, now.Add(s.cfg.RefreshTokenTTL)
		if err := s.cfg.Store.CreateToken(ctx, rt); err != nil {
			s.log.ErrorContext(ctx, "authserver: store refresh token", "client_id", c.ID, "err", err)
			return tokenResponse{}, errServer()
		}
		resp.RefreshToken = refresh
	}
	return resp, nil
}

// revokeFamily revokes a token family after a replay and deletes the
// Sentry grant behind it: one consent makes one code, one family and one
// grant, so nothing legitimate uses that grant any more.
func (s *Server) revokeFamily(ctx context.Context, principal, family, action, why string) {
	n, err := s.cfg.Store.RevokeFamily(ctx, family)
	if err != nil {
		s.log.ErrorContext(ctx, "authserver: revoke token family", "principal", principal, "err", err)
	}
	if err := s.cfg.Vault.Delete(ctx, principal, why); err != nil && !errors.Is(err, vault.ErrNoGrant) {
		s.log.ErrorContext(ctx, "authserver: delete grant", "principal", principal, "err", err)
	}
	s.audit(ctx, principal, action, fmt.Sprintf("%s; revoked %d tokens and the Sentry grant", why, n))
	s.log.WarnContext(ctx, "authserver: credential replay detected; token family revoked", "principal", principal, "action", action, "revoked", n)
}
