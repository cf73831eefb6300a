package sentry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Region URLs come from Sentry (an organization's links.regionUrl) and from
// tool arguments, and the client sends the user's token wherever they point,
// so each one is validated before use (docs/architecture.md, "Sentry API safety"). The rules, strictest
// first:
//
//   - syntax: printable ASCII only; none of \ % @ ? # anywhere; it parses as
//     an absolute URL with no userinfo, query, fragment or opaque part, and a
//     path of "" or "/" only;
//   - host: a plain lower-cased DNS name (no trailing dot, no empty label, no
//     IDN "xn--" label) or an IP literal; port, if any, 1-65535 without
//     leading zeros;
//   - the host equal to the Sentry host (BaseURL's): same scheme and port as
//     BaseURL; in dev mode (BaseURL on a loopback host) any port, which is how
//     tests run two fake regions on two loopback ports;
//   - a host in the allowed set (AllowedRegionDomains, default for sentry.io:
//     sentry.io, us.sentry.io, de.sentry.io): https on port 443, or, with
//     InsecureHTTP and an http BaseURL, http on BaseURL's port;
//   - anything else, IP literals included, is refused.
//
// An accepted URL is rebuilt as scheme://host[:port] (default port dropped),
// so nothing but what was checked reaches a request.
type regionPolicy struct {
	scheme   string // BaseURL's scheme
	host     string // BaseURL's host, lower case, IPv6 without brackets
	port     string // BaseURL's effective port
	dev      bool   // BaseURL is on a loopback host
	insecure bool
	allowed  map[string]bool
}

var defaultSaaSDomains = []string{"sentry.io", "us.sentry.io", "de.sentry.io"}

func newRegionPolicy(baseURL string, allowed []string, insecure bool) (regionPolicy, *url.URL, error) {
	scheme, host, port, err := parseOrigin(baseURL)
	if err != nil {
		return regionPolicy{}, nil, fmt.Errorf("sentry: Options.BaseURL %s: %s (want scheme://host[:port], e.g. https://sentry.io)", quoted(baseURL), err)
	}
	p := regionPolicy{scheme: scheme, host: host, port: effectivePort(scheme, port), insecure: insecure, allowed: map[string]bool{}}
	if ip, err := netip.ParseAddr(host); err == nil {
		p.dev = ip.IsLoopback()
	} else {
		p.dev = host == "localhost"
	}
	if scheme == "http" && !p.dev && !insecure {
		return regionPolicy{}, nil, fmt.Errorf("sentry: Options.BaseURL %s uses http, which would send tokens in clear text: use https, or set InsecureHTTP for a self-hosted Sentry on a trusted network", quoted(baseURL))
	}
	if len(allowed) == 0 && host == "sentry.io" {
		allowed = defaultSaaSDomains
	}
	for _, d := range allowed {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" {
			continue
		}
		if !validDNSName(d) || isIP(d) {
			return regionPolicy{}, nil, fmt.Errorf("sentry: Options.AllowedRegionDomains entry %s is not a host name (want exact names like us.sentry.io: no scheme, port, wildcard or IP)", quoted(d))
		}
		p.allowed[d] = true
	}
	return p, p.origin(scheme, host, port), nil
}

// ValidateRegionURL checks a region URL from Sentry or from a tool argument
// against the rules above and returns it normalized to scheme://host[:port].
// Errors wrap ErrUntrustedRegion.
func (c *Client) ValidateRegionURL(raw string) (*url.URL, error) {
	return c.policy.validate(raw)
}

func (p regionPolicy) validate(raw string) (*url.URL, error) {
	refuse := func(why string) (*url.URL, error) {
		return nil, fmt.Errorf("%w: %s: %s", ErrUntrustedRegion, quoted(raw), why)
	}
	scheme, host, port, err := parseOrigin(raw)
	if err != nil {
		return refuse(err.Error())
	}
	eff := effectivePort(scheme, port)
	switch {
	case host == p.host:
		if scheme != p.scheme {
			return refuse("scheme differs from the Sentry URL's")
		}
		if !p.dev && eff != p.port {
			return refuse("port differs from the Sentry URL's")
		}
	case p.allowed[host]:
		httpsOK := scheme == "https" && eff == "443"
		httpOK := scheme == "http" && p.insecure && p.scheme == "http" && eff == p.port
		if !httpsOK && !httpOK {
			return refuse("must be https on the default port")
		}
	case isIP(host):
		return refuse("IP address hosts are not allowed")
	default:
		return refuse("host is neither the Sentry host nor an allowed region domain")
	}
	return p.origin(scheme, host, port), nil
}

func (p regionPolicy) origin(scheme, host, port string) *url.URL {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" && port != defaultPort(scheme) {
		host += ":" + port
	}
	return &url.URL{Scheme: scheme, Host: host}
}

var errOriginSyntax = errors.New("not a plain scheme://host[:port] URL")

