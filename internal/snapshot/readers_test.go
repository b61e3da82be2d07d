package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// The doubles below stand in for each kind of source so that every reader
// can be asked about every source; the sources themselves are tested
// against real servers in their packages and in cli.

var errDown = errors.New("connection refused")

type metricsDouble struct{ fail bool }

func (m metricsDouble) Read(_ context.Context, spec sources.SignalSpec, _ sources.Window) (sources.Reading, error) {
	if m.fail {
		return sources.Reading{}, errDown
	}
	return sources.Reading{Key: spec.Key, Value: 0.5, Series: 1, Points: []float64{0.4, 0.5}}, nil
}

func (m metricsDouble) Alerts(context.Context) ([]sources.Alert, error) {
	if m.fail {
		return nil, errDown
	}
	return []sources.Alert{{Name: "OriginHighErrorRate", State: "firing", Severity: "critical", Summary: "5xx over 5%"}}, nil
}

func (m metricsDouble) Changes(_ context.Context, w sources.Window) ([]sources.Mark, error) {
	if m.fail {
		return nil, errDown
	}
	return []sources.Mark{{At: w.Now.Add(-time.Minute), Kind: sources.MarkDeploy, Text: "deploy version=1.4.2"}}, nil
}

func (m metricsDouble) Exemplars(_ context.Context, _ sources.SignalSpec, _, end time.Time) (sources.ExemplarReading, error) {
	if m.fail {
		return sources.ExemplarReading{}, errDown
	}
	return sources.ExemplarReading{Exemplars: []sources.Exemplar{{At: end.Add(-time.Second), Value: 4.2, TraceID: "4bf92f35",
		Labels: map[string]string{"handler": "/api/chat"}}}}, nil
}

type tracesDouble struct{}

func (tracesDouble) Trace(context.Context, string) (sources.Trace, error) {
	return sources.Trace{}, errDown
}

type alertingDouble struct{ fail bool }

func (a alertingDouble) Groups(context.Context) ([]sources.AlertGroup, error) {
	if a.fail {
		return nil, errDown
	}
	return []sources.AlertGroup{{Alerts: []sources.Alert{{Name: "CeleryWorkerDown", State: sources.AlertActive, Severity: "critical",
		Labels: map[string]string{"alertname": "CeleryWorkerDown"}, Fingerprint: "f1"}}}}, nil
}

func (a alertingDouble) Silences(context.Context) ([]sources.Silence, error) {
	if a.fail {
		return nil, errDown
	}
	return nil, nil
}

func (alertingDouble) Matching(context.Context, []sources.Matcher) ([]sources.Alert, error) {
	return nil, errDown
}
func (alertingDouble) CreateSilence(context.Context, sources.Silence) (string, error) {
	return "", errDown
}
func (alertingDouble) ExpireSilence(context.Context, string) error { return errDown }
func (alertingDouble) Silence(context.Context, string) (sources.Silence, error) {
	return sources.Silence{}, errDown
}
func (alertingDouble) String() string { return "http://alertmanager:9093" }

type databaseDouble struct{ fail bool }

func (d databaseDouble) Poll(context.Context, sources.DBRequest) (sources.DBState, error) {
	if d.fail {
		return sources.DBState{}, errDown
	}
	return sources.DBState{Version: "15.4", Role: "primary", Connections: sources.DBConnections{Total: 12, Max: 100, Active: 3}}, nil
}

type cacheDouble struct{ fail bool }

func (c cacheDouble) Poll(context.Context) (sources.CacheState, error) {
	if c.fail {
		return sources.CacheState{}, errDown
	}
	return sources.CacheState{Version: "7.2", Role: "master", UsedMemory: 3 << 20, Queues: []sources.Queue{{Name: "celery", Length: 7}}}, nil
}

type celeryDouble struct{ fail bool }

func (c celeryDouble) Poll(context.Context, sources.CeleryRequest) (sources.CeleryState, error) {
	if c.fail {
		return sources.CeleryState{}, errDown
	}
	return sources.CeleryState{Workers: []sources.CeleryWorker{{Hostname: "celery@w1", Online: true}, {Hostname: "celery@w2"}},
		Queues:   []sources.CeleryQueue{{Name: "celery", Waiting: 2500, Unacked: 3}},
		Tasks:    []sources.CeleryTask{{Name: "origin.tasks.embed", Received: 60, Failed: 6, ReceivedPerSec: 1, FailedPerSec: 0.1}},
		Failures: []sources.CeleryFailure{{ID: "d9a1", Name: "origin.tasks.embed", Exception: "TimeoutError('pgvector')", Worker: "celery@w1"}},
		Window:   time.Minute}, nil
}

