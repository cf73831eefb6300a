package tools

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type analyzeIssueWithSeerInput struct {
	issueParams
	Instruction string `json:"instruction,omitempty" jsonschema:"Optional guidance for Seer's analysis, e.g. 'focus on the database layer'."`
}

func analyzeIssueWithSeerTool() Tool {
	return newTool(spec{
		Name:  "analyze_issue_with_seer",
		Title: "Analyze an issue with Seer",
		Description: `Ask Seer, Sentry's AI agent, for an issue's root cause and a proposed fix. A finished analysis is returned at once; otherwise one is started and followed until it is done (usually 2 to 5 minutes).

Use it only when the user asks for Seer, a root cause analysis or a fix, or when get_issue_details does not explain the error. Do not call it as a routine follow-up.
Examples:
- analyze_issue_with_seer(issueUrl='https://acme.sentry.io/issues/WEB-1A/')
- analyze_issue_with_seer(organizationSlug='acme', issueId='CHECKOUT-1A', instruction='focus on the payment retry logic')`,
		Permission: Seer,
		Listed:     true,
		Writes:     true,
		Scopes:     []string{"event:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			s.Properties["issueUrl"].Format = "uri"
			most := 4096
			s.Properties["instruction"].MaxLength = &most
		},
	}, analyzeIssueWithSeer)
}

const seerTool = "analyze_issue_with_seer"

func analyzeIssueWithSeer(ctx context.Context, env *Env, in analyzeIssueWithSeerInput) (string, error) {
	ref, err := in.resolve(seerTool, env)
	if err != nil {
		return "", err
	}
	c := env.Sentry
	is, err := c.GetIssue(ctx, ref.Org, ref.Issue)
	if err != nil {
		return "", err
	}
	if err := checkPinnedProject(ctx, env, seerTool, ref, is); err != nil {
		return "", err
	}
	id := orDefault(is.ShortID, ref.Issue)
	if strings.EqualFold(is.IssueCategory, "metric") || strings.EqualFold(is.IssueCategory, "metric_alert") {
		return fmt.Sprintf("Seer does not analyze metric alert issues such as %s. Use get_issue_details and search_events to investigate it.\n", id), nil
	}
	rerun := fmt.Sprintf("analyze_issue_with_seer(organizationSlug='%s', issueId='%s')", ref.Org, id)
	poll := env.Seer.withDefaults()

	var b strings.Builder
	fmt.Fprintf(&b, "# Seer analysis of %s in **%s**\n\n", id, ref.Org)
	state, err := c.GetAutofix(ctx, ref.Org, id)
	if err != nil {
		return "", err
	}
	if state == nil {
		run, err := c.StartAutofix(ctx, ref.Org, id, in.Instruction)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "Started a new analysis (run %s).\n\n", run)
		if err := poll.Sleep(ctx, poll.First); err != nil {
			return stillRunning(&b, rerun, "the call's time ran out"), nil
		}
		if state, err = c.GetAutofix(ctx, ref.Org, id); err != nil {
			return "", err
		}
	}

	lastTodo := ""
	failures := 0
	for waited := time.Duration(0); ; waited += poll.Interval {
		if state == nil {
			fmt.Fprintf(&b, "Seer's analysis disappeared while it ran. Start it again with %s.\n", rerun)
			return b.String(), nil
		}
		if state.Terminal() {
			writeAutofix(&b, state, rerun)
			return b.String(), nil
		}
		if todo := state.ActiveTodo(); todo != "" && todo != lastTodo {
			fmt.Fprintf(&b, "- Seer is working on: %s\n", oneLine(todo))
			lastTodo = todo
		}
		if waited+poll.Interval > poll.Timeout {
			return stillRunning(&b, rerun, fmt.Sprintf("it is still running after %s", poll.Timeout)), nil
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < poll.Interval {
			return stillRunning(&b, rerun, "the call's time is running out"), nil
		}
		if err := poll.Sleep(ctx, poll.Interval); err != nil {
			return stillRunning(&b, rerun, "the call's time ran out"), nil
		}
		next, err := c.GetAutofix(ctx, ref.Org, id)
		switch {
		case err == nil:
			state, failures = next, 0
		case errors.Is(err, sentry.ErrUnavailable) || errors.Is(err, sentry.ErrRateLimited):
			// The client already retried; a few more failed looks in a
			// row are given up on, the run itself goes on in Sentry.
			if failures++; failures >= 3 {
				fmt.Fprintf(&b, "\nSentry did not answer %d times in a row (%s). The analysis continues in Sentry: call %s again in a minute.\n",
					failures, shorten(errorText(err), 200), rerun)
				return b.String(), nil
			}
		default:
			return "", err
		}
	}
}

