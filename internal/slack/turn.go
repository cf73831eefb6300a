package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/slack/blockkit"
	"github.com/lookout-hq/lookout/internal/store"
)

// maxHistory bounds the earlier thread messages given to the agent.
const maxHistory = 20

// progress is what a question's item remembers between attempts, saved
// before each step that others see, so that a worker taking over after a
// crash carries on instead of running the turn again or answering twice.
type progress struct {
	// StatusTS is the bot's status message in the reply thread ("queued",
	// "Looking at Sentry…"): the answer replaces it.
	StatusTS string `json:"status_ts,omitempty"`
	// Ran: the turn ran and Outcome says what to send.
	Ran     bool    `json:"ran,omitempty"`
	Outcome outcome `json:"outcome"`
	Parked  bool    `json:"parked,omitempty"`  // the question is parked for consent
	Linked  bool    `json:"linked,omitempty"`  // the consent step is done (link sent, or not needed)
	Private bool    `json:"private,omitempty"` // Outcome.Private went out
}

// outcome is what a turn decided to send.
type outcome struct {
	Thread  string            `json:"thread,omitempty"`  // to the thread (replacing the status message)
	Private string            `json:"private,omitempty"` // to the user alone
	Auth    *agent.AuthNeeded `json:"auth,omitempty"`    // park, send a connect link, note it in the thread
	Failed  bool              `json:"failed,omitempty"`  // Thread says why the turn failed
	// Blocks are the answer's cards (JSON), shown with the answer's text
	// (Thread, or Private when there is no Thread) as its fallback.
	Blocks json.RawMessage `json:"blocks,omitempty"`
}

// runQuestion answers one question (kindMessage): a connection command,
// or an agent turn as the asking user, which either answers in the thread
// or asks the user (privately) to connect Sentry and parks the question
// until they do.
func (b *Bot) runQuestion(ctx context.Context, j *job) error {
	var m message
	if err := json.Unmarshal(j.item.Payload, &m); err != nil {
		return permanent(fmt.Errorf("undecodable question: %w", err))
	}
	b.readText(ctx, &m)
	var p progress
	j.load(&p)
	if done, err := b.resumeProgress(ctx, j, m.place(), &p); done || err != nil {
		return err
	}
	if !p.Ran {
		if m.Mention && !m.DM {
			b.joinThread(ctx, m)
		}
		if cmd := parseCommand(m.Text); cmd != "" {
			p.Outcome = privately(m, b.command(ctx, m, cmd))
		} else {
			o, err := b.turn(ctx, j, m, &p)
			if err != nil {
				return err
			}
			p.Outcome = o
		}
		p.Ran = true
		b.saveProgress(ctx, j, &p)
	}
	return b.deliver(ctx, j, m, &p)
}

// privately is an outcome that says text to m's user alone: in a DM, the
// reply itself (replacing the status message like any answer); in a
// channel, an ephemeral message, the status message removed.
func privately(m message, text string) outcome {
	if m.DM {
		return outcome{Thread: text}
	}
	return outcome{Private: text}
}

// readText reads the question's text again with the bot's user id, which
// may not have been known when the event was received.
func (b *Bot) readText(ctx context.Context, m *message) {
	if m.RawText == "" {
		return
	}
	if t := plainText(m.RawText, b.botUserID(ctx), m.Mention); t != "" {
		m.Text = t
	}
}

// resumeProgress, on a later attempt at an item, looks in Slack for what an
// earlier attempt posted: the answer (then the item is done) or a status
// message whose ts was not saved. A lookup that fails is retried later
// rather than risking a second answer.
func (b *Bot) resumeProgress(ctx context.Context, j *job, at place, p *progress) (done bool, err error) {
	if j.item.Attempts <= 1 {
		return false, nil
	}
	parts, err := b.findReplies(ctx, at, j.item.ID)
	var perm *permanentError
	switch {
	case errors.As(err, &perm):
		// Slack will not show the thread (deleted, or the bot removed):
		// nothing can have been posted there that it would show.
		j.log.Warn("slack: could not look for earlier replies", "err", err)
		return false, nil
	case err != nil:
		return false, err
	case parts[partAnswer] != "":
		j.log.Info("slack: an earlier attempt had answered; marking the item answered")
		return true, nil
	}
	if p.StatusTS == "" && parts[partStatus] != "" {
		p.StatusTS = parts[partStatus]
	}
	return false, nil
}

// saveProgress saves p; a store failure is logged and the work goes on:
// the item's next worker, if any, finds in Slack what this one posted.
func (b *Bot) saveProgress(ctx context.Context, j *job, p *progress) {
	if err := j.save(ctx, p); err != nil && !errors.Is(err, errLeaseLost) {
		j.log.Warn("slack: could not save an inbox item's progress", "err", err)
	}
}