type logsDouble struct{ fail bool }

func (l logsDouble) Volume(_ context.Context, q sources.LogQuery, _ time.Duration) ([]sources.LogVolume, error) {
	if l.fail {
		return nil, errDown
	}
	return []sources.LogVolume{{Time: q.Start, ByLevel: map[string]int{"error": 30, "info": 900}}}, nil
}

func (l logsDouble) Lines(_ context.Context, q sources.LogQuery) ([]sources.LogLine, error) {
	if l.fail {
		return nil, errDown
	}
	return []sources.LogLine{{Time: q.End.Add(-time.Second), Level: "error", Message: "pool timeout after 5000ms", TraceID: "4bf92f35"}}, nil
}

func (logsDouble) Tail(context.Context, string, chan<- sources.LogLine) error { return errDown }

type migrationsDouble struct{ fail bool }

func (m migrationsDouble) Poll(context.Context) (sources.MigrationState, error) {
	if m.fail {
		return sources.MigrationState{}, errDown
	}
	return sources.MigrationState{Status: sources.MigrationsBehind, Current: []string{"a1"}, Heads: []string{"b2"},
		Pending: []sources.Revision{{ID: "b2", Message: "user facts"}}}, nil
}

type driftDouble struct{ fail bool }

func (d driftDouble) Compare(context.Context, bool) sources.SchemaDrift {
	if d.fail {
		return sources.SchemaDrift{Reference: "staging", Error: errDown.Error()}
	}
	return sources.SchemaDrift{Reference: "staging", Differences: []sources.Difference{{Detail: "column users.legacy_flag is not in the reference"}}}
}

type sloDouble struct{ fail bool }

func (d sloDouble) Objectives(context.Context) ([]sources.SLO, error) {
	if d.fail {
		return nil, errDown
	}
	// 3 % of requests failing against a 99.5 % objective: 6x, the ticket pairs.
	return []sources.SLO{{Name: "origin-api/requests-availability", Origin: "sloth", Objective: 0.995, Window: 30 * 24 * time.Hour,
		ErrorRatios: map[time.Duration]float64{5 * time.Minute: 0.03, 30 * time.Minute: 0.03, time.Hour: 0.02, 2 * time.Hour: 0.02,
			6 * time.Hour: 0.02, 24 * time.Hour: 0.02, 72 * time.Hour: 0.01, 30 * 24 * time.Hour: 0.002}}}, nil
}

func (sloDouble) String() string { return "http://prometheus:9090" }

// withSource is an environment with the source of that name configured
// (the metrics too where the source is read through them), answering or
// failing.
func withSource(t *testing.T, name string, fail bool) *sources.Environment {
	env := &sources.Environment{Name: "qa", Signals: []sources.SignalSpec{
		{Key: sources.ErrorRate, Title: "Error rate (5xx)", Query: "q", Thresholds: sources.Thresholds{Crit: new(0.1)}},
		{Key: sources.P95Latency, Title: "P95 latency", Query: "q", Unit: "s", Thresholds: sources.Thresholds{Crit: new(2.0)}}},
		QueueThresholds: sources.Thresholds{Warn: new(100.0), Crit: new(1000.0)}}
	switch name {
	case "metrics", "changes":
		env.Metrics = sources.Opened[sources.Metrics]{Source: metricsDouble{fail}, Target: "http://prometheus:9090"}
	case "traces":
		env.Metrics = sources.Opened[sources.Metrics]{Source: metricsDouble{fail}, Target: "http://prometheus:9090"}
		env.Traces = sources.Opened[sources.Traces]{Source: tracesDouble{}, Target: "http://jaeger:16686"}
	case "alerts":
		env.Alerting = sources.Opened[sources.Alerting]{Source: alertingDouble{fail}, Target: "http://alertmanager:9093"}
	case "postgres":
		env.Database = sources.Opened[sources.Database]{Source: databaseDouble{fail}, Target: "postgres://db/origin"}
	case "redis":
		env.Cache = sources.Opened[sources.Cache]{Source: cacheDouble{fail}, Target: "redis://cache:6379/0"}
	case "celery":
		env.Celery = sources.Opened[sources.Celery]{Source: celeryDouble{fail}, Target: "redis://cache:6379/1"}
	case "logs":
		env.Logs = sources.Opened[sources.Logs]{Source: logsDouble{fail}, Target: "http://victorialogs:9428"}
	case "migrations":
		env.Migrations = sources.Opened[sources.Migrations]{Source: migrationsDouble{fail}, Target: "/srv/origin/alembic"}
	case "drift":
		env.Drift = sources.Opened[sources.Drift]{Source: driftDouble{fail}, Target: "staging"}
	case "slo":
		env.SLOs = sources.Opened[sources.SLOs]{Source: sloDouble{fail}, Target: "http://prometheus:9090"}
	default:
		t.Fatalf("source %q has no double here: add one, and check every reader shows it", name)
	}
	return env
}

