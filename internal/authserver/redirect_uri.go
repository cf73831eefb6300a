package authserver

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// Redirect URIs a client may register (RFC 7591, RFC 8252, MCP 2025-11-25):
//
//   - https URLs, any host;
//   - http URLs on a loopback host (127.0.0.1, [::1], localhost), any port;
//   - for public clients only, private-use URI schemes of native apps that
//     are reverse domain names (RFC 8252 §7.1: com.example.app:/cb), plus
//     the few single-word schemes of MCP clients people use (knownAppSchemes:
//     Cursor registers cursor://anysphere.cursor-mcp/oauth/callback). PKCE
//     protects the code on its way back. Any other scheme is refused: a
//     registration is anyone's, and schemes such as smb:, ms-msdt:,
//     search-ms: or ssh: make the operating system act (mount a share, run
//     a troubleshooter, open a terminal) when a page sends the browser there.
//
// Ports, when given, are 1 to 65535 written without leading zeros.
//
// Never userinfo, never a fragment (not even an empty one), never white
// space or control characters, scheme in lower case.
//
// An authorization request's redirect_uri must equal a registered one
// byte for byte, with one exception from RFC 8252 §7.3: a registered
// loopback IP URI without a port (http://127.0.0.1/cb) accepts any port.

const (
	maxRedirectURILen = 2000
	maxRedirectURIs   = 5
)

// knownAppSchemes are single-word private-use schemes of MCP clients in
// wide use, accepted although they are not reverse domain names.
var knownAppSchemes = map[string]bool{"cursor": true}

// checkRedirectURI validates one redirect URI of a client registration or
// metadata document. public says whether the client is public.
func checkRedirectURI(raw string, public bool) error {
	if raw == "" || len(raw) > maxRedirectURILen {
		return errors.New("redirect URI is empty or longer than 2000 characters")
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] == 0x7f {
			return errors.New("redirect URI contains white space or control characters")
		}
	}
	if strings.Contains(raw, "#") {
		return errors.New("redirect URI must not contain a fragment")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return errors.New("redirect URI is not an absolute URI")
	}
	if !strings.HasPrefix(raw, u.Scheme+":") {
		return errors.New("redirect URI scheme must be lower case")
	}
	if u.User != nil || strings.Contains(authority(raw), "@") {
		return errors.New("redirect URI must not contain userinfo (user@host)")
	}
	switch u.Scheme {
	case "https":
		if u.Opaque != "" || u.Hostname() == "" {
			return errors.New("https redirect URI has no host")
		}
	case "http":
		if u.Opaque != "" || !loopbackRedirectHost(u.Hostname()) {
			return errors.New("http redirect URIs are allowed only on 127.0.0.1, [::1] or localhost; use https")
		}
	default:
		if !reverseDomainScheme(u.Scheme) && !knownAppSchemes[u.Scheme] {
			return errors.New("redirect URI scheme " + u.Scheme + ": is not allowed: a native app's scheme must be a reverse domain name it owns, such as com.example.app: (RFC 8252 §7.1)")
		}
		if !public {
			return errors.New("private-use URI schemes are for public (native) clients: register with token_endpoint_auth_method \"none\"")
		}
		if u.Opaque != "" || (u.Host == "" && !strings.HasPrefix(u.Path, "/")) {
			return errors.New("private-use redirect URI must look like com.example.app:/path")
		}
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || p[0] == '0' {
			return errors.New("redirect URI port must be a number from 1 to 65535")
		}
	}
	return nil
}

// reverseDomainScheme reports whether scheme is a reverse domain name
// (com.example.app): two or more dot-separated labels of lower-case
// letters, digits and inner hyphens, the first starting with a letter.
func reverseDomainScheme(scheme string) bool {
	labels := strings.Split(scheme, ".")
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' || (i == 0 && !('a' <= l[0] && l[0] <= 'z')) {
			return false
		}
		for j := 0; j < len(l); j++ {
			if c := l[j]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// loopbackRedirectHost: the loopback names RFC 8252 §7.3 and §8.3 allow,
// written exactly so.
func loopbackRedirectHost(h string) bool {
	return h == "127.0.0.1" || h == "::1" || h == "localhost"
}

// authority returns the part of raw between "//" and the next "/", "?" or
// "#" (empty without "//").
func authority(raw string) string {
	_, rest, ok := strings.Cut(raw, "//")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// matchRedirectURI reports whether requested is one of registered.
func matchRedirectURI(registered []string, requested string) bool {
	for _, r := range registered {
		if r == requested {
			return true
		}
	}
	// RFC 8252 §7.3: a loopback IP redirect URI registered without a port
	// matches any port at request time.
	for _, prefix := range []string{"http://127.0.0.1", "http://[::1]"} {
		rest, ok := strings.CutPrefix(requested, prefix+":")
		if !ok {
			continue
		}
		end := strings.IndexAny(rest, "/?")
		if end < 0 {
			end = len(rest)
		}
		port, err := strconv.Atoi(rest[:end])
		if err != nil || port < 1 || port > 65535 || rest[0] == '0' || end > 5 {
			return false
		}
		want := prefix + rest[end:]
		for _, r := range registered {
			if r == want {
				return true
			}
		}
	}
	return false
}
