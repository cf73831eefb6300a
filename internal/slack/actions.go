package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/slack/blockkit"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// Clicks (kindAction): triage buttons on cards, a list's "more", and the
// Home tab's controls. Every click runs as the person who clicked, with
// their own grant, whoever asked for the card: someone without a grant
// gets a private connect link and the click is parked and carried out
// once after they consent (the parked-question machinery); someone whose
// Sentry account cannot touch the issue is told privately, and nothing
// changes. A card changes for everyone only after Sentry accepted.

// writeScope is what changing an issue needs.
const writeScope = "event:write"

// actionProgress is what a click's item remembers between attempts.
type actionProgress struct {
	Parked bool `json:"parked,omitempty"` // parked for consent
	Linked bool `json:"linked,omitempty"` // the connect link went out
	// Done: Sentry accepted the change (Issue is what it answered), or
	// the Home tab change is stored.
	Done  bool            `json:"done,omitempty"`
	Issue json.RawMessage `json:"issue,omitempty"`
	Shown bool            `json:"shown,omitempty"` // the card shows the change
}

// runAction carries out a click.
func (b *Bot) runAction(ctx context.Context, j *job) error {
	var a actionReq
	if err := json.Unmarshal(j.item.Payload, &a); err != nil {
		return permanent(fmt.Errorf("undecodable click: %w", err))
	}
	return b.act(ctx, j, a, false)
}

// act carries out click a; resumed after its user's consent, it asks for
// no consent again (no loops).
func (b *Bot) act(ctx context.Context, j *job, a actionReq, resumed bool) error {
	switch a.ActionID {
	case actionResolve, actionIgnore, actionAssign, actionUnresolve, actionMenu:
		ref, ok := triageOf(a)
		if !ok {
			return permanent(errors.New("a triage click without a usable issue"))
		}
		return b.triage(ctx, j, a, ref, resumed)
	case actionMore:
		return b.more(ctx, j, a, resumed)
	case actionHomeDisconnect, actionHomeOrg, actionHomeProject, actionHomeClear:
		return b.homeAction(ctx, j, a)
	}
	j.log.Info("slack: a click lookout does not act on", "action", a.ActionID)
	return nil
}

// triageOf reads which issue a triage click is about and what to do.
func triageOf(a actionReq) (issueAction, bool) {
	var v issueAction
	if err := json.Unmarshal([]byte(a.Value), &v); err != nil || !slugOK(v.Org) || v.Issue == "" || len(v.Issue) > 64 {
		return v, false
	}
	switch a.ActionID {
	case actionResolve:
		v.Verb = verbResolve
	case actionIgnore:
		v.Verb = verbIgnore
	case actionAssign:
		v.Verb = verbAssign
	case actionUnresolve:
		v.Verb = verbUnresolve
	}
	return v, slices.Contains([]string{verbResolve, verbIgnore, verbAssign, verbUnresolve}, v.Verb)
}

// triage changes an issue as the clicker, then shows the change.
func (b *Bot) triage(ctx context.Context, j *job, a actionReq, ref issueAction, resumed bool) error {
	var p actionProgress
	j.load(&p)
	if !b.cfg.Triage {
		return b.tellClicker(ctx, j, a, "Changing issues from Slack is turned off on this lookout, so nothing changed. Open the issue in Sentry to change it.")
	}
	principal := a.principal()
	var is sentry.Issue
	if p.Done {
		if err := json.Unmarshal(p.Issue, &is); err != nil {
			return permanent(fmt.Errorf("undecodable issue in progress: %w", err))
		}
	} else {
		got, err := b.changeIssue(ctx, principal, ref)
		if err != nil {
			return b.clickFailed(ctx, j, a, &p, err, resumed, "issue "+ref.Issue)
		}
		is = *got
		p.Done, p.Issue = true, mustJSON(is)
		b.saveAction(ctx, j, &p)
		j.log.Info("slack: changed an issue as the clicking user", "principal", principal, "verb", ref.Verb, "org", ref.Org, "issue", ref.Issue)
	}
	if !p.Shown {
		if err := b.showChange(ctx, j, a, ref, is); err != nil {
			return err
		}
		p.Shown = true
		b.saveAction(ctx, j, &p)
	}
	return nil
}

