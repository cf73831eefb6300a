package authserver

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/lookout-hq/lookout/internal/requestid"
)

// oauthError is an RFC 6749 §5.2 error of the token and revocation
// endpoints. Descriptions never contain a credential.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	status      int
	basic       bool // the client used HTTP Basic: answer with a Basic challenge
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func errInvalidRequest(desc string) *oauthError {
	return &oauthError{Code: "invalid_request", Description: desc, status: http.StatusBadRequest}
}

func errInvalidGrant(desc string) *oauthError {
	return &oauthError{Code: "invalid_grant", Description: desc, status: http.StatusBadRequest}
}

func errInvalidClient(basic bool, desc string) *oauthError {
	return &oauthError{Code: "invalid_client", Description: desc, status: http.StatusUnauthorized, basic: basic}
}

func errInvalidScope(desc string) *oauthError {
	return &oauthError{Code: "invalid_scope", Description: desc, status: http.StatusBadRequest}
}

func errInvalidTarget(desc string) *oauthError {
	return &oauthError{Code: "invalid_target", Description: desc, status: http.StatusBadRequest}
}

func errServer() *oauthError {
	return &oauthError{Code: "server_error", Description: "lookout could not complete the request; try again", status: http.StatusInternalServerError}
}

// noStore marks a response that carries or concerns credentials.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	if e.status >= http.StatusInternalServerError {
		// lookout's own failure: the detail is in the log line with this id.
		cp := *e
		cp.Description += requestid.Suffix(responseCtx(w))
		e = &cp
	}
	noStore(w)
	if e.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="lookout"`)
	}
	writeJSON(w, e.status, e)
}

// redirectWithParams sends the browser to redirectURI with params added to
// its query (code or error, state, iss). redirectURI was validated when
// the client registered.
func redirectWithParams(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values, status int) {
	to, err := withParams(redirectURI, params)
	if err != nil { // cannot happen for a validated URI
		http.Error(w, "bad redirect URI", http.StatusInternalServerError)
		return
	}
	noStore(w)
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, to, status)
}

// withParams returns redirectURI with the non-empty params added to its
// query.
func withParams(redirectURI string, params url.Values) (string, error) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return "", err
	}
	q := u.Query()
	for k, vs := range params {
		if len(vs) > 0 && vs[0] != "" {
			q.Set(k, vs[0])
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
