package vault

import (
	"context"
	"errors"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// TouchInterval is how often, at most, each process records that a grant
// was used: "last used" to the minute costs one small write a minute per
// active grant, not one per tool call.
const TouchInterval = time.Minute

// maxTouched bounds the memory of when grants were last recorded.
const maxTouched = 4096

// touch records, in the background and at most once per TouchInterval in
// this process, that principal's grant was used now. The write is off the
// caller's path: a slow database costs the caller nothing, and a failed
// write only loses a "last used" time.
func (v *Vault) touch(principal string) {
	now := v.opts.Now()
	v.mu.Lock()
	if last, ok := v.touched[principal]; (ok && now.Sub(last) < TouchInterval) || v.closed {
		v.mu.Unlock()
		return
	}
	if len(v.touched) >= maxTouched {
		for p, t := range v.touched {
			if now.Sub(t) >= TouchInterval {
				delete(v.touched, p)
			}
		}
	}
	v.touched[principal] = now
	v.touches.Add(1)
	v.mu.Unlock()
	go func() {
		defer v.touches.Done()
		ctx, cancel := v.storeCtx(v.touchCtx)
		defer cancel()
		if err := v.store.TouchGrant(ctx, principal, now.UTC()); err != nil && !errors.Is(err, store.ErrNotFound) && v.touchCtx.Err() == nil {
			v.opts.Logger.Warn("vault: could not record a grant's last use", "principal", principal, "err", err)
		}
	}()
}

// waitTouches waits for the last-use writes in flight, each bounded by
// StoreTimeout; when ctx ends first, it cancels them. No new ones start:
// the vault is closed.
func (v *Vault) waitTouches(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		v.touches.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		v.touchAbort()
		<-done
	}
	v.touchAbort()
}
