package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// signIn runs the whole remote sign-in once, as an MCP client and its
// user's browser would, and returns lookout's access token for mcpURL:
// 401 and discovery, dynamic client registration, /oauth/authorize and
// the approval page, the fake Sentry's consent page (alice approves), the
// callback, and the code exchange at /oauth/token with PKCE.
func signIn(mcpURL string) (string, error) {
	c := &http.Client{Timeout: 30 * time.Second}

	// 1. An unauthenticated request: 401 naming the resource metadata.
	resp, err := c.Post(mcpURL, "application/json", strings.NewReader(`{}`))
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	challenge := resp.Header.Get("WWW-Authenticate")
	m := regexp.MustCompile(`resource_metadata="([^"]+)"`).FindStringSubmatch(challenge)
	if resp.StatusCode != http.StatusUnauthorized || m == nil {
		return "", fmt.Errorf("unauthenticated POST %s: %d, WWW-Authenticate %q", mcpURL, resp.StatusCode, challenge)
	}
	var prm struct {
		AuthorizationServers []string `json:"authorization_servers"`
	}
	if err := getJSON(c, m[1], &prm); err != nil {
		return "", err
	}
	if len(prm.AuthorizationServers) == 0 {
		return "", fmt.Errorf("%s names no authorization server", m[1])
	}
	var asm struct {
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
		RegistrationEndpoint  string `json:"registration_endpoint"`
	}
	if err := getJSON(c, strings.TrimSuffix(prm.AuthorizationServers[0], "/")+"/.well-known/oauth-authorization-server", &asm); err != nil {
		return "", err
	}

	// 2. Dynamic client registration of a public client.
	redirectURI := "http://127.0.0.1:1/callback" // never contacted: the code is read from the Location
	reg, _ := json.Marshal(map[string]any{
		"client_name": "lookout benchmark", "redirect_uris": []string{redirectURI},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"},
		"response_types": []string{"code"},
	})
	resp, err = c.Post(asm.RegistrationEndpoint, "application/json", bytes.NewReader(reg))
	if err != nil {
		return "", err
	}
	var client struct {
		ClientID string `json:"client_id"`
	}
	err = readJSON(resp, http.StatusCreated, &client)
	if err != nil {
		return "", fmt.Errorf("registration: %w", err)
	}

	// 3. The browser: authorization request, approval page, Sentry's
	// consent page, callback.
	verifier := randomB64URL(32)
	sum := sha256.Sum256([]byte(verifier))
	state := randomHex(16)
	q := url.Values{
		"response_type": {"code"}, "client_id": {client.ClientID}, "redirect_uri": {redirectURI},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"state": {state}, "scope": {"read"}, "resource": {mcpURL},
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	page, err := fetch(browser, http.MethodGet, asm.AuthorizationEndpoint+"?"+q.Encode(), nil, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("authorization request: %w", err)
	}
	form := hiddenFields(page.body)
	if form.Get("csrf_token") == "" {
		return "", fmt.Errorf("approval page without a csrf_token:\n%s", page.body)
	}
	form.Set("decision", "approve")
	toSentry, err := fetch(browser, http.MethodPost, asm.AuthorizationEndpoint, form, http.StatusSeeOther)
	if err != nil {
		return "", fmt.Errorf("approval: %w", err)
	}
	consent, err := fetch(browser, http.MethodGet, toSentry.location, nil, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("Sentry consent page: %w", err)
	}
	cf := hiddenFields(consent.body)
	if cf.Get("form_token") == "" {
		return "", fmt.Errorf("Sentry consent page without a form_token:\n%s", consent.body)
	}
	cf.Set("user", sentrytest.AliceID)
	cf.Set("op", "approve")
	consentURL, _ := url.Parse(toSentry.location)
	back, err := fetch(browser, http.MethodPost, consentURL.Scheme+"://"+consentURL.Host+"/oauth/authorize/", cf, http.StatusFound)
	if err != nil {
		return "", fmt.Errorf("Sentry consent: %w", err)
	}
	landed, err := fetch(browser, http.MethodGet, back.location, nil, http.StatusFound)
	if err != nil {
		return "", fmt.Errorf("callback: %w", err)
	}
	final, err := url.Parse(landed.location)
	if err != nil || !strings.HasPrefix(landed.location, redirectURI) {
		return "", fmt.Errorf("callback sent the browser to %q, not the client", landed.location)
	}
	if final.Query().Get("state") != state || final.Query().Get("code") == "" {
		return "", fmt.Errorf("authorization response without code or with another state: %s", final.RawQuery)
	}

	// 4. The code exchange.
	tok := url.Values{
		"grant_type": {"authorization_code"}, "code": {final.Query().Get("code")}, "code_verifier": {verifier},
		"redirect_uri": {redirectURI}, "client_id": {client.ClientID}, "resource": {mcpURL},
	}
	resp, err = c.PostForm(asm.TokenEndpoint, tok)
	if err != nil {
		return "", err
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := readJSON(resp, http.StatusOK, &tr); err != nil {
		return "", fmt.Errorf("token exchange: %w", err)
	}
	if tr.AccessToken == "" {
		return "", fmt.Errorf("token exchange: no access_token")
	}
	return tr.AccessToken, nil
}

// randomB64URL is n random bytes, base64url without padding (a PKCE
// verifier of 43 characters for n = 32).
func randomB64URL(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type page struct {
	body, location string
}

// fetch sends one browser request and checks its status.
func fetch(c *http.Client, method, u string, form url.Values, want int) (page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return page{}, err
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := page{body: string(b), location: resp.Header.Get("Location")}
	if resp.StatusCode != want {
		return p, fmt.Errorf("%s %s: %d (want %d): %.600s", method, u, resp.StatusCode, want, b)
	}
	if p.location != "" {
		loc, err := req.URL.Parse(p.location)
		if err != nil {
			return p, err
		}
		p.location = loc.String()
	}
	return p, nil
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

func hiddenFields(body string) url.Values {
	form := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return form
}

func getJSON(c *http.Client, u string, out any) error {
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	if err := readJSON(resp, http.StatusOK, out); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

func readJSON(resp *http.Response, want int, out any) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("status %d (want %d): %.600s", resp.StatusCode, want, b)
	}
	return json.Unmarshal(b, out)
}
