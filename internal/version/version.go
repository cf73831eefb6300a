// Package version reports which lookout build is running.
package version

import (
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Version is set at build time with
// -ldflags "-X github.com/lookout-hq/lookout/internal/version.Version=v1.2.3";
// otherwise it comes from the module version, or "dev".
var Version = ""

// String returns the version of this binary.
func String() string {
	if Version != "" {
		return Version
	}
	return moduleVersion()
}

// moduleVersion reads the build info once: ReadBuildInfo parses it from
// the binary on every call.
var moduleVersion = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
})

// userAgent caches UserAgent for the version it was built from: every
// upstream request sends it.
var userAgent atomic.Pointer[[2]string] // version, User-Agent

// UserAgent is the User-Agent lookout sends upstream.
func UserAgent() string {
	v := String()
	if c := userAgent.Load(); c != nil && c[0] == v {
		return c[1]
	}
	ua := "lookout/" + v + " (+https://github.com/lookout-hq/lookout)"
	userAgent.Store(&[2]string{v, ua})
	return ua
}
