package sentrytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Creating and changing teams, projects, project team access and client
// keys; connected repositories and code mappings. Writes check the
// caller's organization role as Sentry does (a member may not create teams
// or change projects; an owner may), on top of the token's scopes, and are
// recorded in the audit log.

// manageRoutes adds the project-management, uptime, Seer and onboarding
// endpoints with the scopes they need.
func (f *Fake) manageRoutes(api func(string, apiHandler, ...string)) {
	api("POST /organizations/{org}/teams/{$}", f.createTeam, "team:write", "org:write")
	api("POST /teams/{org}/{team}/projects/{$}", f.createProject, "project:write")
	api("PUT /projects/{org}/{project}/{$}", f.updateProject, "project:write")
	api("GET /projects/{org}/{project}/teams/{$}", f.listProjectTeams, "project:read")
	api("POST /projects/{org}/{project}/teams/{team}/{$}", f.addProjectTeam, "project:write")
	api("DELETE /projects/{org}/{project}/teams/{team}/{$}", f.removeProjectTeam, "project:write")
	api("POST /projects/{org}/{project}/keys/{$}", f.createKey, "project:write")
	api("PUT /projects/{org}/{project}/keys/{key}/{$}", f.updateKey, "project:write")
	api("GET /organizations/{org}/repos/{$}", f.listRepos, "org:read")
	api("POST /organizations/{org}/code-mappings/bulk/{$}", f.bulkCodeMappings, "org:ci", "org:integrations")
	f.uptimeRoutes(api)
	api("GET /organizations/{org}/issues/{issue}/autofix/{$}", f.getAutofix, "event:read")
	api("POST /organizations/{org}/issues/{issue}/autofix/{$}", f.startAutofix, "event:read")
	api("POST /organizations/{org}/onboarding/agent/status/{$}", f.onboardingStatus, "org:read")
}

// mayChange answers 403 unless the caller's organization role grants one
// of scopes: a token's scopes are capped by its user's role.
func (f *Fake) mayChange(w http.ResponseWriter, c *call, scopes ...string) bool {
	access := roleAccess[c.org.role(c.user.ID)]
	for _, s := range scopes {
		if slices.Contains(access, s) {
			return true
		}
	}
	writeDetail(w, http.StatusForbidden, DetailNoPermission)
	return false
}

// readBody decodes a JSON object body, answering 400 when it is not one.
func readBody(w http.ResponseWriter, r *http.Request, into any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		writeDetail(w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return false
	}
	return true
}

// fieldErrors is Sentry's 400 body for invalid fields: {"field": ["why"]}.
type fieldErrors map[string][]string

func (e fieldErrors) add(field, why string) { e[field] = append(e[field], why) }

// write answers 400 with the errors and reports true when there are any.
func (e fieldErrors) write(w http.ResponseWriter) bool {
	if len(e) == 0 {
		return false
	}
	writeJSON(w, http.StatusBadRequest, e)
	return true
}

// Field readers over a decoded body. Each returns the value, whether the
// field was present, and records a type error.

func strField(body map[string]any, key string, errs fieldErrors) (string, bool) {
	v, ok := body[key]
	if !ok || v == nil {
		return "", ok
	}
	s, isStr := v.(string)
	if !isStr {
		errs.add(key, "Not a valid string.")
	}
	return s, true
}

func intField(body map[string]any, key string, errs fieldErrors) (int, bool) {
	v, ok := body[key]
	if !ok {
		return 0, false
	}
	n, isNum := v.(json.Number)
	i, err := n.Int64()
	if !isNum || err != nil {
		errs.add(key, "A valid integer is required.")
		return 0, true
	}
	return int(i), true
}

func boolField(body map[string]any, key string, errs fieldErrors) (bool, bool) {
	v, ok := body[key]
	if !ok {
		return false, false
	}
	b, isBool := v.(bool)
	if !isBool {
		errs.add(key, "Must be a valid boolean.")
	}
	return b, true
}

var (
	slugRe      = regexp.MustCompile(`^[a-z0-9_-]+$`)
	platformRe  = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	nonSlugRune = regexp.MustCompile(`[^a-z0-9_-]+`)
)

// slugify derives a slug from a name as Sentry does: lower case, runs of
// other characters become "-", at most 50 characters.
func slugify(name string) string {
	s := strings.Trim(nonSlugRune.ReplaceAllString(strings.ToLower(strings.TrimSpace(name)), "-"), "-")
	if len(s) > 50 {
		s = strings.Trim(s[:50], "-")
	}
	return s
}

