package sentrytest

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Seer autofix: GET answers {"autofix": null} until a run is started with
// POST; a started run reports "processing" for AutofixScript.Polls reads,
// then its outcome (completed with a root cause and a solution, error, or
// awaiting_user_input with a root cause only).

var defaultAutofixScript = AutofixScript{Polls: 2, Outcome: AutofixCompleted}

func (f *Fake) getAutofix(w http.ResponseWriter, r *http.Request, c *call) {
	run := f.w.mgmt.autofix[c.issue]
	if run == nil {
		writeJSON(w, http.StatusOK, obj{"autofix": nil})
		return
	}
	if run.Status == "processing" {
		run.polls++
		if run.polls > run.script.Polls {
			run.Status = run.script.Outcome
		}
	}
	writeJSON(w, http.StatusOK, obj{"autofix": f.autofixJSON(c.issue, run)})
}

func (f *Fake) startAutofix(w http.ResponseWriter, r *http.Request, c *call) {
	var body map[string]any
	if !readBody(w, r, &body) {
		return
	}
	errs := fieldErrors{}
	instruction, _ := strField(body, "instruction", errs)
	if utf8.RuneCountInString(instruction) > 4096 {
		errs.add("instruction", "Ensure this field has no more than 4096 characters.")
	}
	if errs.write(w) {
		return
	}
	script, ok := f.w.mgmt.autofixScripts[c.issue]
	if !ok {
		script = defaultAutofixScript
	}
	run := &autofixRun{ID: f.w.mgmt.nextRun, Status: "processing", instruction: instruction, script: script, started: f.dataClock()}
	f.w.mgmt.nextRun++
	f.w.mgmt.autofix[c.issue] = run
	f.audit(c, "autofix.start", c.issue.ShortID, map[string]any{"runId": run.ID, "instruction": instruction})
	writeJSON(w, http.StatusAccepted, obj{"run_id": run.ID})
}

func (f *Fake) autofixJSON(is *issue, run *autofixRun) obj {
	when := isoTime(run.started)
	block := func(id, content string, loading bool, artifacts []obj, todos []obj) obj {
		return obj{"id": id, "message": obj{"role": "assistant", "content": content, "thinking_content": nil, "tool_calls": nil, "metadata": nil},
			"timestamp": when, "loading": loading, "artifacts": artifacts, "file_patches": nil, "merged_file_patches": nil,
			"pr_commit_shas": nil, "todos": todos, "tool_links": nil, "tool_results": nil}
	}
	todo := func(content, status string) obj { return obj{"content": content, "status": status} }
	what := is.ExcType
	if what == "" {
		what = "the logged message"
	}
	rootCause := obj{"key": "root_cause", "reason": "Root cause analysis completed", "data": obj{
		"one_line_description": fmt.Sprintf("%s in %s: %s", what, is.Function, strings.TrimSpace(is.ExcValue+is.Message)),
		"five_whys": []string{
			fmt.Sprintf("%s raises %s.", is.Function, what),
			fmt.Sprintf("The failing line in %s does not guard against the state it receives.", is.Filename),
			"The calling code changed in the release where the issue first appeared.",
		},
		"reproduction_steps": []string{"Call " + is.Function + " with the input recorded in the latest event."},
		"relevant_repo":      "acme/" + is.project.Slug,
	}}
	solution := obj{"key": "solution", "reason": "Solution plan completed", "data": obj{
		"one_line_summary": "Guard " + is.Function + " against the missing state and add a regression test.",
		"steps": []obj{
			{"title": "Add the guard", "description": "Check the value before use in " + is.Filename + "."},
			{"title": "Add regression coverage", "description": "Test " + is.Function + " with the failing input."},
		},
	}}
	blocks := []obj{}
	prStates := obj{}
	var pending any
	switch run.Status {
	case "processing":
		blocks = append(blocks, block("block-1", "Investigating "+is.ShortID+".", true, []obj{},
			[]obj{todo("Read the latest event", "completed"), todo("Find the root cause", "in_progress")}))
	case AutofixCompleted:
		blocks = append(blocks,
			block("block-1", "I've found the root cause.", false, []obj{rootCause}, []obj{todo("Find the root cause", "completed")}),
			block("block-2", "Here's the proposed fix.", false, []obj{solution}, nil))
		if run.seeded {
			prStates["acme/checkout-service"] = obj{"pr_url": "https://github.com/acme/checkout-service/pull/42", "pr_number": 42, "status": "open"}
		}
	case AutofixAwaitingUserInput:
		blocks = append(blocks, block("block-1", "Which payment provider region should I look at?", false, []obj{rootCause}, nil))
		pending = obj{"question": "Which payment provider region should I look at?"}
	case AutofixError:
		blocks = append(blocks, block("block-1", "Seer could not access the repository.", false, []obj{}, nil))
	}
	return obj{"run_id": run.ID, "status": run.Status, "updated_at": when, "owner_user_id": nil,
		"pending_user_input": pending, "repo_pr_states": prStates, "blocks": blocks}
}
