package tools

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type getProfileInput struct {
	ProfileURL       string `json:"profileUrl,omitempty" jsonschema:"A Sentry profiling URL; it gives the organization and project. transactionName is still needed."`
	OrganizationSlug string `json:"organizationSlug,omitempty" jsonschema:"The organization's slug, unless profileUrl gives it."`
	regionParam
	ProjectSlugOrID      any    `json:"projectSlugOrId,omitempty" jsonschema:"The project (slug or numeric id), unless profileUrl gives it."`
	TransactionName      string `json:"transactionName,omitempty" jsonschema:"The transaction to analyze, exactly as Sentry names it (case-sensitive), e.g. 'POST /api/checkout/pay'."`
	Period               string `json:"period,omitempty" jsonschema:"Window of profiles to aggregate: 7d by default, 1h for the latest."`
	CompareAgainstPeriod string `json:"compareAgainstPeriod,omitempty" jsonschema:"A longer baseline window (e.g. 30d) to compare with period and spot functions that got slower."`
	FocusOnUserCode      bool   `json:"focusOnUserCode,omitempty" jsonschema:"Only your code in the function tables and hot paths (default true); false includes libraries."`
	MaxHotPaths          int    `json:"maxHotPaths,omitempty" jsonschema:"How many hot call paths to show, 1 to 20."`
}

const getProfileName = "get_profile"

// profileFunctionsShown bounds the function tables.
const profileFunctionsShown = 10

func getProfileTool() Tool {
	return newTool(spec{
		Name:         getProfileName,
		Title:        "Analyze a transaction's CPU profile",
		Experimental: true,
		Description: `Aggregate a transaction's CPU profiles over a period: where time goes (your code vs libraries), the slowest functions with p75/p95/p99, and the hottest call paths. With compareAgainstPeriod, compare against a baseline to find functions that got slower.

Use it for "why is this endpoint slow?" once you know the transaction name (search_events with dataset='spans' finds it).
Examples: get_profile(organizationSlug='acme', projectSlugOrId='checkout', transactionName='POST /api/checkout/pay');
get_profile(organizationSlug='acme', projectSlugOrId='checkout', transactionName='POST /api/checkout/pay', period='7d', compareAgainstPeriod='30d').`,
		Scopes: []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			s.Properties["profileUrl"].Format = "uri"
			withSlugPattern(s, "organizationSlug")
			s.Properties["projectSlugOrId"] = &schemaT{Types: []string{"string", "number"}, Description: s.Properties["projectSlugOrId"].Description}
			s.Properties["period"].Pattern, s.Properties["compareAgainstPeriod"].Pattern = periodPattern, periodPattern
			setDefault(s, "period", `"7d"`)
			setDefault(s, "focusOnUserCode", "true")
			setDefault(s, "maxHotPaths", "10")
			intRange(s, "maxHotPaths", 1, 20, false)
		},
	}, getProfile)
}

// profileTarget resolves the organization and project of a profile tool
// from profileUrl or the explicit arguments.
func profileTarget(env *Env, tool, profileURL, org string, project any) (resource, error) {
	bad := func(format string, a ...any) (resource, error) {
		return resource{}, &InputError{Tool: tool, Problem: fmt.Sprintf(format, a...)}
	}
	var r resource
	if profileURL != "" {
		var err error
		if r, err = parseResourceURL(profileURL, env.Sentry.BaseURL()); err != nil {
			return bad("%s", err)
		}
		if r.Kind != "profile" {
			return bad("profileUrl points at a %s page, not a profile", r.Kind)
		}
		if org != "" && !strings.EqualFold(org, r.Org) && !strings.EqualFold(org, env.Org) {
			return bad("profileUrl is in organization %q but organizationSlug says %q: give only the URL", r.Org, org)
		}
		if env.Project != "" && !strings.EqualFold(r.InProject, env.Project) {
			return bad("this connection is pinned to project %q; profileUrl is of project %q", env.Project, r.InProject)
		}
	} else {
		r.Org = org
	}
	switch p := project.(type) {
	case nil:
	case string:
		if v := strings.TrimSpace(p); v != "" {
			r.InProject = v
		}
	case float64:
		if p != math.Trunc(p) || p <= 0 {
			return bad("projectSlugOrId %v is not a project id", p)
		}
		r.InProject = strconv.FormatInt(int64(p), 10)
	default:
		return bad("projectSlugOrId must be a slug or a numeric id")
	}
	switch {
	case r.Org == "":
		return bad("give organizationSlug and projectSlugOrId, or profileUrl")
	case r.InProject == "":
		return bad("give projectSlugOrId (find_projects lists them), or a profileUrl that names the project")
	case !slugRe().MatchString(r.InProject) && !digitsRe().MatchString(r.InProject):
		return bad("projectSlugOrId %q is not a project slug or id", shorten(r.InProject, 60))
	}
	if err := checkPinnedOrg(env, tool, r.Org); err != nil {
		return resource{}, err
	}
	return r, nil
}

