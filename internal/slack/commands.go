package slack

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/vault"
)

// command carries out "connect sentry", "disconnect sentry" and "sentry
// status" and returns the answer, which goes to the user alone: they are
// about the user's own account. A failure is part of the answer, in plain
// words with the request id.
func (b *Bot) command(ctx context.Context, m message, cmd string) string {
	principal := m.principal()
	var text string
	switch cmd {
	case cmdConnect:
		// Even with a valid grant: connecting again switches accounts.
		link, err := b.connectLink(ctx, principal)
		if err != nil {
			b.log.Error("slack: could not create a connect link", "principal", principal, "err", err)
			text = "I couldn't create a connect link right now. Try again in a minute" + requestid.Suffix(ctx) + "."
			break
		}
		text = connectText(link, b.connectedAs(ctx, principal))
	case cmdDisconnect:
		err := b.cfg.Vault.Delete(ctx, principal, "disconnected by the user in Slack")
		switch {
		case errors.Is(err, vault.ErrNoGrant):
			text = "You weren't connected to Sentry, so there was nothing to disconnect."
		case err != nil:
			b.log.Error("slack: disconnecting", "principal", principal, "err", err)
			text = "I couldn't disconnect you right now. Try again in a minute" + requestid.Suffix(ctx) + "."
		default:
			b.log.Info("slack: user disconnected Sentry", "principal", principal)
			text = "Disconnected: I no longer use your Sentry account. To revoke lookout in Sentry too, remove it under User Settings → Authorized Applications."
			if team, user, ok := splitPrincipal(principal); ok {
				// The Home tab shows the connection: publish it again.
				why := "disconnected-" + strconv.FormatInt(b.now().UnixMicro(), 10)
				if err := b.recordHome(ctx, team, user, why, "disconnect"); err != nil {
					b.log.Warn("slack: could not have the Home tab published after a disconnect", "principal", principal, "err", err)
				}
			}
		}
	case cmdStatus:
		text = b.statusText(ctx, principal)
	}
	return text
}

// connectedAs names the Sentry account of principal's usable grant, or "".
func (b *Bot) connectedAs(ctx context.Context, principal string) string {
	st, err := b.cfg.Vault.Status(ctx, principal)
	if err != nil || st.Stale {
		return ""
	}
	return sentryAccount(st.User)
}

func sentryAccount(u vault.SentryUser) string {
	switch {
	case u.Email != "":
		return escapeText(u.Email)
	case u.Name != "":
		return escapeText(u.Name)
	case u.ID != "":
		return "Sentry user " + escapeText(u.ID)
	}
	return "an unnamed Sentry account"
}

// statusText says whether principal is connected, as whom, with which
// scopes.
func (b *Bot) statusText(ctx context.Context, principal string) string {
	g, err := b.cfg.Vault.Status(ctx, principal)
	switch {
	case errors.Is(err, vault.ErrNoGrant):
		return "You're not connected to Sentry. Ask me something, or say `connect sentry`, and I'll send you a private link."
	case err != nil:
		b.log.Error("slack: reading the grant", "principal", principal, "err", err)
		return "I couldn't check your Sentry connection right now. Try again in a minute" + requestid.Suffix(ctx) + "."
	case g.Stale:
		return "Your Sentry connection (" + sentryAccount(g.User) + ") expired or was revoked. Say `connect sentry` to reconnect."
	}
	s := "You're connected to Sentry as " + sentryAccount(g.User)
	if len(g.Scopes) > 0 {
		s += ", with the scopes `" + strings.Join(g.Scopes, " ") + "`"
	}
	if !g.ConnectedAt.IsZero() {
		s += ", since " + g.ConnectedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	return s + ". Say `disconnect sentry` to disconnect, or `connect sentry` to switch accounts."
}
