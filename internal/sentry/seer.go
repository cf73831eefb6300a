package sentry

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// AutofixState is a Seer autofix run of an issue: Sentry's AI root cause
// analysis and fix. Status is lower case in current Sentry ("processing",
// "completed", "error", "awaiting_user_input"); older versions said
// "PROCESSING", "COMPLETED"...
type AutofixState struct {
	RunID        FlexString                `json:"run_id"`
	Status       string                    `json:"status"`
	UpdatedAt    Time                      `json:"updated_at"`
	RepoPRStates map[string]AutofixPRState `json:"repo_pr_states"`
	Blocks       []AutofixBlock            `json:"blocks"`
}

// AutofixPRState is a pull request Seer opened for a repository.
type AutofixPRState struct {
	PRURL    string  `json:"pr_url"`
	PRNumber FlexInt `json:"pr_number"`
}

// AutofixBlock is one step of a run: a message, what it produced
// (artifacts) and Seer's to-do list at that point.
type AutofixBlock struct {
	ID        string            `json:"id"`
	Message   AutofixMessage    `json:"message"`
	Timestamp Time              `json:"timestamp"`
	Loading   bool              `json:"loading"`
	Artifacts []AutofixArtifact `json:"artifacts"`
	Todos     []AutofixTodo     `json:"todos"`
}

// AutofixMessage is what Seer said in a block.
type AutofixMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// AutofixArtifact is a result of a run, by Key: "root_cause" (Data is
// AutofixRootCause) or "solution" (AutofixSolution).
type AutofixArtifact struct {
	Key    string          `json:"key"`
	Reason string          `json:"reason"`
	Data   json.RawMessage `json:"data"`
}

// AutofixTodo is an item of Seer's plan.
type AutofixTodo struct {
	Content string `json:"content"`
	Status  string `json:"status"` // pending, in_progress, completed
}

// AutofixRootCause is the data of a "root_cause" artifact.
type AutofixRootCause struct {
	OneLineDescription string   `json:"one_line_description"`
	FiveWhys           []string `json:"five_whys"`
	ReproductionSteps  []string `json:"reproduction_steps"`
	RelevantRepo       string   `json:"relevant_repo"`
}

// AutofixSolution is the data of a "solution" artifact.
type AutofixSolution struct {
	OneLineSummary string                `json:"one_line_summary"`
	Steps          []AutofixSolutionStep `json:"steps"`
}

// AutofixSolutionStep is one step of a proposed fix.
type AutofixSolutionStep struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

// Terminal reports whether the run has stopped changing: completed,
// failed, or waiting for a person.
func (s *AutofixState) Terminal() bool {
	switch strings.ToLower(s.Status) {
	case "completed", "error", "failed", "cancelled", "awaiting_user_input", "need_more_information", "waiting_for_user_response":
		return true
	}
	return false
}

// Artifact returns the data of the newest artifact named key, decoded into
// out; false when there is none (or it does not decode).
func (s *AutofixState) Artifact(key string, out any) bool {
	for i := len(s.Blocks) - 1; i >= 0; i-- {
		for j := len(s.Blocks[i].Artifacts) - 1; j >= 0; j-- {
			a := s.Blocks[i].Artifacts[j]
			if a.Key == key && len(a.Data) > 0 && json.Unmarshal(a.Data, out) == nil {
				return true
			}
		}
	}
	return false
}

// ActiveTodo is what Seer is working on now (the newest in_progress to-do),
// or "".
func (s *AutofixState) ActiveTodo() string {
	for i := len(s.Blocks) - 1; i >= 0; i-- {
		for _, t := range s.Blocks[i].Todos {
			if t.Status == "in_progress" {
				return t.Content
			}
		}
	}
	return ""
}

// GetAutofix returns an issue's latest Seer autofix run, or nil when none
// was started (GET /organizations/{org}/issues/{issue}/autofix/).
func (c *Client) GetAutofix(ctx context.Context, org, issue string) (*AutofixState, error) {
	if err := checkArgs("organization", org, "issue", issue); err != nil {
		return nil, err
	}
	var v struct {
		Autofix *AutofixState `json:"autofix"`
	}
	if _, err := c.get(ctx, call{org: org, path: []string{"organizations", org, "issues", issue, "autofix"}, scope: "event:read"}, &v); err != nil {
		return nil, err
	}
	return v.Autofix, nil
}

// StartAutofix starts a Seer autofix run on an issue, optionally steered by
// instruction, and returns its run id (POST .../autofix/). Sentry lets any
// member with event:read start one.
func (c *Client) StartAutofix(ctx context.Context, org, issue, instruction string) (string, error) {
	if err := checkArgs("organization", org, "issue", issue); err != nil {
		return "", err
	}
	body := map[string]string{}
	if s := strings.TrimSpace(instruction); s != "" {
		body["instruction"] = s
	}
	var v struct {
		RunID FlexString `json:"run_id"`
	}
	if _, err := c.do(ctx, call{method: http.MethodPost, org: org, path: []string{"organizations", org, "issues", issue, "autofix"},
		body: body, scope: "event:read"}, &v); err != nil {
		return "", err
	}
	return string(v.RunID), nil
}