// turn runs the agent for m and says what to send. A turn still running
// after StatusAfter gets a status message (in an assistant thread, the
// assistant's status, at once). An answer about issues comes with their
// cards. An error is returned only when the turn was cut short (the claim
// lost, or shutdown): the item is then retried, not answered.
func (b *Bot) turn(ctx context.Context, j *job, m message, p *progress) (outcome, error) {
	stop := func() {}
	switch {
	case m.Slash:
		// The command's immediate answer says lookout is working on it.
	case b.assistantThread(ctx, m) && b.setAssistantStatus(ctx, j, m, assistantWorking):
	default:
		stop = b.statusAfter(ctx, j, m, p)
	}
	org, project := b.defaults(ctx, m.principal())
	var history []agent.Message
	if !m.Slash {
		history = b.history(ctx, m)
	}
	reply, err := b.cfg.Agent.Run(ctx, agent.Turn{Principal: m.principal(), Text: m.Text, History: history, Org: org, Project: project})
	stop()
	switch {
	case err != nil && ctx.Err() != nil:
		return outcome{}, fmt.Errorf("turn interrupted: %w (%w)", context.Cause(ctx), err)
	case err != nil:
		return outcome{Thread: mrkdwn(explain(ctx, err)), Failed: true}, nil
	case reply.Auth != nil:
		return outcome{Auth: reply.Auth}, nil
	}
	o := outcome{Thread: mrkdwn(reply.Text)}
	if reply.Subject != nil {
		o.Blocks = blocksJSON(b.answerCards(ctx, j, m.principal(), m.User, reply.Subject))
	}
	return o, nil
}

// Preference names of a Slack user's pinned organization and project.
const (
	prefOrg     = "org"
	prefProject = "project"
)

// defaults returns principal's pinned organization and project ("" when
// none, or when they cannot be read: the question is then answered as if
// nothing were pinned).
func (b *Bot) defaults(ctx context.Context, principal string) (org, project string) {
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	prefs, err := b.cfg.Store.Preferences(sctx, principal)
	if err != nil {
		b.log.Warn("slack: could not read a user's pinned organization; answering without it", "principal", principal, "err", err)
		return "", ""
	}
	return prefs[prefOrg], prefs[prefProject]
}

// explain words a failed turn for the thread: agent.Explain's plain words,
// with the request id of the attempt when the error did not carry one.
func explain(ctx context.Context, err error) string {
	text := agent.Explain(err)
	if !strings.Contains(text, "request id") {
		text = strings.TrimSuffix(text, ".") + requestid.Suffix(ctx) + "."
	}
	return text
}

// statusAfter posts "Looking at Sentry…" in m's reply thread if the turn
// is still running after StatusAfter (and no status message is there yet),
// and saves its ts. The returned stop waits for it: p is the caller's again.
func (b *Bot) statusAfter(ctx context.Context, j *job, m message, p *progress) (stop func()) {
	if p.StatusTS != "" {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTimer(b.cfg.StatusAfter)
		defer t.Stop()
		select {
		case <-quit:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ts, err := b.postReply(ctx, j, m.place(), workingText, partStatus)
		if err != nil {
			j.log.Warn("slack: could not post the status message", "err", err)
			return
		}
		p.StatusTS = ts
		b.saveProgress(ctx, j, p)
	})
	return func() { close(quit); wg.Wait() }
}

// deliver carries out a turn's outcome: the consent step, the private
// text, then the thread (the answer replaces the status message; with
// nothing for the thread, the status message is removed). Each step is
// saved as done before the next, and the thread step, which marks the item
// answered in Slack's eyes, comes last.
func (b *Bot) deliver(ctx context.Context, j *job, m message, p *progress) error {
	if p.Outcome.Auth != nil && !p.Linked {
		thread, err := b.consent(ctx, j, m, p)
		if err != nil {
			return err
		}
		p.Outcome.Thread, p.Linked = thread, true
		b.saveProgress(ctx, j, p)
	}
	if p.Outcome.Private != "" && !p.Private {
		var extra []slackapi.MsgOption
		if p.Outcome.Thread == "" {
			extra = b.blockOptions(j, p.Outcome.Blocks)
		}
		err := b.sendPrivately(ctx, j, m, p.Outcome.Private, extra...)
		if slackCode(err) == "invalid_blocks" && len(extra) > 0 {
			j.log.Error("slack: Slack refused an answer's cards; sending its text", "err", err)
			err = b.sendPrivately(ctx, j, m, p.Outcome.Private)
		}
		if err != nil {
			var perm *permanentError
			if !errors.As(err, &perm) {
				return err
			}
			j.log.Error("slack: could not answer privately", "principal", m.principal(), "err", err)
		}
		p.Private = true
		b.saveProgress(ctx, j, p)
	}
	if err := b.threadReply(ctx, j, m, p); err != nil {
		return err
	}
	if p.Outcome.Thread != "" && !m.DM {
		b.joinThread(ctx, m)
	}
	return nil
}