func getProfile(ctx context.Context, env *Env, in getProfileInput) (string, error) {
	r, err := profileTarget(env, getProfileName, in.ProfileURL, in.OrganizationSlug, in.ProjectSlugOrID)
	if err != nil {
		return "", err
	}
	txn := strings.TrimSpace(in.TransactionName)
	if txn == "" {
		return "", &InputError{Tool: getProfileName, Problem: "give transactionName, exactly as Sentry names it; search_events(dataset='spans', query='is_transaction:true') lists them"}
	}
	period := orDefault(in.Period, "7d")
	if err := useRegionArg(env, r.Org, in.regionParam); err != nil {
		return "", err
	}
	projectID, err := projectIDOf(ctx, env, r.Org, r.InProject)
	if err != nil {
		return "", err
	}
	current, err := env.Sentry.GetFlamegraph(ctx, r.Org, projectID, txn, period)
	if err != nil {
		return "", err
	}
	focus := in.FocusOnUserCode
	where := fmt.Sprintf("`%s` in **%s/%s**", txn, r.Org, r.InProject)
	if in.CompareAgainstPeriod != "" {
		baseline, err := env.Sentry.GetFlamegraph(ctx, r.Org, projectID, txn, in.CompareAgainstPeriod)
		if err != nil {
			return "", err
		}
		return profileComparison(where, period, in.CompareAgainstPeriod, baseline, current, focus), nil
	}
	if !hasProfiles(current) {
		return noProfiles(where, "the last "+period), nil
	}
	return profileAnalysis(where, period, current, focus, in.MaxHotPaths), nil
}

func hasProfiles(fg *sentry.Flamegraph) bool {
	return len(fg.Shared.Frames) > 0 && len(fg.Profiles) > 0 && len(fg.Profiles[0].Samples) > 0
}

func noProfiles(where, span string) string {
	return fmt.Sprintf("No profiles of %s in %s. The transaction name must match exactly (it is case-sensitive); "+
		"profiling may be off for the project, or the transaction did not run: try a longer period.\n", where, span)
}

// profileFrame is a function of a flamegraph with its statistics.
type profileFrame struct {
	sentry.FlamegraphFrame
	sentry.FrameInfo
}

func (f profileFrame) location() string {
	file := f.File
	if i := strings.LastIndexByte(file, '/'); i >= 0 && len(file) > 40 {
		file = "…" + file[i:]
	}
	return fmt.Sprintf("%s:%d", orDefault(file, "?"), f.Line)
}

func frames(fg *sentry.Flamegraph) []profileFrame {
	out := make([]profileFrame, len(fg.Shared.Frames))
	for i, f := range fg.Shared.Frames {
		out[i].FlamegraphFrame = f
		if i < len(fg.Shared.FrameInfos) {
			out[i].FrameInfo = fg.Shared.FrameInfos[i]
		}
	}
	return out
}

func nsText(ns int64) string { return durationText(time.Duration(ns)) }

