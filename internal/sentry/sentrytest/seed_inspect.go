package sentrytest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"time"
)

// Seed data of the inspect endpoints: dashboards, alert rules, user reports,
// replays, event attachments, profiles, preprod snapshots and agent
// conversations, shaped after Sentry's answers. Fixed ids, so tests and the
// demo can name them.
const (
	// ReplayID is acme/web's replay of the shopper whose checkout failed in
	// TraceID; ArchivedReplayID an archived acme/web replay; GlobexReplayID
	// a globex/mobile replay.
	ReplayID         = "7e07485f12f9416b8b1426260799b51f"
	ArchivedReplayID = "0aa5fa8a4fd04aa1b1b7a0e9c1f0d3e2"
	GlobexReplayID   = "9c1b2d3e4f5a46b7a8c9d0e1f2a3b4c5"

	// ProfileID is a transaction profile of acme/checkout's
	// "POST /api/checkout/pay"; ProfilerID a continuous profiling session
	// of acme/api, with one chunk around ProfileChunkStart (seed-relative:
	// see ProfileChunkWindow).
	ProfileID  = "cfe78a5c892d4a64a962d837673398d2"
	ProfilerID = "041bde57b9844e36b8b7e5734efae5f7"

	// SnapshotID is acme/web's snapshot run comparing a feature branch with
	// main; BaseSnapshotID the latest main snapshot of app AppID;
	// GlobexSnapshotID a globex/mobile run.
	SnapshotID       = "231949"
	BaseSnapshotID   = "231900"
	GlobexSnapshotID = "332001"
	AppID            = "com.acme.shop"

	// ConversationID is an acme/api agent conversation: a triage agent
	// asked what failed at checkout.
	ConversationID       = "conv-checkout-triage"
	GlobexConversationID = "conv-globex-support"
)

type inspectData struct {
	dashboards    []*dashboard
	workflows     []*workflow
	metricRules   []*metricRule
	userReports   map[*issue][]obj
	replays       []*replay
	attachments   map[string][]*attachment // by event id
	flamegraphs   []*flamegraph
	profiles      []*txnProfile
	chunks        []*profileChunk
	snapshots     []*snapshot
	files         map[string]*file // snapshot image files, by key
	conversations []*conversation
}

type dashboard struct {
	ID, Title   string
	DateCreated time.Time
	LastVisited time.Time
	createdBy   *user
	projects    []*project // none: the user's projects
	env         []string
	widgets     []obj
	period      string
	filters     obj
	favorited   bool
}

type workflow struct {
	ID, Name      string
	project       *project
	detectorIDs   []string // none: not attached to any detector (a draft)
	enabled       bool
	frequency     int
	env, owner    string
	created       time.Time
	lastTriggered time.Time
	triggers      obj
	actionFilters []obj
}

type metricRule struct {
	ID, Name                  string
	projects                  []*project
	dataset, aggregate, query string
	timeWindow                int
	env, owner                string
	created                   time.Time
	triggers                  []obj
}

type replay struct {
	ID       string
	project  *project
	started  time.Time
	payload  obj
	segments []any // recording segments, as the download endpoint answers
}

type attachment struct {
	ID, Name, Type, MIME string
	created              time.Time
	data                 []byte
	size                 int // when data is nil: that many filler bytes, made on download
}

type flamegraph struct {
	project           *project
	transaction       string
	current, baseline obj // the last 7 days, and longer periods
}

type txnProfile struct {
	ID      string
	project *project
	payload obj
}

type profileChunk struct {
	profilerID string
	project    *project
	start, end time.Time
	payload    obj
}

type snapshot struct {
	ID      string
	project *project
	appID   string
	branch  string
	base    bool // a base-branch snapshot, for latest-base
	created time.Time
	payload obj
	images  map[string]obj // image detail by image_file_name
}

// file is a downloadable snapshot image, drawn when first asked for: big
// images cost time to encode and most tests never fetch them.
type file struct {
	mime string
	draw func() []byte
	data []byte
}

type conversation struct {
	ID, Title string
	project   *project
	env       string
	spans     []obj
	summary   obj
}

func (w *world) inspectOf(o *org) *inspectData { return w.inspect[o] }

func (s *seeder) inspect(acme, globex *org) {
	s.w.inspect = map[*org]*inspectData{}
	for _, o := range []*org{acme, globex} {
		s.w.inspect[o] = &inspectData{userReports: map[*issue][]obj{}, attachments: map[string][]*attachment{}, files: map[string]*file{}}
	}
	s.dashboards(acme, globex)
	s.alertRules(acme, globex)
	s.userReports(acme, globex)
	s.replays(acme, globex)
	s.attachments(acme, globex)
	s.profiling(acme, globex)
	s.snapshots(acme, globex)
	s.conversations(acme, globex)
}

func (s *seeder) issueByShortID(o *org, short string) *issue { return s.w.issueInOrg(o, short) }

func latestEvent(is *issue) *event { return is.events[len(is.events)-1] }

