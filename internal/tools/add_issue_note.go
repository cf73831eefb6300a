package tools

import (
	"context"
	"fmt"
	"strings"
)

type addIssueNoteInput struct {
	issueParams
	Text string `json:"text" jsonschema:"The comment, as it should appear (markdown, 1 to 4096 characters)."`
}

func addIssueNoteTool() Tool {
	return newTool(spec{
		Name:  "add_issue_note",
		Title: "Add a note to an issue",
		Description: `Post a comment on an issue, visible to the whole organization. Only when the user asks; never secrets.
Example: add_issue_note(organizationSlug='acme', issueId='CHECKOUT-1A', text='Payments team is on it.')`,
		Permission: Triage,
		Writes:     true,
		Scopes:     []string{"event:write"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			one, most := 1, 4096
			s.Properties["text"].MinLength, s.Properties["text"].MaxLength = &one, &most
		},
	}, func(ctx context.Context, env *Env, in addIssueNoteInput) (string, error) {
		const tool = "add_issue_note"
		text := strings.TrimSpace(in.Text)
		if text == "" {
			return "", &InputError{Tool: tool, Problem: "text is blank: write the comment to post"}
		}
		ref, err := in.resolve(tool, env)
		if err != nil {
			return "", err
		}
		note, err := env.Sentry.AddIssueNote(ctx, ref.Org, ref.Issue, text)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# Note added to %s in **%s**\n\n", ref.Issue, ref.Org)
		if note.ID != "" {
			fmt.Fprintf(&b, "- **Note id**: %s\n", note.ID)
		}
		if note.User != nil {
			fmt.Fprintf(&b, "- **By**: %s\n", orDefault(note.User.Name, note.User.Email))
		}
		if !note.DateCreated.IsZero() {
			fmt.Fprintf(&b, "- **At**: %s\n", stampUTC(note.DateCreated))
		}
		fmt.Fprintf(&b, "\n> %s\n", strings.ReplaceAll(shorten(text, 1000), "\n", "\n> "))
		fmt.Fprintf(&b, "\nget_issue_activity(organizationSlug='%s', issueId='%s') shows it with the rest of the history.\n", ref.Org, ref.Issue)
		return b.String(), nil
	})
}
