package prometheus

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/opsdeck/opsdeck/sources"
)

// Earlier reads spec's chart over w moved back by offset, with its points
// put on w's grid: the same answer as the query with `offset` on each of its
// selectors, without rewriting a query that may not allow one.
func (c *Client) Earlier(ctx context.Context, spec sources.SignalSpec, w sources.Window, offset time.Duration) ([]float64, error) {
	then := w
	then.End = w.End.Add(-offset)
	points, _, err := c.Range(ctx, spec.Query, then)
	return points, err
}

// changesQuery reads every series marks come from in one range query:
// alerts as the rule manager records them, process start times, and build
// information series (one per version running).
const changesQuery = `ALERTS{alertstate="firing"} or process_start_time_seconds or {__name__=~".+_build_info"}`

// Changes reads the marks of w: alerts that started or resolved in it,
// processes that (re)started in it, and builds that appeared in it after
// another of the same instance (a deploy).
func (c *Client) Changes(ctx context.Context, w sources.Window) ([]sources.Mark, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	val, _, err := c.queryRange(ctx, changesQuery, w.Start(), w.End, w.Step, 0) // marks want raw times
	if err != nil {
		return nil, c.classify(ctx, err)
	}
	m, ok := val.(model.Matrix)
	if !ok {
		return nil, &Error{Kind: KindBadResponse, Msg: fmt.Sprintf("range query returned a %s, want a matrix", val.Type())}
	}
	var alerts, starts, builds model.Matrix
	for _, s := range m {
		switch name := string(s.Metric[model.MetricNameLabel]); {
		case name == "ALERTS":
			alerts = append(alerts, s)
		case name == "process_start_time_seconds":
			starts = append(starts, s)
		case strings.HasSuffix(name, "_build_info"):
			builds = append(builds, s)
		}
	}
	marks := append(alertMarks(alerts, w), restartMarks(starts, w)...)
	return sources.SortMarks(append(marks, deployMarks(builds, w)...)), nil
}

// runs are a series' stretches of presence: a gap of more than one and a
// half steps ends one.
func runs(values []model.SamplePair, step time.Duration) (starts, ends []time.Time) {
	for i, v := range values {
		t := v.Timestamp.Time()
		if i == 0 || t.Sub(values[i-1].Timestamp.Time()) > step*3/2 {
			if i > 0 {
				ends = append(ends, values[i-1].Timestamp.Time())
			}
			starts = append(starts, t)
		}
	}
	if len(values) > 0 {
		ends = append(ends, values[len(values)-1].Timestamp.Time())
	}
	return starts, ends
}

// alertMarks: an alert present after the window's first point started
// there; one gone before its last point resolved a step after its last.
func alertMarks(m model.Matrix, w sources.Window) []sources.Mark {
	var out []sources.Mark
	first, last := w.Start(), w.End
	for _, s := range m {
		name := describe(s.Metric, "alertname", "severity")
		starts, ends := runs(s.Values, w.Step)
		for _, t := range starts {
			if t.After(first) {
				out = append(out, sources.Mark{At: t, Kind: sources.MarkAlert, Text: name + " firing"})
			}
		}
		for _, t := range ends {
			if t.Before(last) {
				out = append(out, sources.Mark{At: t.Add(w.Step), Kind: sources.MarkResolved, Text: name + " resolved"})
			}
		}
	}
	return out
}

// restartMarks: each start time a process reported that falls inside the
// window is a (re)start at that instant, seen however briefly it ran.
func restartMarks(m model.Matrix, w sources.Window) []sources.Mark {
	var out []sources.Mark
	for _, s := range m {
		seen := map[model.SampleValue]bool{}
		for _, v := range s.Values {
			if seen[v.Value] || math.IsNaN(float64(v.Value)) || math.IsInf(float64(v.Value), 0) {
				continue
			}
			seen[v.Value] = true
			sec, frac := math.Modf(float64(v.Value))
			at := time.Unix(int64(sec), int64(frac*1e9))
			if at.After(w.Start()) && !at.After(w.End) {
				out = append(out, sources.Mark{At: at, Kind: sources.MarkRestart, Text: "restart " + describe(s.Metric, "instance", "job")})
			}
		}
	}
	return out
}

// deployMarks: a build series that appears in the window after another
// build of its instance had run is a deploy of the new one (the first
// build seen is no deploy: it may only be where history begins).
func deployMarks(m model.Matrix, w sources.Window) []sources.Mark {
	byInstance := map[string][]*model.SampleStream{}
	for _, s := range m {
		if len(s.Values) == 0 {
			continue
		}
		k := string(s.Metric[model.MetricNameLabel]) + "|" + string(s.Metric["job"]) + "|" + string(s.Metric["instance"])
		byInstance[k] = append(byInstance[k], s)
	}
	var out []sources.Mark
	for _, streams := range byInstance {
		for _, s := range streams {
			first := s.Values[0].Timestamp
			if !first.Time().After(w.Start()) {
				continue
			}
			var before *model.SampleStream // the build that ran last before it
			for _, o := range streams {
				if o != s && o.Values[0].Timestamp < first && (before == nil || o.Values[0].Timestamp > before.Values[0].Timestamp) {
					before = o
				}
			}
			if before != nil {
				from, to := versionsOf(before.Metric, s.Metric)
				text := "deploy " + buildOf(s.Metric)
				if from != "" && to != "" {
					text = "deploy " + from + " → " + to
				}
				out = append(out, sources.Mark{At: first.Time(), Kind: sources.MarkDeploy, Text: text + " on " + describe(s.Metric, "instance", "job"), From: from, To: to})
			}
		}
	}
	return out
}

// buildOf is a build series' version: the labels that are neither the
// series' name nor where it runs.
func buildOf(m model.Metric) string {
	var parts []string
	for k, v := range m {
		switch k {
		case model.MetricNameLabel, "job", "instance":
			continue
		}
		parts = append(parts, string(k)+"="+string(v))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return string(m[model.MetricNameLabel])
	}
	return strings.Join(parts, " ")
}

// versionsOf are two builds' versions as a repository knows them: their
// revision labels when both have one, else their version labels ("" where
// a series has none).
func versionsOf(from, to model.Metric) (string, string) {
	if r, r2 := string(from["revision"]), string(to["revision"]); r != "" && r2 != "" {
		return r, r2
	}
	return string(from["version"]), string(to["version"])
}

// describe is the first label of names the series has, else its labels.
func describe(m model.Metric, names ...string) string {
	var parts []string
	for _, n := range names {
		if v, ok := m[model.LabelName(n)]; ok && v != "" {
			parts = append(parts, string(v))
		}
	}
	if len(parts) == 0 {
		return m.String()
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return parts[0] + " (" + strings.Join(parts[1:], ", ") + ")"
}
