package authserver

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lookout-hq/lookout/internal/store"
)

// Token endpoint authentication methods and grant types lookout supports.
const (
	authNone        = "none"
	authSecretBasic = "client_secret_basic"
	authSecretPost  = "client_secret_post"

	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
)

const (
	maxClientIDLen   = 2048
	maxClientNameLen = 100 // characters
)

var errUnknownClient = errors.New("unknown client")

// client is a registered client or one described by a metadata document.
// The JSON form is what the store keeps in Client.Metadata.
type client struct {
	ID            string   `json:"-"`
	RedirectURIs  []string `json:"redirect_uris"`
	GrantTypes    []string `json:"grant_types"`
	ResponseTypes []string `json:"response_types"`
	AuthMethod    string   `json:"token_endpoint_auth_method"`
	Name          string   `json:"client_name,omitempty"`

	secretHash []byte // confidential clients
	document   bool   // the client id is a Client ID Metadata Document URL
}

func (c *client) public() bool { return c.AuthMethod == authNone }

func (c *client) allows(grant string) bool { return slices.Contains(c.GrantTypes, grant) }

// displayName is the name to show, never empty.
func (c *client) displayName() string {
	if c.Name != "" {
		return c.Name
	}
	return "An unnamed MCP client"
}

// metadataError is a refused registration or metadata document, with its
// RFC 7591 error code.
type metadataError struct {
	code, desc string
}

func (e *metadataError) Error() string { return e.code + ": " + e.desc }

func invalidMetadata(format string, args ...any) *metadataError {
	return &metadataError{code: "invalid_client_metadata", desc: fmt.Sprintf(format, args...)}
}

// clientMetadata is what registrations and metadata documents share.
type clientMetadata struct {
	RedirectURIs  []string
	AuthMethod    string
	GrantTypes    []string
	ResponseTypes []string
	Name          string
}

// validate checks m and fills defaults. defaultAuth is RFC 7591's
// client_secret_basic for registrations and "none" for documents.
func (m clientMetadata) validate(defaultAuth string) (*client, *metadataError) {
	c := &client{AuthMethod: m.AuthMethod}
	if c.AuthMethod == "" {
		c.AuthMethod = defaultAuth
	}
	if !slices.Contains(authMethods, c.AuthMethod) {
		return nil, invalidMetadata("token_endpoint_auth_method %q is not supported; use none, client_secret_basic or client_secret_post", c.AuthMethod)
	}
	if len(m.RedirectURIs) == 0 || len(m.RedirectURIs) > maxRedirectURIs {
		return nil, &metadataError{"invalid_redirect_uri", fmt.Sprintf("redirect_uris must list 1 to %d URIs", maxRedirectURIs)}
	}
	for _, u := range m.RedirectURIs {
		if err := checkRedirectURI(u, c.public()); err != nil {
			return nil, &metadataError{"invalid_redirect_uri", err.Error()}
		}
		if !slices.Contains(c.RedirectURIs, u) {
			c.RedirectURIs = append(c.RedirectURIs, u)
		}
	}
	c.GrantTypes = m.GrantTypes
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{grantAuthorizationCode}
	}
	for _, g := range c.GrantTypes {
		if g != grantAuthorizationCode && g != grantRefreshToken {
			return nil, invalidMetadata("grant type %q is not supported; use authorization_code and refresh_token", g)
		}
	}
	c.GrantTypes = slices.Compact(slices.Sorted(slices.Values(c.GrantTypes)))
	if !c.allows(grantAuthorizationCode) {
		return nil, invalidMetadata("grant_types must include authorization_code")
	}
	c.ResponseTypes = m.ResponseTypes
	if len(c.ResponseTypes) == 0 {
		c.ResponseTypes = []string{"code"}
	}
	for _, rt := range c.ResponseTypes {
		if rt != "code" {
			return nil, invalidMetadata("response type %q is not supported; use code", rt)
		}
	}
	c.ResponseTypes = []string{"code"}
	name, err := cleanClientName(m.Name)
	if err != nil {
		return nil, invalidMetadata("client_name %s", err)
	}
	c.Name = name
	return c, nil
}

// cleanClientName bounds a client's self-chosen name and refuses characters
// that could disguise it on the approval page.
func cleanClientName(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", errors.New("is not valid UTF-8")
	case utf8.RuneCountInString(s) > maxClientNameLen:
		return "", fmt.Errorf("is longer than %d characters", maxClientNameLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u200b' || r == '\ufeff' {
			return "", errors.New("contains control or direction-changing characters")
		}
	}
	return s, nil
}

// lookupClient finds a registered client, or fetches the metadata document
// of a URL client id. Unknown and expired clients give errUnknownClient.
func (s *Server) lookupClient(ctx context.Context, id string) (*client, error) {
	if id == "" || len(id) > maxClientIDLen {
		return nil, errUnknownClient
	}
	if strings.HasPrefix(id, "https://") {
		return s.cimd.get(ctx, id, func() (bool, time.Duration) { return s.limits.metadata.allow(clientAddr(ctx)) })
	}
	row, err := s.cfg.Store.GetClient(ctx, id, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnknownClient
	}
	if err != nil {
		return nil, err
	}
	var c client
	if err := json.Unmarshal(row.Metadata, &c); err != nil {
		return nil, fmt.Errorf("authserver: client %s: stored metadata: %w", id, err)
	}
	c.ID, c.secretHash = row.ID, row.SecretHash
	return &c, nil
}

// touchClient records that a user approved a registered client or that it
// got tokens, which keeps its registration for RegistrationTTL. Nothing
// else does: an authorization request anyone can send must not keep an
// unapproved registration alive.
func (s *Server) touchClient(ctx context.Context, c *client) {
	if c.document {
		return
	}
	now := s.now()
	if err := s.cfg.Store.TouchClient(ctx, c.ID, now, now.Add(s.cfg.RegistrationTTL)); err != nil {
		s.log.WarnContext(ctx, "authserver: could not record client use", "client_id", c.ID, "err", err)
	}
}

// authenticateClient authenticates the client of a token or revocation
// request (RFC 6749 §2.3): public clients by client_id alone, confidential
// ones by their secret in HTTP Basic or the form, never both.
func (s *Server) authenticateClient(ctx context.Context, r *http.Request) (*client, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id) // RFC 6749 §2.3.1: form-encoded first
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return nil, errInvalidClient(true, "malformed client credentials")
		}
		if r.PostForm.Has("client_secret") {
			return nil, errInvalidRequest("use one client authentication method, not both Basic and client_secret")
		}
		if fid := r.PostForm.Get("client_id"); fid != "" && fid != id {
			return nil, errInvalidRequest("client_id differs from the Basic credentials")
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" {
		return nil, errInvalidClient(basic, "client authentication required: send client_id")
	}
	c, err := s.lookupClient(ctx, id)
	if err != nil {
		if !errors.Is(err, errUnknownClient) && !isDocumentError(err) {
			s.log.ErrorContext(ctx, "authserver: client lookup failed", "err", err)
			return nil, errServer()
		}
		return nil, errInvalidClient(basic, "unknown client, or its registration expired")
	}
	if c.public() {
		if secret != "" {
			return nil, errInvalidClient(basic, "this client was registered as public (token_endpoint_auth_method none) and has no secret")
		}
	} else if secret == "" || subtle.ConstantTimeCompare(hashBytes(secret), c.secretHash) != 1 {
		return nil, errInvalidClient(basic, "client authentication failed")
	}
	return c, nil
}
