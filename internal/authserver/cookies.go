package authserver

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// Three cookies, each signed under its own key derived from COOKIE_SECRET,
// HttpOnly, Secure and named __Host-... (not in dev mode, where the base URL
// is plain http on loopback):
//
//   - approvals: ids of the approvals this browser gave, 30 days, SameSite=Lax
//     so that it comes along on the callback from Sentry. An approval is
//     for one client, scope, resource and redirect URI; the store holds it,
//     so it can expire or be withdrawn server-side.
//   - csrf: a random nonce; the approval form carries a signed token bound to
//     it and to the exact authorization request (SameSite=Strict).
//   - flow: hashes of the states this browser sent to Sentry in the last 10
//     minutes, so a callback completes only in the browser that approved
//     (MCP security best practices, "OAuth State Parameter Validation").
const (
	cookieApprovals = "lookout-approvals"
	cookieCSRF      = "lookout-csrf"
	cookieFlow      = "lookout-flow"

	maxApprovalsInCookie = 20
	maxFlowsInCookie     = 5
	csrfTTL              = time.Hour
	flowTTL              = 10 * time.Minute
)

func (s *Server) cookieName(name string) string {
	if s.cfg.DevMode {
		return name
	}
	return "__Host-" + name
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration, sameSite http.SameSite) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.cookieName(name),
		Value:    value,
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		HttpOnly: true,
		Secure:   !s.cfg.DevMode,
		SameSite: sameSite,
	})
}

func (s *Server) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(s.cookieName(name))
	if err != nil {
		return ""
	}
	return c.Value
}

// idList is the signed payload of the approvals and flow cookies.
type idList struct {
	IDs []string `json:"ids"`
}

// readIDs returns the ids of a signed list cookie; a missing, forged or
// expired cookie reads as empty.
func (s *Server) readIDs(r *http.Request, name string, signer interface{ Verify(string, any) error }) []string {
	v := s.cookie(r, name)
	if v == "" {
		return nil
	}
	var l idList
	if err := signer.Verify(v, &l); err != nil {
		return nil
	}
	return l.IDs
}

// approvalFor returns the approval this browser gave req's client, if its
// cookie names one that is still in the store and covers req: the same
// redirect URI (loopback ports aside), the same or a wider resource, and at
// least req's scope. An approval for /mcp/acme does not cover /mcp.
func (s *Server) approvalFor(ctx context.Context, r *http.Request, req authRequest) (store.Approval, bool) {
	redirect := approvalRedirect(req.RedirectURI)
	for _, a := range s.approvals(ctx, r) {
		if a.ClientID == req.ClientID && a.RedirectURI == redirect &&
			resourceCovers(a.Resource, req.Resource) && scopeCovers(a.Scope, req.Scope) {
			return a, true
		}
	}
	return store.Approval{}, false
}

// approvedRedirect reports whether this browser approved clientID for
// redirectURI (for any scope or resource): lookout may then send it there
// without asking.
func (s *Server) approvedRedirect(ctx context.Context, r *http.Request, clientID, redirectURI string) bool {
	redirect := approvalRedirect(redirectURI)
	for _, a := range s.approvals(ctx, r) {
		if a.ClientID == clientID && a.RedirectURI == redirect {
			return true
		}
	}
	return false
}

// approvals returns the live approvals this browser's cookie names.
func (s *Server) approvals(ctx context.Context, r *http.Request) []store.Approval {
	now := s.now()
	var out []store.Approval
	for _, id := range s.readIDs(r, cookieApprovals, s.approvalSigner) {
		a, err := s.cfg.Store.GetApproval(ctx, id, now)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				s.log.WarnContext(ctx, "authserver: reading an approval failed", "err", err)
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// approvalRedirect is the form of a redirect URI an approval records: a
// loopback IP URI without its port, which a native client picks anew for
// each sign-in (RFC 8252 §7.3); anything else as it is.
func approvalRedirect(uri string) string {
	for _, prefix := range []string{"http://127.0.0.1:", "http://[::1]:"} {
		if rest, ok := strings.CutPrefix(uri, prefix); ok {
			end := strings.IndexAny(rest, "/?")
			if end < 0 {
				end = len(rest)
			}
			return strings.TrimSuffix(prefix, ":") + rest[end:]
		}
	}
	return uri
}

// resourceCovers reports whether an approval for resource approved also
// covers requested: the same one, or one pinned below it.
func resourceCovers(approved, requested string) bool {
	return approved != "" && (requested == approved || strings.HasPrefix(requested, approved+"/"))
}

// addApproval puts approval id first in the browser's approvals cookie.
func (s *Server) addApproval(w http.ResponseWriter, r *http.Request, id string) error {
	ids := append([]string{id}, s.readIDs(r, cookieApprovals, s.approvalSigner)...)
	if len(ids) > maxApprovalsInCookie {
		ids = ids[:maxApprovalsInCookie]
	}
	v, err := s.approvalSigner.Sign(idList{IDs: ids}, approvalTTL)
	if err != nil {
		return err
	}
	s.setCookie(w, cookieApprovals, v, approvalTTL, http.SameSiteLaxMode)
	return nil
}

// bindFlow records in the browser that it sent state to Sentry.
func (s *Server) bindFlow(w http.ResponseWriter, r *http.Request, state string) error {
	ids := append([]string{hashString(state)}, s.readIDs(r, cookieFlow, s.flows)...)
	if len(ids) > maxFlowsInCookie {
		ids = ids[:maxFlowsInCookie]
	}
	v, err := s.flows.Sign(idList{IDs: ids}, flowTTL)
	if err != nil {
		return err
	}
	s.setCookie(w, cookieFlow, v, flowTTL, http.SameSiteLaxMode)
	return nil
}

// flowBound reports whether this browser sent state to Sentry.
func (s *Server) flowBound(r *http.Request, state string) bool {
	return slices.Contains(s.readIDs(r, cookieFlow, s.flows), hashString(state))
}

// csrfPayload binds a form token to the browser's nonce and one request.
type csrfPayload struct {
	Nonce   string `json:"n"` // hash of the cookie's nonce
	Request string `json:"r"` // hash of the authorization request
}

// csrfToken returns the approval form's token for request hash reqHash,
// setting the nonce cookie if the browser has none.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request, reqHash string) (string, error) {
	nonce := s.cookie(r, cookieCSRF)
	if len(nonce) < 26 || len(nonce) > 64 {
		nonce = rand.Text()
	}
	// Set on every page view: it stays valid for as long as the form.
	s.setCookie(w, cookieCSRF, nonce, csrfTTL, http.SameSiteStrictMode)
	return s.csrf.Sign(csrfPayload{Nonce: hashString(nonce), Request: reqHash}, csrfTTL)
}

var errCSRF = errors.New("CSRF check failed")

// checkCSRF verifies an approval form's token against the browser's nonce
// cookie and the request the form carries.
func (s *Server) checkCSRF(r *http.Request, token, reqHash string) error {
	nonce := s.cookie(r, cookieCSRF)
	if token == "" || nonce == "" {
		return errCSRF
	}
	var p csrfPayload
	if err := s.csrf.Verify(token, &p); err != nil {
		return errCSRF
	}
	if subtle.ConstantTimeCompare([]byte(p.Nonce), []byte(hashString(nonce))) != 1 || p.Request != reqHash {
		return errCSRF
	}
	return nil
}
