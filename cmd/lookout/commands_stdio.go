//go:build stdio

package main

// serverCommands: the stdio build has none (see commands_server.go).
func serverCommands() []command { return nil }

// buildNote is said under an unknown command's error, so that `lookout
// serve` on the stdio build says where serve is.
const buildNote = "This is the stdio build of lookout (go build -tags stdio): it has mcp and version only.\n" +
	"serve, demo, admin and migrate are in the full build: go build -o lookout ./cmd/lookout\n"
