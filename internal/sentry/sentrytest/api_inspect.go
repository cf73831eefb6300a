package sentrytest

// inspectRoutes lists the endpoints of the inspect tools: dashboards, alert
// rules, cron monitor details, user reports, replays, event attachments,
// profiling, preprod snapshots and agent conversations.
func (f *Fake) inspectRoutes(api func(string, apiHandler, ...string)) {
	api("GET /organizations/{org}/dashboards/{$}", f.listDashboards, "org:read")
	api("GET /organizations/{org}/dashboards/{dashboard}/{$}", f.getDashboard, "org:read")

	api("GET /organizations/{org}/workflows/{$}", f.listWorkflows, "org:read", "alerts:read")
	api("GET /organizations/{org}/alert-rules/{$}", f.listMetricRules, "org:read", "alerts:read")
	api("GET /organizations/{org}/alert-rules/{rule}/{$}", f.getMetricRule, "org:read", "alerts:read")
	api("GET /organizations/{org}/combined-rules/{$}", f.listMetricRules, "org:read", "alerts:read")

	for _, prefix := range []string{"/organizations/{org}", "/projects/{org}/{project}"} {
		api("GET "+prefix+"/monitors/{monitor}/{$}", f.getMonitor, "project:read")
		api("GET "+prefix+"/monitors/{monitor}/checkins/{$}", f.listCheckIns, "project:read")
		api("GET "+prefix+"/monitors/{monitor}/stats/{$}", f.monitorStats, "project:read")
	}

	api("GET /organizations/{org}/issues/{issue}/user-reports/{$}", f.listUserReports, "event:read")

	api("GET /organizations/{org}/replays/{replay}/{$}", f.getReplay, "event:read")
	api("GET /projects/{org}/{project}/replays/{replay}/recording-segments/{$}", f.replaySegments, "event:read")

	api("GET /projects/{org}/{project}/events/{event}/attachments/{$}", f.listAttachments, "event:read")
	api("GET /projects/{org}/{project}/events/{event}/attachments/{attachment}/{$}", f.getAttachment, "event:read")

	api("GET /organizations/{org}/profiling/flamegraph/{$}", f.flamegraph, "event:read")
	api("GET /organizations/{org}/profiling/chunks/{$}", f.profileChunks, "event:read")
	api("GET /projects/{org}/{project}/profiling/profiles/{profile}/{$}", f.getProfile, "event:read")

	api("GET /organizations/{org}/preprodartifacts/snapshots/latest-base/{$}", f.latestBaseSnapshot, "project:read")
	api("GET /organizations/{org}/preprodartifacts/snapshots/files/{file}/{$}", f.snapshotFile, "project:read")
	api("GET /organizations/{org}/preprodartifacts/snapshots/{snapshot}/{$}", f.getSnapshot, "project:read")
	api("GET /organizations/{org}/preprodartifacts/snapshots/{snapshot}/images/{image}/{$}", f.getSnapshotImage, "project:read")

	api("GET /organizations/{org}/agents/conversations/{$}", f.listConversations, "event:read")
	api("GET /organizations/{org}/agents/conversations/{conversation}/{$}", f.getConversation, "event:read")
}