func (s *seeder) dashboards(acme, globex *org) {
	day := 24 * time.Hour
	alice, bob := s.w.user(AliceID), s.w.user(BobID)
	query := func(name, conditions, orderby string, fields, aggregates, columns []string) obj {
		return obj{"name": name, "fields": fields, "aggregates": aggregates, "columns": columns, "fieldAliases": []string{},
			"conditions": conditions, "orderby": orderby, "onDemand": []obj{}, "isHidden": false}
	}
	widget := func(id, title, display, typ string, q obj) obj {
		return obj{"id": id, "title": title, "description": nil, "displayType": display, "widgetType": typ, "interval": "5m",
			"limit": nil, "thresholds": nil, "queries": []obj{q}, "layout": obj{"x": 0, "y": 0, "w": 6, "h": 2}, "datasetSource": "user"}
	}
	add := func(o *org, d *dashboard) { s.w.inspect[o].dashboards = append(s.w.inspect[o].dashboards, d) }
	add(acme, &dashboard{
		ID: "101", Title: "Errors Overview", DateCreated: s.ago(200 * day), LastVisited: s.ago(3 * time.Hour), createdBy: alice,
		projects: []*project{acme.project("web")}, env: []string{"production"}, period: "24h", favorited: true,
		filters: obj{"release": []string{"web@1.2.3+build.4"}},
		widgets: []obj{
			widget("201", "Handled Errors", "line", "error-events", query("", "error.handled:true", "-count()", []string{"count()"}, []string{"count()"}, []string{})),
			widget("202", "Top Issues", "table", "error-events", query("Top Issues", "is:unresolved", "-count()", []string{"issue", "count()"}, []string{"count()"}, []string{"issue"})),
		},
	})
	add(acme, &dashboard{
		ID: "102", Title: "Checkout Health", DateCreated: s.ago(120 * day), createdBy: alice,
		projects: []*project{acme.project("checkout")}, env: []string{"production"}, period: "7d",
		widgets: []obj{
			widget("203", "Pay latency p95", "line", "spans", query("", `transaction:"POST /api/checkout/pay"`, "", []string{"p95(span.duration)"}, []string{"p95(span.duration)"}, []string{})),
			widget("204", "Payment errors", "big_number", "error-events", query("", "error.type:PaymentGatewayTimeout", "", []string{"count()"}, []string{"count()"}, []string{})),
		},
	})
	add(acme, &dashboard{
		ID: "103", Title: "Company KPIs", DateCreated: s.ago(90 * day), createdBy: bob, period: "14d",
		widgets: []obj{widget("205", "Events", "area", "error-events", query("", "", "", []string{"count()"}, []string{"count()"}, []string{}))},
	})
	add(acme, &dashboard{
		ID: "104", Title: "API Latency", DateCreated: s.ago(30 * day), createdBy: bob, projects: []*project{acme.project("api")}, period: "24h",
		widgets: []obj{widget("206", "Slow endpoints", "table", "spans", query("", "span.op:http.server", "-p95(span.duration)", []string{"transaction", "p95(span.duration)"}, []string{"p95(span.duration)"}, []string{"transaction"}))},
	})
	add(globex, &dashboard{
		ID: "301", Title: "Mobile Crashes", DateCreated: s.ago(60 * day), createdBy: alice, projects: []*project{globex.project("mobile")}, period: "7d",
		widgets: []obj{widget("401", "Crashes by release", "bar", "error-events", query("", "level:fatal", "-count()", []string{"release", "count()"}, []string{"count()"}, []string{"release"}))},
	})
}