// changeIssue asks Sentry, with principal's grant, to make the change. A
// grant without event:write is the missing scope, before Sentry is asked.
func (b *Bot) changeIssue(ctx context.Context, principal string, ref issueAction) (*sentry.Issue, error) {
	st, err := b.cfg.Vault.Status(ctx, principal)
	switch {
	case err != nil:
		return nil, err
	case st.Stale:
		return nil, vault.ErrStale
	case !st.HasScope(writeScope) && !st.HasScope("event:admin"):
		return nil, &sentry.APIError{Kind: sentry.ErrMissingScope, Scope: writeScope, Status: 403}
	}
	c, sctx, cancel, err := b.sentryAs(ctx, principal)
	if err != nil {
		return nil, err
	}
	defer cancel()
	var u sentry.IssueUpdate
	switch ref.Verb {
	case verbResolve:
		u.Status = "resolved"
	case verbIgnore:
		u.Status, u.Substatus = "ignored", "archived_until_escalating"
	case verbUnresolve:
		u.Status = "unresolved"
	case verbAssign:
		id := st.User.ID
		if id == "" {
			me, err := c.WhoAmI(sctx)
			if err != nil {
				return nil, err
			}
			id = string(me.ID)
		}
		who := "user:" + id
		u.AssignedTo = &who
	}
	return c.UpdateIssue(sctx, ref.Org, ref.Issue, u)
}

// clickFailed handles a click Sentry (or the vault) did not carry out:
// consent needed (park the click, send the link privately), trouble on
// lookout's side (retried later), or anything else (said privately:
// nothing changed). what names the subject for the user.
func (b *Bot) clickFailed(ctx context.Context, j *job, a actionReq, p *actionProgress, err error, resumed bool, what string) error {
	if ctx.Err() != nil {
		return err
	}
	if auth := agent.NeedsAuth(err); auth != nil {
		if auth.Scope == "" && a.ActionID != actionMore {
			// A change needs event:write whatever else is missing: the
			// consent asks for it (ScopesFor reads the parked scope).
			auth.Scope = writeScope
		}
		if resumed {
			j.log.Warn("slack: a click still lacks Sentry access after consent", "reason", auth.Reason, "scope", auth.Scope)
			return b.tellClicker(ctx, j, a, clickStillMissing(*auth))
		}
		return b.parkClick(ctx, j, a, p, *auth)
	}
	if errors.Is(err, vault.ErrUnavailable) {
		return err // lookout's trouble: the item is retried
	}
	j.log.Info("slack: a click was not carried out", "err", err)
	return b.tellClicker(ctx, j, a, sentryTrouble(err, what)+requestid.Suffix(ctx))
}

// parkClick parks a click until its user consents: park first, then the
// private link (as for questions).
func (b *Bot) parkClick(ctx context.Context, j *job, a actionReq, p *actionProgress, auth agent.AuthNeeded) error {
	principal := a.principal()
	if !p.Parked {
		click := a
		click.Blocks = nil // the card as it is when the click resumes is what matters
		pt := parkedTurn{Team: a.Team, UserTeam: a.UserTeam, User: a.User, Channel: a.Channel, DM: isDM(a.Channel, ""),
			TS: a.MessageTS, ThreadTS: a.ThreadTS, Text: a.ActionID, Reason: auth.Reason, Scope: auth.Scope, Action: &click}
		if err := b.parkTurn(ctx, j, principal, pt); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("park the click: %w", err)
		}
		p.Parked = true
		b.saveAction(ctx, j, p)
		if b.grantUsable(ctx, principal, auth) {
			if _, err := b.markReady(ctx, principal); err != nil {
				return err
			}
			return nil
		}
	}
	if p.Linked {
		return nil
	}
	link, err := b.connectLink(ctx, principal)
	if err != nil {
		j.log.Error("slack: could not create a connect link", "principal", principal, "err", err)
		return b.tellClicker(ctx, j, a, "I need your own Sentry access for this, but I couldn't create a connect link right now. Say `connect sentry` to me in a minute; I'll do it once you've connected"+requestid.Suffix(ctx)+".")
	}
	if err := b.tellClicker(ctx, j, a, clickLinkText(auth, link)); err != nil {
		return err
	}
	p.Linked = true
	b.saveAction(ctx, j, p)
	j.log.Info("slack: a click waits for Sentry consent", "principal", principal, "reason", auth.Reason, "scope", auth.Scope)
	return nil
}

