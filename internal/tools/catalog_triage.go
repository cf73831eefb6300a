package tools

// triageTools change issues; offered only with the triage permission.
func triageTools() []Tool {
	return []Tool{
		updateIssueTool(),
		addIssueNoteTool(),
	}
}
