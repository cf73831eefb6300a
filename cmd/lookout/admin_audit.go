//go:build !stdio

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lookout-hq/lookout/internal/store"
)

// auditJSON is one event in `admin audit --json`.
type auditJSON struct {
	ID        int64     `json:"id"`
	Time      time.Time `json:"time"`
	Principal string    `json:"principal"`
	Action    string    `json:"action"`
	Detail    string    `json:"detail"`
}

func runAdminAudit(ctx context.Context, env *environment, args []string) error {
	f := newAdminFlags(env, "audit").withJSON()
	principal := f.fs.String("principal", "", "only events of this principal, e.g. slack:T1:U1 or mcp:...")
	action := f.fs.String("action", "", "only this action, e.g. grant.stale, or a prefix ending in *, e.g. 'grant.*'")
	since := f.fs.Duration("since", 0, "only events this recent, e.g. 24h or 168h (default: all)")
	limit := f.fs.Int("limit", 100, "at most this many events, newest first (0: all)")
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	if *since < 0 || *limit < 0 {
		fmt.Fprintln(env.stderr, "lookout admin audit: --since and --limit must not be negative")
		return errUsage
	}
	s, err := openAdmin(ctx, env, f, false)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	q := store.AuditQuery{Principal: *principal, Action: *action, Limit: *limit}
	if *since > 0 {
		q.Since = s.now().Add(-*since)
	}
	events, err := s.store.SearchAudit(ctx, q)
	if err != nil {
		return err
	}
	out := make([]auditJSON, 0, len(events))
	for _, e := range events {
		out = append(out, auditJSON{ID: e.ID, Time: e.Time.UTC(), Principal: e.Principal, Action: e.Action, Detail: e.Detail})
	}
	if f.json {
		return printJSON(env.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(env.stdout, "No audit events match.")
		return nil
	}
	rows := make([][]string, 0, len(out))
	for _, e := range out {
		rows = append(rows, []string{e.Time.Format("2006-01-02 15:04:05Z"), orDash(e.Principal), e.Action, e.Detail})
	}
	return table(env.stdout, []string{"TIME", "PRINCIPAL", "ACTION", "DETAIL"}, rows)
}
