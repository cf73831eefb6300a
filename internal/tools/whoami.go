package tools

import (
	"context"
	"fmt"
	"strings"
)

type whoamiInput struct{}

func whoamiTool() Tool {
	return newTool(spec{
		Name:        "whoami",
		Title:       "Who am I",
		Description: `Name the Sentry user this connection acts as: name, email, user id (for assignedTo='user:<id>').`,
	}, func(ctx context.Context, env *Env, _ whoamiInput) (string, error) {
		u, err := env.Sentry.WhoAmI(ctx)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "You are authenticated as **%s**", orDefault(u.Name, u.Email))
		if u.Email != "" && u.Name != "" {
			fmt.Fprintf(&b, " (%s)", u.Email)
		}
		fmt.Fprintf(&b, ".\n\n- User ID: %s\n", u.ID)
		if u.Username != "" {
			fmt.Fprintf(&b, "- Username: %s\n", u.Username)
		}
		return b.String(), nil
	})
}
