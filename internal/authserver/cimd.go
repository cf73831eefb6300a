package authserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document,
// MCP 2025-11-25): a client_id that is an https URL names a JSON document
// describing the client. lookout fetches it with a GET that follows no
// redirect, sends no cookie, waits at most 5 s, reads at most 64 KiB and
// connects only to public addresses (checked on the address actually
// dialled, so DNS rebinding cannot slip a private one in), then caches the
// result for 10 minutes.

const (
	cimdTimeout    = 5 * time.Second
	cimdMaxBytes   = 64 << 10
	cimdTTL        = 10 * time.Minute
	cimdFailureTTL = time.Minute // failures are cached too, briefly
	cimdMaxEntries = 512
)

// documentError is a metadata document that could not be used; its text
// is safe to show on a page.
type documentError struct{ msg string }

func (e *documentError) Error() string { return e.msg }

func isDocumentError(err error) bool {
	var de *documentError
	return errors.As(err, &de)
}

func docErrorf(format string, args ...any) error {
	return &documentError{msg: fmt.Sprintf(format, args...)}
}

var errRefusedAddress = errors.New("address not allowed: private, loopback, link-local or otherwise non-public")

type cimdFetcher struct {
	client *http.Client
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]cimdEntry
}

type cimdEntry struct {
	client  *client
	err     error
	expires time.Time
}

// newCIMDFetcher builds the fetching client from base (nil: a new one).
func newCIMDFetcher(base *http.Client, devMode bool, now func() time.Time) (*cimdFetcher, error) {
	var tr *http.Transport
	switch {
	case base == nil || base.Transport == nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	default:
		t, ok := base.Transport.(*http.Transport)
		if !ok {
			return nil, fmt.Errorf("authserver: HTTPClient.Transport is a %T; it must be an *http.Transport so lookout can refuse private addresses", base.Transport)
		}
		tr = t.Clone()
	}
	dialer := &net.Dialer{Timeout: cimdTimeout, Control: dialControl(devMode)}
	tr.Proxy = nil // a proxy would dial for us, past the address check
	tr.DialContext = dialer.DialContext
	tr.DialTLSContext = nil
	tr.MaxResponseHeaderBytes = 16 << 10
	tr.ResponseHeaderTimeout = cimdTimeout
	return &cimdFetcher{
		client: &http.Client{
			Transport: tr,
			Timeout:   cimdTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		now:   now,
		cache: map[string]cimdEntry{},
	}, nil
}

// dialControl refuses connections to non-public addresses (all allowed in
// dev mode, where clients run on the same machine).
func dialControl(devMode bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if devMode {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil || !publicAddr(ip) {
			return errRefusedAddress
		}
		return nil
	}
}

// nonPublic are the special-purpose ranges (IANA IPv4 and IPv6
// Special-Purpose Address Registries, RFC 6890) that netip's predicates do
// not cover. A client metadata document is fetched only from an address
// in none of them: some are private in effect, some embed an IPv4 address
// the operating system may route to (IPv4-compatible, translated, NAT64,
// 6to4, Teredo), the rest are never a legitimate public web server.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (CGNAT; some cloud metadata)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast (deprecated)
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated): ::127.0.0.1 reaches loopback
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (SIIT)
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: may embed a private IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments (Teredo, benchmarking, ORCHID, ...)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: may embed a private IPv4 address
	netip.MustParsePrefix("3fff::/20"),       // documentation
	netip.MustParsePrefix("5f00::/16"),       // SRv6 SIDs
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsMulticast() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// checkClientIDURL applies the draft's rules to a URL client id: https,
// a path, no dot segments, fragment or userinfo.
func checkClientIDURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme != "https" || !strings.HasPrefix(raw, "https://") || u.Host == "" || u.Opaque != "":
		return docErrorf("a URL client_id must be an absolute https URL")
	case u.User != nil || strings.Contains(authority(raw), "@"):
		return docErrorf("a URL client_id must not contain userinfo")
	case strings.Contains(raw, "#"):
		return docErrorf("a URL client_id must not contain a fragment")
	case u.Path == "" || u.Path == "/":
		return docErrorf("a URL client_id must have a path, e.g. https://app.example.com/oauth/client.json")
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg == "." || seg == ".." || strings.EqualFold(seg, "%2e") || strings.EqualFold(seg, "%2e%2e") {
			return docErrorf("a URL client_id must not contain . or .. path segments")
		}
	}
	return nil
}

