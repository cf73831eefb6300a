//go:build !stdio

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/authserver"
	"github.com/lookout-hq/lookout/internal/vault"
)

// grantJSON is one grant in `admin grants list --json`: metadata only.
type grantJSON struct {
	Principal   string           `json:"principal"`
	SentryUser  vault.SentryUser `json:"sentry_user"`
	Scopes      []string         `json:"scopes"`
	KeyID       string           `json:"key_id"`
	Expiry      *time.Time       `json:"expiry"` // null: does not expire (or unknown)
	LastUsedAt  *time.Time       `json:"last_used_at"`
	State       string           `json:"state"`
	ConnectedAt *time.Time       `json:"connected_at"`
	RefreshedAt *time.Time       `json:"refreshed_at"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func runAdminGrantsList(ctx context.Context, env *environment, args []string) error {
	f := newAdminFlags(env, "grants list").withJSON()
	staleOnly := f.fs.Bool("stale", false, "only grants that cannot be used: stale (Sentry refused them), key missing or undecryptable")
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	s, err := openAdmin(ctx, env, f, true)
	if err != nil {
		return err
	}
	defer s.close(ctx)

	out := []grantJSON{}
	for after := ""; ; {
		page, err := s.vault.Records(ctx, after, 500)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			after = r.Principal
			if *staleOnly && r.State() == vault.StateActive {
				continue
			}
			scopes := r.Scopes
			if scopes == nil {
				scopes = []string{}
			}
			out = append(out, grantJSON{
				Principal: r.Principal, SentryUser: r.User, Scopes: scopes, KeyID: r.KeyID,
				Expiry: optTime(r.Expiry), LastUsedAt: optTime(r.LastUsedAt), State: r.State(),
				ConnectedAt: optTime(r.ConnectedAt), RefreshedAt: optTime(r.RefreshedAt),
				CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
			})
		}
	}
	if f.json {
		return printJSON(env.stdout, out)
	}
	if len(out) == 0 {
		if *staleOnly {
			fmt.Fprintln(env.stdout, "No stale grants.")
		} else {
			fmt.Fprintln(env.stdout, "No grants: nobody has connected Sentry yet.")
		}
		return nil
	}
	rows := make([][]string, 0, len(out))
	for _, g := range out {
		user := g.SentryUser.ID
		if g.SentryUser.Email != "" {
			user += " (" + g.SentryUser.Email + ")"
		}
		rows = append(rows, []string{g.Principal, orDash(user), orDash(strings.Join(g.Scopes, " ")), g.KeyID,
			whenPtr(g.Expiry), whenPtr(g.LastUsedAt), g.State})
	}
	return table(env.stdout, []string{"PRINCIPAL", "SENTRY USER", "SCOPES", "KEY", "EXPIRES", "LAST USED", "STATE"}, rows)
}

func whenPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return when(*t)
}

// runAdminGrantsRevoke revokes the lookout tokens first, then deletes the
// grant: whatever happens in between, nothing issued on the grant works.
// An MCP client's next call is a 401 (it signs in again); a Slack user's
// next question gets a connect link. (It returns once running servers'
// token caches let go of what it revoked: reachServers.)
func runAdminGrantsRevoke(ctx context.Context, env *environment, args []string) error {
	f := newAdminFlags(env, "grants revoke")
	principal, err := parseArg(f.fs, args, "PRINCIPAL (see lookout admin grants list)")
	if err != nil {
		return err
	}
	s, err := openAdmin(ctx, env, f, true)
	if err != nil {
		return err
	}
	defer s.close(ctx)

	n, err := s.store.RevokePrincipal(ctx, principal)
	if err != nil {
		return fmt.Errorf("revoke the lookout tokens of %s: %w", principal, err)
	}
	if n > 0 {
		s.audit(ctx, env, principal, authserver.ActionTokenRevoked, fmt.Sprintf("an operator revoked %d lookout tokens (lookout admin grants revoke)", n))
	}
	err = s.vault.Delete(ctx, principal, "revoked by an operator (lookout admin grants revoke)")
	if n > 0 || err == nil {
		s.reachServers(ctx)
	}
	switch {
	case errors.Is(err, vault.ErrNoGrant) && n == 0:
		return fmt.Errorf("no grant and no lookout tokens for %q (see lookout admin grants list)", principal)
	case errors.Is(err, vault.ErrNoGrant):
		fmt.Fprintf(env.stdout, "%s had no grant; revoked %d lookout tokens.\n", principal, n)
		return nil
	case err != nil:
		return fmt.Errorf("delete the grant of %s: %w", principal, err)
	}
	fmt.Fprintf(env.stdout, "Deleted the grant of %s and revoked %d lookout tokens.\n", principal, n)
	return nil
}