func (s *seeder) alertRules(acme, globex *org) {
	day := 24 * time.Hour
	cond := func(typ string, comparison any) obj {
		return obj{"id": s.hex(8), "type": typ, "comparison": comparison, "conditionResult": true}
	}
	slack := func(channel string) obj {
		return obj{"id": s.hex(8), "type": "slack", "integrationId": "7001", "config": obj{"targetType": "specific", "targetIdentifier": channel, "targetDisplay": channel}, "data": obj{}, "status": "active"}
	}
	email := func(team string) obj {
		return obj{"id": s.hex(8), "type": "email", "config": obj{"targetType": "team", "targetIdentifier": team}, "data": obj{}, "status": "active"}
	}
	add := func(o *org, w *workflow) { s.w.inspect[o].workflows = append(s.w.inspect[o].workflows, w) }
	add(acme, &workflow{
		ID: "3101", Name: "Checkout errors to #payments", project: acme.project("checkout"), detectorIDs: []string{"9101"},
		enabled: true, frequency: 30, env: "production", owner: "team:payments", created: s.ago(100 * day), lastTriggered: s.ago(9 * time.Minute),
		triggers: obj{"id": "t3101", "logicType": "any", "conditions": []obj{cond("first_seen_event", true), cond("event_frequency_count", obj{"value": 100, "interval": "1h"})}, "actions": []obj{}},
		actionFilters: []obj{{"id": "f3101", "logicType": "all",
			"conditions": []obj{cond("tagged_event", obj{"key": "level", "match": "eq", "value": "error"})},
			"actions":    []obj{slack("#payments-alerts")}}},
	})
	add(acme, &workflow{
		ID: "3102", Name: "New web issues", project: acme.project("web"), detectorIDs: []string{"9102"},
		enabled: true, frequency: 5, owner: "team:frontend", created: s.ago(80 * day), lastTriggered: s.ago(2 * day),
		triggers:      obj{"id": "t3102", "logicType": "any", "conditions": []obj{cond("first_seen_event", true)}, "actions": []obj{}},
		actionFilters: []obj{{"id": "f3102", "logicType": "all", "conditions": []obj{}, "actions": []obj{email("4506000000000011")}}},
	})
	add(acme, &workflow{
		ID: "3103", Name: "Draft web rule", project: acme.project("web"), enabled: false, frequency: 60, created: s.ago(5 * day),
		triggers: obj{"id": "t3103", "logicType": "any", "conditions": []obj{}, "actions": []obj{}},
	})
	add(acme, &workflow{
		ID: "3104", Name: "API errors", project: acme.project("api"), detectorIDs: []string{"9104"},
		enabled: false, frequency: 60, owner: "team:platform", created: s.ago(40 * day),
		triggers:      obj{"id": "t3104", "logicType": "all", "conditions": []obj{cond("event_frequency_count", obj{"value": 10, "interval": "5m"})}, "actions": []obj{}},
		actionFilters: []obj{{"id": "f3104", "logicType": "all", "conditions": []obj{}, "actions": []obj{slack("#api-oncall")}}},
	})
	add(globex, &workflow{
		ID: "3201", Name: "Backend fatal errors", project: globex.project("backend"), detectorIDs: []string{"9201"},
		enabled: true, frequency: 10, env: "production", owner: "team:core", created: s.ago(150 * day),
		triggers:      obj{"id": "t3201", "logicType": "any", "conditions": []obj{cond("first_seen_event", true)}, "actions": []obj{}},
		actionFilters: []obj{{"id": "f3201", "logicType": "all", "conditions": []obj{cond("level", obj{"level": 50, "match": "gte"})}, "actions": []obj{email("4506000000000022")}}},
	})

	trigger := func(label string, threshold, resolve any, actions ...obj) obj {
		return obj{"id": s.hex(6), "label": label, "alertThreshold": threshold, "resolveThreshold": resolve, "thresholdType": 0, "actions": actions}
	}
	addM := func(o *org, r *metricRule) { s.w.inspect[o].metricRules = append(s.w.inspect[o].metricRules, r) }
	addM(acme, &metricRule{
		ID: "4101", Name: "Checkout p95 latency", projects: []*project{acme.project("checkout")}, dataset: "transactions",
		aggregate: "p95(transaction.duration)", query: `transaction:"POST /api/checkout/pay"`, timeWindow: 5, env: "production",
		owner: "team:payments", created: s.ago(70 * day),
		triggers: []obj{
			trigger("critical", 2000, 1500, obj{"id": "a1", "type": "slack", "targetIdentifier": "#payments-alerts", "targetType": "specific"}),
			trigger("warning", 1000, nil),
		},
	})
	addM(acme, &metricRule{
		ID: "4102", Name: "API errors", projects: []*project{acme.project("api")}, dataset: "events", aggregate: "count()",
		query: "level:error", timeWindow: 10, owner: "team:platform", created: s.ago(50 * day),
		triggers: []obj{trigger("critical", 50, nil, obj{"id": "a2", "type": "email", "targetIdentifier": "4506000000000013", "targetType": "team"})},
	})
	addM(acme, &metricRule{
		ID: "4103", Name: "Web crash free sessions", projects: []*project{acme.project("web")}, dataset: "metrics",
		aggregate: "percentage(sessions_crashed, sessions) AS _crash_rate_alert_aggregate", timeWindow: 60, created: s.ago(20 * day),
		triggers: []obj{trigger("critical", 2, nil)},
	})
	addM(globex, &metricRule{
		ID: "4201", Name: "Mobile crash rate", projects: []*project{globex.project("mobile")}, dataset: "metrics",
		aggregate: "percentage(sessions_crashed, sessions) AS _crash_rate_alert_aggregate", timeWindow: 60, owner: "team:apps", created: s.ago(30 * day),
		triggers: []obj{trigger("critical", 1, nil)},
	})
}

func (s *seeder) userReports(acme, globex *org) {
	report := func(id string, ev *event, name, email, comments string, ago time.Duration, u any) obj {
		return obj{"id": id, "eventID": ev.ID, "name": name, "email": email, "comments": comments, "dateCreated": isoTime(s.ago(ago)),
			"user": u, "event": obj{"id": ev.ID, "eventID": ev.ID}}
	}
	web := s.issueByShortID(acme, "WEB-1A")
	s.w.inspect[acme].userReports[web] = []obj{
		report("11974229", web.events[len(web.events)-3], "", "", "The page went white after I paid.", 50*time.Minute,
			obj{"id": "None", "username": nil, "email": nil, "name": nil, "ipAddress": nil, "avatarUrl": nil}),
		report("11974228", web.events[len(web.events)-2], "", "", "anonymous: cart total vanished", 30*time.Minute, nil),
		report("11974227", latestEvent(web), "Dana Shopper", "dana@shopper.example", "I clicked Pay and the cart disappeared. Was I charged?", 11*time.Minute,
			obj{"id": "web-user-42", "username": "dana", "email": "dana@shopper.example", "name": "Dana Shopper", "ipAddress": "203.0.113.10", "avatarUrl": nil}),
	}
	mobile := s.issueByShortID(globex, "MOBILE-1A")
	s.w.inspect[globex].userReports[mobile] = []obj{
		report("22974001", latestEvent(mobile), "Sam Mobile", "sam@globex.example", "App crashed when I changed the quantity.", 40*time.Minute, nil),
	}
}