// showChange shows a carried-out change: the card changes in place for
// everyone (a message lookout posted, whose blocks Slack sent with the
// click); otherwise the clicker is told privately.
func (b *Bot) showChange(ctx context.Context, j *job, a actionReq, ref issueAction, is sentry.Issue) error {
	note := changeNote(ref.Verb, a.User, b.now())
	if a.Ephemeral || a.Home || a.Channel == "" || a.MessageTS == "" {
		return b.tellClicker(ctx, j, a, changeText(ref.Verb, is)+".")
	}
	if len(a.Blocks) == 0 {
		// A click carried out after consent: the card as it is now.
		a.Text, a.Blocks = b.currentMessage(ctx, a.Channel, a.ThreadTS, a.MessageTS)
	}
	blocks, ok := b.cards().patch(a.Blocks, issueView{Org: ref.Org, Issue: is}, note)
	if !ok {
		return b.tellClicker(ctx, j, a, changeText(ref.Verb, is)+".")
	}
	err := b.updateMessage(ctx, j, a.Channel, a.MessageTS, orDefault(a.Text, changeText(ref.Verb, is)), blocks)
	switch slackCode(err) {
	case "message_not_found", "cant_update_message", "edit_window_closed", "invalid_blocks":
		j.log.Warn("slack: could not change the card; telling the clicker", "err", err)
		return b.tellClicker(ctx, j, a, changeText(ref.Verb, is)+".")
	}
	return err
}

// currentMessage returns the text and blocks (JSON) of message ts as
// Slack shows it now; empty when Slack does not say.
func (b *Bot) currentMessage(ctx context.Context, channel, thread, ts string) (string, json.RawMessage) {
	var msgs []slackMessage
	var err error
	if thread != "" && thread != ts {
		msgs, err = b.replies(ctx, channel, thread)
	} else {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		var resp *slackapi.GetConversationHistoryResponse
		resp, err = b.api.GetConversationHistoryContext(cctx, &slackapi.GetConversationHistoryParameters{
			ChannelID: channel, Latest: ts, Inclusive: true, Limit: 1})
		cancel()
		if err == nil {
			msgs = resp.Messages
		}
	}
	if err != nil {
		b.log.Info("slack: could not read a card to change it", "err", err)
		return "", nil
	}
	for _, m := range msgs {
		if m.Timestamp == ts && len(m.Blocks.BlockSet) > 0 {
			return m.Text, mustJSON(m.Blocks.BlockSet)
		}
	}
	return "", nil
}

// changeText says what happened to an issue.
func changeText(verb string, is sentry.Issue) string {
	id := orDefault(is.ShortID, string(is.ID))
	switch verb {
	case verbResolve:
		return "Resolved " + id
	case verbIgnore:
		return "Archived " + id + " (until it escalates)"
	case verbUnresolve:
		return "Reopened " + id
	case verbAssign:
		return "Assigned " + id + " to you"
	}
	return "Changed " + id
}

