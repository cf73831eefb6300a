package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// ActionStaleNotified is the audit event of a grant's owner told
// privately, in Slack, that their grant died.
const ActionStaleNotified = "grant.stale_notified"

// staleNotice is what a kindStale item carries: whose grant died, and the
// connection it was (a reconnect starts a new one).
type staleNotice struct {
	Principal   string    `json:"principal"`
	ConnectedAt time.Time `json:"connected_at"`
}

// NotifyStale is the vault's OnStale hook: principal's grant just became
// stale. For a Slack principal it records, in the inbox, a private message
// with a fresh connect link, sent after StaleNoticeDelay by whichever
// replica claims it. The item's id names the principal and the connection,
// so each death of a grant is told once, however many replicas hear of it.
// Other principals (MCP clients are asked to sign in again on their next
// call) are none of the bot's business. It returns quickly: a store write.
func (b *Bot) NotifyStale(ctx context.Context, principal string) {
	if _, _, ok := splitPrincipal(principal); !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	st, err := b.cfg.Vault.Status(ctx, principal)
	if err != nil || !st.Stale {
		if err != nil {
			b.log.Warn("slack: a Slack user's grant died, but its status cannot be read; they are not told", "principal", principal, "err", err)
		}
		return
	}
	payload, err := json.Marshal(staleNotice{Principal: principal, ConnectedAt: st.ConnectedAt})
	if err != nil {
		return
	}
	id := "slack-stale:" + principal + ":" + strconv.FormatInt(st.ConnectedAt.UnixMicro(), 10)
	log := b.log.With("principal", principal)
	err = b.record(ctx, store.InboxItem{ID: id, Kind: kindStale, Payload: payload, AvailableAt: b.now().Add(b.cfg.StaleNoticeDelay)}, log)
	if err != nil {
		log.Error("slack: a Slack user's grant died, and the private notice could not be recorded; they learn of it when they next ask", "err", err)
		return
	}
	log.Info("slack: a Slack user's grant died; they will be told privately", "in", b.cfg.StaleNoticeDelay)
}

// runStale tells the owner of a dead grant privately (kindStale), once: in
// a direct message, with a fresh connect link. Nothing is sent when the
// grant is no longer that dead one (reconnected, disconnected), or when a
// question of theirs already hit the dead grant and got its own link.
func (b *Bot) runStale(ctx context.Context, j *job) error {
	var n staleNotice
	if err := json.Unmarshal(j.item.Payload, &n); err != nil {
		return permanent(fmt.Errorf("undecodable notice: %w", err))
	}
	team, user, ok := splitPrincipal(n.Principal)
	if !ok {
		return permanent(errors.New("not a Slack principal"))
	}
	st, err := b.cfg.Vault.Status(ctx, n.Principal)
	switch {
	case errors.Is(err, vault.ErrNoGrant):
		j.log.Info("slack: not telling about a dead grant: the user disconnected since")
		return nil
	case err != nil:
		return err
	case !st.Stale || !st.ConnectedAt.Equal(n.ConnectedAt):
		j.log.Info("slack: not telling about a dead grant: the user reconnected since")
		return nil
	}
	told, err := b.toldInThread(ctx, j, n.Principal)
	if err != nil {
		return err
	}
	if told {
		j.log.Info("slack: not telling about a dead grant: a question of theirs got a reconnect link already")
		return nil
	}
	link, err := b.connectLink(ctx, n.Principal)
	if err != nil {
		return fmt.Errorf("connect link: %w", err)
	}
	ch, err := b.openDM(ctx, j, user)
	if err != nil {
		return err
	}
	at := place{channel: ch, after: tsOf(j.item.CreatedAt.Add(-time.Second))}
	if j.item.Attempts > 1 {
		if parts, err := b.findReplies(ctx, at, j.item.ID); err == nil && parts[partAnswer] != "" {
			return nil
		}
	}
	if _, err := b.postReply(ctx, j, at, staleText(sentryAccount(st.User), link), partAnswer); err != nil {
		return err
	}
	// The audit log and the log line a metric counts.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := b.cfg.Store.AppendAudit(sctx, store.AuditEvent{Time: b.now().UTC(), Principal: n.Principal,
		Action: ActionStaleNotified, Detail: "told in a Slack direct message, workspace " + team}); err != nil {
		j.log.Warn("slack: audit write failed", "action", ActionStaleNotified, "err", err)
	}
	j.log.Info("slack: told the owner of a dead grant privately", "principal", n.Principal)
	return nil
}

// toldInThread reports whether a question of principal's, parked since
// the grant died, already carried a reconnect link to them.
func (b *Bot) toldInThread(ctx context.Context, j *job, principal string) (bool, error) {
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	parked, err := b.cfg.Store.ListParkedRequests(sctx, principal, b.now())
	if err != nil {
		return false, err
	}
	for _, p := range parked {
		var pt parkedTurn
		if json.Unmarshal(p.Data, &pt) == nil && pt.Reason == agent.ReasonStale &&
			!p.CreatedAt.Before(j.item.CreatedAt.Add(-time.Minute)) {
			return true, nil
		}
	}
	return false, nil
}
