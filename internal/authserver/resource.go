package authserver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/auth"
)

// Resources (RFC 8707) are this server's MCP endpoints: BaseURL+"/mcp",
// BaseURL+"/mcp/{org}" and BaseURL+"/mcp/{org}/{project}". A token is bound
// to exactly the one it was issued for.

// mcpPath is the path of the unpinned MCP endpoint.
const mcpPath = "/mcp"

// slugRe matches Sentry organization and project slugs (as internal/mcpserver does).
// It is compiled on first use, not at start-up of every subcommand.
var slugRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`) })

const maxResourceLen = 512

// resourcePath checks that path names an MCP endpoint.
func resourcePath(path string) bool {
	rest, ok := strings.CutPrefix(path, mcpPath)
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	if rest[0] != '/' || len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if !slugRe().MatchString(p) {
			return false
		}
	}
	return true
}

// canonicalResource returns the canonical form (BaseURL + path) of a
// resource URL naming one of this server's MCP endpoints. Scheme and host
// compare case-insensitively (MCP: servers SHOULD accept uppercase ones);
// everything else must be exact: no query, fragment, userinfo, other port,
// trailing slash or percent-encoding.
func (s *Server) canonicalResource(raw string) (string, bool) {
	if raw == "" || len(raw) > maxResourceLen || strings.ContainsAny(raw, "#?@\\%") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.RawPath != "" {
		return "", false
	}
	if !strings.EqualFold(u.Scheme, s.base.Scheme) || !strings.EqualFold(u.Host, s.base.Host) {
		return "", false
	}
	if !resourcePath(u.Path) {
		return "", false
	}
	return s.cfg.BaseURL + u.Path, true
}

// defaultResource is the resource of a request that names none.
func (s *Server) defaultResource() string { return s.cfg.BaseURL + mcpPath }

// ResourceMetadataURL returns the RFC 9728 metadata URL for resourceURL:
// the path-suffixed /.well-known/oauth-protected-resource/mcp[/...] URL,
// or the root document's URL for anything that is not one of this
// server's resources.
func (s *Server) ResourceMetadataURL(resourceURL string) string {
	root := s.cfg.BaseURL + wellKnownResource
	res, ok := s.canonicalResource(resourceURL)
	if !ok {
		return root
	}
	return root + strings.TrimPrefix(res, s.cfg.BaseURL)
}

// CheckResource reports whether info (from VerifyAccessToken) was issued
// for resource. A mismatch wraps auth.ErrInvalidToken: the MCP endpoint
// answers 401 and the client signs in for the right URL.
func (s *Server) CheckResource(info *auth.TokenInfo, resource string) error {
	if info == nil {
		return fmt.Errorf("%w: no token", auth.ErrInvalidToken)
	}
	want, ok := s.canonicalResource(resource)
	got, _ := info.Extra["resource"].(string)
	if !ok || got != want {
		return fmt.Errorf("%w: the token was issued for %s, not %s", auth.ErrInvalidToken, got, resource)
	}
	return nil
}

var errNotMCPResource = errors.New("resource must be this server's /mcp, /mcp/{organization} or /mcp/{organization}/{project} URL")

// isLoopbackHost reports whether host (no brackets, no port) is a loopback
// name or address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