// get returns the client a metadata document URL describes. A cache miss
// fetches the document if allow (the per-address fetch limit) agrees.
func (f *cimdFetcher) get(ctx context.Context, id string, allow func() (bool, time.Duration)) (*client, error) {
	now := f.now()
	f.mu.Lock()
	e, ok := f.cache[id]
	f.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.client, e.err
	}
	if ok, wait := allow(); !ok {
		// Not cached: the limit is the asker's, not the document's.
		return nil, docErrorf("lookout fetched too many client metadata documents for your address; try again in %d seconds", int(wait.Seconds())+1)
	}
	c, err := f.fetch(ctx, id)
	ttl := cimdTTL
	if err != nil {
		if !isDocumentError(err) {
			return nil, err // e.g. our context ended: do not cache
		}
		ttl = cimdFailureTTL
	}
	f.mu.Lock()
	if len(f.cache) >= cimdMaxEntries {
		for k, old := range f.cache {
			if !now.Before(old.expires) {
				delete(f.cache, k)
			}
		}
		if len(f.cache) >= cimdMaxEntries {
			clear(f.cache)
		}
	}
	f.cache[id] = cimdEntry{client: c, err: err, expires: now.Add(ttl)}
	f.mu.Unlock()
	return c, err
}

// metadataDocument is a Client ID Metadata Document: RFC 7591 metadata
// plus the client_id, and never a secret.
type metadataDocument struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	oauthex.ClientRegistrationMetadata
}

func (f *cimdFetcher) fetch(ctx context.Context, id string) (*client, error) {
	if err := checkClientIDURL(id); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cimdTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return nil, docErrorf("the client_id URL is not usable")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "lookout (OAuth client metadata fetch)")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, errRefusedAddress) {
			return nil, docErrorf("lookout does not fetch client metadata from private or loopback addresses")
		}
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
			return nil, err
		}
		return nil, docErrorf("the client metadata document could not be fetched (network error or timeout)")
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, docErrorf("the client metadata document URL redirects; lookout does not follow redirects")
	}
	if resp.StatusCode != http.StatusOK {
		return nil, docErrorf("the client metadata document URL answered HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, cimdMaxBytes+1))
	if err != nil {
		return nil, docErrorf("the client metadata document could not be read")
	}
	if len(body) > cimdMaxBytes {
		return nil, docErrorf("the client metadata document is larger than %d KiB", cimdMaxBytes>>10)
	}
	var doc metadataDocument
	if err := decodeJSONObject(body, &doc); err != nil {
		return nil, docErrorf("the client metadata document is not valid: %s", err)
	}
	switch {
	case doc.ClientID != id:
		return nil, docErrorf("the client metadata document's client_id does not match its URL")
	case doc.ClientSecret != "":
		return nil, docErrorf("a client metadata document must not contain a client_secret")
	case doc.TokenEndpointAuthMethod != "" && doc.TokenEndpointAuthMethod != authNone:
		return nil, docErrorf("token_endpoint_auth_method %q is not supported for metadata documents; use none", doc.TokenEndpointAuthMethod)
	case strings.TrimSpace(doc.ClientName) == "":
		return nil, docErrorf("the client metadata document has no client_name")
	}
	c, merr := clientMetadata{
		RedirectURIs: doc.RedirectURIs, AuthMethod: authNone,
		GrantTypes: doc.GrantTypes, ResponseTypes: doc.ResponseTypes, Name: doc.ClientName,
	}.validate(authNone)
	if merr != nil {
		return nil, docErrorf("the client metadata document is not valid: %s", merr.desc)
	}
	c.ID, c.document = id, true
	return c, nil
}
