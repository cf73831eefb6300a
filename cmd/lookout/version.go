package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/lookout-hq/lookout/internal/version"
)

func runVersion(_ context.Context, env *environment, args []string) error {
	if err := parseFlags(newFlagSet(env, "version", "version"), args); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "lookout %s (%s, %s/%s)\n", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
