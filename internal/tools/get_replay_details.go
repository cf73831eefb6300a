package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getReplayDetailsInput struct {
	ReplayURL        string  `json:"replayUrl,omitempty" jsonschema:"The replay's URL in Sentry, e.g. https://acme.sentry.io/explore/replays/7e07485f12f9416b8b1426260799b51f/. Replaces organizationSlug and replayId."`
	OrganizationSlug string  `json:"organizationSlug,omitempty" jsonschema:"The organization's slug; needed with replayId."`
	ReplayID         string  `json:"replayId,omitempty" jsonschema:"The replay id: 32 hex characters, dashes allowed (7e07485f-12f9-416b-8b14-26260799b51f)."`
	RegionURL        *string `json:"regionUrl,omitempty" jsonschema:"The region URL of the organization, e.g. https://us.sentry.io. Usually omitted: lookout finds the region itself."`
}

const getReplayDetailsName = "get_replay_details"

// Bounds of a replay answer: what a recording summary and the related
// lookups may cost.
const (
	replayActivityShown = 8
	replayErrorsLooked  = 3
	replayTracesLooked  = 2
	replayRecordingMax  = 4 << 20
)

func getReplayDetailsTool() Tool {
	return newTool(spec{
		Name:  getReplayDetailsName,
		Title: "Get replay details",
		Description: `Summarize one session replay: who, when, how long, browser and device, pages visited, error, rage and dead click counts, the first steps of the recording (navigations, clicks, console errors), and the issues and traces it links to.

Use it when the user shares a replay URL or id, or asks what a user did before an error.
Examples: get_replay_details(replayUrl='https://acme.sentry.io/explore/replays/7e07485f12f9416b8b1426260799b51f/') or
get_replay_details(organizationSlug='acme', replayId='7e07485f-12f9-416b-8b14-26260799b51f').`,
		Scopes: []string{"org:read", "project:read", "event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			s.Properties["replayUrl"].Format = "uri"
			withSlugPattern(s, "organizationSlug")
		},
	}, getReplayDetails)
}

func getReplayDetails(ctx context.Context, env *Env, in getReplayDetailsInput) (string, error) {
	bad := func(format string, a ...any) (string, error) {
		return "", &InputError{Tool: getReplayDetailsName, Problem: fmt.Sprintf(format, a...)}
	}
	org, id := in.OrganizationSlug, in.ReplayID
	switch {
	case in.ReplayURL != "":
		r, err := parseResourceURL(in.ReplayURL, env.Sentry.BaseURL())
		if err != nil {
			return bad("%s", err)
		}
		if r.Kind != "replay" {
			return bad("replayUrl points at a %s page, not a replay", r.Kind)
		}
		if org != "" && !strings.EqualFold(org, r.Org) && !strings.EqualFold(org, env.Org) {
			return bad("replayUrl is in organization %q but organizationSlug says %q: give only the URL", r.Org, org)
		}
		org, id = r.Org, r.ReplayID
	case org == "" || id == "":
		return bad("give replayUrl, or organizationSlug with replayId")
	}
	rid, ok := hexID(id)
	if !ok {
		return bad("replayId %q is not a replay id: 32 hex characters, dashes allowed", shorten(id, 60))
	}
	if err := checkPinnedOrg(env, getReplayDetailsName, org); err != nil {
		return "", err
	}
	if err := useRegionArg(env, org, regionParam{in.RegionURL}); err != nil {
		return "", err
	}
	return replayDetails(ctx, env, org, rid)
}

