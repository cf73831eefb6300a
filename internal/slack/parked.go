package slack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/store"
)

// parkedTurn is a question waiting for its user's Sentry consent: where to
// answer and what was asked (ParkedRequest.Data).
type parkedTurn struct {
	Team     string `json:"team"`
	UserTeam string `json:"user_team,omitempty"`
	User     string `json:"user"`
	Channel  string `json:"channel"`
	DM       bool   `json:"dm,omitempty"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts,omitempty"`
	Text     string `json:"text"`
	Reason   string `json:"reason"`          // why it waits: agent.Reason*
	Scope    string `json:"scope,omitempty"` // the missing scope, for ReasonMissingScope
}

func (p parkedTurn) message() message {
	return message{Team: p.Team, UserTeam: p.UserTeam, User: p.User, Channel: p.Channel, DM: p.DM,
		TS: p.TS, ThreadTS: p.ThreadTS, Text: p.Text}
}

// park stores m as waiting for consent, for ParkTTL.
func (b *Bot) park(ctx context.Context, m message, auth agent.AuthNeeded) error {
	data, err := json.Marshal(parkedTurn{
		Team: m.Team, UserTeam: m.UserTeam, User: m.User, Channel: m.Channel, DM: m.DM,
		TS: m.TS, ThreadTS: m.ThreadTS, Text: m.Text, Reason: auth.Reason, Scope: auth.Scope,
	})
	if err != nil {
		return err
	}
	now := b.now()
	return b.cfg.Store.ParkRequest(ctx, store.ParkedRequest{
		ID: rand.Text(), Principal: m.principal(), Data: data, CreatedAt: now, ExpiresAt: now.Add(ParkTTL),
	})
}

// resumeLoop claims ready parked questions at start, every ResumeInterval
// and when OnConnected nudges it, until ctx ends; then it waits for the
// questions it is answering. Claims carry a lease, so across replicas (and
// after a crash, once the lease ends) each question is taken by one.
func (b *Bot) resumeLoop(ctx, work context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, resumeConcurrency)
	t := time.NewTicker(b.cfg.ResumeInterval)
	defer t.Stop()
	for {
		b.claim(ctx, work, slots, &wg)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.wake:
		}
	}
}

// claim leases as many ready questions as there are free slots and
// answers each in its own goroutine.
func (b *Bot) claim(ctx, work context.Context, slots chan struct{}, wg *sync.WaitGroup) {
	free := cap(slots) - len(slots)
	if free == 0 {
		return
	}
	now := b.now()
	claimed, err := b.cfg.Store.ClaimParkedRequests(ctx, b.owner, now, now.Add(b.cfg.ResumeLease), free)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("slack: claiming parked questions", "err", err)
		}
		return
	}
	for _, p := range claimed {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			b.resume(work, p)
		})
	}
}

// resume answers a parked question after consent, exactly once: unless the
// user asked something newer in that thread, the turn runs again as the
// principal; the request is then completed, and only the process whose
// completion succeeds posts, so a replica that took over after a lapsed
// lease never answers twice.
func (b *Bot) resume(ctx context.Context, p store.ParkedRequest) {
	var pt parkedTurn
	if err := json.Unmarshal(p.Data, &pt); err != nil {
		b.log.Error("slack: undecodable parked question; dropping it", "id", p.ID, "err", err)
		b.complete(ctx, p)
		return
	}
	m := pt.message()
	log := b.log.With("principal", p.Principal, "channel", m.Channel, "ts", m.TS)
	newer, err := b.askedSince(ctx, m)
	if err != nil {
		log.Warn("slack: could not check for newer questions; answering anyway", "err", err)
	}
	if newer {
		if b.complete(ctx, p) {
			log.Info("slack: not answering a parked question: the user asked something newer")
			b.reply(ctx, m, b.address(m)+newerText(m.Text))
		}
		return
	}
	reply, err := b.cfg.Agent.Run(ctx, agent.Turn{Principal: p.Principal, Text: m.Text, History: b.history(ctx, m)})
	if err != nil && ctx.Err() != nil {
		// Shutting down: leave it; it is claimed again when the lease ends.
		log.Warn("slack: resuming a parked question was interrupted; it will be retried", "err", err)
		return
	}
	if !b.complete(ctx, p) {
		return
	}
	switch {
	case err != nil:
		b.reply(ctx, m, b.address(m)+mrkdwn(agent.Explain(err)))
	case reply.Auth != nil:
		// Consent did not help: say what is missing, privately, and stop
		// (no new link, no new parking: no loop).
		log.Warn("slack: parked question still needs Sentry access after consent", "reason", reply.Auth.Reason, "scope", reply.Auth.Scope)
		if err := b.sendPrivately(ctx, m, stillMissingText(*reply.Auth, m.Text)); err != nil {
			log.Error("slack: could not tell the user privately", "err", err)
		}
	default:
		log.Info("slack: answered a parked question")
		b.reply(ctx, m, b.address(m)+"you're connected to Sentry; here's the answer to "+quote(m.Text)+":\n"+mrkdwn(reply.Text))
	}
}

// complete removes a parked question, and reports whether this call did:
// false when another process completed it first, or the store failed (it
// stays claimed and is retried when the lease ends).
func (b *Bot) complete(ctx context.Context, p store.ParkedRequest) bool {
	err := b.cfg.Store.CompleteParkedRequest(ctx, p.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		b.log.Info("slack: parked question already answered elsewhere", "id", p.ID)
		return false
	case err != nil:
		b.log.Error("slack: completing a parked question", "id", p.ID, "err", err)
		return false
	}
	return true
}

// askedSince reports whether m's user wrote something other than a
// connection command after m, in m's thread (or, for a top-level DM, in
// the DM).
func (b *Bot) askedSince(ctx context.Context, m message) (bool, error) {
	var (
		msgs []slackMessage
		err  error
	)
	if thread := m.replyThread(); thread != "" {
		msgs, err = b.replies(ctx, m.Channel, thread)
	} else {
		msgs, err = b.historySince(ctx, m.Channel, m.TS)
	}
	if err != nil {
		return false, err
	}
	botUser := b.botUserID(ctx)
	for _, msg := range msgs {
		if msg.User != m.User || msg.BotID != "" || !userSubtypes[msg.SubType] || compareTS(msg.Timestamp, m.TS) <= 0 {
			continue
		}
		if parseCommand(plainText(msg.Text, botUser, false)) != "" {
			continue
		}
		return true, nil
	}
	return false, nil
}