func profileAnalysis(where, period string, fg *sentry.Flamegraph, focus bool, maxPaths int) string {
	fs := frames(fg)
	var samples, sampledNS, userSelf, libSelf int64
	for _, p := range fg.Profiles {
		for i := range p.Samples {
			if i < len(p.SampleCounts) {
				samples += int64(p.SampleCounts[i])
			}
			if i < len(p.SampleDurationsNS) {
				sampledNS += int64(p.SampleDurationsNS[i])
			}
		}
	}
	for _, f := range fs {
		if f.IsApplication {
			userSelf += int64(f.SumSelfTime)
		} else {
			libSelf += int64(f.SumSelfTime)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# CPU profile of %s (last %s)\n\n", where, period)
	fmt.Fprintf(&b, "- Platform: %s · Profiles: %d · Samples: %d · Sampled time: %s\n", orDefault(fg.Platform, "unknown"),
		max(len(fg.Shared.Profiles), len(fg.Profiles)), samples, nsText(sampledNS))
	if tot := userSelf + libSelf; tot > 0 {
		fmt.Fprintf(&b, "- Time spent in your code: %s (%.0f%%) · in libraries: %s (%.0f%%)\n",
			nsText(userSelf), 100*float64(userSelf)/float64(tot), nsText(libSelf), 100*float64(libSelf)/float64(tot))
	}
	top := slices.DeleteFunc(slices.Clone(fs), func(f profileFrame) bool { return focus && !f.IsApplication })
	slices.SortStableFunc(top, func(a, b profileFrame) int { return cmp.Compare(b.SumDuration, a.SumDuration) })
	which := "functions"
	if focus {
		which = "functions of your code"
	}
	fmt.Fprintf(&b, "\n## Slowest %s (time including callees)\n\n", which)
	b.WriteString("| function | file:line | total | share of samples | p75 | p95 | p99 |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, f := range top[:min(len(top), profileFunctionsShown)] {
		share := 0.0
		if samples > 0 {
			share = 100 * float64(f.Count) / float64(samples)
		}
		variance := ""
		if f.P75Duration > 0 && f.P99Duration > 3*f.P75Duration {
			variance = " ⚠"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %.0f%% | %s | %s | %s%s |\n", f.Name, cell(f.location()), nsText(int64(f.SumDuration)), share,
			nsText(int64(f.P75Duration)), nsText(int64(f.P95Duration)), nsText(int64(f.P99Duration)), variance)
	}
	b.WriteString("\n⚠: p99 above three times p75, some calls are much slower than usual.\n")
	b.WriteString(hotPaths(fg, fs, samples, focus, maxPaths))
	b.WriteString("\nTo see if this got worse, call again with compareAgainstPeriod='30d'.\n")
	return b.String()
}

// hotPaths lists the call stacks that took most time, root first.
func hotPaths(fg *sentry.Flamegraph, fs []profileFrame, samples int64, focus bool, maxPaths int) string {
	type path struct {
		stack    []int
		count    int64
		duration int64
	}
	merged := map[string]*path{}
	var order []*path
	for _, p := range fg.Profiles {
		for i, st := range p.Samples {
			key := fmt.Sprint(st)
			m := merged[key]
			if m == nil {
				m = &path{stack: st}
				merged[key] = m
				order = append(order, m)
			}
			if i < len(p.SampleCounts) {
				m.count += int64(p.SampleCounts[i])
			}
			if i < len(p.SampleDurationsNS) {
				m.duration += int64(p.SampleDurationsNS[i])
			}
		}
	}
	slices.SortStableFunc(order, func(a, b *path) int { return cmp.Compare(b.duration, a.duration) })
	var b strings.Builder
	b.WriteString("\n## Hot paths\n\n")
	for i, p := range order[:min(len(order), max(maxPaths, 1))] {
		var steps []string
		for _, idx := range p.stack {
			if idx < 0 || idx >= len(fs) || (focus && !fs[idx].IsApplication) {
				continue
			}
			step := "`" + fs[idx].Name + "` " + fs[idx].location()
			if !fs[idx].IsApplication {
				step += " [library]"
			}
			steps = append(steps, step)
		}
		if len(steps) == 0 {
			steps = []string{"(library code only)"}
		}
		share := 0.0
		if samples > 0 {
			share = 100 * float64(p.count) / float64(samples)
		}
		fmt.Fprintf(&b, "%d. %.0f%% of samples, %s: %s\n", i+1, share, nsText(p.duration), strings.Join(steps, " → "))
	}
	return b.String()
}

// profileComparison compares the average time per call of each function
// seen in both windows: a longer baseline holds more calls, so totals
// would always look like regressions.
func profileComparison(where, period, basePeriod string, baseline, current *sentry.Flamegraph, focus bool) string {
	switch {
	case !hasProfiles(baseline) && !hasProfiles(current):
		return noProfiles(where, "the last "+period+" or the last "+basePeriod)
	case !hasProfiles(current):
		return fmt.Sprintf("No profiles of %s in the last %s (the baseline, %s, has some): the transaction may not have run lately; try a longer period.\n", where, period, basePeriod)
	case !hasProfiles(baseline):
		return fmt.Sprintf("No profiles of %s in the baseline (%s), only in the last %s: compare with a shorter baseline, or drop compareAgainstPeriod.\n", where, basePeriod, period)
	}
	type change struct {
		f          profileFrame
		base, curr float64 // average ns per call
		pct        float64
	}
	byPrint := map[string]profileFrame{}
	for _, f := range frames(baseline) {
		byPrint[string(f.Fingerprint)+"|"+f.Name+"|"+f.File] = f
	}
	var changes []change
	for _, f := range frames(current) {
		bf, ok := byPrint[string(f.Fingerprint)+"|"+f.Name+"|"+f.File]
		if !ok || (focus && !f.IsApplication) || bf.Count == 0 || f.Count == 0 {
			continue
		}
		c := change{f: f, base: float64(bf.SumDuration) / float64(bf.Count), curr: float64(f.SumDuration) / float64(f.Count)}
		if c.base > 0 {
			c.pct = 100 * (c.curr - c.base) / c.base
		}
		changes = append(changes, c)
	}
	slices.SortStableFunc(changes, func(a, b change) int { return cmp.Compare(b.pct, a.pct) })
	var worse, better int
	for _, c := range changes {
		switch {
		case c.pct > 20:
			worse++
		case c.pct < -10:
			better++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# CPU profile of %s: last %s vs last %s\n\n", where, period, basePeriod)
	switch {
	case worse > 0:
		fmt.Fprintf(&b, "**%d function(s) got more than 20%% slower per call.**", worse)
	case better > 0:
		b.WriteString("No function got notably slower.")
	default:
		b.WriteString("No notable change.")
	}
	if better > 0 {
		fmt.Fprintf(&b, " %d got faster.", better)
	}
	b.WriteString("\n\n| function | file:line | baseline per call | now per call | change |\n| --- | --- | --- | --- | --- |\n")
	for _, c := range changes[:min(len(changes), profileFunctionsShown)] {
		mark := ""
		if c.pct > 20 {
			mark = " 🔺"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %+.0f%%%s |\n", c.f.Name, cell(c.f.location()), nsText(int64(c.base)), nsText(int64(c.curr)), c.pct, mark)
	}
	if len(changes) == 0 {
		b.WriteString("| (no function in both windows) | | | | |\n")
	}
	return b.String()
}