func (s *seeder) replays(acme, globex *org) {
	web, mobile := acme.project("web"), globex.project("mobile")
	webIssue, checkoutIssue := s.issueByShortID(acme, "WEB-1A"), s.issueByShortID(acme, "CHECKOUT-1A")
	var checkoutInTrace *event
	for _, ev := range checkoutIssue.events {
		if ev.TraceID == TraceID {
			checkoutInTrace = ev
		}
	}
	start := s.ago(traceErrorsAgo + 4*time.Minute)
	ms := func(d time.Duration) int64 { return start.Add(d).UnixMilli() }
	payload := func(id string, p *project, started time.Time, dur int, archived bool, extra obj) obj {
		out := obj{
			"id": id, "project_id": p.ID, "started_at": isoTime(started), "finished_at": isoTime(started.Add(time.Duration(dur) * time.Second)),
			"duration": dur, "is_archived": archived, "environment": "production", "platform": strings.SplitN(p.Platform, "-", 2)[0],
			"count_errors": 0, "count_warnings": 0, "count_infos": 0, "count_dead_clicks": 0, "count_rage_clicks": 0, "count_segments": 0,
			"count_urls": 0, "urls": []string{}, "trace_ids": []string{}, "error_ids": []string{}, "tags": obj{}, "releases": []string{},
			"browser": obj{"name": nil, "version": nil}, "os": obj{"name": nil, "version": nil}, "device": obj{"name": nil, "model": nil, "family": nil},
			"sdk": obj{"name": nil, "version": nil}, "user": obj{"display_name": nil, "email": nil, "id": nil}, "replay_type": "session",
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	s.w.inspect[acme].replays = []*replay{
		{
			ID: ReplayID, project: web, started: start,
			payload: payload(ReplayID, web, start, 300, false, obj{
				"count_errors": 2, "count_warnings": 1, "count_infos": 4, "count_dead_clicks": 1, "count_rage_clicks": 3, "count_segments": 2,
				"count_urls": 2, "urls": []string{"/cart", "/checkout"}, "trace_ids": []string{TraceID},
				"error_ids": []string{latestEvent(webIssue).ID, checkoutInTrace.ID}, "releases": []string{"web@1.2.3+build.4"},
				"browser": obj{"name": "Chrome", "version": "131.0"}, "os": obj{"name": "macOS", "version": "15.1"},
				"device": obj{"name": nil, "model": nil, "family": "Mac"}, "sdk": obj{"name": "sentry.javascript.react", "version": "9.12.0"},
				"user":        obj{"display_name": "Dana Shopper", "email": "dana@shopper.example", "id": "web-user-42"},
				"replay_type": "buffer",
			}),
			segments: []any{
				[]any{
					obj{"type": 4, "timestamp": ms(0), "data": obj{"href": "https://shop.acme.example/cart", "width": 1440, "height": 900}},
					obj{"type": 5, "timestamp": ms(40 * time.Second), "data": obj{"tag": "ui.click", "payload": obj{"message": "button#checkout"}}},
					obj{"type": 5, "timestamp": ms(42 * time.Second), "data": obj{"tag": "performanceSpan", "payload": obj{"op": "navigation.navigate", "description": "https://shop.acme.example/checkout", "data": obj{"duration": 710}}}},
				},
				[]any{
					obj{"type": 5, "timestamp": ms(4 * time.Minute), "data": obj{"tag": "ui.click", "payload": obj{"message": "button.pay-now"}}},
					obj{"type": 5, "timestamp": ms(4*time.Minute + 2*time.Second), "data": obj{"tag": "ui.multiClick", "payload": obj{"message": "button.pay-now", "clickCount": 4}}},
					obj{"type": 5, "timestamp": ms(4*time.Minute + 11*time.Second), "data": obj{"tag": "breadcrumb", "payload": obj{"category": "console", "message": "TypeError: Cannot read properties of undefined (reading 'items')"}}},
				},
			},
		},
		{
			ID: ArchivedReplayID, project: web, started: s.ago(20 * 24 * time.Hour),
			payload: payload(ArchivedReplayID, web, s.ago(20*24*time.Hour), 45, true, nil),
		},
	}
	gstart := s.ago(45 * time.Minute)
	s.w.inspect[globex].replays = []*replay{{
		ID: GlobexReplayID, project: mobile, started: gstart,
		payload: payload(GlobexReplayID, mobile, gstart, 95, false, obj{
			"count_errors": 1, "count_segments": 1, "urls": []string{"CartViewController"}, "count_urls": 1,
			"error_ids": []string{latestEvent(s.issueByShortID(globex, "MOBILE-1A")).ID}, "releases": []string{"mobile@4.1.0+412"},
			"os": obj{"name": "iOS", "version": "18.1"}, "device": obj{"name": "iPhone 16", "model": "iPhone17,3", "family": "iPhone"},
			"sdk": obj{"name": "sentry.cocoa", "version": "8.40.0"},
		}),
		segments: []any{[]any{
			obj{"type": 5, "timestamp": gstart.UnixMilli(), "data": obj{"tag": "breadcrumb", "payload": obj{"category": "navigation", "message": "CartViewController"}}},
		}},
	}}
}

func (s *seeder) attachments(acme, globex *org) {
	add := func(o *org, ev *event, a *attachment) {
		a.created = ev.DateReceived
		s.w.inspect[o].attachments[ev.ID] = append(s.w.inspect[o].attachments[ev.ID], a)
	}
	web := latestEvent(s.issueByShortID(acme, "WEB-1A"))
	add(acme, web, &attachment{ID: "123", Name: "screenshot.png", Type: "event.attachment", MIME: "image/png", data: pngBytes(32, 24, 1)})
	add(acme, web, &attachment{ID: "124", Name: "console.log", Type: "event.attachment", MIME: "text/plain",
		data: []byte("12:00:01 info  cart loaded (3 items)\n12:00:41 info  checkout: POST /api/checkout/pay\n12:00:51 error checkout failed: 504 Gateway Timeout\n12:00:51 error TypeError: Cannot read properties of undefined (reading 'items')\n")})
	checkout := latestEvent(s.issueByShortID(acme, "CHECKOUT-1A"))
	add(acme, checkout, &attachment{ID: "125", Name: "payment-request.bin", Type: "event.attachment", MIME: "application/octet-stream",
		data: []byte{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03}})
	add(acme, checkout, &attachment{ID: "126", Name: "heap.dump", Type: "event.attachment", MIME: "application/octet-stream",
		size: 5 << 20}) // bigger than a download should take
	mobile := latestEvent(s.issueByShortID(globex, "MOBILE-1A"))
	add(globex, mobile, &attachment{ID: "223", Name: "view-hierarchy.json", Type: "event.view_hierarchy", MIME: "application/json",
		data: []byte(`{"rendering_system":"UIKit","windows":[{"type":"UIWindow","children":[{"type":"CartView"}]}]}`)})
}

func (s *seeder) profiling(acme, globex *org) {
	checkout := acme.project("checkout")
	frames := []obj{
		{"file": "checkout/api/views.py", "name": "pay", "line": 41, "is_application": true, "fingerprint": 1001},
		{"file": "checkout/payments/gateway.py", "name": "charge", "line": 118, "is_application": true, "fingerprint": 1002},
		{"file": "requests/sessions.py", "name": "Session.post", "line": 637, "is_application": false, "fingerprint": 1003},
		{"file": "urllib3/connectionpool.py", "name": "HTTPConnectionPool.urlopen", "line": 790, "is_application": false, "fingerprint": 1004},
		{"file": "checkout/pricing/tax.py", "name": "compute_tax", "line": 52, "is_application": true, "fingerprint": 1005},
		{"file": "django/db/backends/utils.py", "name": "CursorWrapper.execute", "line": 122, "is_application": false, "fingerprint": 1006},
	}
	// Stacks root first; counts and durations differ between the last week
	// (charge waits on the provider) and the baseline.
	graph := func(chargeMs, taxMs int64) obj {
		ns := func(ms int64) int64 { return ms * 1e6 }
		info := func(count, sumMs, selfMs, p75, p95, p99 int64) obj {
			return obj{"count": count, "weight": sumMs, "sumDuration": ns(sumMs), "sumSelfTime": ns(selfMs),
				"p75Duration": ns(p75), "p95Duration": ns(p95), "p99Duration": ns(p99)}
		}
		return obj{
			"activeProfileIndex": 0, "platform": "python", "projectID": jsonInt(checkout.ID), "transactionName": "POST /api/checkout/pay",
			"profiles": []obj{{
				"name": "MainThread", "isMainThread": true, "threadID": 1, "type": "sampled", "unit": "nanoseconds", "startValue": 0, "endValue": 100,
				"samples":             [][]int{{0, 1, 2, 3}, {0, 4}, {0, 5}},
				"sample_counts":       []int64{80, 15, 5},
				"sample_durations_ns": []int64{ns(80 * chargeMs), ns(15 * taxMs), ns(5 * 12)},
				"weights":             []int64{80 * chargeMs, 15 * taxMs, 60},
			}},
			"shared": obj{
				"frames": frames,
				"frame_infos": []obj{
					info(100, 80*chargeMs+15*taxMs+60, 0, chargeMs, chargeMs*2, chargeMs*3),
					info(80, 80*chargeMs, 10, chargeMs, chargeMs+chargeMs/2, chargeMs*4),
					info(80, 80*chargeMs-10, 0, chargeMs, chargeMs+chargeMs/2, chargeMs*4),
					info(80, 80*chargeMs-20, 80*chargeMs-20, chargeMs, chargeMs+chargeMs/2, chargeMs*4),
					info(15, 15*taxMs, 15*taxMs, taxMs, taxMs, taxMs*2),
					info(5, 60, 60, 12, 14, 15),
				},
				"profiles": []obj{{"project_id": jsonInt(checkout.ID), "profile_id": ProfileID, "start": s.ago(time.Hour).UnixMilli(), "end": s.ago(time.Hour).UnixMilli() + 10400}},
			},
		}
	}
	s.w.inspect[acme].flamegraphs = []*flamegraph{{project: checkout, transaction: "POST /api/checkout/pay", current: graph(125, 8), baseline: graph(40, 8)}}

	pframe := func(fn, file string, line int, inApp bool, module string) obj {
		return obj{"function": fn, "filename": file, "lineno": line, "in_app": inApp, "module": module, "abs_path": "/app/" + file, "platform": "python"}
	}
	pframes := []obj{
		pframe("pay", "checkout/api/views.py", 41, true, "checkout.api.views"),
		pframe("charge", "checkout/payments/gateway.py", 118, true, "checkout.payments.gateway"),
		pframe("Session.post", "requests/sessions.py", 637, false, "requests.sessions"),
		pframe("compute_tax", "checkout/pricing/tax.py", 52, true, "checkout.pricing.tax"),
	}
	samples := []obj{}
	for i := range 40 {
		stack := 0
		if i%5 == 4 {
			stack = 1
		}
		samples = append(samples, obj{"stack_id": stack, "thread_id": 1, "elapsed_since_start_ns": int64(i) * 250e6})
	}
	s.w.inspect[acme].profiles = []*txnProfile{{
		ID: ProfileID, project: checkout,
		payload: obj{
			"event_id": ProfileID, "profile_id": ProfileID, "platform": "python", "environment": "production",
			"release": obj{"version": "checkout@2.0.0"}, "version": "1",
			"profile": obj{"frames": pframes, "samples": samples, "stacks": [][]int{{2, 1, 0}, {3, 0}},
				"thread_metadata": obj{"1": obj{"name": "MainThread", "priority": 10}}},
			"transaction": obj{"name": "POST /api/checkout/pay", "trace_id": TraceID, "id": s.hex(32), "active_thread_id": 1,
				"relative_start_ns": 0, "relative_end_ns": int64(10200e6)},
			"device": obj{"model": "c5.large", "arch": "x86_64"}, "os": obj{"name": "Linux", "version": "6.1"},
			"client_sdk": obj{"name": "sentry.python.django", "version": "2.19.0"},
		},
	}}
	gp := globex.project("backend")
	s.w.inspect[globex].profiles = []*txnProfile{{
		ID: "7d6c5b4a39284716a5b4c3d2e1f0a9b8", project: gp,
		payload: obj{"event_id": "7d6c5b4a39284716a5b4c3d2e1f0a9b8", "profile_id": "7d6c5b4a39284716a5b4c3d2e1f0a9b8", "platform": "java",
			"release": "backend@2.3.0", "profile": obj{"frames": []obj{{"function": "processOrder", "filename": "OrderService.java", "lineno": 142, "in_app": true, "module": "com.globex.orders"}},
				"samples": []obj{{"stack_id": 0, "thread_id": 7, "elapsed_since_start_ns": 0}}, "stacks": [][]int{{0}},
				"thread_metadata": obj{"7": obj{"name": "http-nio-8080-exec-1"}}},
			"transaction": obj{"name": "POST /orders", "trace_id": s.hex(32), "id": s.hex(32), "active_thread_id": 7}},
	}}

	api := acme.project("api")
	cstart, cend := ProfileChunkWindow(s.now)
	cframes := []obj{
		{"function": "(*Service).Get", "filename": "internal/orders/service.go", "lineno": 57, "in_app": true, "module": "github.com/acme/api/internal/orders", "platform": "go"},
		{"function": "(*Store).Monthly", "filename": "internal/reports/store.go", "lineno": 88, "in_app": true, "module": "github.com/acme/api/internal/reports", "platform": "go"},
		{"function": "runtime.gcBgMarkWorker", "filename": "runtime/mgc.go", "lineno": 1310, "in_app": false, "module": "runtime", "platform": "go"},
		{"function": "(*Conn).Query", "filename": "pgx/v5/conn.go", "lineno": 690, "in_app": false, "module": "github.com/jackc/pgx/v5", "platform": "go"},
	}
	var csamples []obj
	for i := range 30 {
		stack, thread := 1, "1"
		switch i % 3 {
		case 1:
			stack = 0
		case 2:
			stack, thread = 2, "2"
		}
		csamples = append(csamples, obj{"stack_id": stack, "thread_id": thread, "timestamp": unixSeconds(cstart.Add(time.Duration(i) * 10 * time.Millisecond))})
	}
	s.w.inspect[acme].chunks = []*profileChunk{{
		profilerID: ProfilerID, project: api, start: cstart, end: cend,
		payload: obj{"chunk_id": s.hex(32), "profiler_id": ProfilerID, "event_id": s.hex(32), "environment": "production", "platform": "go",
			"release": "api@release/3.4", "version": "2",
			"profile": obj{"frames": cframes, "samples": csamples, "stacks": [][]int{{0}, {3, 1}, {2}},
				"thread_metadata": obj{"1": obj{"name": "main", "priority": 10}, "2": obj{"name": "gc worker"}}}},
	}}
}

// ProfileChunkWindow is when the seeded continuous-profile chunk of
// ProfilerID was recorded, for a fake whose data is anchored at now.
func ProfileChunkWindow(now time.Time) (start, end time.Time) {
	start = now.UTC().Truncate(time.Second).Add(-2 * time.Hour)
	return start, start.Add(time.Minute)
}

func (s *seeder) snapshots(acme, globex *org) {
	web, mobile := acme.project("web"), globex.project("mobile")
	img := func(name, group, file string) obj {
		return obj{"display_name": name, "group": group, "image_file_name": file}
	}
	d := s.w.inspect[acme]
	addFile := func(o *org, key string, w, h int, shade uint8) string {
		s.w.inspect[o].files[key] = &file{mime: "image/png", draw: func() []byte { return pngBytes(w, h, shade) }}
		return "/api/0/organizations/" + o.Slug + "/preprodartifacts/snapshots/files/" + key + "/"
	}
	login := "snapshots-iphone-16/auth_login_screen.png"
	loginDetail := obj{
		"image_file_name": login, "comparison_status": "changed",
		"head_image": obj{"display_name": "login_screen.png", "group": "auth", "image_file_name": login, "width": 720, "height": 1280,
			"image_url": addFile(acme, "login-head", 720, 1280, 2),
			"context":   obj{"preview": obj{"container_display_name": "Auth Login"}, "simulator": obj{"device_name": "iPhone 16"}}},
		"base_image": obj{"display_name": "login_screen.png", "group": "auth", "image_file_name": login, "width": 720, "height": 1280,
			"image_url": addFile(acme, "login-base", 720, 1280, 3)},
		"diff_image_url": addFile(acme, "login-diff", 72, 128, 4), "diff_percentage": 0.125, "previous_image_file_name": nil,
	}
	modal := "snapshots-iphone-16/dialogs_new_modal.png"
	modalDetail := obj{
		"image_file_name": modal, "comparison_status": "added",
		"head_image": obj{"display_name": "new_modal.png", "group": "dialogs", "image_file_name": modal, "width": 540, "height": 960,
			// Hosted elsewhere: lookout links it and does not fetch it.
			"image_url": "https://storage.acme-cdn.example/snapshots/new_modal.png?X-Goog-Signature=abc"},
		"base_image": nil, "diff_image_url": nil, "diff_percentage": nil,
	}
	d.snapshots = append(d.snapshots, &snapshot{
		ID: SnapshotID, project: web, appID: AppID, branch: "feature/new-login", created: s.ago(3 * time.Hour),
		images: map[string]obj{login: loginDetail, modal: modalDetail},
		payload: obj{
			"id": SnapshotID, "project_id": web.ID, "comparison_type": "diff", "state": "visible",
			"app_info": obj{"app_id": AppID, "name": "Acme Shop", "platform": "ios"},
			"vcs_info": obj{"head_sha": "abc123def4567890", "base_sha": "0001112223334445", "head_ref": "feature/new-login",
				"base_ref": "main", "pr_number": "789", "repo_name": "acme/shop"},
			"approval_info": obj{"status": "requires_approval", "is_auto_approved": false},
			"images":        []obj{},
			"changed":       []obj{{"head_image": img("login_screen.png", "auth", login), "base_image": img("login_screen.png", "auth", login), "diff": 0.125}},
			"added":         []obj{img("new_modal.png", "dialogs", modal)},
			"removed":       []obj{},
			"renamed": []obj{{"head_image": img("settings_page.png", "settings", "snapshots-iphone-16/settings_page.png"),
				"base_image": img("preferences_page.png", "settings", "snapshots-iphone-16/preferences_page.png")}},
			"errored":     []obj{},
			"unchanged":   []obj{img("home.png", "main", "snapshots-iphone-16/main_home.png")},
			"skipped":     []obj{img("skipped.png", "selective-upload", "snapshots-iphone-16/skipped.png")},
			"total_count": 5, "changed_count": 1, "added_count": 1, "removed_count": 0, "renamed_count": 1,
			"unchanged_count": 1, "errored_count": 0, "skipped_count": 1,
		},
	})
	d.snapshots = append(d.snapshots, &snapshot{
		ID: BaseSnapshotID, project: web, appID: AppID, branch: "main", base: true, created: s.ago(26 * time.Hour),
		payload: obj{
			"id": BaseSnapshotID, "project_id": web.ID, "comparison_type": "solo", "state": "visible",
			"app_info": obj{"app_id": AppID, "name": "Acme Shop", "platform": "ios"},
			"vcs_info": obj{"head_sha": "0001112223334445", "head_ref": "main", "repo_name": "acme/shop"},
			"images": []obj{
				{"display_name": "Home Screen", "group": "main", "image_file_name": "snapshots-iphone-16/main_home.png", "description": "Home screen"},
				{"display_name": "Login", "group": "auth", "image_file_name": login, "description": "Login screen"},
			},
		},
	})
	s.w.inspect[globex].snapshots = []*snapshot{{
		ID: GlobexSnapshotID, project: mobile, appID: "com.globex.mobile", branch: "release/4.1", created: s.ago(5 * time.Hour),
		payload: obj{
			"id": GlobexSnapshotID, "project_id": mobile.ID, "comparison_type": "diff", "state": "visible",
			"app_info": obj{"app_id": "com.globex.mobile", "name": "Globex", "platform": "ios"},
			"vcs_info": obj{"head_sha": "9f8e7d6c5b4a3928", "head_ref": "release/4.1", "base_ref": "main", "repo_name": "globex/mobile"},
			"images":   []obj{}, "changed": []obj{}, "added": []obj{}, "removed": []obj{}, "renamed": []obj{}, "errored": []obj{},
			"unchanged": []obj{img("cart.png", "cart", "cart.png")}, "skipped": []obj{},
			"total_count": 1, "unchanged_count": 1,
		},
	}}
}

func (s *seeder) conversations(acme, globex *org) {
	api, backend := acme.project("api"), globex.project("backend")
	span := func(p *project, trace, id, parent, name string, start time.Time, dur time.Duration, extra obj) obj {
		o := obj{
			"gen_ai.conversation.id": nil, "parent_span": nilIfEmpty(parent), "precise.start_ts": unixSeconds(start),
			"precise.finish_ts": unixSeconds(start.Add(dur)), "project": p.Slug, "project.id": jsonInt(p.ID), "span.name": name,
			"span.op": name, "span.status": "ok", "span_id": id, "trace": trace, "transaction": "POST /api/internal/agent/continue",
		}
		for k, v := range extra {
			o[k] = v
		}
		return o
	}
	t0 := s.ago(25 * time.Minute)
	trace := "aaaaaaaa1111bbbb2222cccc3333dddd"
	acmeSpans := []obj{
		span(api, trace, "1111111111111111", "", "gen_ai.chat", t0, 1500*time.Millisecond, obj{
			"span.description": "chat completion", "gen_ai.operation.type": "ai_client", "gen_ai.agent.name": "triage-agent",
			"gen_ai.input.messages":      `[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What failed in checkout?"}]`,
			"gen_ai.output.messages":     `[{"role":"assistant","content":"Let me search the errors."}]`,
			"gen_ai.system_instructions": "Respond with concise diagnostics.", "gen_ai.request.model": "gpt-5-mini",
			"gen_ai.response.model": "gpt-5-mini-2026-05-01", "gen_ai.usage.total_tokens": 420, "user.email": "oncall@acme.example",
		}),
		span(api, trace, "2222222222222222", "1111111111111111", "gen_ai.execute_tool", t0.Add(1700*time.Millisecond), 300*time.Millisecond, obj{
			"span.description": "search_events", "gen_ai.operation.type": "tool", "gen_ai.tool.name": "search_events",
			"gen_ai.tool.call.arguments": `{"query":"level:error transaction:\"POST /api/checkout/pay\""}`, "span.status": "internal_error",
		}),
		span(api, trace, "3333333333333333", "", "gen_ai.chat", t0.Add(4*time.Second), time.Second, obj{
			"span.description": "chat completion", "gen_ai.operation.type": "ai_client", "gen_ai.agent.name": "triage-agent",
			"gen_ai.input.messages":     `[{"role":"user","content":"Can you inspect the failing event?"}]`,
			"gen_ai.response.text":      "The checkout worker is timing out: the payment provider did not answer within 10s (CHECKOUT-1A).",
			"gen_ai.usage.total_tokens": 580, "gen_ai.response.model": "gpt-5-mini-2026-05-01",
		}),
		// Not a GenAI span: shown in counts, not in the timeline.
		span(api, trace, "4444444444444444", "", "http.client", t0.Add(1800*time.Millisecond), 150*time.Millisecond, obj{"span.description": "GET https://sentry.io/api/0/"}),
	}
	g0 := s.ago(3 * time.Hour)
	gtrace := "eeeeeeee5555ffff6666aaaa7777bbbb"
	globexSpans := []obj{
		span(backend, gtrace, "5555555555555555", "", "gen_ai.chat", g0, 2*time.Second, obj{
			"gen_ai.operation.type": "ai_client", "gen_ai.agent.name": "support-agent",
			"gen_ai.input.messages":  `[{"role":"user","content":"Where is my order?"}]`,
			"gen_ai.output.messages": `[{"role":"assistant","content":"Your order ships tomorrow."}]`, "gen_ai.usage.total_tokens": 210,
		}),
	}
	for _, sp := range acmeSpans {
		sp["gen_ai.conversation.id"] = ConversationID
	}
	for _, sp := range globexSpans {
		sp["gen_ai.conversation.id"] = GlobexConversationID
	}
	s.w.inspect[acme].conversations = []*conversation{{
		ID: ConversationID, Title: "Checkout worker timeouts", project: api, env: "production", spans: acmeSpans,
		summary: obj{
			"conversationId": ConversationID, "title": "Checkout worker timeouts", "flow": []string{"triage-agent"}, "errors": 1,
			"llmCalls": 2, "toolCalls": 1, "toolErrors": 1, "toolNames": []string{"search_events"}, "totalTokens": 1000, "totalCost": 0.0125,
			"startTimestamp": t0.UnixMilli(), "endTimestamp": t0.Add(5 * time.Second).UnixMilli(), "traceCount": 1, "traceIds": []string{trace},
			"firstInput": "What failed in checkout?", "lastOutput": "The checkout worker is timing out: the payment provider did not answer within 10s (CHECKOUT-1A).",
			"user": obj{"id": "77", "email": "oncall@acme.example", "username": "oncall", "ip_address": "127.0.0.1"},
		},
	}}
	s.w.inspect[globex].conversations = []*conversation{{
		ID: GlobexConversationID, Title: "Order status", project: backend, env: "production", spans: globexSpans,
		summary: obj{
			"conversationId": GlobexConversationID, "title": "Order status", "flow": []string{"support-agent"}, "errors": 0,
			"llmCalls": 1, "toolCalls": 0, "toolErrors": 0, "toolNames": []string{}, "totalTokens": 210, "totalCost": 0.002,
			"startTimestamp": g0.UnixMilli(), "endTimestamp": g0.Add(2 * time.Second).UnixMilli(), "traceCount": 1, "traceIds": []string{gtrace},
			"firstInput": "Where is my order?", "lastOutput": "Your order ships tomorrow.", "user": nil,
		},
	}}
}

// pngBytes draws a w×h PNG: a background with a band across the middle;
// shade varies the colours so head, base and diff images differ.
func pngBytes(w, h int, shade uint8) []byte {
	pal := color.Palette{color.RGBA{0xf4, 0xf4, 0xf8, 0xff}, color.RGBA{0x36 * shade, 0x2d, 0x59, 0xff}}
	img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for y := h / 3; y < 2*h/3; y++ {
		for x := w / 8; x < 7*w/8; x++ {
			img.SetColorIndex(x, y, 1)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(fmt.Sprintf("sentrytest: png: %v", err))
	}
	return buf.Bytes()
}
