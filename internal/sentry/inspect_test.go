package sentry_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
)

// inspectClient is alice's client of a fresh fake Sentry.
func inspectClient(t *testing.T) (*sentrytest.Fake, *sentry.Client) {
	t.Helper()
	fake := sentrytest.NewServer(t, sentrytest.Options{})
	c, err := sentry.New(sentry.Options{BaseURL: fake.URL, Token: sentry.StaticToken(fake.IssueToken(sentrytest.AliceID, sentrytest.ReadScopes, 0)),
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

// lastQuery is the query string of the last request to path.
func lastQuery(fake *sentrytest.Fake, path string) string {
	q := ""
	for _, r := range fake.Requests() {
		if r.Path == path {
			q = r.Query.Encode()
		}
	}
	return q
}

func TestDashboardsAndAlertRules(t *testing.T) {
	t.Parallel()
	fake, c := inspectClient(t)
	ctx := context.Background()
	ds, page, err := c.ListDashboards(ctx, "acme", sentry.DashboardListQuery{Query: "o", Sort: "-title", Limit: 2})
	if err != nil || len(ds) != 2 || ds[0].Title != "Errors Overview" || !page.HasNext() {
		t.Fatalf("ListDashboards = %+v, %+v, %v", ds, page, err)
	}
	if ds[0].Projects[0] != "4506000000000101" || len(ds[0].WidgetPreview) != 2 || ds[0].CreatedBy.Name != "Alice Anderson" || ds[0].LastVisited.IsZero() {
		t.Errorf("dashboard summary decoded wrong: %+v", ds[0])
	}
	if q := lastQuery(fake, "/api/0/organizations/acme/dashboards/"); q != "per_page=2&query=o&sort=-title" {
		t.Errorf("ListDashboards query = %q", q)
	}
	d, err := c.GetDashboard(ctx, "acme", "101")
	if err != nil || len(d.Widgets) != 2 || d.Widgets[1].Queries[0].Columns[0] != "issue" || d.Period != "24h" || len(d.Filters) != 1 {
		t.Fatalf("GetDashboard = %+v, %v", d, err)
	}

	ws, _, err := c.ListWorkflows(ctx, "acme", sentry.WorkflowQuery{Project: "checkout", Query: `name:"*pay*"`, Limit: 5})
	if err != nil || len(ws) != 1 || ws[0].FrequencyMinutes() != 30 || ws[0].StatusText() != "enabled" || ws[0].Owner != "team:payments" ||
		len(ws[0].ActionFilters) != 1 || ws[0].LastTriggered.IsZero() || len(ws[0].DetectorIDs) != 1 {
		t.Fatalf("ListWorkflows = %+v, %v", ws, err)
	}
	if q := lastQuery(fake, "/api/0/organizations/acme/workflows/"); q != "per_page=5&projectSlug=checkout&query=name%3A%22%2Apay%2A%22&sortBy=-id" {
		t.Errorf("ListWorkflows query = %q", q)
	}
	rules, _, err := c.ListMetricAlertRules(ctx, "acme", sentry.MetricRuleQuery{ProjectID: "4506000000000102", Name: "p95"})
	if err != nil || len(rules) != 1 || rules[0].TimeWindow != 5 || rules[0].Projects[0] != "checkout" || len(rules[0].Triggers) != 2 {
		t.Fatalf("ListMetricAlertRules = %+v, %v", rules, err)
	}
	if q := lastQuery(fake, "/api/0/organizations/acme/combined-rules/"); q != "alertType=alert_rule&name=p95&project=4506000000000102" {
		t.Errorf("combined-rules query = %q", q)
	}
	if _, _, err := c.ListMetricAlertRules(ctx, "acme", sentry.MetricRuleQuery{ProjectID: "checkout"}); !errors.Is(err, sentry.ErrInvalidArgument) {
		t.Errorf("a slug as project id: %v", err)
	}
	r, err := c.GetMetricAlertRule(ctx, "acme", "4102")
	if err != nil || r.Name != "API errors" || r.Status != "0" || r.Owner != "team:platform" {
		t.Fatalf("GetMetricAlertRule = %+v, %v", r, err)
	}
}

func TestMonitorDetails(t *testing.T) {
	t.Parallel()
	fake, c := inspectClient(t)
	ctx := context.Background()
	m, err := c.GetMonitor(ctx, "acme", "checkout", "nightly-import", "staging")
	if err != nil || m.Slug != "nightly-import" || len(m.Environments) != 1 || m.Environments[0].Name != "staging" {
		t.Fatalf("GetMonitor = %+v, %v", m, err)
	}
	cis, err := c.ListMonitorCheckIns(ctx, "acme", "", "nightly-import", sentry.MonitorWindow{StatsPeriod: "7d"}, 5)
	if err != nil || len(cis) != 5 || cis[0].Status != "missed" || cis[0].Duration != nil || cis[1].Duration == nil {
		t.Fatalf("ListMonitorCheckIns = %+v, %v", cis, err)
	}
	if q := lastQuery(fake, "/api/0/organizations/acme/monitors/nightly-import/checkins/"); q != "per_page=5&statsPeriod=7d" {
		t.Errorf("check-ins query = %q", q)
	}
	until := sentrytest.DefaultNow
	st, err := c.GetMonitorStats(ctx, "acme", "api", "cache-warmup", "production", until.Add(-3*time.Hour), until, time.Hour)
	if err != nil || len(st) != 3 || st[2].Error != 1 {
		t.Fatalf("GetMonitorStats = %+v, %v", st, err)
	}
	want := "environment=production&resolution=3600s&since=" + itoa(until.Add(-3*time.Hour).Unix()) + "&until=" + itoa(until.Unix())
	if q := lastQuery(fake, "/api/0/projects/acme/api/monitors/cache-warmup/stats/"); q != want {
		t.Errorf("stats query = %q, want %q", q, want)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestReplaysReportsAndAttachments(t *testing.T) {
	t.Parallel()
	fake, c := inspectClient(t)
	ctx := context.Background()
	rp, err := c.GetReplay(ctx, "acme", sentrytest.ReplayID)
	if err != nil || rp.ProjectID != "4506000000000101" || rp.Duration != 300 || len(rp.ErrorIDs) != 2 || rp.TraceIDs[0] != sentrytest.TraceID ||
		rp.Browser.Name != "Chrome" || rp.User.Email != "dana@shopper.example" || rp.CountRageClick != 3 {
		t.Fatalf("GetReplay = %+v, %v", rp, err)
	}
	segs, err := c.GetReplaySegments(ctx, "acme", string(rp.ProjectID), rp.ID, 0)
	if err != nil || len(segs) != 2 || len(segs[0]) != 3 || segs[0][0].Type != 4 {
		t.Fatalf("GetReplaySegments = %+v, %v", segs, err)
	}
	if q := lastQuery(fake, "/api/0/projects/acme/4506000000000101/replays/"+sentrytest.ReplayID+"/recording-segments/"); q != "download=true" {
		t.Errorf("segments query = %q", q)
	}
	if _, err := c.GetReplaySegments(ctx, "acme", string(rp.ProjectID), rp.ID, 100); !errors.Is(err, sentry.ErrResponseTooLarge) {
		t.Errorf("a recording over the bound: %v", err)
	}
	reports, _, err := c.ListIssueUserReports(ctx, "acme", "WEB-1A", sentry.ListOptions{Limit: 2})
	if err != nil || len(reports) != 2 || reports[0].Name != "Dana Shopper" || reports[1].User != nil {
		t.Fatalf("ListIssueUserReports = %+v, %v", reports, err)
	}
	ev, err := c.GetIssueEvent(ctx, "acme", "WEB-1A", sentry.EventLatest)
	if err != nil {
		t.Fatal(err)
	}
	as, err := c.ListEventAttachments(ctx, "acme", "web", string(ev.EventID))
	if err != nil || len(as) != 2 || as[0].Name != "screenshot.png" || as[1].MIMEType != "text/plain" || as[1].Size == 0 {
		t.Fatalf("ListEventAttachments = %+v, %v", as, err)
	}
	b, err := c.DownloadEventAttachment(ctx, "acme", "web", string(ev.EventID), "124", 0)
	if err != nil || b.MediaType() != "text/plain" || !strings.Contains(string(b.Data), "TypeError") {
		t.Fatalf("DownloadEventAttachment = %+v, %v", b, err)
	}
	if _, err := c.DownloadEventAttachment(ctx, "acme", "web", string(ev.EventID), "124", 16); !errors.Is(err, sentry.ErrResponseTooLarge) {
		t.Errorf("an attachment over the bound: %v", err)
	}
}

func TestProfilingSnapshotsAndConversations(t *testing.T) {
	t.Parallel()
	fake, c := inspectClient(t)
	ctx := context.Background()
	fg, err := c.GetFlamegraph(ctx, "acme", "4506000000000102", `POST /api/checkout/pay`, "7d")
	if err != nil || len(fg.Shared.Frames) != 6 || fg.Profiles[0].SampleCounts[0] != 80 || fg.Shared.FrameInfos[1].SumDuration == 0 {
		t.Fatalf("GetFlamegraph = %+v, %v", fg, err)
	}
	if q := lastQuery(fake, "/api/0/organizations/acme/profiling/flamegraph/"); q != "project=4506000000000102&query=event.type%3Atransaction+transaction%3A%22POST+%2Fapi%2Fcheckout%2Fpay%22&statsPeriod=7d" {
		t.Errorf("flamegraph query = %q", q)
	}
	if _, err := c.GetFlamegraph(ctx, "acme", "checkout", "x", ""); !errors.Is(err, sentry.ErrInvalidArgument) {
		t.Errorf("a slug for the flamegraph: %v", err)
	}
	p, err := c.GetTransactionProfile(ctx, "acme", "checkout", sentrytest.ProfileID)
	if err != nil || p.Release != "checkout@2.0.0" || p.Transaction.TraceID != sentrytest.TraceID || len(p.Profile.Samples) != 40 {
		t.Fatalf("GetTransactionProfile = %+v, %v", p, err)
	}
	start, end := sentrytest.ProfileChunkWindow(sentrytest.DefaultNow)
	ch, err := c.GetProfileChunk(ctx, "acme", "4506000000000103", sentrytest.ProfilerID, start.Format(time.RFC3339), end.Format(time.RFC3339))
	if err != nil || ch.Release != "api@release/3.4" || len(ch.Profile.ThreadMetadata) != 2 || ch.Profile.Samples[2].ThreadID != "2" {
		t.Fatalf("GetProfileChunk = %+v, %v", ch, err)
	}
	s, err := c.GetSnapshot(ctx, "acme", sentrytest.SnapshotID)
	if err != nil || *s.TotalCount != 5 || s.Changed[0].Image().ImageFileName != "snapshots-iphone-16/auth_login_screen.png" || *s.Changed[0].Diff != 0.125 ||
		s.Added[0].Image().DisplayName != "new_modal.png" || s.VCS.PRNumber != "789" {
		t.Fatalf("GetSnapshot = %+v, %v", s, err)
	}
	img, err := c.GetSnapshotImage(ctx, "acme", sentrytest.SnapshotID, "snapshots-iphone-16/auth_login_screen.png")
	if err != nil || img.HeadImage.Width != 720 || img.DiffImageURL == "" {
		t.Fatalf("GetSnapshotImage = %+v, %v", img, err)
	}
	// The slash in the image name stays inside its path segment.
	if got := fake.Requests()[len(fake.Requests())-1].Path; !strings.HasSuffix(got, "/images/snapshots-iphone-16/auth_login_screen.png/") {
		t.Errorf("image path = %q", got)
	}
	blob, err := c.DownloadOrgFile(ctx, "acme", img.HeadImage.ImageURL, "project:read", 0)
	if err != nil || blob.MediaType() != "image/png" {
		t.Fatalf("DownloadOrgFile = %v", err)
	}
	base, err := c.GetLatestBaseSnapshot(ctx, "acme", sentry.LatestBaseQuery{AppID: sentrytest.AppID, Project: "web"})
	if err != nil || base.ID != sentrytest.BaseSnapshotID || len(base.Images) != 2 {
		t.Fatalf("GetLatestBaseSnapshot = %+v, %v", base, err)
	}
	convs, _, err := c.ListAgentConversations(ctx, "acme", sentry.ConversationQuery{Query: "checkout", Projects: []string{"-1"}, Environments: []string{"production"}, Limit: 5})
	if err != nil || len(convs) != 1 || convs[0].LLMCalls != 2 || convs[0].TotalCost != 0.0125 || convs[0].User.Email != "oncall@acme.example" {
		t.Fatalf("ListAgentConversations = %+v, %v", convs, err)
	}
	if q := lastQuery(fake, "/api/0/organizations/acme/agents/conversations/"); q != "environment=production&per_page=5&project=-1&query=checkout&statsPeriod=30d" {
		t.Errorf("conversations query = %q", q)
	}
	conv, err := c.GetAgentConversation(ctx, "acme", sentrytest.ConversationID, sentry.ConversationQuery{})
	if err != nil || conv.Title != "Checkout worker timeouts" || len(conv.Spans) != 4 || conv.Truncated ||
		conv.Spans[1].Operation() != "tool" || conv.Spans[3].Operation() != "" || conv.Spans[0].TotalTokens != 420 {
		t.Fatalf("GetAgentConversation = %+v, %v", conv, err)
	}
}

// DownloadOrgFile fetches only the organization's own API: links to other
// hosts, other organizations or paths outside /api/0/ are refused before any
// request, so a link in an answer cannot steer the token elsewhere.
func TestDownloadOrgFileRefusesForeignLinks(t *testing.T) {
	t.Parallel()
	fake, c := inspectClient(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Errorf("foreign host contacted: %s", r.URL) }))
	t.Cleanup(other.Close)
	fake.ClearRequests()
	for _, ref := range []string{
		"https://storage.example.com/img.png",
		// Another server (dev mode allows any port of the Sentry host, so
		// name the loopback host differently).
		strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/api/0/organizations/acme/preprodartifacts/snapshots/files/login-head/",
		"/api/0/organizations/globex/preprodartifacts/snapshots/files/x/",
		"/api/0/projects/acme/web/keys/",
		"/api/0/organizations/acme/../globex/issues/",
		"/api/0/organizations/acme/%2E%2E/x/",
		"//evil.example/api/0/organizations/acme/x/",
		"https://alice@" + strings.TrimPrefix(fake.URL, "http://") + "/api/0/organizations/acme/x/",
	} {
		if _, err := c.DownloadOrgFile(context.Background(), "acme", ref, "project:read", 0); err == nil {
			t.Errorf("%s: downloaded", ref)
		}
	}
	for _, r := range fake.Requests() {
		if strings.Contains(r.Path, "preprod") || strings.Contains(r.Path, "globex") || strings.Contains(r.Path, "keys") {
			t.Errorf("request sent: %s", r.Path)
		}
	}
}

// A download answered with a redirect (to a storage host, say) is an error:
// the token would otherwise go to a host nobody validated.
func TestDownloadDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Errorf("redirect followed to %s", r.URL) }))
	t.Cleanup(elsewhere.Close)
	sentrySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/file.png", http.StatusFound)
	}))
	t.Cleanup(sentrySrv.Close)
	c, err := sentry.New(sentry.Options{BaseURL: sentrySrv.URL, Token: sentry.StaticToken("tok")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UseRegion("acme", sentrySrv.URL); err != nil {
		t.Fatal(err)
	}
	_, err = c.DownloadEventAttachment(context.Background(), "acme", "web", "0123456789abcdef0123456789abcdef", "1", 0)
	var apiErr *sentry.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusFound || !strings.Contains(apiErr.Detail, "redirect") {
		t.Fatalf("err = %v, want the redirect refused", err)
	}
}
