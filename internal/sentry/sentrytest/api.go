package sentrytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Error details the fake answers with, as {"detail": "..."}. The 401 and
// generic 403 texts are Sentry's own; DetailMissingScope is the fake's
// wording for a token that lacks a scope (Sentry says only "You do not
// have permission to perform this action."), so clients can tell the two
// 403s apart by the word "scope".
const (
	DetailNoCredentials = "Authentication credentials were not provided."
	DetailInvalidToken  = "Invalid token"
	DetailTokenExpired  = "Token expired"
	DetailNoPermission  = "You do not have permission to perform this action."
	DetailMissingScope  = "You do not have permission to perform this action. This token is missing the required scope: " // + scope
	DetailNotFound      = "The requested resource does not exist"
	DetailRateLimited   = "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds"
	DetailInternalError = "Internal Error"
	DetailUnavailable   = "Service Unavailable"
	DetailInvalidCursor = "Invalid cursor parameter."
)

// obj is a JSON object under construction; encoding/json sorts its keys,
// which keeps responses deterministic.
type obj = map[string]any

// call is what the API wrapper resolved for one request.
type call struct {
	region  string
	user    *user
	tok     *token
	org     *org
	project *project
	issue   *issue
}

type apiHandler func(w http.ResponseWriter, r *http.Request, c *call)

// api wraps an endpoint: authenticate, resolve the organization (404 when
// unknown or in another region), check membership (403), check scopes
// (403 naming the scope), resolve project/issue (404), then run h with
// f.mu held.
func (f *Fake) api(region string, h apiHandler, scopes []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		c := &call{region: region}
		tok, detail := f.authenticate(r)
		if tok == nil {
			writeDetail(w, http.StatusUnauthorized, detail)
			return
		}
		c.tok, c.user = tok, f.w.user(tok.userID)

		if ref := r.PathValue("org"); ref != "" {
			c.org = f.w.org(ref)
			// The main server stands for sentry.io's control silo, which
			// answers an organization's details whatever its region (that
			// is how clients learn links.regionUrl); data lives in the
			// organization's region only.
			controlSilo := region == RegionUS && r.Method == http.MethodGet &&
				strings.TrimSuffix(r.URL.Path, "/") == "/api/0/organizations/"+ref
			if c.org == nil || (c.org.Region != region && !controlSilo) {
				writeDetail(w, http.StatusNotFound, DetailNotFound)
				return
			}
		} else if ref := r.PathValue("issue"); ref != "" {
			// /issues/{id}/...: the issue names the organization.
			c.issue = f.w.issueByID(ref)
			if c.issue == nil || c.issue.project.org.Region != region {
				writeDetail(w, http.StatusNotFound, DetailNotFound)
				return
			}
			c.org = c.issue.project.org
		}
		if c.org != nil && c.org.role(c.user.ID) == "" {
			writeDetail(w, http.StatusForbidden, DetailNoPermission)
			return
		}
		if len(scopes) > 0 && !hasAnyScope(tok.scopes, scopes) {
			writeDetail(w, http.StatusForbidden, DetailMissingScope+scopes[0])
			return
		}
		if ref := r.PathValue("project"); ref != "" {
			if c.project = c.org.projectByRef(ref); c.project == nil {
				writeDetail(w, http.StatusNotFound, DetailNotFound)
				return
			}
		}
		if ref := r.PathValue("issue"); ref != "" && c.issue == nil {
			if c.issue = f.w.issueInOrg(c.org, ref); c.issue == nil {
				writeDetail(w, http.StatusNotFound, DetailNotFound)
				return
			}
		}
		h(w, r, c)
	})
}

// apiFallback answers API paths no route matched: 405 when the path exists
// for another method, else 404.
func (f *Fake) apiFallback(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); strings.HasPrefix(pattern, m+" ") {
			writeDetail(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", r.Method))
			return
		}
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeDetail(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, obj{"detail": detail})
}

// baseURL is where a region is reachable, for links and Link headers.
// Unless SetRegionURL said otherwise, the serving region is where the
// request came in and any other region gets a placeholder.
func (f *Fake) baseURL(region string, c *call, r *http.Request) string {
	if u := f.regionURLs[region]; u != "" {
		return u
	}
	if r != nil && c != nil && c.region == region {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		return scheme + "://" + r.Host
	}
	return "https://" + region + ".sentry.invalid"
}

// orgURL is the organization's web URL (links.organizationUrl); issue
// permalinks hang off it.
func (f *Fake) orgURL(o *org, c *call, r *http.Request) string {
	return f.baseURL(RegionUS, c, r) + "/organizations/" + o.Slug
}

// cursor is Sentry's "value:offset:is_prev" pagination cursor.
type cursor struct {
	offset int
	prev   bool
}

func parseCursor(s string) (cursor, bool) {
	if s == "" {
		return cursor{}, true
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return cursor{}, false
	}
	if _, err := strconv.ParseInt(parts[0], 10, 64); err != nil {
		return cursor{}, false
	}
	off, err := strconv.Atoi(parts[1])
	if err != nil || off < 0 {
		return cursor{}, false
	}
	if parts[2] != "0" && parts[2] != "1" {
		return cursor{}, false
	}
	return cursor{offset: off, prev: parts[2] == "1"}, true
}

// pageSize reads the page size parameter; a value above max is capped.
func pageSize(r *http.Request, param string, def, maxN int) (int, bool) {
	v := r.URL.Query().Get(param)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, false
	}
	return min(n, maxN), true
}

// paginate picks the page of n items the request asks for, writes the
// Link header (always both rel="previous" and rel="next") and X-Hits, and
// returns the slice bounds. On a bad cursor or page size it answers 400 and
// returns ok=false.
func (f *Fake) paginate(w http.ResponseWriter, r *http.Request, c *call, n int, sizeParam string, def, maxN int) (lo, hi int, ok bool) {
	limit, ok := pageSize(r, sizeParam, def, maxN)
	if !ok {
		writeDetail(w, http.StatusBadRequest, fmt.Sprintf("Invalid %s parameter.", sizeParam))
		return 0, 0, false
	}
	cur, ok := parseCursor(r.URL.Query().Get("cursor"))
	if !ok {
		writeDetail(w, http.StatusBadRequest, DetailInvalidCursor)
		return 0, 0, false
	}
	lo = min(cur.offset, n)
	hi = min(lo+limit, n)

	link := func(rel string, off int, isPrev, results bool) string {
		q := r.URL.Query()
		cv := fmt.Sprintf("0:%d:%d", off, b2i(isPrev))
		q.Set("cursor", cv)
		u := f.baseURL(c.region, c, r) + r.URL.EscapedPath() + "?" + q.Encode()
		return fmt.Sprintf("<%s>; rel=%q; results=%q; cursor=%q", u, rel, strconv.FormatBool(results), cv)
	}
	w.Header().Set("Link", link("previous", max(lo-limit, 0), true, lo > 0)+", "+link("next", lo+limit, false, hi < n))
	w.Header().Set("X-Hits", strconv.Itoa(n))
	w.Header().Set("X-Max-Hits", strconv.Itoa(n))
	return lo, hi, true
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// queryValues returns every value of a repeatable query parameter.
func queryValues(r *http.Request, key string) []string {
	var out []string
	for _, v := range r.URL.Query()[key] {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
