package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/lookout-hq/lookout/internal/requestid"
	"github.com/lookout-hq/lookout/internal/store"
)

// The bot's work goes through the store's inbox (store.Inbox): record ->
// claim (a lease, extended while working) -> answered. Every kind of work
// is an inbox item with a handler here. To add a kind (an interactive
// action, a slash command, a link to unfurl): record an item with a stable
// dedupe id (Slack's action or trigger id) before acknowledging Slack, and
// add a handler to kinds(). The handler gets the item claimed and a job to
// save its progress with; it must be safe to run again after a crash at any
// point: save what it decided before acting on it (job.save), mark every
// message it posts with the item's id (postReply does), and on a later
// attempt look for what an earlier one already did (findReplies) before
// doing it again.

// Kinds of inbox item.
const (
	// kindMessage: a question (mention, DM, thread reply); the id is the
	// Slack message, so that every event about it is one item.
	kindMessage = "slack-message"
	// kindResume: a parked question to answer now that its user consented.
	kindResume = "slack-resume"
	// kindStale: tell a Slack user privately that their grant died.
	kindStale = "slack-stale"
)

// storeTimeout bounds one store call, so that a database that stopped
// answering fails calls instead of hanging workers.
const storeTimeout = 5 * time.Second

// handler works on one kind of inbox item.
type handler struct {
	// run works on a claimed item. nil: answered. A permanent error: the
	// item failed for good. Anything else: retried later (giveUp after
	// MaxAttempts). ctx ends when the claim is lost.
	run func(ctx context.Context, j *job) error
	// giveUp tells the user, where possible, that their item will not be
	// answered; nil for kinds nobody waits for.
	giveUp func(ctx context.Context, j *job)
	// busy, when set, tells the user the item waits in the queue.
	busy func(ctx context.Context, j *job) error
}

func (b *Bot) kinds() map[string]handler {
	return map[string]handler{
		kindMessage:   {run: b.runQuestion, giveUp: b.giveUpQuestion, busy: b.busyQuestion},
		kindResume:    {run: b.runResume, giveUp: b.giveUpQuestion},
		kindStale:     {run: b.runStale},
		kindAction:    {run: b.runAction, giveUp: b.giveUpAction},
		kindCommand:   {run: b.runSlash, giveUp: b.giveUpSlash},
		kindHome:      {run: b.runHome},
		kindUnfurl:    {run: b.runUnfurl},
		kindAssistant: {run: b.runAssistant},
	}
}

// permanentError marks a failure that retrying will not fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

// retryLater asks for the item to be retried after a given time (Slack's
// Retry-After was longer than worth waiting for while holding the item).
type retryLater struct {
	after time.Duration
	err   error
}

func (e *retryLater) Error() string { return e.err.Error() }
func (e *retryLater) Unwrap() error { return e.err }

// errLeaseLost is the cause of a job's context when its claim went to
// another worker (this one was too slow, or presumed dead).
var errLeaseLost = errors.New("slack: the inbox item was claimed by another worker")

// record stores an item received now, then hands it to a local worker, or,
// when all are busy and the queue is full, tells its user it is queued
// (kinds with a busy handler). A redelivery of an item not answered yet is
// handed to a local worker too, which claims it if its claimant is gone;
// one already answered is dropped. It returns only the store's failure:
// the caller must then not acknowledge the event.
func (b *Bot) record(ctx context.Context, it store.InboxItem, log *slog.Logger) error {
	now := b.now()
	it.CreatedAt, it.ExpiresAt = now, now.Add(inboxTTL)
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	got, err := b.cfg.Store.RecordInbox(sctx, it)
	cancel()
	switch {
	case errors.Is(err, store.ErrAlreadyExists) && got.State.Done():
		b.cfg.Observer.Recorded(it.Kind, "duplicate")
		log.InfoContext(ctx, "slack: dropped a repeated delivery: already answered", "inbox_id", got.ID, "state", got.State)
		return nil
	case errors.Is(err, store.ErrAlreadyExists):
		b.cfg.Observer.Recorded(it.Kind, "redelivered")
		log.InfoContext(ctx, "slack: a repeated delivery of an item not answered yet; claiming it if its worker is gone",
			"inbox_id", got.ID, "state", got.State, "attempts", got.Attempts)
		b.enqueue(got.ID)
		return nil
	case err != nil:
		b.cfg.Observer.Recorded(it.Kind, "error")
		return err
	}
	b.cfg.Observer.Recorded(it.Kind, "recorded")
	if it.AvailableAt.After(now) {
		return nil // the poller takes it when it is due
	}
	if !b.enqueue(got.ID) {
		log.WarnContext(ctx, "slack: all workers busy and the queue is full; the item waits in the inbox",
			"inbox_id", got.ID, "queue_size", cap(b.queue))
		b.tellBusy(got)
	}
	return nil
}