// changeNote is a card's line about who changed the issue, and when.
func changeNote(verb, user string, at time.Time) string {
	what := map[string]string{verbResolve: ":white_check_mark: Resolved", verbIgnore: ":zzz: Archived", verbUnresolve: ":leftwards_arrow_with_hook: Reopened",
		verbAssign: ":bust_in_silhouette: Assigned"}[verb]
	s := what + " by <@" + user + ">"
	if verb == verbAssign {
		s = what + " to <@" + user + ">"
	}
	return s + " · " + when(at)
}

// patch re-renders the blocks of one issue in a card message (its list
// row, or its detail card's summary and buttons) from the issue as
// Sentry now has it, and sets the line saying who changed it. false when
// the message does not show that issue.
func (c cardMaker) patch(raw json.RawMessage, v issueView, note string) ([]slackapi.Block, bool) {
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, false
	}
	id := string(v.Issue.ID)
	index := func(blockID string) int {
		return slices.IndexFunc(blocks, func(b map[string]any) bool { return b["block_id"] == blockID })
	}
	asMap := func(b slackapi.Block) map[string]any {
		var m map[string]any
		_ = json.Unmarshal(mustJSON(b), &m)
		return m
	}
	upsertAfter := func(at int, blk slackapi.Block) {
		m := asMap(blk)
		if i := index(m["block_id"].(string)); i >= 0 {
			blocks[i] = m
			return
		}
		if len(blocks) >= blockkit.MaxMessageBlocks {
			return // no room for the note: the card itself shows the change
		}
		blocks = slices.Insert(blocks, at+1, m)
	}
	noteBlock := func(idParts ...string) slackapi.Block {
		return slackapi.NewContextBlock(blockID(idParts...), md(blockkit.Clip(note, blockkit.MaxTextObject)))
	}
	switch {
	case index(blockID("row", v.Org, id)) >= 0:
		i := index(blockID("row", v.Org, id))
		blocks[i] = asMap(c.row(v))
		upsertAfter(i, noteBlock("note", v.Org, id))
	case index(blockID("card", v.Org, id, "sum")) >= 0:
		card := c.card(v, "")
		for _, part := range []string{"sum", "act"} {
			want := blockID("card", v.Org, id, part)
			for _, blk := range card {
				if m := asMap(blk); m["block_id"] == want {
					if i := index(want); i >= 0 {
						blocks[i] = m
					}
				}
			}
		}
		at := index(blockID("card", v.Org, id, "act"))
		if at < 0 {
			at = len(blocks) - 1
		}
		upsertAfter(at, noteBlock("card", v.Org, id, "note"))
	default:
		return nil, false
	}
	var out slackapi.Blocks
	if err := json.Unmarshal(mustJSON(blocks), &out); err != nil {
		return nil, false
	}
	return out.BlockSet, true
}

// more shows the next page of a list, fetched with the clicker's access:
// in place when the clicker asked for the list, else to them alone.
func (b *Bot) more(ctx context.Context, j *job, a actionReq, resumed bool) error {
	var mv moreValue
	if err := json.Unmarshal([]byte(a.Value), &mv); err != nil || !slugOK(mv.Org) || (mv.Project != "" && !slugOK(mv.Project)) {
		return permanent(errors.New("a \"more\" click without a usable search"))
	}
	var p actionProgress
	j.load(&p)
	c, sctx, cancel, err := b.sentryAs(ctx, a.principal())
	var blocks []slackapi.Block
	if err == nil {
		blocks, err = b.issuesPage(sctx, c, mv.Org, mv.Project, mv.Query, mv.Cursor, mv.Page, orDefault(mv.Asker, a.User))
		cancel()
	}
	if err != nil {
		return b.clickFailed(ctx, j, a, &p, err, resumed, "the issues of "+mv.Org)
	}
	text := listTitle(mv.Org, mv.Project) + fmt.Sprintf(" (page %d)", mv.Page)
	switch {
	case !a.Ephemeral && !a.Home && a.Channel != "" && a.MessageTS != "" && a.User == mv.Asker:
		err = b.updateMessage(ctx, j, a.Channel, a.MessageTS, text, blocks)
		if code := slackCode(err); code == "" || (code != "message_not_found" && code != "cant_update_message") {
			return err
		}
	case a.Ephemeral && a.ResponseURL != "":
		if err := b.respond(ctx, j, a.ResponseURL, text, blocks, true); !isPermanent(err) {
			return err
		}
	}
	return b.tellClicker(ctx, j, a, text, slackapi.MsgOptionBlocks(blocks...))
}

