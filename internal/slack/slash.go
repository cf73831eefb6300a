package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	slackapi "github.com/slack-go/slack"

	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/slack/blockkit"
	"github.com/lookout-hq/lookout/internal/store"
)

// The slash command (/sentry <question>): the same commands and model mode
// as a question, answered to its user alone, wherever they typed it,
// through the command's response URL (each answer replaces the previous
// one, so sending it again after a failure shows it once), or, once that
// URL has expired, as an ephemeral message or a direct message.

// slashProgress is what a command's item remembers between attempts.
type slashProgress struct {
	Ran     bool    `json:"ran,omitempty"`
	Outcome outcome `json:"outcome"`
	Parked  bool    `json:"parked,omitempty"`
}

// runSlash answers a slash command (kindCommand).
func (b *Bot) runSlash(ctx context.Context, j *job) error {
	var s slashReq
	if err := json.Unmarshal(j.item.Payload, &s); err != nil {
		return permanent(fmt.Errorf("undecodable command: %w", err))
	}
	m := s.message()
	var p slashProgress
	j.load(&p)
	if !p.Ran {
		if cmd := parseCommand(m.Text); cmd != "" {
			p.Outcome = outcome{Private: b.command(ctx, m, cmd)}
		} else {
			o, err := b.turn(ctx, j, m, &progress{})
			if err != nil {
				return err
			}
			p.Outcome = o
		}
		p.Ran = true
		b.saveSlash(ctx, j, &p)
	}
	o := p.Outcome
	text, blocks := orDefault(o.Thread, o.Private), o.Blocks
	if o.Auth != nil {
		blocks = nil
		var err error
		if text, err = b.slashConsent(ctx, j, m, &p); err != nil {
			return err
		}
	}
	return b.answerPrivately(ctx, j, s, text, blocks)
}

// slashConsent parks a command that needs consent and returns its private
// answer: the connect link.
func (b *Bot) slashConsent(ctx context.Context, j *job, m message, p *slashProgress) (string, error) {
	auth := *p.Outcome.Auth
	principal := m.principal()
	if !p.Parked {
		if err := b.park(ctx, j, m, auth); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return "", fmt.Errorf("park the command: %w", err)
		}
		p.Parked = true
		b.saveSlash(ctx, j, p)
		if b.grantUsable(ctx, principal, auth) {
			if _, err := b.markReady(ctx, principal); err != nil {
				return "", err
			}
			return "You're connected to Sentry now; I'll answer in a moment.", nil
		}
	}
	link, err := b.connectLink(ctx, principal)
	if err != nil {
		j.log.Error("slack: could not create a connect link", "principal", principal, "err", err)
		return "I need your own Sentry access for this, but I couldn't create a connect link right now. Say `/sentry connect` in a minute" + requestid.Suffix(ctx) + ".", nil
	}
	j.log.Info("slack: a command waits for Sentry consent", "principal", principal, "reason", auth.Reason, "scope", auth.Scope)
	return slashLinkText(auth, link), nil
}

// answerPrivately sends a command's answer through its response URL, in
// place of what it said before ("Looking at Sentry…"); when the URL no
// longer takes answers, privately in the channel or a direct message.
// Cards Slack refuses are dropped for the text.
func (b *Bot) answerPrivately(ctx context.Context, j *job, s slashReq, text string, raw json.RawMessage) error {
	blocks := b.checkedBlocks(j, raw, blockkit.Message)
	if s.ResponseURL != "" {
		err := b.respond(ctx, j, s.ResponseURL, text, blocks, true)
		if slackCode(err) == "invalid_blocks" && len(blocks) > 0 {
			j.log.Error("slack: Slack refused a command's cards; sending its text", "err", err)
			blocks = nil
			err = b.respond(ctx, j, s.ResponseURL, text, nil, true)
		}
		if !isPermanent(err) {
			return err
		}
		j.log.Info("slack: the command's response URL refused; answering another way", "err", err)
	}
	var extra []slackapi.MsgOption
	if len(blocks) > 0 {
		extra = append(extra, slackapi.MsgOptionBlocks(blocks...))
	}
	err := b.sendPrivately(ctx, j, s.message(), text, extra...)
	if isPermanent(err) {
		j.log.Error("slack: could not answer a command", "err", err)
		return nil
	}
	return err
}

func (b *Bot) saveSlash(ctx context.Context, j *job, p *slashProgress) {
	if err := j.save(ctx, p); err != nil && !errors.Is(err, errLeaseLost) {
		j.log.Warn("slack: could not save a command's progress", "err", err)
	}
}

// giveUpSlash tells a command's user it will not be answered.
func (b *Bot) giveUpSlash(ctx context.Context, j *job) {
	var s slashReq
	if json.Unmarshal(j.item.Payload, &s) != nil {
		return
	}
	if err := b.answerPrivately(ctx, j, s, giveUpText(ctx), nil); err != nil {
		j.log.Error("slack: could not tell the user their command was given up", "err", err)
	}
}
