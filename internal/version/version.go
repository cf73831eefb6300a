// Package version reports which lookout build is running.
package version

import "runtime/debug"

// Version is set at build time with
// -ldflags "-X github.com/lookout-hq/lookout/internal/version.Version=v1.2.3";
// otherwise it comes from the module version, or "dev".
var Version = ""

// String returns the version of this binary.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// UserAgent is the User-Agent lookout sends upstream.
func UserAgent() string { return "lookout/" + String() + " (+https://github.com/lookout-hq/lookout)" }