// threadReply puts the outcome's thread text (with its cards) in place of
// the status message, or posts it; with no thread text, it removes the
// status message. Cards Slack refuses are dropped for the text.
func (b *Bot) threadReply(ctx context.Context, j *job, m message, p *progress) error {
	err := b.threadReplyWith(ctx, j, m, p, b.blockOptions(j, p.Outcome.Blocks))
	if slackCode(err) == "invalid_blocks" && len(p.Outcome.Blocks) > 0 {
		j.log.Error("slack: Slack refused an answer's cards; sending its text", "err", err)
		err = b.threadReplyWith(ctx, j, m, p, nil)
	}
	return err
}

func (b *Bot) threadReplyWith(ctx context.Context, j *job, m message, p *progress, extra []slackapi.MsgOption) error {
	text := p.Outcome.Thread
	switch {
	case text == "" && p.StatusTS == "":
		return nil
	case text == "":
		return b.deleteReply(ctx, j, m.Channel, p.StatusTS)
	case p.StatusTS != "":
		err := b.updateReply(ctx, j, m.Channel, p.StatusTS, text, partAnswer, extra...)
		if slackCode(err) != "message_not_found" {
			return err
		}
		// Someone deleted the status message: post the answer instead.
	}
	_, err := b.postReply(ctx, j, m.place(), text, partAnswer, extra...)
	return err
}

// blockOptions are the message options that carry saved cards: none when
// there are none, or when they do not decode or break a Block Kit limit
// (the answer then goes as text: a card never costs an answer).
func (b *Bot) blockOptions(j *job, raw json.RawMessage) []slackapi.MsgOption {
	blocks := b.checkedBlocks(j, raw, blockkit.Message)
	if len(blocks) == 0 {
		return nil
	}
	return []slackapi.MsgOption{slackapi.MsgOptionBlocks(blocks...)}
}

// checkedBlocks decodes saved blocks and checks them against surface's
// limits; nil (and a log line) when they fail.
func (b *Bot) checkedBlocks(j *job, raw json.RawMessage, surface blockkit.Surface) []slackapi.Block {
	if len(raw) == 0 {
		return nil
	}
	blocks, err := decodeBlocks(raw)
	if err == nil {
		err = blockkit.CheckValue(surface, blocks)
	}
	if err != nil {
		j.log.Error("slack: cards that Slack would refuse; sending text instead", "err", err)
		return nil
	}
	return blocks
}

// joinThread records that the bot takes part in m's thread, and that m's
// user asked there, so that replies there reach it without a mention
// (LOOKOUT_SLACK_THREADS).
func (b *Bot) joinThread(ctx context.Context, m message) {
	now := b.now()
	for _, key := range []string{m.threadKey(), m.askerKey()} {
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err := b.cfg.Store.RecordEvent(sctx, key, now, now.Add(threadTTL))
		cancel()
		if err != nil && !errors.Is(err, store.ErrAlreadyUsed) {
			b.log.Warn("slack: could not record the thread", "channel", m.Channel, "err", err)
		}
	}
}

// history returns the earlier messages of m's thread for the agent (model
// mode reads them), oldest first; nil for a message not in a thread.
func (b *Bot) history(ctx context.Context, m message) []agent.Message {
	if m.ThreadTS == "" {
		return nil
	}
	msgs, err := b.replies(ctx, m.Channel, m.ThreadTS)
	if err != nil {
		b.log.Warn("slack: could not read the thread for context", "channel", m.Channel, "err", err)
		return nil
	}
	botUser := b.botUserID(ctx)
	var out []agent.Message
	for _, msg := range msgs {
		if compareTS(msg.Timestamp, m.TS) >= 0 || isStatus(msg) {
			continue
		}
		role := agent.RoleUser
		if msg.BotID != "" {
			if msg.User != botUser {
				continue // other bots
			}
			role = agent.RoleAssistant
		}
		text := plainText(msg.Text, botUser, false)
		if text == "" {
			continue
		}
		out = append(out, agent.Message{Role: role, Text: text})
	}
	if len(out) > maxHistory {
		out = out[len(out)-maxHistory:]
	}
	return out
}