// replayDetails renders a replay as get_replay_details and
// get_sentry_resource show it.
func replayDetails(ctx context.Context, env *Env, org, id string) (string, error) {
	c := env.Sentry
	rp, err := c.GetReplay(ctx, org, id)
	if err != nil {
		return "", err
	}
	if err := checkPinnedProjectID(ctx, env, getReplayDetailsName, org, string(rp.ProjectID), "replay "+id); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Replay `%s` in **%s**\n\n", rp.ID, org)
	fmt.Fprintf(&b, "- Link: %s\n", orgWebURL(env, org, "explore", "replays", rp.ID))
	fmt.Fprintf(&b, "- Started: %s · Duration: %s", stampUTC(rp.StartedAt), durationText(time.Duration(rp.Duration)*time.Second))
	if rp.IsArchived {
		b.WriteString(" · archived (recording deleted)")
	}
	b.WriteString("\n")
	user := firstNonBlank(rp.User.DisplayName, rp.User.Email, rp.User.Username, string(rp.User.ID), "anonymous")
	fmt.Fprintf(&b, "- User: %s · Environment: %s · Release: %s\n", user, orDefault(rp.Environment, "-"), orDefault(strings.Join(rp.Releases, ", "), "-"))
	device := firstNonBlank(rp.Device.Name, rp.Device.Model, rp.Device.Family)
	fmt.Fprintf(&b, "- Browser: %s · OS: %s", nameVersion(rp.Browser), nameVersion(rp.OS))
	if device != "" {
		fmt.Fprintf(&b, " · Device: %s", device)
	}
	if rp.ReplayType != "" {
		fmt.Fprintf(&b, " · Type: %s", rp.ReplayType)
	}
	b.WriteString("\n")
	if len(rp.URLs) > 0 {
		urls := rp.URLs[:min(len(rp.URLs), 5)]
		fmt.Fprintf(&b, "- Pages: %s", strings.Join(urls, ", "))
		if n := len(rp.URLs) - len(urls); n > 0 {
			fmt.Fprintf(&b, " (+%d more)", n)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "- Errors: %d · Warnings: %d · Rage clicks: %d · Dead clicks: %d\n", rp.CountErrors, rp.CountWarnings, rp.CountRageClick, rp.CountDeadClick)

	b.WriteString("\n## Activity\n\n")
	switch {
	case rp.IsArchived:
		b.WriteString("The recording is archived and can no longer be played.\n")
	case rp.CountSegments == 0 || rp.ProjectID == "":
		b.WriteString("No recording segments.\n")
	default:
		segs, err := c.GetReplaySegments(ctx, org, string(rp.ProjectID), rp.ID, replayRecordingMax)
		switch {
		case err == nil:
			b.WriteString(replayActivity(segs))
		case bestEffort(err):
			b.WriteString("The recording could not be read (" + errorText(err) + "); open the replay in Sentry.\n")
		default:
			return "", err
		}
	}
	b.WriteString(replayRelated(ctx, env, org, rp))
	return b.String(), nil
}

// replayActivity lists the first events of a recording worth reading:
// page views, navigations, clicks, console messages.
func replayActivity(segs [][]sentry.ReplayEvent) string {
	var lines []string
	var start float64
	for _, seg := range segs {
		for _, ev := range seg {
			line := replayEventText(ev)
			if line == "" {
				continue
			}
			ms := ev.Timestamp
			if ms < 1e12 {
				ms *= 1000 // seconds, from some SDKs
			}
			if start == 0 {
				start = ms
			}
			lines = append(lines, fmt.Sprintf("- T+%s %s", durationText(time.Duration(ms-start)*time.Millisecond), line))
			if len(lines) == replayActivityShown {
				return strings.Join(lines, "\n") + "\n- … (the rest is in the replay)\n"
			}
		}
	}
	if len(lines) == 0 {
		return "No navigation, click or console events recorded.\n"
	}
	return strings.Join(lines, "\n") + "\n"
}

func replayEventText(ev sentry.ReplayEvent) string {
	var d struct {
		Href    string `json:"href"`
		Tag     string `json:"tag"`
		Payload struct {
			Op          string `json:"op"`
			Description string `json:"description"`
			Message     string `json:"message"`
			Category    string `json:"category"`
			Data        struct {
				Duration *float64 `json:"duration"`
			} `json:"data"`
		} `json:"payload"`
	}
	if json.Unmarshal(ev.Data, &d) != nil {
		return ""
	}
	p := d.Payload
	switch {
	case d.Tag == "performanceSpan" && (p.Op != "" || p.Description != ""):
		s := fmt.Sprintf("`%s` %s", orDefault(p.Op, "span"), shorten(p.Description, 120))
		if p.Data.Duration != nil {
			s += fmt.Sprintf(" (%.0f ms)", *p.Data.Duration)
		}
		return s
	case d.Tag != "" && (p.Message != "" || p.Description != ""):
		label := d.Tag
		if p.Category != "" && d.Tag == "breadcrumb" {
			label = p.Category
		}
		return fmt.Sprintf("`%s` %s", label, shorten(oneLine(orDefault(p.Message, p.Description)), 160))
	case d.Tag == "" && d.Href != "":
		return "`page.view` " + shorten(d.Href, 160)
	}
	return ""
}

// replayRelated looks up a few of the replay's errors (one Discover query)
// and traces (their span counts). Best effort: a failure leaves the ids.
func replayRelated(ctx context.Context, env *Env, org string, rp *sentry.Replay) string {
	errIDs, traceIDs := rp.ErrorIDs[:min(len(rp.ErrorIDs), replayErrorsLooked)], rp.TraceIDs[:min(len(rp.TraceIDs), replayTracesLooked)]
	if len(errIDs) == 0 && len(traceIDs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n## Related\n\n")
	found := map[string]string{}
	if len(errIDs) > 0 {
		res, _, err := env.Sentry.SearchEvents(ctx, org, sentry.EventsQuery{Dataset: "errors", Fields: []string{"id", "issue", "title"},
			Query: "id:[" + strings.Join(errIDs, ",") + "]", StatsPeriod: "90d", Limit: len(errIDs)})
		if err == nil {
			for _, row := range res.Data {
				found[eventsValue(row["id"], "")] = fmt.Sprintf("**%s** %s", eventsValue(row["issue"], "?"), shorten(eventsValue(row["title"], ""), 120))
			}
		}
	}
	for _, id := range errIDs {
		if s, ok := found[id]; ok {
			fmt.Fprintf(&b, "- Error `%s`: %s\n", id, s)
		} else {
			fmt.Fprintf(&b, "- Error `%s`\n", id)
		}
	}
	if n := len(rp.ErrorIDs) - len(errIDs); n > 0 {
		fmt.Fprintf(&b, "- …and %d more errors\n", n)
	}
	for _, t := range traceIDs {
		if m, err := env.Sentry.GetTraceMeta(ctx, org, t, sentry.TraceQuery{}); err == nil {
			fmt.Fprintf(&b, "- Trace `%s`: %d spans, %d errors\n", t, m.SpanCount, m.Errors)
		} else {
			fmt.Fprintf(&b, "- Trace `%s`\n", t)
		}
	}
	fmt.Fprintf(&b, "\nDig in: get_issue_details(organizationSlug='%s', issueId='<issue>') or get_trace_details(organizationSlug='%s', traceId='<trace>').\n", org, org)
	return b.String()
}

func nameVersion(nv sentry.NameVersion) string {
	return orDefault(strings.TrimSpace(nv.Name+" "+nv.Version), "unknown")
}

func firstNonBlank(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