// section renders one section the ways the readers do.
func section(s Source, d *Document) (text, markdown string) {
	var tb, mb strings.Builder
	sec := s.Section(d)
	sec.Text(&tb)
	sec.Markdown(&mb)
	return tb.String(), mb.String()
}

// TestEverySourceReachesEveryReader: for every kind of source, configured
// alone, the snapshot's JSON, text and Markdown, the overview's cells and
// check's judgement each show what it read, and differ from an environment
// without it; failing, it says so in each, and check finds it (where check
// judges it).
func TestEverySourceReachesEveryReader(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	none := Take(ctx, &sources.Environment{Name: "qa"}, now)
	noneJSON := jsonSections(t, none)
	for _, s := range Sources() {
		t.Run(s.Name, func(t *testing.T) {
			env := withSource(t, s.Name, false)
			if !s.Configured(env) {
				t.Fatalf("configured, yet the registry does not see it")
			}
			d := Take(ctx, env, now)
			got := jsonSections(t, d)
			if _, ok := got[s.Key]; !ok || string(got[s.Key]) == string(noneJSON[s.Key]) {
				t.Errorf("JSON: section %q is missing or the same as without the source: %s", s.Key, got[s.Key])
			}
			text, md := section(s, d)
			noText, noMD := section(s, none)
			if text == "" || text == noText || !strings.Contains(d.Text(), text) {
				t.Errorf("text: the section is empty, unchanged or not in the whole:\n%s", text)
			}
			if md == "" || md == noMD || !strings.Contains(d.Markdown(), md) {
				t.Errorf("Markdown: the section is empty, unchanged or not in the report:\n%s", md)
			}
			cells := s.Section(d).Cells()
			if len(cells) == 0 || cells[0].Status == "" {
				t.Errorf("overview: no cell, or a muted one, for a configured source: %+v", cells)
			}
			if sec := s.Section(d); sec.Down() != "" {
				t.Errorf("a source that answered is down: %s", sec.Down())
			}

			bad := Take(ctx, withSource(t, s.Name, true), now)
			sec := s.Section(bad)
			if !strings.Contains(sec.Down(), errDown.Error()) {
				t.Errorf("failing: Down() %q does not say why", sec.Down())
			}
			text, md = section(s, bad)
			if !strings.Contains(text, errDown.Error()) || !strings.Contains(md, errDown.Error()) {
				t.Errorf("failing: the text or Markdown does not say why:\n%s\n%s", text, md)
			}
			if s.Gate != GateNever && len(sec.Findings()) == 0 {
				t.Errorf("failing: check finds nothing")
			}
		})
	}
}

// jsonSections is the document's JSON, by top-level key.
func jsonSections(t *testing.T, d *Document) map[string]json.RawMessage {
	t.Helper()
	b, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEveryOpenedSourceIsRegistered: every source an environment can hold
// (each sources.Opened field of sources.Environment) is some registered
// source's: a new field without a Source in Sources() fails here.
func TestEveryOpenedSourceIsRegistered(t *testing.T) {
	typ := reflect.TypeFor[sources.Environment]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !strings.HasPrefix(f.Type.Name(), "Opened[") {
			continue
		}
		env := &sources.Environment{}
		src := reflect.ValueOf(env).Elem().Field(i).FieldByName("Source")
		double := doubleOf(src.Type())
		if double == nil {
			t.Errorf("%s: no double of %s here: add one to withSource and to doubleOf", f.Name, src.Type())
			continue
		}
		src.Set(reflect.ValueOf(double))
		if names := Configured(env); len(names) == 0 {
			t.Errorf("%s is configured, yet no registered source reads it: add it to Sources()", f.Name)
		}
	}
}

// doubleOf is the double implementing the interface t.
func doubleOf(t reflect.Type) any {
	for _, d := range []any{metricsDouble{}, tracesDouble{}, alertingDouble{}, databaseDouble{}, cacheDouble{}, celeryDouble{}, logsDouble{}, migrationsDouble{}, driftDouble{}, sloDouble{}} {
		if reflect.TypeOf(d).Implements(t) {
			return d
		}
	}
	return nil
}
