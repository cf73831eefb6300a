package main

import (
	"flag"
	"log/slog"

	"github.com/lookout-hq/lookout/internal/config"
	"github.com/lookout-hq/lookout/internal/logging"
)

// envFlags mirrors environment variables as flags: a flag given on the
// command line wins over its variable, and both go through the same
// validation in config.Load.
type envFlags struct {
	fs     *flag.FlagSet
	values map[string]flag.Value // env name -> flag
}

func newEnvFlags(fs *flag.FlagSet) *envFlags {
	return &envFlags{fs: fs, values: map[string]flag.Value{}}
}

// string declares flag name for variable envName.
func (e *envFlags) string(name, envName, usage string) {
	v := &envValue{}
	e.fs.Var(v, name, usage+" (env "+envName+")")
	e.values[envName] = v
}

// bool declares a boolean flag ("-name" alone means true) for envName.
func (e *envFlags) bool(name, envName, usage string) {
	v := &envValue{isBool: true}
	e.fs.Var(v, name, usage+" (env "+envName+")")
	e.values[envName] = v
}

// getenv overlays the flags that were given on env.
func (e *envFlags) getenv(env func(string) string) func(string) string {
	return func(name string) string {
		if v, ok := e.values[name]; ok && v.(*envValue).set {
			return v.String()
		}
		return env(name)
	}
}

// envValue is a flag whose value config.Load validates.
type envValue struct {
	v      string
	set    bool
	isBool bool
}

func (v *envValue) String() string     { return v.v }
func (v *envValue) Set(s string) error { v.v, v.set = s, true; return nil }
func (v *envValue) IsBoolFlag() bool   { return v.isBool }

// loadConfigFrom reads the configuration from getenv (flags overlaid).
func loadConfigFrom(getenv func(string) string) (*config.Config, error) {
	return config.Load(getenv)
}

// newLogger writes redacted JSON logs to stderr: nothing secret, and
// nothing on stdout, which may carry a protocol.
func newLogger(env *environment, level slog.Level, secrets ...string) *slog.Logger {
	return logging.New(env.stderr, level, secrets...)
}