// homeAction stores a Home tab change and publishes the tab again.
func (b *Bot) homeAction(ctx context.Context, j *job, a actionReq) error {
	principal := a.principal()
	var p actionProgress
	j.load(&p)
	if !p.Done {
		set := func(name, value string) error {
			sctx, cancel := context.WithTimeout(ctx, storeTimeout)
			defer cancel()
			return b.cfg.Store.SetPreference(sctx, principal, name, value, b.now())
		}
		var err error
		switch a.ActionID {
		case actionHomeDisconnect:
			err = b.cfg.Vault.Delete(ctx, principal, "disconnected by the user on the Slack Home tab")
			if errors.Is(err, vault.ErrNoGrant) {
				err = nil
			}
			if err == nil {
				j.log.Info("slack: user disconnected Sentry on the Home tab", "principal", principal)
			}
		case actionHomeOrg:
			if !slugOK(a.Value) {
				return permanent(errors.New("an organization that is not a slug"))
			}
			if err = set(prefOrg, a.Value); err == nil {
				err = set(prefProject, "")
			}
		case actionHomeProject:
			if !slugOK(a.Value) {
				return permanent(errors.New("a project that is not a slug"))
			}
			err = set(prefProject, a.Value)
		case actionHomeClear:
			if err = set(prefOrg, ""); err == nil {
				err = set(prefProject, "")
			}
		}
		if err != nil {
			return err
		}
		p.Done = true
		b.saveAction(ctx, j, &p)
	}
	return b.publishHome(ctx, j, orDefault(a.UserTeam, a.Team), a.User)
}

// tellClicker says text to the clicker alone: through the click's
// response URL, or as an ephemeral message under the card, or (a click on
// the Home tab) in a direct message.
func (b *Bot) tellClicker(ctx context.Context, j *job, a actionReq, text string, extra ...slackapi.MsgOption) error {
	if a.ResponseURL != "" && len(extra) == 0 {
		err := b.respond(ctx, j, a.ResponseURL, text, nil, false)
		if !isPermanent(err) {
			return err
		}
		j.log.Info("slack: a response URL refused; answering the clicker another way", "err", err)
	}
	err := b.sendPrivately(ctx, j, a.message(), text, extra...)
	if isPermanent(err) {
		j.log.Error("slack: could not tell the clicker", "err", err)
		return nil
	}
	return err
}

// giveUpAction tells a clicker their click will not be carried out.
func (b *Bot) giveUpAction(ctx context.Context, j *job) {
	var a actionReq
	if json.Unmarshal(j.item.Payload, &a) != nil {
		return
	}
	b.giveUpClick(ctx, j, a)
}

func (b *Bot) giveUpClick(ctx context.Context, j *job, a actionReq) {
	if err := b.tellClicker(ctx, j, a, "I couldn't do what you clicked after several tries (Slack, Sentry or lookout kept failing), so nothing changed. Please try again"+requestid.Suffix(ctx)+"."); err != nil {
		j.log.Error("slack: could not tell the clicker their click was given up", "err", err)
	}
}

func (b *Bot) saveAction(ctx context.Context, j *job, p *actionProgress) {
	if err := j.save(ctx, p); err != nil && !errors.Is(err, errLeaseLost) {
		j.log.Warn("slack: could not save a click's progress", "err", err)
	}
}

func isPermanent(err error) bool {
	var perm *permanentError
	return errors.As(err, &perm)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only lookout's own plain types are encoded here
	}
	return b
}
