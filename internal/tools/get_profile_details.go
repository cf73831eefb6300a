package tools

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getProfileDetailsInput struct {
	ProfileURL       string `json:"profileUrl,omitempty" jsonschema:"A Sentry profile URL (a transaction profile's flamegraph, or a continuous profile with profilerId, start and end); it gives every other argument."`
	OrganizationSlug string `json:"organizationSlug,omitempty" jsonschema:"The organization's slug, unless profileUrl gives it."`
	regionParam
	ProjectSlugOrID any    `json:"projectSlugOrId,omitempty" jsonschema:"The project (slug or numeric id), unless profileUrl gives it."`
	ProfileID       string `json:"profileId,omitempty" jsonschema:"A transaction profile's id (32 hex characters)."`
	ProfilerID      string `json:"profilerId,omitempty" jsonschema:"A continuous profiling session's id (32 hex characters); needs start and end."`
	Start           string `json:"start,omitempty" jsonschema:"Start of the continuous profile window (ISO 8601, e.g. 2026-11-24T10:00:00Z)."`
	End             string `json:"end,omitempty" jsonschema:"End of the continuous profile window."`
	FocusOnUserCode bool   `json:"focusOnUserCode,omitempty" jsonschema:"Only your code in the top functions (default true); false includes libraries."`
}

const getProfileDetailsName = "get_profile_details"

func getProfileDetailsTool() Tool {
	return newTool(spec{
		Name:         getProfileDetailsName,
		Title:        "Get one profile",
		Experimental: true,
		Description: `Summarize one profile: a transaction profile by profileId, or a continuous profiling session by profilerId with start and end. It shows the transaction, trace, release, runtime, threads and the functions the samples were taken in.

Use it when the user shares a profile URL or id; get_profile aggregates a transaction's profiles instead.
Examples: get_profile_details(profileUrl='https://acme.sentry.io/explore/profiling/profile/checkout/cfe78a5c892d4a64a962d837673398d2/flamegraph/');
get_profile_details(organizationSlug='acme', projectSlugOrId='api', profilerId='041bde57b9844e36b8b7e5734efae5f7', start='2026-11-24T10:00:00Z', end='2026-11-24T10:05:00Z').`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			s.Properties["profileUrl"].Format = "uri"
			withSlugPattern(s, "organizationSlug")
			s.Properties["projectSlugOrId"] = &schemaT{Types: []string{"string", "number"}, Description: s.Properties["projectSlugOrId"].Description}
			setDefault(s, "focusOnUserCode", "true")
		},
	}, getProfileDetails)
}

func getProfileDetails(ctx context.Context, env *Env, in getProfileDetailsInput) (string, error) {
	const tool = getProfileDetailsName
	bad := func(format string, a ...any) (string, error) {
		return "", &InputError{Tool: tool, Problem: fmt.Sprintf(format, a...)}
	}
	r, err := profileTarget(env, tool, in.ProfileURL, in.OrganizationSlug, in.ProjectSlugOrID)
	if err != nil {
		return "", err
	}
	profileID, profilerID := orDefault(in.ProfileID, r.ProfileID), orDefault(in.ProfilerID, r.ProfilerID)
	start, end := orDefault(in.Start, r.Start), orDefault(in.End, r.End)
	switch {
	case profileID != "" && profilerID != "":
		return bad("give profileId (a transaction profile) or profilerId with start and end (a continuous profile), not both")
	case profileID == "" && profilerID == "":
		return bad("give profileId, or profilerId with start and end")
	}
	if err := useRegionArg(env, r.Org, in.regionParam); err != nil {
		return "", err
	}
	if profileID != "" {
		id, ok := hexID(profileID)
		if !ok {
			return bad("profileId %q is not a profile id (32 hex characters)", shorten(profileID, 60))
		}
		p, err := env.Sentry.GetTransactionProfile(ctx, r.Org, r.InProject, id)
		if err != nil {
			return "", err
		}
		return transactionProfileMarkdown(env, r, id, p, in.FocusOnUserCode), nil
	}
	id, ok := hexID(profilerID)
	if !ok {
		return bad("profilerId %q is not a profiler id (32 hex characters)", shorten(profilerID, 60))
	}
	from, to, err := timeWindow(tool, "", start, end)
	if err != nil {
		return "", err
	}
	if from.IsZero() {
		return bad("a continuous profile needs start and end")
	}
	projectID, err := projectIDOf(ctx, env, r.Org, r.InProject)
	if err != nil {
		return "", err
	}
	ch, err := env.Sentry.GetProfileChunk(ctx, r.Org, projectID, id, from.Format(time.RFC3339), to.Format(time.RFC3339))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Continuous profile `%s` in **%s/%s**\n\n", id, r.Org, r.InProject)
	fmt.Fprintf(&b, "- Window: %s to %s\n", from.Format(time.DateTime), to.Format(time.DateTime+" UTC"))
	fmt.Fprintf(&b, "- Platform: %s · Release: %s · Environment: %s\n", orDefault(ch.Platform, "unknown"), orDefault(string(ch.Release), "-"), orDefault(ch.Environment, "-"))
	b.WriteString(samplesMarkdown(ch.Profile, in.FocusOnUserCode, 0))
	return b.String(), nil
}

