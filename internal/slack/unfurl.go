package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/slack/blockkit"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/tools"
	"github.com/lookout-hq/lookout/internal/vault"
)

// Link unfurls: when someone posts a link to this Sentry (an issue, an
// event, a trace), Slack sends link_shared and lookout previews it with
// the Sentry access of the person who posted it, and nobody else's: they
// chose to share it there. Someone not connected gets no preview, only a
// private hint (once a day). Previews are kept briefly per poster.

// maxUnfurls bounds the links of one message lookout previews.
const maxUnfurls = 5

// unfurlCacheSize bounds the previews kept in memory.
const unfurlCacheSize = 1024

// hintTTL: a user who is not connected is hinted at most once a day.
const hintTTL = 24 * time.Hour

// unfurlReq is what a kindUnfurl item carries.
type unfurlReq struct {
	Team      string   `json:"team"`
	User      string   `json:"user"`
	Channel   string   `json:"channel"`
	MessageTS string   `json:"message_ts"`
	ThreadTS  string   `json:"thread_ts,omitempty"`
	UnfurlID  string   `json:"unfurl_id,omitempty"`
	Source    string   `json:"source,omitempty"` // composer or conversations_history
	Links     []string `json:"links"`
}

// receiveUnfurl records the links of a link_shared event that point at
// this Sentry; other links are none of lookout's business.
func (b *Bot) receiveUnfurl(ctx context.Context, team string, raw json.RawMessage, source string) error {
	var ev struct {
		User      string `json:"user"`
		Channel   string `json:"channel"`
		MessageTS string `json:"message_ts"`
		ThreadTS  string `json:"thread_ts"`
		UnfurlID  string `json:"unfurl_id"`
		Source    string `json:"source"`
		Links     []struct {
			URL string `json:"url"`
		} `json:"links"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil || ev.User == "" || ev.User == b.knownBotUserID() {
		return nil
	}
	u := unfurlReq{Team: team, User: ev.User, Channel: ev.Channel, MessageTS: ev.MessageTS, ThreadTS: ev.ThreadTS,
		UnfurlID: ev.UnfurlID, Source: ev.Source}
	for _, l := range ev.Links {
		if _, ok := b.unfurlable(l.URL); ok && len(u.Links) < maxUnfurls {
			u.Links = append(u.Links, l.URL)
		}
	}
	if len(u.Links) == 0 || (u.UnfurlID == "" && (u.Channel == "" || u.MessageTS == "")) {
		return nil
	}
	payload, err := json.Marshal(u)
	if err != nil {
		return err
	}
	key := u.UnfurlID
	if key == "" {
		key = u.Channel + ":" + u.MessageTS
	}
	log := b.log.With("source", source, "principal", Principal(team, u.User), "channel", u.Channel, "links", len(u.Links))
	log.Info("slack: Sentry links shared")
	return b.record(ctx, store.InboxItem{ID: "slack-unfurl:" + team + ":" + key, Kind: kindUnfurl, Payload: payload}, log)
}

// unfurlable parses a link to this Sentry that lookout previews.
func (b *Bot) unfurlable(link string) (tools.SentryLink, bool) {
	l, err := tools.ParseSentryLink(link, b.cfg.SentryURL)
	if err != nil {
		return l, false
	}
	switch l.Kind {
	case "issue", "event", "trace":
		return l, true
	}
	return l, false
}

// runUnfurl previews a message's Sentry links (kindUnfurl) with the
// poster's access. chat.unfurl replaces what it attached before, so doing
// it again after a crash does no harm.
func (b *Bot) runUnfurl(ctx context.Context, j *job) error {
	var u unfurlReq
	if err := json.Unmarshal(j.item.Payload, &u); err != nil {
		return permanent(fmt.Errorf("undecodable links: %w", err))
	}
	principal := Principal(u.Team, u.User)
	st, err := b.cfg.Vault.Status(ctx, principal)
	switch {
	case errors.Is(err, vault.ErrNoGrant):
		return b.unfurlHint(ctx, j, u, false)
	case err != nil:
		return err
	case st.Stale:
		return b.unfurlHint(ctx, j, u, true)
	}
	c, sctx, cancel, err := b.sentryAs(ctx, principal)
	if err != nil {
		if agent.NeedsAuth(err) != nil {
			return b.unfurlHint(ctx, j, u, true)
		}
		return err
	}
	defer cancel()
	unfurls := map[string]slackapi.Attachment{}
	for _, link := range u.Links {
		raw, ok := b.unfurled.get(principal, link, b.now())
		if !ok {
			blocks, err := b.preview(sctx, c, link, u.User)
			if err != nil {
				if agent.NeedsAuth(err) != nil {
					return b.unfurlHint(ctx, j, u, true)
				}
				// No access, not found, Sentry trouble: no preview of
				// that link, and nothing said in the channel.
				j.log.Info("slack: no preview of a Sentry link", "err", err)
				continue
			}
			raw = blocksJSON(blocks)
			b.unfurled.put(principal, link, raw, b.now(), b.now().Add(b.cfg.UnfurlCacheTTL))
		}
		if blocks := b.checkedBlocks(j, raw, blockkit.Message); len(blocks) > 0 {
			unfurls[link] = slackapi.Attachment{Blocks: slackapi.Blocks{BlockSet: blocks}}
		}
	}
	if len(unfurls) == 0 {
		return nil
	}
	err = b.call(ctx, j, "chat.unfurl", func(ctx context.Context) error {
		var err error
		if u.UnfurlID != "" && u.Source != "" {
			_, _, _, err = b.api.UnfurlMessageByIDContext(ctx, u.UnfurlID, u.Source, unfurls)
		} else {
			_, _, _, err = b.api.UnfurlMessageContext(ctx, u.Channel, u.MessageTS, unfurls)
		}
		return err
	}, nil)
	var perm *permanentError
	if errors.As(err, &perm) {
		// The message is gone, or the app may not unfurl there: nothing
		// a retry changes.
		j.log.Warn("slack: Slack refused the previews", "err", err)
		return nil
	}
	if err == nil {
		j.log.Info("slack: previewed Sentry links", "principal", principal, "links", len(unfurls))
	}
	return err
}

// preview renders one link with the poster's client.
func (b *Bot) preview(ctx context.Context, c *sentry.Client, link, poster string) ([]slackapi.Block, error) {
	l, _ := b.unfurlable(link)
	switch l.Kind {
	case "trace":
		v, err := b.traceDetail(ctx, c, l.Org, l.TraceID, link)
		if err != nil {
			return nil, err
		}
		return b.cards().unfurlTrace(v, poster), nil
	default:
		event := l.EventID
		if event == "latest" || event == "oldest" || event == "recommended" {
			event = ""
		}
		v, err := b.issueDetail(ctx, c, l.Org, l.IssueID, event)
		if err != nil {
			return nil, err
		}
		return b.cards().unfurlIssue(v, poster), nil
	}
}

// unfurlHint tells the poster alone, at most once a day, why their
// Sentry link got no preview. Nothing is said in the channel.
func (b *Bot) unfurlHint(ctx context.Context, j *job, u unfurlReq, stale bool) error {
	if u.UnfurlID != "" && u.Source == "composer" || u.Channel == "" {
		return nil // still being written: no conversation to hint in
	}
	principal := Principal(u.Team, u.User)
	now := b.now()
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	err := b.cfg.Store.RecordEvent(sctx, "slack-unfurl-hint:"+principal, now, now.Add(hintTTL))
	cancel()
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		j.log.Info("slack: no preview for a user who is not connected (hinted already today)", "principal", principal)
		return nil
	case err != nil:
		return err
	}
	text := "I can preview the Sentry links you share once you connect your own Sentry account: say `connect sentry` to me, or open my Home tab. Only you can see this."
	if stale {
		text = "Your Sentry connection expired or was revoked, so I couldn't preview your Sentry link. Say `connect sentry` to me, or open my Home tab, to reconnect. Only you can see this."
	}
	m := message{Team: u.Team, User: u.User, Channel: u.Channel, DM: isDM(u.Channel, ""), ThreadTS: u.ThreadTS}
	err = b.sendPrivately(ctx, j, m, text)
	var perm *permanentError
	if errors.As(err, &perm) {
		j.log.Warn("slack: could not hint a user about a link preview", "err", err)
		return nil
	}
	return err
}

// unfurlCache keeps previews per (poster, link) until they expire.
type unfurlCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]unfurlEntry
}

type unfurlEntry struct {
	blocks json.RawMessage
	until  time.Time
}

func newUnfurlCache(max int) *unfurlCache {
	return &unfurlCache{max: max, entries: map[string]unfurlEntry{}}
}

func cacheKey(principal, link string) string { return principal + "\x00" + link }

func (c *unfurlCache) get(principal, link string, now time.Time) (json.RawMessage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[cacheKey(principal, link)]
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	return e.blocks, true
}

func (c *unfurlCache) put(principal, link string, blocks json.RawMessage, now, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[cacheKey(principal, link)] = unfurlEntry{blocks: blocks, until: until}
}