// parseOrigin is the syntax gate shared by BaseURL and region URLs. It returns
// the scheme, the lower-cased host (IPv6 unbracketed) and the port as written.
func parseOrigin(raw string) (scheme, host, port string, err error) {
	if raw == "" {
		return "", "", "", errors.New("empty")
	}
	if len(raw) > 2048 {
		return "", "", "", errors.New("too long")
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] >= 0x7f {
			return "", "", "", errors.New("contains spaces, control or non-ASCII characters")
		}
	}
	if strings.ContainsAny(raw, `\%@?#`) {
		return "", "", "", errors.New(`contains one of \ % @ ? #`)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", "", errOriginSyntax
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", "", "", errors.New("scheme must be https")
	}
	if u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawFragment != "" || u.RawPath != "" {
		return "", "", "", errOriginSyntax
	}
	if u.Path != "" && u.Path != "/" {
		return "", "", "", errors.New("must not have a path")
	}
	if u.Host == "" || strings.HasSuffix(u.Host, ":") {
		return "", "", "", errors.New("missing host or port")
	}
	host, port = u.Hostname(), u.Port()
	if port != "" && !validPort(port) {
		return "", "", "", errors.New("invalid port")
	}
	if strings.HasPrefix(u.Host, "[") {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", "", "", errors.New("invalid IPv6 host")
		}
		return u.Scheme, ip.String(), port, nil // canonical: [0:0::1] is [::1]
	}
	host = strings.ToLower(host)
	if !validDNSName(host) {
		return "", "", "", errors.New("host must be a plain ASCII DNS name without a trailing dot")
	}
	return u.Scheme, host, port, nil
}

// validDNSName accepts lower-case LDH names. It refuses empty labels (so a
// trailing dot, ".." and a leading dot) and IDN labels: a punycode look-alike
// of an allowed host can never be one of them.
func validDNSName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' || strings.HasPrefix(label, "xn--") {
			return false
		}
		for i := 0; i < len(label); i++ {
			ch := label[i]
			if !('a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' || ch == '-') {
				return false
			}
		}
	}
	return true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || p[0] == '0' {
		return false
	}
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n <= 65535
}

func isIP(h string) bool {
	_, err := netip.ParseAddr(h)
	return err == nil || net.ParseIP(h) != nil
}

func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}

func effectivePort(scheme, port string) string {
	if port == "" {
		return defaultPort(scheme)
	}
	return port
}

// quoted shows an untrusted string safely in an error: escaped and short.
func quoted(s string) string {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return strconv.Quote(s)
}

// UseRegion pins org to regionURL for the rest of this client's life, after
// validating it: tools that receive a regionUrl argument call this instead of
// letting the client look the organization up.
func (c *Client) UseRegion(org, regionURL string) error {
	if err := checkArgs("organization", org); err != nil {
		return err
	}
	u, err := c.ValidateRegionURL(regionURL)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	c.mu.Lock()
	c.regions[org] = u
	c.mu.Unlock()
	return nil
}

// learnRegion validates an organization's regionUrl and remembers it under
// the organization's slug and id (and any other key it was asked by), for
// this client and in the shared Regions. A missing regionUrl (older
// self-hosted Sentry) means BaseURL. A refused one is not remembered: every
// call for that organization then fails without being sent.
func (c *Client) learnRegion(o *Organization, keys ...string) (*url.URL, error) {
	u := c.base
	if raw := o.Links.RegionURL; raw != "" {
		var err error
		if u, err = c.ValidateRegionURL(raw); err != nil {
			return nil, fmt.Errorf("sentry: organization %s has a region URL lookout will not use: %w", quoted(o.Slug), err)
		}
	}
	c.remember(u, append(keys, o.Slug, string(o.ID))...)
	return u, nil
}

func (c *Client) remember(u *url.URL, keys ...string) {
	c.mu.Lock()
	for _, k := range keys {
		if k != "" {
			c.regions[k] = u
		}
	}
	c.mu.Unlock()
	c.shared.setOrg(u, keys...)
}

// orgRegion returns where org's calls go: the region this client or the
// shared Regions knows, or else BaseURL as a guess (guessed true). Sentry's
// control host answers every organization's API (sentry.io forwards to the
// region), as does a single-region self-hosted Sentry, so the guess costs
// no request; do checks it when the answer is a 404.
func (c *Client) orgRegion(org string) (u *url.URL, guessed bool, err error) {
	if err := checkArgs("organization", org); err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	u = c.regions[org]
	c.mu.Unlock()
	if u != nil {
		return u, false, nil
	}
	if origin := c.shared.org(org); origin != "" {
		if u, err := c.ValidateRegionURL(origin); err == nil {
			c.mu.Lock()
			c.regions[org] = u
			c.mu.Unlock()
			return u, false, nil
		}
		c.shared.forget(org)
	}
	return c.base, true, nil
}

// locateOrg asks BaseURL (the control host, which knows every
// organization's region) where org lives, after a guessed BaseURL answered
// 404: the organization may live in another region, or be one this
// account cannot see, which is a clear error (org isolation, see
// docs/security.md) that still matches ErrNotFound, ErrNoAccess...
func (c *Client) locateOrg(ctx context.Context, org string) (*url.URL, error) {
	o, err := c.lookupOrganization(ctx, org)
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrNoAccess) {
			return nil, fmt.Errorf("sentry: organization %s is not one this Sentry account can see: %w", quoted(org), err)
		}
		return nil, err
	}
	return c.learnRegion(o, org)
}
