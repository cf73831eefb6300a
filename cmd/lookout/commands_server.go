//go:build !stdio

package main

// serverCommands are the subcommands of the full build. The stdio build
// (`-tags stdio`) leaves them and everything they link (the SQL drivers,
// the Slack bot and its model SDKs, metrics, tracing) out, so that `lookout
// mcp` starts in a few megabytes (docs/benchmarks.md, stdio).
func serverCommands() []command {
	return []command{
		{"admin", "operate lookout: grants, MCP clients, encryption keys, the audit log", runAdmin},
		{"demo", "run lookout against a built-in fake Sentry, zero configuration", runDemo},
		{"migrate", "apply database migrations (DATABASE_URL) and exit", runMigrate},
		{"serve", "run the remote MCP server and its OAuth authorization server", runServe},
	}
}

// buildNote is said under an unknown command's error; the full build has
// nothing to add.
const buildNote = ""