func transactionProfileMarkdown(env *Env, r resource, id string, p *sentry.TransactionProfile, focus bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Profile `%s` of `%s` in **%s/%s**\n\n", id, orDefault(p.Transaction.Name, "unknown transaction"), r.Org, r.InProject)
	fmt.Fprintf(&b, "- Link: %s\n", orgWebURL(env, r.Org, "explore", "profiling", "profile", r.InProject, id, "flamegraph"))
	if t := p.Transaction.TraceID; t != "" {
		fmt.Fprintf(&b, "- Trace: `%s` (get_trace_details(organizationSlug='%s', traceId='%s'))\n", t, r.Org, t)
	}
	if d := int64(p.Transaction.RelativeEndNS - p.Transaction.RelativeStartNS); d > 0 {
		fmt.Fprintf(&b, "- Duration: %s\n", nsText(d))
	}
	fmt.Fprintf(&b, "- Platform: %s · Release: %s · Environment: %s\n", orDefault(p.Platform, "unknown"), orDefault(string(p.Release), "-"), orDefault(p.Environment, "-"))
	var runtime []string
	if d := strings.TrimSpace(p.Device.Model + " " + p.Device.Arch); d != "" {
		runtime = append(runtime, "device "+d)
	}
	if p.OS.Name != "" {
		runtime = append(runtime, "OS "+nameVersion(p.OS))
	}
	if p.ClientSDK.Name != "" {
		runtime = append(runtime, "SDK "+nameVersion(p.ClientSDK))
	}
	if len(runtime) > 0 {
		fmt.Fprintf(&b, "- Runtime: %s\n", strings.Join(runtime, " · "))
	}
	b.WriteString(samplesMarkdown(p.Profile, focus, int64(p.Transaction.ActiveThreadID)))
	return b.String()
}

// samplesMarkdown summarizes sampled stacks: threads, and the functions
// the samples were taken in (self: the stack's leaf, Sentry's stacks are
// leaf first) and under (anywhere in the stack).
func samplesMarkdown(p sentry.SampledProfile, focus bool, activeThread int64) string {
	var b strings.Builder
	threads := map[string]int{}
	self, total := make([]int, len(p.Frames)), make([]int, len(p.Frames))
	for _, s := range p.Samples {
		threads[string(s.ThreadID)]++
		if s.StackID < 0 || s.StackID >= len(p.Stacks) {
			continue
		}
		seen := map[int]bool{}
		for i, f := range p.Stacks[s.StackID] {
			if f < 0 || f >= len(p.Frames) {
				continue
			}
			if i == 0 {
				self[f]++
			}
			if !seen[f] {
				seen[f] = true
				total[f]++
			}
		}
	}
	fmt.Fprintf(&b, "\n## Samples\n\n- %d samples of %d distinct stacks over %d frames\n", len(p.Samples), len(p.Stacks), len(p.Frames))
	for _, t := range slices.Sorted(maps.Keys(threads)) {
		name := orDefault(p.ThreadMetadata[t].Name, "unnamed")
		active := ""
		if activeThread != 0 && t == fmt.Sprint(activeThread) {
			active = " (active thread)"
		}
		fmt.Fprintf(&b, "- Thread %s %s%s: %d samples\n", t, name, active, threads[t])
	}
	idx := make([]int, 0, len(p.Frames))
	for i, f := range p.Frames {
		if total[i] > 0 && (!focus || f.InApp) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, c int) int { return cmp.Or(cmp.Compare(self[c], self[a]), cmp.Compare(total[c], total[a])) })
	which := "Functions"
	if focus {
		which = "Functions of your code"
	}
	fmt.Fprintf(&b, "\n## %s by samples\n\n", which)
	if len(idx) == 0 {
		b.WriteString("None sampled.\n")
		return b.String()
	}
	b.WriteString("| function | file:line | in it (self) | under it | kind |\n| --- | --- | --- | --- | --- |\n")
	n := max(len(p.Samples), 1)
	for _, i := range idx[:min(len(idx), profileFunctionsShown)] {
		f := p.Frames[i]
		loc := orDefault(f.Filename, f.Module)
		if f.LineNo > 0 {
			loc += fmt.Sprintf(":%d", f.LineNo)
		}
		kind := "library"
		if f.InApp {
			kind = "your code"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %d%% | %d%% | %s |\n", orDefault(f.Function, "?"), cell(orDefault(loc, "?")), 100*self[i]/n, 100*total[i]/n, kind)
	}
	return b.String()
}
