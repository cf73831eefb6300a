package slack

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// The bot's side of the connect flow, which the authorization server owns
// (pages, Sentry consent, callback, browser binding): the bot asks it for a
// principal's link (Linker), and as its Connector tells it whom a link is
// for and which scopes to ask for, and hears when the user has connected.

// Linker makes private connect links: *authserver.Server.
type Linker interface {
	ConnectURL(ctx context.Context, principal string) (string, error)
}

// connectLink returns principal's connect link. Asked again while a link
// is pending (two messages, two replicas), it is the same link.
func (b *Bot) connectLink(ctx context.Context, principal string) (string, error) {
	return b.cfg.Links.ConnectURL(ctx, principal)
}

// Describe names the Slack user principal is, for the connect page.
func (b *Bot) Describe(ctx context.Context, principal string) string {
	team, user, ok := splitPrincipal(principal)
	if !ok {
		return ""
	}
	who := user
	if name := b.slackName(ctx, user); name != "" {
		who = name + " (" + user + ")"
	}
	return "the Slack user " + who + " in workspace " + team
}

// ScopesFor is what to ask Sentry for when principal confirms a link: the
// base scopes, the scopes of the grant it replaces (a reconnect must not
// quietly take away what the user allowed before, such as event:write for
// a card's buttons), and every scope one of its parked questions or clicks
// waits for.
func (b *Bot) ScopesFor(ctx context.Context, principal string) []string {
	scopes := slices.Clone(BaseScopes)
	if st, err := b.cfg.Vault.Status(ctx, principal); err == nil {
		for _, s := range st.Scopes {
			scopes = addScope(scopes, s)
		}
	}
	parked, err := b.cfg.Store.ListParkedRequests(ctx, principal, b.now())
	if err != nil {
		b.log.Warn("slack: listing parked questions", "principal", principal, "err", err)
	}
	for _, p := range parked {
		var pt parkedTurn
		if json.Unmarshal(p.Data, &pt) == nil && pt.Scope != "" {
			scopes = addScope(scopes, pt.Scope)
		}
	}
	return scopes
}

// OnConnected is told that principal's new grant is stored: it marks the
// principal's parked questions (and clicks, and commands) ready and wakes
// the resumer (another replica's resumer finds them on its next round),
// and has their Home tab published again, now showing the connection.
func (b *Bot) OnConnected(ctx context.Context, principal string) (int, error) {
	n, err := b.markReady(ctx, principal)
	if err != nil {
		return 0, err
	}
	b.log.Info("slack: user connected Sentry", "principal", principal, "questions_to_resume", n)
	if team, user, ok := splitPrincipal(principal); ok {
		why := "connected-" + strconv.FormatInt(b.now().UnixMicro(), 10)
		if err := b.recordHome(ctx, team, user, why, "connect"); err != nil {
			b.log.Warn("slack: could not have the Home tab published after a connect; it is the next time the user opens it", "principal", principal, "err", err)
		}
	}
	return n, nil
}

// splitPrincipal reads "slack:{team}:{user}".
func splitPrincipal(p string) (team, user string, ok bool) {
	rest, ok := strings.CutPrefix(p, PrincipalPrefix)
	if !ok {
		return "", "", false
	}
	team, user, ok = strings.Cut(rest, ":")
	return team, user, ok && team != "" && user != ""
}

// slackName is the user's name as Slack shows it (users.info), or "" when
// Slack does not say.
func (b *Bot) slackName(ctx context.Context, user string) string {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	u, err := b.api.GetUserInfoContext(ctx, user)
	if err != nil || u == nil {
		b.log.Info("slack: users.info failed; the connect page shows the user id only", "err", err)
		return ""
	}
	return cmp.Or(u.Profile.DisplayName, u.RealName, u.Name)
}
