package sentry

import (
	"context"
	"fmt"
	"mime"
	"net/url"
	"strings"
)

// Blob is a file downloaded from Sentry (an event attachment, a snapshot
// image): the bytes as sent, bounded by the caller's limit.
type Blob struct {
	Data        []byte
	ContentType string // Sentry's Content-Type header, e.g. "image/png"
}

// MediaType is the content type without parameters, in lower case; "" when
// Sentry sent none or an unreadable one.
func (b *Blob) MediaType() string {
	mt, _, err := mime.ParseMediaType(b.ContentType)
	if err != nil {
		return ""
	}
	return mt
}

// DefaultMaxDownload bounds one download when the caller gives no limit:
// files go into a model's context or a chat message, never to disk.
const DefaultMaxDownload = 4 << 20

// download GETs a file; the answer is not decoded. max <= 0 means
// DefaultMaxDownload; a larger file is ErrResponseTooLarge.
func (c *Client) download(ctx context.Context, cl call, max int64) (*Blob, error) {
	if max <= 0 {
		max = DefaultMaxDownload
	}
	cl.limit = max
	var b Blob
	if _, err := c.get(ctx, cl, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// DownloadOrgFile downloads a file Sentry linked in an answer about org,
// such as a snapshot's image_url. Only Sentry's own API is asked: ref must
// be a path under /api/0/organizations/{org}/ (relative, or absolute on
// org's region or another allowed Sentry host), and it is sent with the
// token like any call. Anything else, a storage bucket's signed URL
// included, is ErrUntrustedRegion and is not fetched: a file URL in an
// answer must not become a way to make lookout fetch arbitrary hosts.
func (c *Client) DownloadOrgFile(ctx context.Context, org, ref, scope string, max int64) (*Blob, error) {
	if err := checkArgs("organization", org, "file URL", ref); err != nil {
		return nil, err
	}
	u, err := url.Parse(ref)
	if err != nil || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: file URL %s: not a plain URL", ErrUntrustedRegion, quoted(ref))
	}
	cl := call{org: org, scope: scope, query: u.Query()}
	if u.Scheme != "" || u.Host != "" {
		if cl.base, err = c.ValidateRegionURL(u.Scheme + "://" + u.Host); err != nil {
			return nil, err
		}
	}
	prefix := "/api/0/organizations/" + org + "/"
	if !strings.HasPrefix(u.Path, prefix) || strings.Contains(u.Path, "//") {
		return nil, fmt.Errorf("%w: file URL %s: not a path of organization %s under /api/0/", ErrUntrustedRegion, quoted(ref), quoted(org))
	}
	for _, seg := range strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")[2:] {
		s, err := url.PathUnescape(seg)
		if err != nil {
			return nil, fmt.Errorf("%w: file URL %s: bad path segment", ErrInvalidArgument, quoted(ref))
		}
		cl.path = append(cl.path, s)
	}
	return c.download(ctx, cl, max)
}
