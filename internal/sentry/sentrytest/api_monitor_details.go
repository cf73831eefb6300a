package sentrytest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Cron monitor details: one monitor, its check-ins and its check-in stats,
// under /organizations/{org}/monitors/{monitor}/ and the project-scoped
// /projects/{org}/{project}/monitors/{monitor}/. Check-ins are derived from
// each environment's schedule and state, so they agree with the listing.

// findMonitor resolves {monitor} (slug or id), within {project} if given.
func (f *Fake) findMonitor(w http.ResponseWriter, r *http.Request, c *call) *monitor {
	ref := r.PathValue("monitor")
	for _, m := range c.org.monitors {
		if (m.Slug == ref || m.ID == ref) && (c.project == nil || m.project == c.project) {
			return m
		}
	}
	writeDetail(w, http.StatusNotFound, DetailNotFound)
	return nil
}

func (f *Fake) getMonitor(w http.ResponseWriter, r *http.Request, c *call) {
	m := f.findMonitor(w, r, c)
	if m == nil {
		return
	}
	out := f.monitorJSON(m)
	if env := r.URL.Query().Get("environment"); env != "" {
		var keep []obj
		for _, e := range out["environments"].([]obj) {
			if e["name"] == env {
				keep = append(keep, e)
			}
		}
		if keep == nil {
			keep = []obj{}
		}
		out["environments"] = keep
	}
	writeJSON(w, http.StatusOK, out)
}

type checkIn struct {
	id, env, status string
	at              time.Time
	duration        float64 // seconds; <0 for none
}

// schedulePeriod is how often a monitor is expected to check in.
func schedulePeriod(m *monitor) time.Duration {
	if m.ScheduleType == "interval" {
		unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour, "week": 7 * 24 * time.Hour}[m.IntervalUnit]
		return time.Duration(m.IntervalValue) * unit
	}
	if strings.HasSuffix(m.Crontab, " 0") { // weekly, as the seeded crontabs go
		return 7 * 24 * time.Hour
	}
	return 24 * time.Hour
}

// checkIns are m's check-ins in [from, to), newest first, at most 1000.
func (f *Fake) checkIns(m *monitor, env string, from, to time.Time) []checkIn {
	step := schedulePeriod(m)
	var out []checkIn
	add := func(e monitorEnv, status string, at time.Time, dur float64) {
		if !at.Before(from) && at.Before(to) && len(out) < 1000 {
			sum := sha256.Sum256([]byte(m.ID + e.Name + at.String()))
			id := hex.EncodeToString(sum[:16])
			out = append(out, checkIn{id: id[:8] + "-" + id[8:12] + "-4" + id[13:16] + "-8" + id[17:20] + "-" + id[20:32],
				env: e.Name, status: status, at: at, duration: dur})
		}
	}
	for _, e := range m.envs {
		if env != "" && e.Name != env {
			continue
		}
		last := "ok"
		switch e.Status {
		case "error", "timeout":
			last = e.Status
		case "missed_checkin":
			add(e, "missed", e.NextCheckIn.Add(time.Duration(m.CheckinMargin)*time.Minute), -1)
		}
		for i, at := 0, e.LastCheckIn; !at.Before(from) && i < 1000; i, at = i+1, at.Add(-step) {
			status, dur := "ok", 13.2+float64(i%4)
			if i == 0 && last != "ok" {
				status, dur = last, 4.1
			}
			add(e, status, at, dur)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.After(out[j].at) })
	return out
}

func (f *Fake) listCheckIns(w http.ResponseWriter, r *http.Request, c *call) {
	m := f.findMonitor(w, r, c)
	if m == nil {
		return
	}
	from, to, err := parseStatsPeriod(r.URL.Query(), f.dataNow(), 24*time.Hour)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return
	}
	var schedule any = []string{"crontab", m.Crontab}
	if m.ScheduleType == "interval" {
		schedule = []any{m.IntervalValue, m.IntervalUnit}
	}
	list := []obj{}
	for _, ci := range f.checkIns(m, r.URL.Query().Get("environment"), from, to) {
		var dur any
		if ci.duration >= 0 {
			dur = ci.duration
		}
		list = append(list, obj{
			"id": ci.id, "environment": ci.env, "status": ci.status, "duration": dur,
			"dateCreated": isoTime(ci.at), "dateAdded": isoTime(ci.at), "dateUpdated": isoTime(ci.at.Add(13 * time.Second)),
			"dateClock": isoTime(ci.at.Truncate(time.Minute)), "expectedTime": isoTime(ci.at.Truncate(time.Minute)),
			"monitorConfig": obj{"schedule": schedule, "schedule_type": m.ScheduleType},
		})
	}
	f.writePage(w, r, c, list, "per_page", 25, 100)
}

// monitorStats buckets the check-ins between since and until (Unix
// seconds, default the last 24 hours) by resolution ("3600s", "1h", "1d";
// default 1h up to two days, else 1d).
func (f *Fake) monitorStats(w http.ResponseWriter, r *http.Request, c *call) {
	m := f.findMonitor(w, r, c)
	if m == nil {
		return
	}
	q := r.URL.Query()
	unix := func(k string, def time.Time) (time.Time, bool) {
		v := q.Get(k)
		if v == "" {
			return def, true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return time.Unix(n, 0).UTC(), err == nil
	}
	now := f.dataNow()
	until, ok1 := unix("until", now)
	since, ok2 := unix("since", until.Add(-24*time.Hour))
	if !ok1 || !ok2 || !since.Before(until) {
		writeDetail(w, http.StatusBadRequest, "since and until must be Unix timestamps, since before until")
		return
	}
	res := time.Hour
	if until.Sub(since) > 48*time.Hour {
		res = 24 * time.Hour
	}
	if v := q.Get("resolution"); v != "" {
		d, ok := parseRelative(v) // 3600s, 1h, 1d
		if !ok || d <= 0 {
			writeDetail(w, http.StatusBadRequest, fmt.Sprintf("Invalid resolution %q", v))
			return
		}
		res = d
	}
	if until.Sub(since)/res > 1000 {
		writeDetail(w, http.StatusBadRequest, "Your interval and date range would create too many results. Use a larger interval, or a smaller date range.")
		return
	}
	type bucket struct {
		counts map[string]int
		durSum float64
		durN   int
	}
	start := since.Truncate(res)
	var buckets []*bucket
	for t := start; t.Before(until); t = t.Add(res) {
		buckets = append(buckets, &bucket{counts: map[string]int{}})
	}
	for _, ci := range f.checkIns(m, q.Get("environment"), start, until) {
		b := buckets[int(ci.at.Sub(start)/res)]
		b.counts[ci.status]++
		if ci.duration >= 0 {
			b.durSum += ci.duration
			b.durN++
		}
	}
	list := []obj{}
	for i, b := range buckets {
		avg := 0.0
		if b.durN > 0 {
			avg = b.durSum / float64(b.durN)
		}
		list = append(list, obj{"ts": start.Add(time.Duration(i) * res).Unix(), "ok": b.counts["ok"], "error": b.counts["error"],
			"missed": b.counts["missed"], "timeout": b.counts["timeout"], "in_progress": 0, "unknown": 0, "duration": avg})
	}
	writeJSON(w, http.StatusOK, list)
}
