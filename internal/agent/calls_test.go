package agent

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lookout-hq/lookout/internal/sentry/sentrytest"
	"github.com/lookout-hq/lookout/internal/vault"
)

// callLog is a CallObserver that remembers what it heard.
type callLog struct {
	mu      sync.Mutex
	started []string
	ended   []endedCall
}

type endedCall struct {
	tool     string
	err      error
	deadline bool // EndCall's context has the call's budget
	marked   bool // and is the one StartCall returned
}

type callMark struct{}

func (l *callLog) StartCall(ctx context.Context, tool string) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.started = append(l.started, tool)
	return context.WithValue(ctx, callMark{}, tool)
}

func (l *callLog) EndCall(ctx context.Context, tool string, err error, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, deadline := ctx.Deadline()
	l.ended = append(l.ended, endedCall{tool: tool, err: err, deadline: deadline && d >= 0, marked: ctx.Value(callMark{}) == tool})
}

// Slack's tool calls reach the observer: each begins and ends once, with
// the tool's name, its error, and the call's own context.
func TestToolCallsAreObserved(t *testing.T) {
	f := newFixture(t)
	f.connect(alice, sentrytest.AliceID)
	calls := &callLog{}
	a := f.agent(Options{Calls: calls})
	wantText(t, f.run(a, alice, "issues acme/checkout"), "CHECKOUT-1A")
	wantAuth(t, f.run(a, nobody, "issues acme"), ReasonNoGrant, "")

	calls.mu.Lock()
	defer calls.mu.Unlock()
	if len(calls.started) != 2 || len(calls.ended) != 2 || calls.started[0] != calls.ended[0].tool {
		t.Fatalf("started %q, ended %+v; want two calls, each begun and ended", calls.started, calls.ended)
	}
	ok, noGrant := calls.ended[0], calls.ended[1]
	if ok.err != nil || !ok.deadline || !ok.marked {
		t.Errorf("the answered call: %+v", ok)
	}
	if !errors.Is(noGrant.err, vault.ErrNoGrant) || !noGrant.marked {
		t.Errorf("the call without a grant: %+v, want vault.ErrNoGrant", noGrant)
	}
}