// consent handles a turn stopped for Sentry consent: park it FIRST (so the
// callback can resume it whatever happens next), then send the user alone
// a connect link, and return what to tell the thread (without the link).
// Failures the user can do something about are said in the thread; a
// store or Slack failure is returned and the step retried.
func (b *Bot) consent(ctx context.Context, j *job, m message, p *progress) (string, error) {
	auth := *p.Outcome.Auth
	principal := m.principal()
	if !p.Parked {
		err := b.park(ctx, j, m, auth)
		if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return "", fmt.Errorf("park the question: %w", err)
		}
		p.Parked = true
		b.saveProgress(ctx, j, p)
		// The user may have connected while the turn ran: OnConnected
		// then marked their parked questions ready before this one
		// existed (issue #13 §8). With a usable grant now, mark it ready
		// and let the resumer answer; no link is needed.
		if b.grantUsable(ctx, principal, auth) {
			if _, err := b.markReady(ctx, principal); err != nil {
				return "", err
			}
			j.log.Info("slack: the user connected while the question ran; resuming it", "principal", principal)
			return "", nil
		}
	}
	link, err := b.connectLink(ctx, principal)
	if err != nil {
		j.log.Error("slack: could not create a connect link", "principal", principal, "err", err)
		return b.address(m) + "I need your own Sentry access for this, but I couldn't create a connect link right now. Say `connect sentry` in a minute to get one; I'll answer here once you've connected" + requestid.Suffix(ctx) + ".", nil
	}
	if m.DM {
		// The DM is private: the link is the reply there.
		j.log.Info("slack: waiting for Sentry consent", "principal", principal, "reason", auth.Reason, "scope", auth.Scope)
		return linkText(auth, link, true), nil
	}
	if err := b.sendPrivately(ctx, j, m, linkText(auth, link, false)); err != nil {
		var perm *permanentError
		if !errors.As(err, &perm) {
			return "", err
		}
		j.log.Error("slack: could not send the connect link privately", "principal", principal, "err", err)
		return b.address(m) + consentReason(auth) + " I couldn't send you a private link, though. Open a direct message with me and say `connect sentry`; I'll answer here once you've connected.", nil
	}
	j.log.Info("slack: waiting for Sentry consent", "principal", principal, "reason", auth.Reason, "scope", auth.Scope)
	return b.address(m) + threadNote(auth), nil
}

// grantUsable reports whether principal now has a grant that answers what
// auth said was missing.
func (b *Bot) grantUsable(ctx context.Context, principal string, auth agent.AuthNeeded) bool {
	st, err := b.cfg.Vault.Status(ctx, principal)
	if err != nil || st.Stale {
		return false
	}
	return auth.Reason != agent.ReasonMissingScope || auth.Scope == "" || slices.Contains(st.Scopes, auth.Scope)
}

// address starts a message to the user in a channel with their mention.
func (b *Bot) address(m message) string {
	if m.DM {
		return ""
	}
	return "<@" + m.User + "> "
}

func addScope(scopes []string, s string) []string {
	for _, x := range scopes {
		if x == s {
			return scopes
		}
	}
	return append(scopes, s)
}

// giveUpQuestion tells the thread the question will not be answered.
func (b *Bot) giveUpQuestion(ctx context.Context, j *job) {
	if j.item.Kind == kindResume {
		// A parked click or command is told privately, like its answer.
		if pt, _, err := resumeOf(j); err == nil && pt.Action != nil {
			b.giveUpClick(ctx, j, *pt.Action)
			return
		} else if err == nil && pt.Slash {
			if err := b.sendPrivately(ctx, j, pt.message(), giveUpText(ctx)); err != nil {
				j.log.Error("slack: could not tell the user their command was given up", "err", err)
			}
			return
		}
	}
	m, ok := b.questionOf(j)
	if !ok {
		return
	}
	var p progress
	j.load(&p)
	p.Outcome = outcome{Thread: b.address(m) + giveUpText(ctx)}
	if err := b.threadReply(ctx, j, m, &p); err != nil {
		j.log.Error("slack: could not tell the user their question was given up", "err", err)
	}
}

// busyQuestion tells the thread the question waits in the queue, as its
// status message.
func (b *Bot) busyQuestion(ctx context.Context, j *job) error {
	m, ok := b.questionOf(j)
	if !ok {
		return nil
	}
	var p progress
	j.load(&p)
	if p.StatusTS != "" {
		return nil
	}
	ts, err := b.postReply(ctx, j, m.place(), busyText, partStatus)
	if err != nil {
		return err
	}
	p.StatusTS = ts
	return j.save(ctx, &p)
}

// questionOf reads the message an item of kindMessage or kindResume is
// about.
func (b *Bot) questionOf(j *job) (message, bool) {
	switch j.item.Kind {
	case kindMessage:
		var m message
		return m, json.Unmarshal(j.item.Payload, &m) == nil
	case kindResume:
		pt, _, err := resumeOf(j)
		return pt.message(), err == nil
	}
	return message{}, false
}

// markReady marks principal's parked questions ready and wakes the resumer.
func (b *Bot) markReady(ctx context.Context, principal string) (int, error) {
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	n, err := b.cfg.Store.MarkParkedReady(sctx, principal, b.now())
	if err != nil {
		return 0, err
	}
	b.nudge()
	return n, nil
}