// checkSlug validates a slug given by the caller.
func checkSlug(field, slug string, errs fieldErrors) {
	switch {
	case slug == "" || len(slug) > 50 || !slugRe.MatchString(slug):
		errs.add(field, "Enter a valid slug consisting of lowercase letters, numbers, underscores or hyphens. It cannot be entirely numeric.")
	case strings.Trim(slug, "0123456789") == "":
		errs.add(field, "Enter a valid slug consisting of lowercase letters, numbers, underscores or hyphens. It cannot be entirely numeric.")
	}
}

func (f *Fake) createTeam(w http.ResponseWriter, r *http.Request, c *call) {
	if !f.mayChange(w, c, "team:write", "org:write") {
		return
	}
	var body map[string]any
	if !readBody(w, r, &body) {
		return
	}
	errs := fieldErrors{}
	name, _ := strField(body, "name", errs)
	slug, hasSlug := strField(body, "slug", errs)
	name = strings.TrimSpace(name)
	switch {
	case name == "" && slug == "":
		errs.add("name", "Name or slug is required")
	case utf8.RuneCountInString(name) > 64:
		errs.add("name", "Ensure this field has no more than 64 characters.")
	}
	if hasSlug && slug != "" {
		checkSlug("slug", slug, errs)
	} else {
		slug = slugify(name)
		if slug == "" {
			errs.add("name", "Enter a name with at least one letter or number.")
		}
	}
	if errs.write(w) {
		return
	}
	if c.org.teamByRef(slug) != nil {
		writeDetail(w, http.StatusConflict, "A team with this slug already exists.")
		return
	}
	t := &team{ID: f.w.newID(), Slug: slug, Name: orString(name, slug), org: c.org, members: []string{c.user.ID}, DateCreated: f.dataClock()}
	c.org.teams = append(c.org.teams, t)
	f.audit(c, "team.create", t.Slug, map[string]any{"name": t.Name})
	writeJSON(w, http.StatusCreated, f.teamJSON(t, c, true))
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (f *Fake) createProject(w http.ResponseWriter, r *http.Request, c *call) {
	t := c.org.teamByRef(r.PathValue("team"))
	if t == nil {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	if !f.mayChange(w, c, "project:write", "project:admin") {
		return
	}
	var body map[string]any
	if !readBody(w, r, &body) {
		return
	}
	errs := fieldErrors{}
	name, _ := strField(body, "name", errs)
	slug, hasSlug := strField(body, "slug", errs)
	platform, _ := strField(body, "platform", errs)
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		errs.add("name", "This field is required.")
	case utf8.RuneCountInString(name) > 50:
		errs.add("name", "Ensure this field has no more than 50 characters.")
	}
	if hasSlug && slug != "" {
		checkSlug("slug", slug, errs)
	} else if slug = slugify(name); slug == "" && name != "" {
		errs.add("name", "Enter a name with at least one letter or number.")
	}
	if platform != "" && (!platformRe.MatchString(platform) || len(platform) > 64) {
		errs.add("platform", "Invalid platform")
	}
	if errs.write(w) {
		return
	}
	if c.org.projectByRef(slug) != nil {
		writeDetail(w, http.StatusConflict, "A project with this slug already exists.")
		return
	}
	p := &project{ID: f.w.newID(), Slug: slug, Name: name, Platform: platform, org: c.org, team: t,
		DateCreated: f.dataClock(), KeyPublic: randomHex(16), KeySecret: randomHex(16), nextShortID: 42}
	p.KeyID = p.KeyPublic
	c.org.projects = append(c.org.projects, p)
	f.w.setTeams(p, []*team{t})
	f.w.mgmt.keys[p] = []*clientKey{{ID: p.KeyID, Name: "Default", Public: p.KeyPublic, Secret: p.KeySecret, IsActive: true,
		BrowserSDKVersion: "9.x", loader: map[string]bool{"hasReplay": true, "hasPerformance": true, "hasDebug": false}, DateCreated: p.DateCreated}}
	f.audit(c, "project.create", p.Slug, map[string]any{"name": name, "team": t.Slug, "platform": platform})
	writeJSON(w, http.StatusCreated, f.projectJSON(p, c, r, true))
}

func (f *Fake) updateProject(w http.ResponseWriter, r *http.Request, c *call) {
	if !f.mayChange(w, c, "project:write", "project:admin") {
		return
	}
	var body map[string]any
	if !readBody(w, r, &body) {
		return
	}
	errs := fieldErrors{}
	p := c.project
	name, hasName := strField(body, "name", errs)
	slug, hasSlug := strField(body, "slug", errs)
	platform, hasPlatform := strField(body, "platform", errs)
	if hasName && (strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > 50) {
		errs.add("name", "Ensure this field has 1 to 50 characters.")
	}
	if hasSlug {
		checkSlug("slug", slug, errs)
		if other := c.org.projectByRef(slug); other != nil && other != p && len(errs) == 0 {
			errs.add("slug", fmt.Sprintf("Another project (%s) is already using that slug", other.Name))
		}
	}
	if hasPlatform && platform != "" && !platformRe.MatchString(platform) {
		errs.add("platform", "Invalid platform")
	}
	if errs.write(w) {
		return
	}
	changed := map[string]any{}
	if hasName && name != p.Name {
		changed["name"], p.Name = name, strings.TrimSpace(name)
	}
	if hasSlug && slug != p.Slug {
		changed["slug"], changed["oldSlug"], p.Slug = slug, p.Slug, slug
	}
	if hasPlatform && platform != p.Platform {
		changed["platform"], p.Platform = platform, platform
	}
	if len(changed) > 0 {
		f.audit(c, "project.edit", p.Slug, changed)
	}
	writeJSON(w, http.StatusOK, f.projectJSON(p, c, r, true))
}

func (f *Fake) listProjectTeams(w http.ResponseWriter, r *http.Request, c *call) {
	var list []obj
	for _, t := range f.w.teamsOf(c.project) {
		list = append(list, f.teamJSON(t, c, false))
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

func (f *Fake) addProjectTeam(w http.ResponseWriter, r *http.Request, c *call) {
	t := c.org.teamByRef(r.PathValue("team"))
	if t == nil {
		writeDetail(w, http.StatusNotFound, "Team does not exist.")
		return
	}
	if !f.mayChange(w, c, "project:write", "project:admin") {
		return
	}
	p := c.project
	if !f.w.projectHasTeam(p, t) {
		f.w.setTeams(p, append(slices.Clone(f.w.teamsOf(p)), t))
		f.audit(c, "project.add-team", p.Slug, map[string]any{"team": t.Slug})
	}
	writeJSON(w, http.StatusCreated, f.projectJSON(p, c, r, false))
}

func (f *Fake) removeProjectTeam(w http.ResponseWriter, r *http.Request, c *call) {
	t := c.org.teamByRef(r.PathValue("team"))
	if t == nil {
		writeDetail(w, http.StatusNotFound, "Team does not exist.")
		return
	}
	if !f.mayChange(w, c, "project:write", "project:admin") {
		return
	}
	p := c.project
	if f.w.projectHasTeam(p, t) {
		// Sentry lets the last team go too, leaving the project to owners.
		f.w.setTeams(p, slices.DeleteFunc(slices.Clone(f.w.teamsOf(p)), func(x *team) bool { return x == t }))
		f.audit(c, "project.remove-team", p.Slug, map[string]any{"team": t.Slug})
	}
	writeJSON(w, http.StatusOK, f.projectJSON(p, c, r, false))
}

// keyJSON is a client key as /keys/ answers it, secret included (Sentry
// sends it; clients must not show it).
func (f *Fake) keyJSON(p *project, k *clientKey, c *call, r *http.Request) obj {
	base, _ := url.Parse(f.baseURL(p.org.Region, c, r))
	api := base.Scheme + "://" + base.Host + "/api/" + p.ID
	pub := k.Public
	var rateLimit any
	if k.rateLimit != nil {
		rateLimit = obj{"window": k.rateLimit[0], "count": k.rateLimit[1]}
	}
	loader := obj{}
	for name, on := range k.loader {
		loader[name] = on
	}
	return obj{
		"id": k.ID, "name": k.Name, "label": k.Name, "public": pub, "secret": k.Secret,
		"projectId": jsonInt(p.ID), "isActive": k.IsActive, "rateLimit": rateLimit,
		"dsn": obj{
			"secret":   base.Scheme + "://" + pub + ":" + k.Secret + "@" + base.Host + "/" + p.ID,
			"public":   base.Scheme + "://" + pub + "@" + base.Host + "/" + p.ID,
			"csp":      api + "/csp-report/?sentry_key=" + pub,
			"security": api + "/security/?sentry_key=" + pub,
			"minidump": api + "/minidump/?sentry_key=" + pub,
			"nel":      api + "/nel/?sentry_key=" + pub,
			"unreal":   api + "/unreal/" + pub + "/",
			"crons":    api + "/cron/___MONITOR_SLUG___/" + pub + "/",
			"cdn":      base.Scheme + "://" + base.Host + "/js-sdk-loader/" + pub + ".min.js",
		},
		"browserSdkVersion":       k.BrowserSDKVersion,
		"browserSdk":              obj{"choices": [][]string{{"latest", "latest"}, {"9.x", "9.x"}, {"8.x", "8.x"}, {"7.x", "7.x"}}},
		"dateCreated":             isoTime(k.DateCreated),
		"dynamicSdkLoaderOptions": loader,
	}
}

// keysJSON lists a project's keys.
func (f *Fake) keysJSON(p *project, c *call, r *http.Request) []obj {
	var out []obj
	for _, k := range f.w.mgmt.keys[p] {
		out = append(out, f.keyJSON(p, k, c, r))
	}
	return out
}

func (f *Fake) createKey(w http.ResponseWriter, r *http.Request, c *call) {
	if !f.mayChange(w, c, "project:write", "project:admin") {
		return
	}
	var body map[string]any
	if !readBody(w, r, &body) {
		return
	}
	errs := fieldErrors{}
	name, _ := strField(body, "name", errs)
	if utf8.RuneCountInString(name) > 64 {
		errs.add("name", "Ensure this field has no more than 64 characters.")
	}
	if errs.write(w) {
		return
	}
	pub := randomHex(16)
	k := &clientKey{ID: pub, Name: orString(strings.TrimSpace(name), "Default"), Public: pub, Secret: randomHex(16), IsActive: true,
		BrowserSDKVersion: "9.x", loader: map[string]bool{"hasReplay": true, "hasPerformance": true, "hasDebug": false}, DateCreated: f.dataClock()}
	f.w.mgmt.keys[c.project] = append(f.w.mgmt.keys[c.project], k)
	f.audit(c, "key.create", k.ID, map[string]any{"project": c.project.Slug, "name": k.Name})
	writeJSON(w, http.StatusCreated, f.keyJSON(c.project, k, c, r))
}

var (
	browserSDKVersions = []string{"latest", "9.x", "8.x", "7.x"}
	loaderOptions      = []string{"hasReplay", "hasPerformance", "hasDebug", "hasFeedback", "hasLogsAndMetrics"}
)

func (f *Fake) updateKey(w http.ResponseWriter, r *http.Request, c *call) {
	var k *clientKey
	for _, key := range f.w.mgmt.keys[c.project] {
		if key.ID == r.PathValue("key") {
			k = key
		}
	}
	if k == nil {
		writeDetail(w, http.StatusNotFound, DetailNotFound)
		return
	}
	if !f.mayChange(w, c, "project:write", "project:admin") {
		return
	}
	var body map[string]any
	if !readBody(w, r, &body) {
		return
	}
	errs := fieldErrors{}
	name, hasName := strField(body, "name", errs)
	active, hasActive := boolField(body, "isActive", errs)
	sdk, hasSDK := strField(body, "browserSdkVersion", errs)
	if hasName && utf8.RuneCountInString(name) > 64 {
		errs.add("name", "Ensure this field has no more than 64 characters.")
	}
	if hasSDK && !slices.Contains(browserSDKVersions, sdk) {
		errs.add("browserSdkVersion", fmt.Sprintf("%q is not a valid choice.", sdk))
	}
	var rateLimit *[2]int
	rl, hasRateLimit := body["rateLimit"]
	if hasRateLimit && rl != nil {
		m, ok := rl.(map[string]any)
		if !ok {
			errs.add("rateLimit", "Expected a dictionary of items.")
		} else {
			window, hasW := intField(m, "window", errs)
			count, hasC := intField(m, "count", errs)
			switch {
			case !hasW || !hasC:
				errs.add("rateLimit", "Both window and count are required.")
			case window < 0 || window > 86400 || count < 0:
				errs.add("rateLimit", "window must be 0 to 86400 seconds and count at least 0.")
			default:
				rateLimit = &[2]int{window, count}
			}
		}
	}
	loader := map[string]bool{}
	if lo, ok := body["dynamicSdkLoaderOptions"]; ok {
		m, isMap := lo.(map[string]any)
		if !isMap {
			errs.add("dynamicSdkLoaderOptions", "Expected a dictionary of items.")
		}
		for name, v := range m {
			b, isBool := v.(bool)
			if !slices.Contains(loaderOptions, name) || !isBool {
				errs.add("dynamicSdkLoaderOptions", fmt.Sprintf("Invalid option %q.", name))
				continue
			}
			loader[name] = b
		}
	}
	if errs.write(w) {
		return
	}
	changed := map[string]any{}
	if hasName {
		k.Name, changed["name"] = name, name
	}
	if hasActive {
		k.IsActive, changed["isActive"] = active, active
	}
	if hasRateLimit {
		k.rateLimit, changed["rateLimit"] = rateLimit, rl
	}
	if hasSDK {
		k.BrowserSDKVersion, changed["browserSdkVersion"] = sdk, sdk
	}
	for name, on := range loader {
		k.loader[name], changed[name] = on, on
	}
	f.audit(c, "key.edit", k.ID, changed)
	writeJSON(w, http.StatusOK, f.keyJSON(c.project, k, c, r))
}

func (f *Fake) listRepos(w http.ResponseWriter, r *http.Request, c *call) {
	query := strings.ToLower(r.URL.Query().Get("query"))
	var list []obj
	for _, rp := range f.w.mgmt.repos[c.org] {
		if query != "" && !strings.Contains(strings.ToLower(rp.Name), query) {
			continue
		}
		list = append(list, obj{"id": rp.ID, "name": rp.Name, "provider": obj{"id": rp.Provider, "name": rp.ProviderName},
			"status": "active", "externalSlug": rp.Name, "externalId": "ext-" + rp.ID, "integrationId": rp.IntegrationID,
			"url": "https://example.invalid/" + rp.Name, "dateCreated": isoTime(c.org.DateCreated)})
	}
	f.writePage(w, r, c, list, "per_page", 100, 100)
}

func (f *Fake) bulkCodeMappings(w http.ResponseWriter, r *http.Request, c *call) {
	if !f.mayChange(w, c, "org:integrations", "org:write") {
		return
	}
	var body struct {
		Project    string `json:"project"`
		Repository string `json:"repository"`
		Provider   string `json:"provider"`
		Mappings   []struct {
			StackRoot  *string `json:"stackRoot"`
			SourceRoot *string `json:"sourceRoot"`
		} `json:"mappings"`
	}
	if !readBody(w, r, &body) {
		return
	}
	errs := fieldErrors{}
	if len(body.Mappings) == 0 || len(body.Mappings) > 300 {
		errs.add("mappings", "Give 1 to 300 mappings.")
	}
	for _, m := range body.Mappings {
		if m.StackRoot == nil || m.SourceRoot == nil {
			errs.add("mappings", "Each mapping needs stackRoot and sourceRoot.")
			break
		}
	}
	if errs.write(w) {
		return
	}
	p := c.org.projectByRef(body.Project)
	if p == nil {
		writeDetail(w, http.StatusNotFound, "Project not found: "+body.Project)
		return
	}
	var rp *repo
	for _, x := range f.w.mgmt.repos[c.org] {
		if x.Name == body.Repository && (body.Provider == "" || body.Provider == x.Provider) {
			rp = x
		}
	}
	if rp == nil {
		writeDetail(w, http.StatusNotFound, "Repository not found: "+body.Repository)
		return
	}
	status := "created"
	if slices.ContainsFunc(f.w.mgmt.codeMappings, func(m codeMapping) bool { return m.project == p && m.repo == rp }) {
		status = "updated"
	} else {
		f.w.mgmt.codeMappings = append(f.w.mgmt.codeMappings, codeMapping{project: p, repo: rp, userID: c.user.ID})
	}
	f.audit(c, "code-mapping.create", p.Slug, map[string]any{"repository": rp.Name})
	mappings := []obj{}
	for _, m := range body.Mappings {
		mappings = append(mappings, obj{"stackRoot": *m.StackRoot, "sourceRoot": *m.SourceRoot, "status": status})
	}
	created, updated := len(mappings), 0
	if status == "updated" {
		created, updated = 0, len(mappings)
	}
	writeJSON(w, http.StatusOK, obj{"created": created, "updated": updated, "errors": 0, "mappings": mappings})
}
