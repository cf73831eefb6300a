package sentrytest

import (
	"fmt"
	"time"
)

// traceErrorsAgo is when the seeded trace's frontend error happened: the
// latest event of WEB-1A.
const traceErrorsAgo = 12 * time.Minute

// traces builds the cross-project trace (TraceID), background transactions
// for the spans dataset, and logs.
//
// The story of TraceID: a shopper clicks "Pay" on acme/web; the request to
// acme/checkout waits 10 s on the payment provider and fails
// (CHECKOUT-1A), the coupon service logs a degradation on the way
// (CHECKOUT-1H, a standalone error), and the frontend then crashes
// rendering the cart it no longer has (WEB-1A).
func (s *seeder) traces(acme, globex *org) {
	web, checkout := acme.project("web"), acme.project("checkout")
	base := s.ago(traceErrorsAgo + 10500*time.Millisecond)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	webTxn, checkoutTxn := s.hex(32), s.hex(32)
	add := func(p *project, id, parent, op, desc, status string, from, to int, segment string, txn string) *span {
		sp := &span{
			SpanID: id, ParentSpanID: parent, TraceID: TraceID, project: p, Op: op, Description: desc, Status: status,
			Start: at(from), End: at(to), IsSegment: parent == "" || id == "e5d4a6b7c8d9e0f1", SegmentID: segment,
			Transaction: txn, SDKName: profiles[p.Slug].sdkName, Environment: "production",
			Tags: map[string]string{},
		}
		if p == web {
			sp.Release = "web@1.2.3+build.4"
		} else {
			sp.Release = "checkout@2.0.0"
		}
		s.w.spans = append(s.w.spans, sp)
		return sp
	}
	add(web, "a1f0c2d3e4b5a697", "", "ui.action.click", "/checkout", "internal_error", 0, 10600, webTxn, "/checkout")
	add(web, "b2e1d3c4f5a6b708", "a1f0c2d3e4b5a697", "resource.script", "https://static.acme.example/js/checkout.3f9c1.js", "ok", 10, 90, webTxn, "/checkout")
	fetch := add(web, "d4c3f5a6b7c8d90a", "a1f0c2d3e4b5a697", "http.client", "POST https://checkout.acme.example/api/checkout/pay", "deadline_exceeded", 100, 10400, webTxn, "/checkout")
	fetch.Tags["http.method"], fetch.Tags["http.status_code"] = "POST", "504"
	add(web, "c3d2e4f5a6b7c809", "a1f0c2d3e4b5a697", "ui.react.render", "CartSummary", "internal_error", 10450, 10520, webTxn, "/checkout")
	srv := add(checkout, "e5d4a6b7c8d9e0f1", "d4c3f5a6b7c8d90a", "http.server", "POST /api/checkout/pay", "internal_error", 150, 10350, checkoutTxn, "POST /api/checkout/pay")
	srv.Tags["http.method"], srv.Tags["http.status_code"], srv.Tags["server_name"] = "POST", "504", "checkout-7f9c8d-x2k4p"
	add(checkout, "f6e5b7c8d9e0f102", "e5d4a6b7c8d9e0f1", "db", "SELECT id, status, total FROM orders WHERE id = %s", "ok", 160, 172, checkoutTxn, "POST /api/checkout/pay")
	add(checkout, "0716f8d9e0a1b213", "e5d4a6b7c8d9e0f1", "cache.get", "cart:session:8f3a", "ok", 173, 175, checkoutTxn, "POST /api/checkout/pay")
	charge := add(checkout, "1827a9e0f1b2c324", "e5d4a6b7c8d9e0f1", "http.client", "POST https://payments.example.net/v1/charges", "deadline_exceeded", 180, 10190, checkoutTxn, "POST /api/checkout/pay")
	charge.Tags["http.method"] = "POST"
	add(checkout, "2938b0f1a2c3d435", "e5d4a6b7c8d9e0f1", "db", "UPDATE orders SET status = %s WHERE id = %s", "ok", 10310, 10314, checkoutTxn, "POST /api/checkout/pay")

	// Put the errors into the trace.
	inTrace := func(shortID string, fromEnd int, spanID string, when time.Time) {
		for _, is := range s.w.issues {
			if is.ShortID != shortID {
				continue
			}
			ev := is.events[len(is.events)-1-fromEnd]
			ev.TraceID, ev.SpanID = TraceID, spanID
			ev.DateCreated, ev.DateReceived = when, when.Add(400*time.Millisecond)
			ev.Environment = "production"
			setTag(ev, "environment", "production")
			if is.project == web {
				ev.Transaction = "/checkout"
				setTag(ev, "transaction", ev.Transaction)
				setTag(ev, "url", "https://shop.acme.example/checkout")
			} else {
				ev.Transaction = "POST /api/checkout/pay"
				setTag(ev, "transaction", ev.Transaction)
				setTag(ev, "url", "https://checkout.acme.example/api/checkout/pay")
			}
			if ev.request != nil {
				ev.request.URL = ev.tag("url")
			}
		}
	}
	inTrace("WEB-1A", 0, "c3d2e4f5a6b7c809", at(10500))
	inTrace("CHECKOUT-1A", 1, "e5d4a6b7c8d9e0f1", at(10300))
	inTrace("CHECKOUT-1H", 0, "3a4bc1d2e3f4a546", at(10200)) // span not in the tree: standalone

	s.w.logs = append(s.w.logs,
		&logItem{ID: s.hex(32), project: web, Timestamp: at(5), Severity: "info", Message: "checkout submit clicked", TraceID: TraceID, Logger: "checkout-page", Environment: "production", Release: "web@1.2.3+build.4"},
		&logItem{ID: s.hex(32), project: checkout, Timestamp: at(181), Severity: "info", Message: "charge attempt started order=ORD-5521 amount=129.00 EUR", TraceID: TraceID, Logger: "checkout.payments.gateway", Environment: "production", Release: "checkout@2.0.0"},
		&logItem{ID: s.hex(32), project: checkout, Timestamp: at(10200), Severity: "warn", Message: "Coupon service degraded: falling back to no-discount pricing", TraceID: TraceID, Logger: "checkout.pricing.coupons", Environment: "production", Release: "checkout@2.0.0"},
		&logItem{ID: s.hex(32), project: checkout, Timestamp: at(10195), Severity: "error", Message: "payment provider timeout after 10000ms order=ORD-5521", TraceID: TraceID, Logger: "checkout.payments.gateway", Environment: "production", Release: "checkout@2.0.0"},
		&logItem{ID: s.hex(32), project: checkout, Timestamp: at(10312), Severity: "info", Message: "rolled back order ORD-5521", TraceID: TraceID, Logger: "checkout.orders.service", Environment: "production", Release: "checkout@2.0.0"},
	)

	// Background transactions and logs, so Discover has something to count.
	for _, o := range []*org{acme, globex} {
		for _, p := range o.projects {
			s.background(p)
		}
	}
}

