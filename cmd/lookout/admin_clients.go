//go:build !stdio

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// actionClientRevoked is the audit action of `admin clients revoke`.
const actionClientRevoked = "client.revoked"

// clientJSON is one client in `admin clients list --json`.
type clientJSON struct {
	ClientID string `json:"client_id"`
	Name     string `json:"name"`
	// Kind: "registered" (dynamic client registration) or "document" (a
	// Client ID Metadata Document URL, known from its tokens and approvals).
	Kind        string     `json:"kind"`
	CreatedAt   *time.Time `json:"created_at"`
	LastUsedAt  *time.Time `json:"last_used_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
	LastTokenAt *time.Time `json:"last_token_at"`
	Tokens      int        `json:"tokens"`
	Principals  int        `json:"principals"`
	Approvals   int        `json:"approvals"`
}

// clientName reads client_name from stored registration metadata; a
// document client is named by its host (its document is not fetched here).
func clientName(c store.ClientUsage) string {
	var m struct {
		Name string `json:"client_name"`
	}
	if c.Registered && json.Unmarshal(c.Metadata, &m) == nil && m.Name != "" {
		return m.Name
	}
	if u, err := url.Parse(c.ID); err == nil && strings.HasPrefix(c.ID, "https://") {
		return "document on " + u.Host
	}
	return ""
}

func runAdminClientsList(ctx context.Context, env *environment, args []string) error {
	f := newAdminFlags(env, "clients list").withJSON()
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	s, err := openAdmin(ctx, env, f, false)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	cs, err := s.store.ListClientUsage(ctx, s.now())
	if err != nil {
		return err
	}
	out := make([]clientJSON, 0, len(cs))
	for _, c := range cs {
		kind := "document"
		if c.Registered {
			kind = "registered"
		}
		last := c.LastUsedAt
		if c.LastTokenAt.After(last) {
			last = c.LastTokenAt
		}
		out = append(out, clientJSON{
			ClientID: c.ID, Name: clientName(c), Kind: kind,
			CreatedAt: optTime(c.CreatedAt), LastUsedAt: optTime(last), ExpiresAt: optTime(c.ExpiresAt),
			LastTokenAt: optTime(c.LastTokenAt), Tokens: c.Tokens, Principals: c.Principals, Approvals: c.Approvals,
		})
	}
	if f.json {
		return printJSON(env.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(env.stdout, "No MCP clients.")
		return nil
	}
	rows := make([][]string, 0, len(out))
	for _, c := range out {
		rows = append(rows, []string{c.ClientID, orDash(c.Name), c.Kind, whenPtr(c.LastUsedAt),
			strconv.Itoa(c.Tokens), strconv.Itoa(c.Principals), strconv.Itoa(c.Approvals), whenPtr(c.ExpiresAt)})
	}
	return table(env.stdout, []string{"CLIENT ID", "NAME", "KIND", "LAST USED", "TOKENS", "USERS", "APPROVALS", "EXPIRES"}, rows)
}

// runAdminClientsRevoke revokes every token of the client (dead at once),
// deletes its approvals (users must approve it again) and its
// registration, and the Sentry grants its sign-ins created: an MCP
// principal belongs to the one client that signed in with it. A client
// identified by a metadata document can still ask to sign in again; it
// then needs a user's approval like any new client.
func runAdminClientsRevoke(ctx context.Context, env *environment, args []string) error {
	f := newAdminFlags(env, "clients revoke")
	id, err := parseArg(f.fs, args, "CLIENT_ID (see lookout admin clients list)")
	if err != nil {
		return err
	}
	s, err := openAdmin(ctx, env, f, true)
	if err != nil {
		return err
	}
	defer s.close(ctx)

	n, principals, err := s.store.RevokeClientTokens(ctx, id)
	if err != nil {
		return err
	}
	approvals, err := s.store.DeleteClientApprovals(ctx, id)
	if err != nil {
		return err
	}
	registered := true
	if err := s.store.DeleteClient(ctx, id); errors.Is(err, store.ErrNotFound) {
		registered = false
	} else if err != nil {
		return err
	}
	grants := 0
	for _, p := range principals {
		if !strings.HasPrefix(p, "mcp:") {
			continue
		}
		err := s.vault.Delete(ctx, p, "its MCP client "+id+" was revoked by an operator (lookout admin clients revoke)")
		switch {
		case err == nil:
			grants++
		case !errors.Is(err, vault.ErrNoGrant):
			return fmt.Errorf("delete the grant of %s: %w", p, err)
		}
	}
	if !registered && len(principals) == 0 && approvals == 0 {
		return fmt.Errorf("no client %q: no registration, tokens or approvals (see lookout admin clients list)", id)
	}
	s.reachServers(ctx)
	detail := fmt.Sprintf("an operator revoked client %s: %d tokens, %d approvals, %d grants, registration deleted: %t", id, n, approvals, grants, registered)
	s.audit(ctx, env, "", actionClientRevoked, detail)
	reg := "it had no registration"
	if registered {
		reg = "its registration is deleted"
	}
	fmt.Fprintf(env.stdout, "Revoked %s: %d lookout tokens, %d approvals and %d Sentry grants; %s.\n", id, n, approvals, grants, reg)
	return nil
}
