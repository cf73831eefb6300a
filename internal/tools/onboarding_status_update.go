package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/lookout-hq/lookout/internal/sentry"
)

type onboardingUpdate struct {
	Stage     string         `json:"stage"`
	Status    string         `json:"status"`
	RunStatus string         `json:"runStatus,omitempty"`
	EventNote string         `json:"eventNote,omitempty"`
	Extra     map[string]any `json:"extra,omitempty"`
}

type onboardingStatusUpdateInput struct {
	orgParam
	regionParam
	RunToken string           `json:"runToken" jsonschema:"The onboarding run's token (10 letters or digits), as Sentry's onboarding page gave it."`
	Update   onboardingUpdate `json:"update" jsonschema:"The stage reached and its status."`
}

// Onboarding stages; create_project and receive_verification_error carry
// extra data (the projects created, the issues received).
var onboardingStages = []string{"connect_mcp", "analyze_project", "instrument_app", "plan_test_error",
	"send_verification_error", "prepare_production", "check_stack_trace_quality"}

// onboardingUpdateSchema is the update parameter as the reference server
// declares it: one branch per kind of stage.
func onboardingUpdateSchema(description string) *jsonschema.Schema {
	one, note, hundred := 1, 256, 100
	str := func(s *jsonschema.Schema) *jsonschema.Schema { s.Type = "string"; return s }
	common := func(stage *jsonschema.Schema, extraKey string) *jsonschema.Schema {
		props := map[string]*jsonschema.Schema{
			"stage":     stage,
			"status":    str(&jsonschema.Schema{Enum: []any{"active", "waiting", "completed", "skipped", "failed"}, Description: "The stage's status."}),
			"runStatus": str(&jsonschema.Schema{Enum: []any{"completed", "failed"}, Description: "Ends the whole run: completed or failed."}),
			"eventNote": str(&jsonschema.Schema{MinLength: &one, MaxLength: &note, Description: "A short note for the user (1 to 256 characters)."}),
		}
		if extraKey != "" {
			props["extra"] = &jsonschema.Schema{Type: "object", Required: []string{extraKey},
				Properties: map[string]*jsonschema.Schema{extraKey: {Type: "array", MinItems: &one, MaxItems: &hundred,
					Items: str(&jsonschema.Schema{MinLength: &one})}}}
		}
		return &jsonschema.Schema{Type: "object", Required: []string{"stage", "status"}, Properties: props}
	}
	var stages []any
	for _, s := range onboardingStages {
		stages = append(stages, s)
	}
	constant := func(v string) *jsonschema.Schema { var c any = v; return str(&jsonschema.Schema{Const: &c}) }
	return &jsonschema.Schema{Description: description, OneOf: []*jsonschema.Schema{
		common(constant("create_project"), "projectSlugs"),
		common(constant("receive_verification_error"), "issueIds"),
		common(str(&jsonschema.Schema{Enum: stages}), ""),
	}}
}

func onboardingStatusUpdateTool() Tool {
	return newTool(spec{
		Name:  "onboarding_status_update",
		Title: "Report onboarding progress",
		Description: `Report progress on a Sentry onboarding run, so the user sees it on Sentry's onboarding page: which stage is active, done, skipped or failed.

Use it only while guiding a user through an onboarding run they started in Sentry, with the runToken Sentry gave them. Report each stage as it starts and ends; stop when the answer says to.
Stages: connect_mcp, analyze_project, create_project (extra.projectSlugs), instrument_app, plan_test_error, send_verification_error, receive_verification_error (extra.issueIds), prepare_production, check_stack_trace_quality.
Example: onboarding_status_update(organizationSlug='acme', runToken='Rk7Tq2Wm9X', update={stage: 'create_project', status: 'completed', extra: {projectSlugs: ['web']}})`,
		Writes:     true,
		Idempotent: true,
		Scopes:     []string{"org:read"},
		Schema: func(s *schemaT) {
			nullable(s, "regionUrl")
			withSlugPattern(s, "organizationSlug")
			s.Properties["runToken"].Pattern = `^[A-Za-z0-9]{10}$`
			s.Properties["update"] = onboardingUpdateSchema(s.Properties["update"].Description)
		},
	}, func(ctx context.Context, env *Env, in onboardingStatusUpdateInput) (string, error) {
		u := in.Update
		note := strings.TrimSpace(u.EventNote)
		if u.EventNote != "" && note == "" {
			return "", &InputError{Tool: "onboarding_status_update", Problem: "eventNote is blank: write a short note, or omit it"}
		}
		extra := u.Extra
		if u.Stage != "create_project" && u.Stage != "receive_verification_error" {
			extra = nil // only those two stages carry extra data
		}
		org := in.OrganizationSlug
		if err := useRegionArg(env, org, in.regionParam); err != nil {
			return "", err
		}
		run, err := env.Sentry.UpdateOnboardingStatus(ctx, org, sentry.OnboardingUpdate{RunToken: in.RunToken, Stage: u.Stage,
			Status: u.Status, RunStatus: u.RunStatus, EventNote: note, Extra: extra})
		if err != nil {
			return "", err
		}
		if run.ContinueUpdates {
			return fmt.Sprintf("Onboarding status updated (%s: %s). Continue updates: yes.\n", u.Stage, u.Status), nil
		}
		return fmt.Sprintf("Onboarding status updated (%s: %s). Continue updates: no: the run is %s; send no more updates.\n",
			u.Stage, u.Status, orDefault(run.RunStatus, "over")), nil
	})
}