// enqueue hands a recorded item's id to a local worker without blocking;
// false when the queue is full (the item waits in the inbox for the poller).
func (b *Bot) enqueue(id string) bool {
	select {
	case b.queue <- id:
		return true
	default:
		return false
	}
}

// tellBusy sends, in the background, the note that a question waits in
// the queue: it claims the item (unless a worker already did), posts the
// note as the item's status message, which the answer later replaces, and
// hands the item back.
func (b *Bot) tellBusy(it store.InboxItem) {
	h := b.handlers[it.Kind]
	if h.busy == nil {
		return
	}
	b.bgMu.Lock()
	defer b.bgMu.Unlock()
	if b.bgCtx == nil {
		return // not running: the next start answers it
	}
	select {
	case b.busySlots <- struct{}{}:
	default:
		return // many notes in flight already; the question still waits its turn
	}
	ctx := b.bgCtx
	b.bg.Go(func() {
		defer func() { <-b.busySlots }()
		now := b.now()
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		claimed, err := b.cfg.Store.ClaimInboxItem(sctx, it.ID, b.owner, now, now.Add(b.cfg.Lease))
		cancel()
		if err != nil {
			return // a worker has it: no note needed
		}
		ctx, _ := requestid.Ensure(ctx)
		l := b.hold(ctx, claimed)
		defer l.stop()
		j := b.newJob(l, claimed)
		if err := h.busy(l.ctx, j); err != nil {
			j.log.Warn("slack: could not say that the question is queued", "err", err)
		}
		b.release(j, b.now())
	})
}

// worker works on items until ctx ends: ids recorded here (claimed first)
// and items the poller claimed. Items run on work, which outlives ctx.
func (b *Bot) worker(ctx, work context.Context) {
	for {
		b.idle.Add(1)
		select {
		case <-ctx.Done():
			b.idle.Add(-1)
			return
		case it := <-b.claimed:
			b.idle.Add(-1)
			if ctx.Err() != nil {
				b.releaseItem(it)
				continue
			}
			b.process(work, it)
		case id := <-b.queue:
			b.idle.Add(-1)
			if ctx.Err() != nil {
				continue // it waits in the inbox
			}
			now := b.now()
			sctx, cancel := context.WithTimeout(work, storeTimeout)
			it, err := b.cfg.Store.ClaimInboxItem(sctx, id, b.owner, now, now.Add(b.cfg.Lease))
			cancel()
			if err != nil {
				// Held by a live worker, done, or the store failed: the
				// poller looks again.
				b.log.Debug("slack: not claiming an inbox item", "inbox_id", id, "err", err)
				continue
			}
			b.process(work, it)
		}
		if len(b.queue) == 0 {
			b.pollNow() // items may wait in the inbox for a free worker
		}
	}
}

// pollLoop claims items for idle workers every PollInterval and when a
// worker frees up, until ctx ends.
func (b *Bot) pollLoop(ctx context.Context) {
	t := time.NewTicker(b.cfg.PollInterval)
	defer t.Stop()
	kinds := make([]string, 0, len(b.handlers))
	for k := range b.handlers {
		kinds = append(kinds, k)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.poll:
		}
		free := int(b.idle.Load()) - len(b.queue) - len(b.claimed)
		if free <= 0 {
			continue
		}
		now := b.now()
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		items, err := b.cfg.Store.ClaimInbox(sctx, b.owner, now, now.Add(b.cfg.Lease), free, kinds...)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("slack: claiming inbox items", "err", err)
			}
			continue
		}
		for _, it := range items {
			select {
			case b.claimed <- it:
			default:
				b.releaseItem(it)
			}
		}
	}
}

// releaseClaimed hands back the items claimed for workers that stopped.
func (b *Bot) releaseClaimed() {
	for {
		select {
		case it := <-b.claimed:
			b.releaseItem(it)
		default:
			return
		}
	}
}

// releaseItem hands back an item this process claimed but did not start.
func (b *Bot) releaseItem(it store.InboxItem) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := b.cfg.Store.ReleaseInbox(ctx, it.ID, b.owner, b.now(), b.now()); err != nil {
		b.log.Warn("slack: handing back an inbox item", "inbox_id", it.ID, "err", err)
	}
}

// job is one claimed inbox item being worked on.
type job struct {
	b     *Bot
	item  store.InboxItem
	lease *lease
	log   *slog.Logger
	start time.Time
}

func (b *Bot) newJob(l *lease, it store.InboxItem) *job {
	return &job{b: b, item: it, lease: l, start: time.Now(),
		log: b.log.With("request_id", requestid.From(l.ctx), "inbox_id", it.ID, "kind", it.Kind, "attempt", it.Attempts)}
}

