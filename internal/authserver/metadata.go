package authserver

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

const (
	wellKnownResource = "/.well-known/oauth-protected-resource"
	wellKnownServer   = "/.well-known/oauth-authorization-server"
)

// serverMetadata is the RFC 8414 document. It is not oauthex.AuthServerMeta
// because that type always writes "jwks_uri", and an empty jwks_uri is an
// invalid URL that strict clients refuse; lookout has no JWKS (its tokens
// are opaque).
type serverMetadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	RegistrationEndpoint                       string   `json:"registration_endpoint"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	ClientIDMetadataDocumentSupported          bool     `json:"client_id_metadata_document_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
}

var authMethods = []string{authNone, authSecretBasic, authSecretPost}

func (s *Server) handleServerMetadata(w http.ResponseWriter, r *http.Request) {
	b := s.cfg.BaseURL
	writeMetadata(w, serverMetadata{
		Issuer:                                     b,
		AuthorizationEndpoint:                      b + "/oauth/authorize",
		TokenEndpoint:                              b + "/oauth/token",
		RegistrationEndpoint:                       b + "/oauth/register",
		RevocationEndpoint:                         b + "/oauth/revoke",
		ScopesSupported:                            []string{ScopeRead, ScopeTriage},
		ResponseTypesSupported:                     []string{"code"},
		ResponseModesSupported:                     []string{"query"},
		GrantTypesSupported:                        []string{grantAuthorizationCode, grantRefreshToken},
		TokenEndpointAuthMethodsSupported:          authMethods,
		RevocationEndpointAuthMethodsSupported:     authMethods,
		CodeChallengeMethodsSupported:              []string{"S256"},
		ClientIDMetadataDocumentSupported:          true,
		AuthorizationResponseIssParameterSupported: true,
	})
}

// handleResourceMetadata serves RFC 9728 documents: the path-suffixed one
// for each MCP endpoint, and at the root the one for BaseURL/mcp (the
// resource most clients use; lookout has no resource at its root).
//
// scopes_supported lists only "read": MCP clients request every scope listed
// there when a 401 names none, and the spec means it as the minimal set for
// basic use. "triage" is in the server metadata and asked for explicitly.
func (s *Server) handleResourceMetadata(w http.ResponseWriter, r *http.Request) {
	suffix := strings.TrimPrefix(r.URL.Path, wellKnownResource)
	resource := s.defaultResource()
	if r.URL.RawPath != "" { // percent-encoded: no resource of ours
		http.NotFound(w, r)
		return
	}
	if suffix != "" {
		res, ok := s.canonicalResource(s.cfg.BaseURL + suffix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		resource = res
	}
	name := "lookout for Sentry"
	if pin := strings.TrimPrefix(strings.TrimPrefix(resource, s.defaultResource()), "/"); pin != "" {
		name += " (" + pin + ")"
	}
	writeMetadata(w, oauthex.ProtectedResourceMetadata{
		Resource:               resource,
		AuthorizationServers:   []string{s.cfg.BaseURL},
		ScopesSupported:        []string{ScopeRead},
		BearerMethodsSupported: []string{"header"},
		ResourceName:           name,
	})
}

func writeMetadata(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_ = json.NewEncoder(w).Encode(v)
}

// withCORS serves h for methods and answers CORS preflights.
//
// CORS is on for the metadata documents and for the register, token and
// revoke endpoints, which browser-based MCP clients (MCP Inspector) call
// from their own origin. It is safe there: "*" never comes with
// credentials, and these endpoints read no cookie, authenticating by client
// credentials and PKCE in the request itself. The authorize endpoint and
// the callback, which do use cookies, have no CORS at all.
func withCORS(h http.HandlerFunc, methods ...string) http.HandlerFunc {
	allow := strings.Join(append(methods, http.MethodOptions), ", ")
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Allow-Methods", allow)
		hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version")
		hd.Set("Access-Control-Max-Age", "86400")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		for _, m := range methods {
			if r.Method == m || (m == http.MethodGet && r.Method == http.MethodHead) {
				h(w, r)
				return
			}
		}
		hd.Set("Allow", allow)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
