package slack

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/tools"
)

// The Sentry side of cards: every card is filled in with the Sentry access
// of the person it is for (who asked, clicked or posted the link), through
// a client the vault builds for that principal, for that call only.

func (b *Bot) cards() cardMaker { return cardMaker{sentryURL: b.cfg.SentryURL, triage: b.cfg.Triage} }

// sentryAs returns a Sentry client acting as principal, bounded by
// SentryTimeout (cancel releases it).
func (b *Bot) sentryAs(ctx context.Context, principal string) (*sentry.Client, context.Context, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.SentryTimeout)
	c, _, err := b.cfg.Vault.Client(ctx, principal)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return c, ctx, cancel, nil
}

// answerCards renders what a command answer shows (its subject) as cards,
// with the asker's access. nil when there is nothing to render or Sentry
// failed meanwhile: the text answer stands, so a card never costs an
// answer.
func (b *Bot) answerCards(ctx context.Context, j *job, principal, asker string, s *agent.Subject) []slackapi.Block {
	if s == nil {
		return nil
	}
	c, ctx, cancel, err := b.sentryAs(ctx, principal)
	if err != nil {
		j.log.Info("slack: no cards for an answer; it goes as text", "err", err)
		return nil
	}
	defer cancel()
	var blocks []slackapi.Block
	switch s.Kind {
	case agent.SubjectIssues:
		blocks, err = b.issuesPage(ctx, c, s.Org, s.Project, s.Query, "", 1, asker)
	case agent.SubjectIssue:
		org, issue, event := s.Org, s.Issue, ""
		if s.URL != "" {
			l, perr := tools.ParseSentryLink(s.URL, b.cfg.SentryURL)
			if perr != nil {
				return nil
			}
			org, issue, event = l.Org, l.IssueID, l.EventID
		}
		var v issueView
		if v, err = b.issueDetail(ctx, c, org, issue, event); err == nil {
			blocks = b.cards().card(v, "")
		}
	default:
		return nil
	}
	if err != nil {
		j.log.Info("slack: no cards for an answer; it goes as text", "subject", s.Kind, "err", err)
		return nil
	}
	return blocks
}

// issuesPage is one page of an issue search as a list card. cursor ""
// is the first page.
func (b *Bot) issuesPage(ctx context.Context, c *sentry.Client, org, project, query, cursor string, page int, asker string) ([]slackapi.Block, error) {
	iq := sentry.IssueQuery{Query: orDefault(query, "is:unresolved"), Sort: "date", StatsPeriod: "30d", Limit: pageSize, Cursor: cursor}
	if project != "" {
		id := project
		if _, err := strconv.ParseUint(project, 10, 64); err != nil {
			p, err := c.GetProject(ctx, org, project)
			if err != nil {
				return nil, err
			}
			id = string(p.ID)
		}
		iq.Projects = []string{id}
	}
	issues, next, err := c.ListIssues(ctx, org, iq)
	if err != nil {
		return nil, err
	}
	views := make([]issueView, len(issues))
	for i, is := range issues {
		views[i] = issueView{Org: org, Issue: is}
	}
	var more *moreValue
	if next.HasNext() && len(issues) > 0 {
		more = &moreValue{Org: org, Project: project, Query: query, Cursor: next.NextCursor, Page: page + 1, Asker: asker}
	}
	return b.cards().list(org, project, query, page, views, more), nil
}

// issueDetail fetches an issue and one of its events (the latest when
// event is ""), for a detail card or an unfurl. An issue without a stored
// event is shown without its frame.
func (b *Bot) issueDetail(ctx context.Context, c *sentry.Client, org, issue, event string) (issueView, error) {
	is, err := c.GetIssue(ctx, org, issue)
	if err != nil {
		return issueView{}, err
	}
	v := issueView{Org: org, Issue: *is}
	id := orDefault(is.ShortID, issue)
	ev, err := c.GetIssueEvent(ctx, org, id, orDefault(event, sentry.EventLatest))
	switch {
	case errors.Is(err, sentry.ErrNotFound) && event == "":
		return v, nil
	case err != nil:
		return issueView{}, err
	}
	v.Frame, v.Release = topFrame(ev), ev.ReleaseVersion()
	if event != "" {
		v.EventID = strings.ToLower(string(ev.EventID))
	}
	return v, nil
}

// traceDetail fetches a trace's summary and its first root span.
func (b *Bot) traceDetail(ctx context.Context, c *sentry.Client, org, traceID, link string) (traceView, error) {
	meta, err := c.GetTraceMeta(ctx, org, traceID, sentry.TraceQuery{})
	if err != nil {
		return traceView{}, err
	}
	v := traceView{Org: org, TraceID: traceID, Link: link, Meta: meta}
	nodes, err := c.GetTrace(ctx, org, traceID, sentry.TraceQuery{})
	if err != nil {
		return traceView{}, err
	}
	for i := range nodes {
		if !nodes[i].IsIssue() {
			v.Root = &nodes[i]
			break
		}
	}
	return v, nil
}

// sentryTrouble words a Sentry failure of a card, an action or an unfurl
// for the person it was for: what happened and what to do, never the
// error's own text.
func sentryTrouble(err error, what string) string {
	switch {
	case errors.Is(err, sentry.ErrNoAccess):
		return fmt.Sprintf("Your Sentry account can't access %s, so nothing changed. Ask an owner of the organization for access, or connect another Sentry account.", what)
	case errors.Is(err, sentry.ErrNotFound):
		return fmt.Sprintf("Sentry can't find %s (it may have been deleted or merged), or your account can't see it; nothing changed.", what)
	}
	return fmt.Sprintf("Sentry didn't answer properly about %s, so nothing changed; try again in a minute.", what)
}