var childOps = []struct{ op, desc string }{
	{"db", "SELECT * FROM sessions WHERE id = %s"},
	{"cache.get", "catalog:featured"},
	{"http.client", "GET https://inventory.internal/v1/stock"},
	{"db", "INSERT INTO audit_log (actor, action) VALUES (%s, %s)"},
	{"serialize", "render response"},
}

var logMessages = []struct{ severity, msg string }{
	{"info", "request completed"},
	{"info", "cache miss for catalog:featured"},
	{"warn", "slow query took 1240ms"},
	{"info", "user signed in"},
	{"error", "upstream returned 502, retrying"},
	{"warn", "retry budget exhausted"},
	{"info", "background job finished"},
	{"debug", "feature flag new-checkout evaluated to true"},
}

func (s *seeder) background(p *project) {
	prof := profiles[p.Slug]
	txns := prof.tagPools["transaction"]
	rels := p.releases()
	rootOp := prof.traceOp
	for i := range 6 {
		trace := s.hex(32)
		start := s.ago(s.between(5*time.Minute, 23*time.Hour)).Truncate(time.Millisecond)
		dur := time.Duration(30+s.rnd.IntN(1500)) * time.Millisecond
		txn := txns[i%len(txns)]
		status := "ok"
		if s.rnd.IntN(6) == 0 {
			status = "internal_error"
		}
		seg := s.hex(32)
		root := &span{
			SpanID: s.hex(16), TraceID: trace, project: p, Op: rootOp, Description: txn, Status: status,
			Start: start, End: start.Add(dur), IsSegment: true, SegmentID: seg, Transaction: txn,
			SDKName: prof.sdkName, Environment: "production", Release: rels[0].Version, Tags: map[string]string{},
		}
		s.w.spans = append(s.w.spans, root)
		for range 1 + s.rnd.IntN(2) {
			c := childOps[s.rnd.IntN(len(childOps))]
			off := time.Duration(s.rnd.Int64N(int64(dur) / 2))
			cd := time.Duration(s.rnd.Int64N(int64(dur)/2)) + time.Millisecond
			s.w.spans = append(s.w.spans, &span{
				SpanID: s.hex(16), ParentSpanID: root.SpanID, TraceID: trace, project: p, Op: c.op, Description: c.desc, Status: "ok",
				Start: start.Add(off), End: start.Add(off + cd), SegmentID: seg, Transaction: txn,
				SDKName: prof.sdkName, Environment: "production", Release: rels[0].Version, Tags: map[string]string{},
			})
		}
		for range 1 + s.rnd.IntN(2) {
			m := logMessages[s.rnd.IntN(len(logMessages))]
			s.w.logs = append(s.w.logs, &logItem{
				ID: s.hex(32), project: p, Timestamp: start.Add(time.Duration(s.rnd.Int64N(int64(dur)))),
				Severity: m.severity, Message: m.msg, TraceID: trace, Logger: fmt.Sprintf("%s.app", p.Slug),
				Environment: "production", Release: rels[0].Version,
			})
		}
	}
}
