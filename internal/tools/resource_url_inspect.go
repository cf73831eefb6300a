package tools

import (
	"net/url"
	"strings"
)

// inspectRef is what the Sentry pages of inspect resources name: replays,
// cron monitors, preprod snapshots, agent conversations, profiles, and a
// span of a trace.
type inspectRef struct {
	ReplayID         string
	MonitorSlug      string
	MonitorProject   string // crons/{project}/{slug}/ pages
	SnapshotID       string
	SelectedSnapshot string // ?selectedSnapshot= image
	ConversationID   string
	InProject        string // a conversation's ?project=, a profile's project
	Start, End       string // a conversation's or continuous profile's ?start=&end=
	SpanID           string // a trace page's ?node=span-{id}
	ProfileID        string
	ProfilerID       string
}

// parseInspectPath recognizes, after the organization, the pages of
// inspect resources and sets r.Kind; it reports false for other pages.
// Identifiers are checked here, so a malformed one is refused before any
// request:
//
//	/explore/replays/{id}/, /replays/{id}/                         replay
//	/crons/{slug}/, /crons/{project}/{slug}/, /monitors/...        monitor
//	/preprod/snapshots/{id}/[?selectedSnapshot=...]                snapshot
//	/explore/conversations/{id}/[?project=&start=&end=]            ai_conversation
//	/[explore/]profiling/profile/{project}/[{profileId}/]flamegraph/[?profilerId=&start=&end=]  profile
func parseInspectPath(r *resource, segs []string, q url.Values) (bool, string) {
	at := func(s string) int { return slicesIndex(segs, s) }
	next := func(i int) string {
		if i >= 0 && i+1 < len(segs) {
			return segs[i+1]
		}
		return ""
	}
	switch {
	case at("profiling") >= 0 && next(at("profiling")) == "profile":
		i := at("profile")
		r.Kind, r.InProject = "profile", next(i)
		if id := next(i + 1); id != "" && id != "flamegraph" {
			r.ProfileID = id
		}
		r.ProfilerID, r.Start, r.End = q.Get("profilerId"), q.Get("start"), q.Get("end")
		if !slugRe().MatchString(r.InProject) {
			return true, "its profile project is malformed"
		}
		if id, ok := hexID(r.ProfileID); ok {
			r.ProfileID = id
		} else if r.ProfileID != "" {
			return true, "its profile id is malformed"
		}
	case at("conversations") >= 0 && next(at("conversations")) != "":
		r.Kind, r.ConversationID = "ai_conversation", next(at("conversations"))
		r.InProject, r.Start, r.End = q.Get("project"), q.Get("start"), q.Get("end")
		if !convIDRe().MatchString(r.ConversationID) {
			return true, "its conversation id is malformed"
		}
	case at("replays") >= 0 && next(at("replays")) != "" && next(at("replays")) != "selectors":
		id, ok := hexID(next(at("replays")))
		if !ok {
			return true, "its replay id is malformed"
		}
		r.Kind, r.ReplayID = "replay", id
	case at("crons") >= 0 || (len(segs) > 1 && segs[0] == "monitors"):
		i := max(at("crons"), at("monitors"))
		a, b := next(i), next(i+1)
		if a == "" || a == "new" || a == "alerts" {
			return false, ""
		}
		r.Kind, r.MonitorSlug = "monitor", a
		if b != "" && b != "details" {
			r.MonitorProject, r.MonitorSlug = a, b
		}
		if !slugRe().MatchString(r.MonitorSlug) || (r.MonitorProject != "" && !slugRe().MatchString(r.MonitorProject)) {
			return true, "its monitor slug is malformed"
		}
	case at("preprod") >= 0 && next(at("preprod")) == "snapshots" && next(at("snapshots")) != "":
		r.Kind, r.SnapshotID, r.SelectedSnapshot = "snapshot", next(at("snapshots")), q.Get("selectedSnapshot")
		if !digitsRe().MatchString(r.SnapshotID) {
			return true, "its snapshot id is malformed"
		}
	default:
		return false, ""
	}
	return true, ""
}

// spanFromQuery reads the span a trace page focuses on (?node=span-{id}).
func spanFromQuery(r *resource, q url.Values) {
	if r.Kind != "trace" {
		return
	}
	if id, ok := strings.CutPrefix(q.Get("node"), "span-"); ok && hex16Re().MatchString(id) {
		r.Kind, r.SpanID = "span", strings.ToLower(id)
	}
}
