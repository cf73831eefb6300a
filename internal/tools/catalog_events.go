package tools

// eventTools query events and traces, and read Sentry URLs.
func eventTools() []Tool {
	return []Tool{
		searchEventsTool(),
		getTraceDetailsTool(),
		getSentryResourceTool(),
	}
}
