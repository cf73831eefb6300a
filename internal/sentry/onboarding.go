package sentry

import (
	"context"
	"net/http"
)

// OnboardingUpdate reports an onboarding agent's progress to the run the
// Sentry UI started (its RunToken), so the UI can follow along.
type OnboardingUpdate struct {
	RunToken  string
	Stage     string
	Status    string
	RunStatus string // completed or failed ends the run
	EventNote string
	Extra     map[string]any
}

// OnboardingRun is the run's state after an update.
type OnboardingRun struct {
	SchemaVersion   FlexInt           `json:"schemaVersion"`
	RunID           string            `json:"runId"`
	Sequence        FlexInt           `json:"sequence"`
	ContinueUpdates bool              `json:"continueUpdates"`
	RunStatus       string            `json:"runStatus"`
	ExpiresAt       Time              `json:"expiresAt"`
	Stages          []OnboardingStage `json:"stages"`
}

// OnboardingStage is the state of one stage of a run.
type OnboardingStage struct {
	Stage     string `json:"stage"`
	Status    string `json:"status"`
	EventNote string `json:"eventNote"`
}

// UpdateOnboardingStatus posts an onboarding update (POST
// /organizations/{org}/onboarding/agent/status/; org:read is enough).
func (c *Client) UpdateOnboardingStatus(ctx context.Context, org string, u OnboardingUpdate) (*OnboardingRun, error) {
	if err := checkArgs("organization", org, "run token", u.RunToken, "stage", u.Stage, "status", u.Status); err != nil {
		return nil, err
	}
	body := map[string]any{"schemaVersion": 1, "runToken": u.RunToken, "stage": u.Stage, "status": u.Status}
	if u.RunStatus != "" {
		body["runStatus"] = u.RunStatus
	}
	if u.EventNote != "" {
		body["eventNote"] = u.EventNote
	}
	if u.Extra != nil {
		body["extra"] = u.Extra
	}
	var run OnboardingRun
	if _, err := c.do(ctx, call{method: http.MethodPost, org: org, path: []string{"organizations", org, "onboarding", "agent", "status"},
		body: body, scope: "org:read"}, &run); err != nil {
		return nil, err
	}
	return &run, nil
}
