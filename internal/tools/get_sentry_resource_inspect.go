package tools

import (
	"context"
	"fmt"
	"strings"
)

// How get_sentry_resource reads the resources of the inspect tools: it
// hands them to the tool that reads them (get_span_details,
// get_replay_details, get_monitor_details over 24 hours, get_snapshot or
// get_snapshot_image, get_agent_conversation_details, get_profile_details).

// inspectID sets the id of a replay, AI conversation or snapshot named by
// resourceType and resourceId, or says why the id is malformed.
func (t *resourceTarget) inspectID(id string) string {
	switch t.Kind {
	case "replay":
		rid, ok := hexID(id)
		if !ok {
			return fmt.Sprintf("resourceId %q is not a replay id (32 hex characters, dashes allowed)", shorten(id, 60))
		}
		t.ReplayID = rid
	case "ai_conversation":
		if !convIDRe().MatchString(id) {
			return fmt.Sprintf("resourceId %q is not a conversation id", shorten(id, 60))
		}
		t.ConversationID = id
	case "snapshot":
		if !digitsRe().MatchString(id) {
			return fmt.Sprintf("resourceId %q is not a snapshot id (digits)", shorten(id, 60))
		}
		t.SnapshotID = id
	default:
		return "unsupported resourceType " + t.Kind
	}
	return ""
}

func resourceInspect(ctx context.Context, env *Env, in getSentryResourceInput, r resource) (string, error) {
	switch r.Kind {
	case "span":
		return spanDetails(ctx, env.Sentry, r.Org, r.TraceID, r.SpanID)
	case "replay":
		return replayDetails(ctx, env, r.Org, r.ReplayID)
	case "monitor":
		project := r.MonitorProject
		if env.Project != "" {
			if project != "" && !strings.EqualFold(project, env.Project) {
				return "", &InputError{Tool: resourceTool, Problem: fmt.Sprintf("this connection is pinned to project %q; the monitor is in %q", env.Project, project)}
			}
			project = env.Project
		}
		return monitorDetails(ctx, env, r.Org, r.MonitorSlug, monitorView{Project: project, Period: "24h", CheckIns: 10, Stats: true})
	case "snapshot":
		if r.SelectedSnapshot == "" {
			return snapshotSummary(ctx, env, r.Org, r.SnapshotID, false)
		}
		res, err := snapshotImage(ctx, env, r.Org, r.SnapshotID, r.SelectedSnapshot, false, false)
		return res.Text, err
	case "ai_conversation":
		from, to, err := timeWindow(resourceTool, "", r.Start, r.End)
		if err != nil {
			return "", err
		}
		project := r.InProject
		if project != "" && !digitsRe().MatchString(project) {
			if project, err = projectIDOf(ctx, env, r.Org, project); err != nil {
				return "", err
			}
		}
		return conversationDetails(ctx, env, resourceTool, r.Org, r.ConversationID, project, from, to)
	case "profile":
		return getProfileDetails(ctx, env, getProfileDetailsInput{ProfileURL: in.URL, FocusOnUserCode: true})
	}
	return "", &InputError{Tool: resourceTool, Problem: "unsupported resource kind " + r.Kind}
}