// load reads the item's saved progress into v; a fresh item has none.
func (j *job) load(v any) {
	if len(j.item.Progress) == 0 {
		return
	}
	if err := json.Unmarshal(j.item.Progress, v); err != nil {
		j.log.Error("slack: undecodable progress of an inbox item; starting it over", "err", err)
	}
}

// save stores v as the item's progress, so that whoever works on it next
// carries on from here.
func (j *job) save(ctx context.Context, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return permanent(fmt.Errorf("encode progress: %w", err))
	}
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	err = j.b.cfg.Store.SaveInboxProgress(sctx, j.item.ID, j.b.owner, data, j.b.now())
	if errors.Is(err, store.ErrLeaseHeld) || errors.Is(err, store.ErrNotFound) {
		j.lease.lose()
		return errLeaseLost
	}
	if err != nil {
		return err
	}
	j.item.Progress = data
	return nil
}

// process works on one claimed item and settles it: answered, failed,
// handed back for a retry, or left to the worker that took it over.
func (b *Bot) process(work context.Context, it store.InboxItem) {
	b.busy.Add(1)
	defer b.busy.Add(-1)
	ctx, _ := requestid.Ensure(work) // a fresh id per attempt, on every log line and user-facing error
	l := b.hold(ctx, it)
	defer l.stop()
	j := b.newJob(l, it)
	if err := l.extend(ctx); errors.Is(err, errLeaseLost) {
		j.log.Info("slack: an inbox item was taken over before its worker started")
		b.cfg.Observer.Finished(it.Kind, "taken_over", b.now().Sub(it.CreatedAt))
		return
	}
	h, ok := b.handlers[it.Kind]
	if !ok {
		j.log.Error("slack: inbox item of an unknown kind; marking it failed")
		b.finish(j, store.InboxFailed)
		return
	}
	if it.Attempts > b.cfg.MaxAttempts {
		b.giveUp(j, h, errors.New("too many attempts"))
		return
	}
	err := h.run(l.ctx, j)
	var perm *permanentError
	var later *retryLater
	switch {
	case err == nil:
		b.finish(j, store.InboxAnswered)
	case errors.Is(err, errLeaseLost) || errors.Is(context.Cause(l.ctx), errLeaseLost):
		j.log.Warn("slack: another worker took over an inbox item; leaving it to them", "err", err)
		b.cfg.Observer.Finished(it.Kind, "taken_over", b.now().Sub(it.CreatedAt))
	case errors.As(err, &perm):
		j.log.Error("slack: an inbox item failed for good", "err", err)
		b.finish(j, store.InboxFailed)
	case work.Err() != nil:
		j.log.Info("slack: shutting down; handing an inbox item back", "err", err)
		b.cfg.Observer.Finished(it.Kind, "retry", b.now().Sub(it.CreatedAt))
		b.release(j, b.now())
	case it.Attempts >= b.cfg.MaxAttempts:
		b.giveUp(j, h, err)
	case errors.As(err, &later):
		j.log.Warn("slack: an inbox item will be retried", "retry_in", later.after, "err", err)
		b.cfg.Observer.Finished(it.Kind, "retry", b.now().Sub(it.CreatedAt))
		b.release(j, b.now().Add(later.after))
	default:
		wait := b.backoff(it.Attempts)
		j.log.Warn("slack: an inbox item will be retried", "retry_in", wait, "err", err)
		b.cfg.Observer.Finished(it.Kind, "retry", b.now().Sub(it.CreatedAt))
		b.release(j, b.now().Add(wait))
	}
}

// giveUp tells the user their item will not be answered, then marks it
// failed.
func (b *Bot) giveUp(j *job, h handler, err error) {
	j.log.Error("slack: giving up on an inbox item", "attempts", j.item.Attempts, "err", err)
	if h.giveUp != nil {
		h.giveUp(j.lease.ctx, j)
	}
	b.finish(j, store.InboxFailed)
}

// backoff is the wait before retry n (1-based) of a Slack call or an item:
// RetryBase doubled n-1 times, at most RetryMax, with up to 20% jitter so
// that replicas do not retry in step.
func (b *Bot) backoff(n int) time.Duration {
	d := b.cfg.RetryBase
	for i := 1; i < n && d < b.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, b.cfg.RetryMax)
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// finish marks the item answered or failed. The store is retried a few
// times: an item left claimed is claimed again after its lease, and its
// next worker finds the answer in Slack, so a failure here costs a
// lookup, never a second answer.
func (b *Bot) finish(j *job, state store.InboxState) {
	var err error
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(j.lease.ctx), storeTimeout)
		err = b.cfg.Store.FinishInbox(ctx, j.item.ID, b.owner, state, b.now())
		cancel()
		if err == nil || errors.Is(err, store.ErrLeaseHeld) || errors.Is(err, store.ErrNotFound) {
			break
		}
		time.Sleep(time.Duration(i+1) * 100 * time.Millisecond)
	}
	if err != nil {
		j.log.Warn("slack: could not mark an inbox item done; its next worker will find the answer", "state", state, "err", err)
		return
	}
	// One line per finished item, with what a metric needs: the outcome,
	// the attempts and how long the user waited.
	b.cfg.Observer.Finished(j.item.Kind, string(state), b.now().Sub(j.item.CreatedAt))
	j.log.Info("slack: inbox item done", "state", state, "attempts", j.item.Attempts,
		"waited_ms", b.now().Sub(j.item.CreatedAt).Milliseconds())
}

