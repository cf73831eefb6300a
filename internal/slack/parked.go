package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	// Slash: a slash command; its answer goes to its user alone.
	Slash bool `json:"slash,omitempty"`
	// Action: a click (not a question), carried out after consent.
	Action *actionReq `json:"action,omitempty"`
}

func (p parkedTurn) message() message {
	return message{Team: p.Team, UserTeam: p.UserTeam, User: p.User, Channel: p.Channel, DM: p.DM,
		TS: p.TS, ThreadTS: p.ThreadTS, Text: p.Text, Slash: p.Slash}
}

// park stores m as waiting for consent, for ParkTTL, under an id taken
// from j's item, so that parking again after a crash finds it parked
// (ErrAlreadyExists).
func (b *Bot) park(ctx context.Context, j *job, m message, auth agent.AuthNeeded) error {
	return b.parkTurn(ctx, j, m.principal(), parkedTurn{
		Team: m.Team, UserTeam: m.UserTeam, User: m.User, Channel: m.Channel, DM: m.DM,
		TS: m.TS, ThreadTS: m.ThreadTS, Text: m.Text, Reason: auth.Reason, Scope: auth.Scope, Slash: m.Slash,
	})
}

// parkTurn stores pt (a question, a command or a click) as principal's,
// waiting for consent, under an id taken from j's item.
func (b *Bot) parkTurn(ctx context.Context, j *job, principal string, pt parkedTurn) error {
	data, err := json.Marshal(pt)
	if err != nil {
		return err
	}
	cctx, cancel, err := j.fence(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	now := b.now()
	return b.cfg.Store.ParkRequest(cctx, store.ParkedRequest{
		ID: "q-" + j.item.ID, Principal: principal, Data: data, CreatedAt: now, ExpiresAt: now.Add(ParkTTL),
	})
}

// resumeLoop hands ready parked questions to the inbox at start, every
// ResumeInterval and when OnConnected nudges it, until ctx ends. A claim
// carries a lease, so across replicas one takes each; handing over is
// quick (an inbox item is recorded, then the parked question deleted) and
// safe to repeat (the item's id is the parked question's), so a replica
// that dies halfway leaves it to the next round of another.
func (b *Bot) resumeLoop(ctx context.Context) {
	t := time.NewTicker(b.cfg.ResumeInterval)
	defer t.Stop()
	for {
		b.handOver(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.wake:
		}
	}
}

// resumption is what a kindResume item carries.
type resumption struct {
	Principal string          `json:"principal"`
	Parked    json.RawMessage `json:"parked"` // the parkedTurn
}

func (b *Bot) handOver(ctx context.Context) {
	now := b.now()
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	claimed, err := b.cfg.Store.ClaimParkedRequests(sctx, b.owner, now, now.Add(b.cfg.ResumeLease), resumeBatch)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("slack: claiming parked questions", "err", err)
		}
		return
	}
	for _, p := range claimed {
		payload, err := json.Marshal(resumption{Principal: p.Principal, Parked: p.Data})
		if err == nil {
			err = b.record(ctx, store.InboxItem{ID: "slack-resume:" + p.ID, Kind: kindResume, Payload: payload},
				b.log.With("principal", p.Principal, "parked_id", p.ID))
		}
		if err != nil {
			b.log.Warn("slack: could not hand a parked question to the inbox; trying again later", "id", p.ID, "err", err)
			continue
		}
		b.cfg.Observer.Resumed()
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err = b.cfg.Store.CompleteParkedRequest(sctx, p.ID)
		cancel()
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			b.log.Warn("slack: removing a parked question handed to the inbox", "id", p.ID, "err", err)
		}
	}
}

// resumeOf reads a kindResume item.
func resumeOf(j *job) (parkedTurn, string, error) {
	var r resumption
	var pt parkedTurn
	if err := json.Unmarshal(j.item.Payload, &r); err != nil {
		return pt, "", err
	}
	err := json.Unmarshal(r.Parked, &pt)
	return pt, r.Principal, err
}

// runResume answers a parked question after consent (kindResume): unless
// the user asked something newer in that thread, the turn runs again as the
// principal and answers where it was asked.
func (b *Bot) runResume(ctx context.Context, j *job) error {
	pt, principal, err := resumeOf(j)
	if err != nil {
		return permanent(fmt.Errorf("undecodable parked question: %w", err))
	}
	if pt.Action != nil {
		j.log.Info("slack: carrying out a click after consent", "principal", principal, "action", pt.Action.ActionID)
		return b.act(ctx, j, *pt.Action, true)
	}
	m := pt.message()
	var p progress
	j.load(&p)
	if !m.Slash {
		// A command's answers are private: there is no thread to look in.
		if done, err := b.resumeProgress(ctx, j, m.place(), &p); done || err != nil {
			return err
		}
	}
	if !p.Ran {
		newer := false
		if !m.Slash {
			if newer, err = b.askedSince(ctx, m); err != nil {
				j.log.Warn("slack: could not check for newer questions; answering anyway", "err", err)
			}
		}
		if newer {
			j.log.Info("slack: not answering a parked question: the user asked something newer", "principal", principal)
			p.Outcome = outcome{Thread: b.address(m) + newerText(m.Text)}
		} else {
			o, err := b.turn(ctx, j, m, &p)
			if err != nil {
				return err
			}
			switch {
			case o.Auth != nil:
				// Consent did not help: say what is missing, privately,
				// and stop (no new link, no new parking: no loop).
				j.log.Warn("slack: parked question still needs Sentry access after consent", "reason", o.Auth.Reason, "scope", o.Auth.Scope)
				o = privately(m, stillMissingText(*o.Auth, m.Text))
			case m.Slash:
				blocks := o.Blocks
				o = privately(m, "You're connected to Sentry; here's the answer to "+quote(m.Text)+":\n"+o.Thread)
				o.Blocks = blocks
			case o.Failed:
				o.Thread = b.address(m) + o.Thread
			default:
				o.Thread = b.address(m) + "you're connected to Sentry; here's the answer to " + quote(m.Text) + ":\n" + o.Thread
			}
			p.Outcome = o
		}
		p.Ran = true
		b.saveProgress(ctx, j, &p)
	}
	return b.deliver(ctx, j, m, &p)
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
