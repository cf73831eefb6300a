package authserver

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/lookout-hq/lookout/internal/store"
)

// maxRegistrationBytes bounds a registration request body: room for
// maxRedirectURIs long URIs and the rest, not for padding.
const maxRegistrationBytes = 16 << 10

// registrationResponse is RFC 7591 §3.2.1. client_secret_expires_at is
// required when a secret is issued (0: it does not expire), which
// oauthex.ClientRegistrationResponse would omit.
type registrationResponse struct {
	oauthex.ClientRegistrationMetadata
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret,omitempty"`
	ClientIDIssuedAt      int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt *int64 `json:"client_secret_expires_at,omitempty"`
}

// handleRegister is POST /oauth/register (RFC 7591). Registrations are
// open, as MCP clients expect, and rate-limited per address; one that no
// user approves within a day is forgotten, and an approved one unused for
// RegistrationTTL.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	fail := func(e *metadataError) {
		writeJSON(w, http.StatusBadRequest, oauthex.ClientRegistrationError{ErrorCode: e.code, ErrorDescription: e.desc})
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		fail(invalidMetadata("send the client metadata as JSON (Content-Type: application/json)"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRegistrationBytes))
	if err != nil {
		fail(invalidMetadata("the request body is unreadable or larger than %d KiB", maxRegistrationBytes>>10))
		return
	}
	var m oauthex.ClientRegistrationMetadata
	if err := decodeJSONObject(body, &m); err != nil {
		fail(invalidMetadata("the request body is not a valid client metadata object: %s", err))
		return
	}
	c, merr := clientMetadata{
		RedirectURIs: m.RedirectURIs, AuthMethod: m.TokenEndpointAuthMethod,
		GrantTypes: m.GrantTypes, ResponseTypes: m.ResponseTypes, Name: m.ClientName,
	}.validate(authSecretBasic)
	if merr != nil {
		fail(merr)
		return
	}

	c.ID = prefixClientID + rand.Text()
	var secret string
	row := store.Client{ID: c.ID}
	if !c.public() {
		secret, _ = newSecret(prefixClientSecret)
		row.SecretHash = hashBytes(secret) // raw bytes: compared in constant time
	}
	row.Metadata, err = json.Marshal(c)
	if err != nil {
		s.log.ErrorContext(r.Context(), "authserver: encode client metadata", "err", err)
		writeJSON(w, http.StatusInternalServerError, oauthex.ClientRegistrationError{ErrorCode: "server_error"})
		return
	}
	now := s.now()
	row.CreatedAt, row.LastUsedAt, row.ExpiresAt = now, now, now.Add(min(unapprovedRegistrationTTL, s.cfg.RegistrationTTL))
	if err := s.cfg.Store.CreateClient(r.Context(), row); err != nil {
		s.log.ErrorContext(r.Context(), "authserver: store client", "err", err)
		writeJSON(w, http.StatusInternalServerError, oauthex.ClientRegistrationError{ErrorCode: "server_error"})
		return
	}
	s.audit(r.Context(), "", ActionClientRegistered, fmt.Sprintf("client %s %q (%s), redirecting to %s",
		c.ID, c.Name, c.AuthMethod, strings.Join(redirectHosts(c.RedirectURIs), ", ")))
	s.log.InfoContext(r.Context(), "authserver: client registered", "client_id", c.ID, "auth_method", c.AuthMethod)

	resp := registrationResponse{
		ClientRegistrationMetadata: oauthex.ClientRegistrationMetadata{
			RedirectURIs: c.RedirectURIs, TokenEndpointAuthMethod: c.AuthMethod,
			GrantTypes: c.GrantTypes, ResponseTypes: c.ResponseTypes, ClientName: c.Name,
		},
		ClientID:         c.ID,
		ClientSecret:     secret,
		ClientIDIssuedAt: now.Unix(),
	}
	if secret != "" {
		never := int64(0)
		resp.ClientSecretExpiresAt = &never
	}
	writeJSON(w, http.StatusCreated, resp)
}

// decodeJSONObject decodes exactly one JSON object from body into v.
func decodeJSONObject(body []byte, v any) error {
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		return errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return errors.New("malformed JSON or a field of the wrong type")
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

// redirectHosts names where a client's redirect URIs lead, for the audit log.
func redirectHosts(uris []string) []string {
	var out []string
	for _, raw := range uris {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		h := u.Host
		if u.Scheme != "https" && u.Scheme != "http" {
			h = u.Scheme + ":"
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}
