package tools

// issueTools search issues and read one issue: details, events, tags,
// activity, breadcrumbs and stack traces.
func issueTools() []Tool {
	return []Tool{
		searchIssuesTool(),
		getIssueDetailsTool(),
		searchIssueEventsTool(),
		getIssueTagValuesTool(),
		getIssueActivityTool(),
		getIssueBreadcrumbsTool(),
		getEventStacktraceTool(),
	}
}
