package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/lookout-hq/lookout/internal/agent"
	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/sentry"
	"github.com/lookout-hq/lookout/internal/slack/blockkit"
	"github.com/lookout-hq/lookout/internal/store"
	"github.com/lookout-hq/lookout/internal/vault"
)

// The Home tab: each user's own page in the app. It shows their Sentry
// connection (who, which scopes, since when, whether it still works) with
// Connect, Reconnect and Disconnect, their pinned organization and
// project (picked there, used when a question names none), and what to
// ask. It is published (views.publish) when the user opens it, when their
// connection changes and after each of their clicks there. Only that user
// sees it, so its connect link is as private as a direct message.

// homeReq is what a kindHome item carries.
type homeReq struct {
	Team string `json:"team"`
	User string `json:"user"`
}

// receiveHome records the publication of a user's Home tab when they open
// it (app_home_opened on the home tab).
func (b *Bot) receiveHome(ctx context.Context, team, eventID string, raw json.RawMessage, source string) error {
	var ev struct {
		User string `json:"user"`
		Tab  string `json:"tab"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil || ev.User == "" || ev.Tab != "home" {
		return nil
	}
	return b.recordHome(ctx, team, ev.User, eventID, source)
}

// recordHome records that user's Home tab is to be published again; why
// (an event id, a reason) makes the item's id.
func (b *Bot) recordHome(ctx context.Context, team, user, why, source string) error {
	payload, err := json.Marshal(homeReq{Team: team, User: user})
	if err != nil {
		return err
	}
	log := b.log.With("source", source, "principal", Principal(team, user))
	log.Debug("slack: Home tab to publish")
	return b.record(ctx, store.InboxItem{ID: "slack-home:" + team + ":" + user + ":" + why, Kind: kindHome, Payload: payload}, log)
}

// runHome publishes a user's Home tab (kindHome). Publishing twice does no
// harm.
func (b *Bot) runHome(ctx context.Context, j *job) error {
	var h homeReq
	if err := json.Unmarshal(j.item.Payload, &h); err != nil {
		return permanent(fmt.Errorf("undecodable home tab: %w", err))
	}
	return b.publishHome(ctx, j, h.Team, h.User)
}

// publishHome builds user's Home tab as things are now and publishes it.
func (b *Bot) publishHome(ctx context.Context, j *job, team, user string) error {
	h := b.homeState(ctx, j, Principal(team, user))
	blocks := b.cards().home(h)
	if err := blockkit.CheckValue(blockkit.View, blocks); err != nil {
		j.log.Error("slack: a Home tab Slack would refuse; publishing a short one", "err", err)
		blocks = []slackapi.Block{slackapi.NewSectionBlock(md("I couldn't show your page properly right now. Say `sentry status` to me for your connection"+
			requestid.Suffix(ctx)+"."), nil, nil)}
	}
	err := b.call(ctx, j, "views.publish", func(ctx context.Context) error {
		_, err := b.api.PublishViewContext(ctx, slackapi.PublishViewContextRequest{UserID: user,
			View: slackapi.HomeTabViewRequest{Type: slackapi.VTHomeTab, Blocks: slackapi.Blocks{BlockSet: blocks}}})
		return err
	}, nil)
	var perm *permanentError
	if errors.As(err, &perm) {
		j.log.Error("slack: Slack refused the Home tab", "err", err)
		return nil
	}
	return err
}

// Connection states the Home tab shows.
const (
	homeUnknown = iota // the vault could not say
	homeNotConnected
	homeStale
	homeConnected
)

// homeState is what a user's Home tab shows.
type homeState struct {
	State  int
	Status vault.Status
	Link   string // their connect link ("" when it could not be made)
	// Orgs they can see (connected), and the projects of the pinned one.
	Orgs      []sentry.Organization
	OrgsError bool
	Projects  []sentry.Project
	Org       string // pinned
	Project   string // pinned
	Triage    bool
	RequestID string
}

func (b *Bot) homeState(ctx context.Context, j *job, principal string) homeState {
	h := homeState{Triage: b.cfg.Triage, RequestID: requestid.From(ctx)}
	st, err := b.cfg.Vault.Status(ctx, principal)
	switch {
	case errors.Is(err, vault.ErrNoGrant):
		h.State = homeNotConnected
	case err != nil:
		j.log.Warn("slack: reading a grant for the Home tab", "err", err)
		return h
	case st.Stale:
		h.State, h.Status = homeStale, st
	default:
		h.State, h.Status = homeConnected, st
	}
	h.Org, h.Project = b.defaults(ctx, principal)
	if h.State == homeConnected {
		c, sctx, cancel, err := b.sentryAs(ctx, principal)
		if err == nil {
			h.Orgs, err = c.AllOrganizations(sctx)
			if err == nil && h.Org != "" {
				h.Projects, _, err = c.ListProjects(sctx, h.Org, sentry.ListOptions{Limit: blockkit.MaxSelectOptions})
				if err != nil && agent.NeedsAuth(err) == nil {
					j.log.Info("slack: no projects of the pinned organization for the Home tab", "err", err)
					err = nil
				}
			}
			cancel()
		}
		if err != nil {
			if agent.NeedsAuth(err) != nil {
				h.State = homeStale
			} else {
				j.log.Info("slack: no organizations for the Home tab", "err", err)
				h.OrgsError = true
			}
		}
	}
	link, err := b.connectLink(ctx, principal)
	if err != nil {
		j.log.Warn("slack: no connect link for the Home tab", "err", err)
	}
	h.Link = link
	return h
}

// home renders the Home tab.
func (c cardMaker) home(h homeState) []slackapi.Block {
	blocks := []slackapi.Block{
		slackapi.NewHeaderBlock(pt("lookout for Sentry")),
		slackapi.NewSectionBlock(md("I look into Sentry for you from Slack, with *your own* Sentry access: you see what you'd see in Sentry, and I never use anyone else's account for you."), nil, nil),
		slackapi.NewDividerBlock(),
	}
	blocks = append(blocks, c.homeConnection(h)...)
	blocks = append(blocks, slackapi.NewDividerBlock())
	blocks = append(blocks, c.homeDefaults(h)...)
	blocks = append(blocks, slackapi.NewDividerBlock(),
		slackapi.NewSectionBlock(md("*What to ask*\n"+
			"• In a direct message, or mentioning me in a channel: `issues acme/web is:unresolved`, `issue WEB-1A` (or paste a Sentry link), "+
			"`events acme level:error`, `trace acme <trace id>`, `orgs`, `help`.\n"+
			"• `/sentry <question>` answers you alone, wherever you are.\n"+
			"• Paste a Sentry link in a channel and I preview it with your access (you chose to share it)."), nil, nil))
	note := "Issue cards only look: Resolve, Archive and Assign are turned off here."
	if h.Triage {
		note = "Issue cards offer Resolve, Archive and Assign to me: they act as you in Sentry, after asking you once to allow changes (`event:write`)."
	}
	blocks = append(blocks, slackapi.NewContextBlock("", md(note)))
	return blocks
}

func (c cardMaker) homeConnection(h homeState) []slackapi.Block {
	linkButton := func(label string, primary bool) *slackapi.Accessory {
		if h.Link == "" {
			return nil
		}
		btn := slackapi.NewButtonBlockElement(actionHomeConnect, "", pt(label))
		btn.URL = h.Link
		if primary {
			btn.Style = slackapi.StylePrimary
		}
		return slackapi.NewAccessory(btn)
	}
	linkNote := slackapi.NewContextBlock("", md("The link is yours alone, works once and expires in 10 minutes; open this tab again for a fresh one."))
	if h.Link == "" && h.State != homeUnknown {
		linkNote = slackapi.NewContextBlock("", md("I couldn't make your connect link right now; say `connect sentry` to me for one."))
	}
	account := sentryAccount(h.Status.User)
	switch h.State {
	case homeNotConnected:
		return []slackapi.Block{
			slackapi.NewSectionBlock(md("*Your Sentry connection*\nYou're not connected yet. Connect your Sentry account and I'll answer with it."), nil, linkButton("Connect Sentry", true)),
			linkNote,
		}
	case homeStale:
		return []slackapi.Block{
			slackapi.NewSectionBlock(md("*Your Sentry connection*\n:warning: Your connection ("+account+") expired or was revoked, so I can't use it. Reconnect to go on."), nil, linkButton("Reconnect Sentry", true)),
			linkNote,
		}
	case homeConnected:
		fields := []*slackapi.TextBlockObject{field("*Sentry account*\n" + account)}
		if len(h.Status.Scopes) > 0 {
			fields = append(fields, field("*Permissions*\n`"+esc(strings.Join(h.Status.Scopes, " "), 300)+"`"))
		}
		if !h.Status.ConnectedAt.IsZero() {
			fields = append(fields, field("*Connected since*\n"+when(h.Status.ConnectedAt)))
		}
		elems := []slackapi.BlockElement{}
		if h.Link != "" {
			re := slackapi.NewButtonBlockElement(actionHomeConnect, "", pt("Reconnect or switch account"))
			re.URL = h.Link
			elems = append(elems, re)
		}
		dis := slackapi.NewButtonBlockElement(actionHomeDisconnect, "disconnect", pt("Disconnect"))
		dis.Style = slackapi.StyleDanger
		dis.Confirm = slackapi.NewConfirmationBlockObject(pt("Disconnect Sentry?"),
			md("I'll stop using your Sentry account and forget its tokens. To revoke lookout in Sentry too, remove it under User Settings → Authorized Applications."),
			pt("Disconnect"), pt("Cancel"))
		elems = append(elems, dis)
		return []slackapi.Block{
			slackapi.NewSectionBlock(md("*Your Sentry connection*\n:white_check_mark: Connected, and working."), fields, nil),
			slackapi.NewActionBlock("home|connection", elems...),
		}
	}
	id := ""
	if h.RequestID != "" {
		id = " (request id " + h.RequestID + ")"
	}
	return []slackapi.Block{slackapi.NewSectionBlock(md("*Your Sentry connection*\nI couldn't check it right now; open this tab again in a minute"+id+"."), nil, nil)}
}

func (c cardMaker) homeDefaults(h homeState) []slackapi.Block {
	head := "*Default organization and project*\nUsed when a question names none, e.g. `issues` or `issue WEB-1A`."
	if h.Org != "" {
		where := "`" + esc(h.Org, 100) + "`"
		if h.Project != "" {
			where += " / `" + esc(h.Project, 100) + "`"
		}
		head += "\nNow: " + where + "."
	}
	blocks := []slackapi.Block{slackapi.NewSectionBlock(md(head), nil, nil)}
	switch {
	case h.State != homeConnected:
		return append(blocks, slackapi.NewContextBlock("", md("Connect Sentry to pick them from your organizations.")))
	case h.OrgsError:
		return append(blocks, slackapi.NewContextBlock("", md("I couldn't list your organizations right now; open this tab again in a minute.")))
	case len(h.Orgs) == 0:
		return append(blocks, slackapi.NewContextBlock("", md("Your Sentry account belongs to no organization I can see.")))
	}
	elems := []slackapi.BlockElement{}
	orgs := h.Orgs
	if len(orgs) > blockkit.MaxSelectOptions {
		orgs = orgs[:blockkit.MaxSelectOptions]
	}
	orgSel := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, pt("Organization"), actionHomeOrg, options(orgs, func(o sentry.Organization) (string, string) {
		return o.Slug, orDefault(o.Name, o.Slug)
	})...)
	if len(orgSel.Options) == 0 {
		return append(blocks, slackapi.NewContextBlock("", md("Your Sentry account belongs to no organization I can show here.")))
	}
	if init := initialOption(orgSel.Options, h.Org); init != nil {
		orgSel.InitialOption = init
	}
	elems = append(elems, orgSel)
	projects := h.Projects
	if len(projects) > blockkit.MaxSelectOptions {
		projects = projects[:blockkit.MaxSelectOptions]
	}
	if opts := options(projects, func(p sentry.Project) (string, string) { return p.Slug, p.Slug }); h.Org != "" && len(opts) > 0 {
		projSel := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, pt("Project (optional)"), actionHomeProject, opts...)
		if init := initialOption(opts, h.Project); init != nil {
			projSel.InitialOption = init
		}
		elems = append(elems, projSel)
	}
	if h.Org != "" {
		elems = append(elems, slackapi.NewButtonBlockElement(actionHomeClear, "clear", pt("Clear")))
	}
	return append(blocks, slackapi.NewActionBlock("home|defaults", elems...))
}

// options are select options of items whose slug (the value) passes
// slugOK, labelled within the limits.
func options[T any](items []T, f func(T) (value, label string)) []*slackapi.OptionBlockObject {
	var out []*slackapi.OptionBlockObject
	for _, it := range items {
		value, label := f(it)
		if !slugOK(value) {
			continue
		}
		out = append(out, slackapi.NewOptionBlockObject(value, pt(blockkit.Clip(label, blockkit.MaxOptionText)), nil))
	}
	return out
}

func initialOption(opts []*slackapi.OptionBlockObject, value string) *slackapi.OptionBlockObject {
	for _, o := range opts {
		if value != "" && o.Value == value {
			return o
		}
	}
	return nil
}

// slugRe is what an organization or project slug looks like; anything
// else is refused before it is stored or used.
var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,99}$`)

func slugOK(s string) bool { return slugRe.MatchString(s) }