// release hands the item back, claimable again from at.
func (b *Bot) release(j *job, at time.Time) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(j.lease.ctx), storeTimeout)
	defer cancel()
	if err := b.cfg.Store.ReleaseInbox(ctx, j.item.ID, b.owner, b.now(), at); err != nil && !errors.Is(err, store.ErrLeaseHeld) {
		j.log.Warn("slack: could not hand an inbox item back; it is claimed again when its lease ends", "err", err)
	}
	if !at.After(b.now()) {
		b.pollNow()
	}
}

// lease is this process's claim on one inbox item, extended every Lease/3
// until stop. Its ctx ends (cause errLeaseLost) when the claim is lost:
// another worker claimed the item, or the store could not confirm the
// claim before it ran out, after which another worker may have it.
type lease struct {
	b      *Bot
	id     string
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu    sync.Mutex
	until time.Time

	done     chan struct{}
	stopOnce sync.Once
	stopBeat chan struct{}
}

// hold starts the heartbeat of a claimed item.
func (b *Bot) hold(ctx context.Context, it store.InboxItem) *lease {
	lctx, cancel := context.WithCancelCause(ctx)
	l := &lease{b: b, id: it.ID, ctx: lctx, cancel: cancel, until: it.LeaseUntil,
		done: make(chan struct{}), stopBeat: make(chan struct{})}
	go l.beat()
	return l
}

func (l *lease) beat() {
	defer close(l.done)
	t := time.NewTicker(l.b.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stopBeat:
			return
		case <-l.ctx.Done():
			return
		case <-t.C:
		}
		if err := l.extend(l.ctx); err != nil && !errors.Is(err, errLeaseLost) && l.ctx.Err() == nil {
			l.b.log.Warn("slack: could not extend an inbox lease", "inbox_id", l.id, "err", err)
		}
	}
}

// extend moves the lease to now+Lease. errLeaseLost (and the lease's ctx
// ended) when the item is no longer ours, or when the store failed and the
// lease has run out meanwhile.
func (l *lease) extend(ctx context.Context) error {
	if l.ctx.Err() != nil {
		if errors.Is(context.Cause(l.ctx), errLeaseLost) {
			return errLeaseLost
		}
		return l.ctx.Err()
	}
	now := l.b.now()
	until := now.Add(l.b.cfg.Lease)
	sctx, cancel := context.WithTimeout(ctx, min(storeTimeout, l.b.cfg.Lease/2))
	err := l.b.cfg.Store.ExtendInboxLease(sctx, l.id, l.b.owner, now, until)
	cancel()
	switch {
	case err == nil:
		l.mu.Lock()
		l.until = until
		l.mu.Unlock()
		return nil
	case errors.Is(err, store.ErrLeaseHeld), errors.Is(err, store.ErrNotFound):
		l.lose()
		return errLeaseLost
	}
	l.mu.Lock()
	expired := !l.b.now().Before(l.until)
	l.mu.Unlock()
	if expired {
		l.lose()
		return fmt.Errorf("%w: %w", errLeaseLost, err)
	}
	return err
}

// lose ends the lease's context: stop working on the item.
func (l *lease) lose() { l.cancel(errLeaseLost) }

// remaining is how long the lease surely lasts.
func (l *lease) remaining() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.until.Sub(l.b.now())
}

// stop ends the heartbeat and waits for it.
func (l *lease) stop() {
	l.stopOnce.Do(func() { close(l.stopBeat) })
	<-l.done
	l.cancel(nil)
}

// fence confirms the claim right before an action others would see (a
// post, an ephemeral message, a park) and returns a context for it that
// ends well before the lease could run out, so that no action of this
// worker overlaps the work of one that took the item over.
func (j *job) fence(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if err := j.lease.extend(ctx); err != nil {
		return nil, nil, err
	}
	budget := min(callTimeout, j.lease.remaining()*2/3)
	cctx, cancel := context.WithTimeout(ctx, budget)
	return cctx, cancel, nil
}
