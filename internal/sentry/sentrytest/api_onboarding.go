package sentrytest

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"unicode/utf8"
)

// The onboarding agent status endpoint: an agent guiding a user through
// setting Sentry up reports each stage to the run the onboarding UI began.

var (
	runTokenRe         = regexp.MustCompile(`^[A-Za-z0-9]{10}$`)
	onboardingStages   = []string{"connect_mcp", "analyze_project", "create_project", "instrument_app", "plan_test_error", "send_verification_error", "receive_verification_error", "prepare_production", "check_stack_trace_quality"}
	onboardingStatuses = []string{"active", "waiting", "completed", "skipped", "failed"}
	onboardingEndings  = []string{"completed", "failed"}
)

func (f *Fake) onboardingStatus(w http.ResponseWriter, r *http.Request, c *call) {
	var body map[string]any
	if !readBody(w, r, &body) {
		return
	}
	errs := fieldErrors{}
	if v, _ := intField(body, "schemaVersion", errs); v != 1 {
		errs.add("schemaVersion", "Unsupported schema version.")
	}
	token, _ := strField(body, "runToken", errs)
	stage, _ := strField(body, "stage", errs)
	status, _ := strField(body, "status", errs)
	runStatus, hasRunStatus := strField(body, "runStatus", errs)
	note, hasNote := strField(body, "eventNote", errs)
	if !runTokenRe.MatchString(token) {
		errs.add("runToken", "Invalid run token.")
	}
	if !slices.Contains(onboardingStages, stage) {
		errs.add("stage", fmt.Sprintf("%q is not a valid choice.", stage))
	}
	if !slices.Contains(onboardingStatuses, status) {
		errs.add("status", fmt.Sprintf("%q is not a valid choice.", status))
	}
	if hasRunStatus && !slices.Contains(onboardingEndings, runStatus) {
		errs.add("runStatus", fmt.Sprintf("%q is not a valid choice.", runStatus))
	}
	if hasNote && (note == "" || utf8.RuneCountInString(note) > 256) {
		errs.add("eventNote", "Ensure this field has 1 to 256 characters.")
	}
	extra, _ := body["extra"].(map[string]any)
	if _, has := body["extra"]; has && extra == nil {
		errs.add("extra", "Expected a dictionary of items.")
	}
	if errs.write(w) {
		return
	}
	run := f.w.mgmt.onboarding[token]
	if run == nil || run.org != c.org {
		writeDetail(w, http.StatusNotFound, "Onboarding run not found.")
		return
	}
	if run.RunStatus != "active" {
		writeDetail(w, http.StatusConflict, "This onboarding run has ended.")
		return
	}
	i := slices.IndexFunc(run.stages, func(s onboardingStage) bool { return s.Stage == stage })
	if i < 0 {
		run.stages = append(run.stages, onboardingStage{Stage: stage})
		i = len(run.stages) - 1
	}
	run.stages[i].Status, run.stages[i].EventNote, run.stages[i].extra = status, note, extra
	if hasRunStatus {
		run.RunStatus = runStatus
	}
	run.Sequence++
	run.Updated = f.dataClock()
	f.audit(c, "onboarding.status", token, body)
	stages := []obj{}
	for _, s := range run.stages {
		var ex any
		if s.extra != nil {
			ex = s.extra
		}
		stages = append(stages, obj{"stage": s.Stage, "status": s.Status, "eventNote": nilIfEmpty(s.EventNote), "extra": ex})
	}
	writeJSON(w, http.StatusOK, obj{
		"schemaVersion": 1, "runId": run.RunID, "channelId": run.ChannelID, "clientRunId": nil,
		"createdAt": isoTime(run.Created), "updatedAt": isoTime(run.Updated), "sequence": run.Sequence,
		"expiresAt": isoTime(run.Until), "continueUpdates": run.RunStatus == "active", "runStatus": run.RunStatus,
		"stages": stages,
	})
}