func stillRunning(b *strings.Builder, rerun, why string) string {
	fmt.Fprintf(b, "\nSeer has not finished (%s). The analysis continues in Sentry: call %s again in a minute for the result.\n", why, rerun)
	return b.String()
}

// writeAutofix renders a finished run: root cause, proposed fix and pull
// requests, inside a <seer_analysis> block that marks the text as Seer's.
func writeAutofix(b *strings.Builder, s *sentry.AutofixState, rerun string) {
	status := strings.ToLower(s.Status)
	if !strings.HasSuffix(b.String(), "\n\n") {
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "<seer_analysis run_id=%q status=%q>\n", string(s.RunID), status)
	var rc sentry.AutofixRootCause
	if s.Artifact("root_cause", &rc) {
		b.WriteString("## Root cause\n\n")
		if rc.OneLineDescription != "" {
			b.WriteString(strings.TrimSpace(rc.OneLineDescription) + "\n")
		}
		if len(rc.FiveWhys) > 0 {
			b.WriteString("\nWhy:\n")
			for i, w := range rc.FiveWhys {
				fmt.Fprintf(b, "%d. %s\n", i+1, oneLine(w))
			}
		}
		if len(rc.ReproductionSteps) > 0 {
			b.WriteString("\nTo reproduce:\n")
			for _, r := range rc.ReproductionSteps {
				fmt.Fprintf(b, "- %s\n", oneLine(r))
			}
		}
		if rc.RelevantRepo != "" {
			fmt.Fprintf(b, "\nRepository: %s\n", rc.RelevantRepo)
		}
		b.WriteString("\n")
	}
	var sol sentry.AutofixSolution
	if s.Artifact("solution", &sol) {
		b.WriteString("## Proposed fix\n\n")
		if sol.OneLineSummary != "" {
			b.WriteString(strings.TrimSpace(sol.OneLineSummary) + "\n\n")
		}
		for i, st := range sol.Steps {
			fmt.Fprintf(b, "%d. **%s**: %s\n", i+1, oneLine(st.Title), oneLine(st.Description))
		}
		b.WriteString("\n")
	}
	for _, repo := range slices.Sorted(maps.Keys(s.RepoPRStates)) {
		if pr := s.RepoPRStates[repo]; pr.PRURL != "" {
			fmt.Fprintf(b, "Pull request (%s): %s\n", repo, pr.PRURL)
		}
	}
	b.WriteString("</seer_analysis>\n")
	last := ""
	if n := len(s.Blocks); n > 0 {
		last = oneLine(s.Blocks[n-1].Message.Content)
	}
	switch status {
	case "completed":
	case "awaiting_user_input", "waiting_for_user_response", "need_more_information":
		fmt.Fprintf(b, "\nSeer is waiting for input: %s Answer it on the issue's page in Sentry (Seer panel), then call %s again.\n",
			orDefault(last, "it needs more context."), rerun)
	default:
		fmt.Fprintf(b, "\nSeer stopped with status %s: %s Start a new analysis from the issue's page in Sentry, or investigate with get_issue_details.\n",
			status, orDefault(last, "no detail given."))
	}
}
