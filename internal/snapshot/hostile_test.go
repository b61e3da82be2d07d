package snapshot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/sources"
)

type evilSources struct{ s string }

func (e evilSources) Read(context.Context, sources.SignalSpec, sources.Window) (sources.Reading, error) {
	r := sources.Reading{Value: 1, Series: 1, Diagnosis: "d"}
	faults.Poison(&r, e.s)
	return r, nil
}

func (e evilSources) Alerts(context.Context) ([]sources.Alert, error) {
	a := []sources.Alert{{Name: "A", State: "firing", Severity: "critical", Summary: "s", Labels: map[string]string{"alertname": "A"}}}
	faults.Poison(&a, e.s)
	return a, nil
}

func (e evilSources) Poll(_ context.Context, _ sources.DBRequest) (sources.DBState, error) {
	q := sources.DBSession{PID: 1, User: "u", Application: "app", State: "active", Query: "SELECT 1", BlockedBy: []int{2}}
	st := sources.DBState{Version: "15", Role: "primary", Database: "db", User: "u", LongestQuery: &q, LongestTransaction: &q,
		Blocked: []sources.DBSession{q}, Tables: []sources.DBTable{{Name: "public.t"}}, Extensions: []sources.DBExtension{{Name: "x", Version: "1"}}}
	faults.Poison(&st, e.s)
	return st, nil
}

type evilCache struct{ s string }

func (e evilCache) Poll(context.Context) (sources.CacheState, error) {
	st := sources.CacheState{Mode: "single", Version: "7", Role: "master", MaxMemoryPolicy: "noeviction",
		SlowLog: []sources.SlowEntry{{ID: 1, Command: "GET k", At: time.Unix(1, 0)}}, Queues: []sources.Queue{{Name: "celery", Error: "WRONGTYPE"}},
		Nodes: []sources.CacheNode{{Addr: "a", Error: "e"}}, Hidden: []string{"h"}}
	faults.Poison(&st, e.s)
	return st, nil
}

type evilMigrations struct{ s string }

func (e evilMigrations) Poll(context.Context) (sources.MigrationState, error) {
	st := sources.MigrationState{Status: "behind", Dir: "d", Current: []string{"a"}, Heads: []string{"b"},
		Pending: []sources.Revision{{ID: "b", Message: "m", File: "f"}}, Problems: []sources.Problem{{Severity: "warning", Message: "p"}}}
	faults.Poison(&st, e.s)
	return st, nil
}

func (e evilMigrations) Compare(context.Context, bool) sources.SchemaDrift {
	d := sources.SchemaDrift{Reference: "r", Differences: []sources.Difference{{Kind: "table_extra", Object: "o", Detail: "d", SQL: "DROP TABLE o;"}}}
	faults.Poison(&d, e.s)
	return d
}

type evilCelery struct{ s string }

func (e evilCelery) Poll(context.Context, sources.CeleryRequest) (sources.CeleryState, error) {
	st := sources.CeleryState{Workers: []sources.CeleryWorker{{Hostname: "w", Online: true}, {Hostname: "g"}},
		Queues:   []sources.CeleryQueue{{Name: "q", Waiting: 1}},
		Tasks:    []sources.CeleryTask{{Name: "t", Received: 1}},
		Failures: []sources.CeleryFailure{{ID: "i", Name: "t", Exception: "E()", Traceback: "tb", Worker: "w", Args: "a", Kwargs: "k"}},
		Problems: []string{"p"}}
	faults.Poison(&st, e.s)
	return st, nil
}

type evilLogs struct {
	s    string
	fail bool
}

func (e evilLogs) Volume(_ context.Context, q sources.LogQuery, _ time.Duration) ([]sources.LogVolume, error) {
	if e.fail {
		return nil, errors.New("bad: " + e.s)
	}
	return []sources.LogVolume{{Time: q.Start, ByLevel: map[string]int{"error": 3, "x" + e.s: 1}}}, nil
}

func (e evilLogs) Lines(context.Context, sources.LogQuery) ([]sources.LogLine, error) {
	l := []sources.LogLine{{Level: "error", Message: "m", TraceID: "t", SpanID: "s", Stream: "st", Fields: map[string]string{"k": "v"}}}
	faults.Poison(&l, e.s)
	return l, nil
}

func (e evilLogs) Tail(context.Context, string, chan<- sources.LogLine) error { return errors.New(e.s) }

type evilSLOs struct {
	s    string
	fail bool
}

func (e evilSLOs) Objectives(context.Context) ([]sources.SLO, error) {
	if e.fail {
		return nil, errors.New("bad: " + e.s)
	}
	slos := []sources.SLO{{Name: "n", Origin: "sloth", Objective: 0.99, Window: time.Hour, ErrorRatios: map[time.Duration]float64{5 * time.Minute: 0.5}},
		{Name: "p", Origin: "config", Problem: "q"}}
	faults.Poison(&slos, e.s)
	return slos, nil
}

func (e evilSLOs) String() string { return "t" + e.s }

type failing struct{ s string }

func (f failing) Read(context.Context, sources.SignalSpec, sources.Window) (sources.Reading, error) {
	return sources.Reading{}, errors.New("bad: " + f.s)
}
func (f failing) Alerts(context.Context) ([]sources.Alert, error) {
	return nil, errors.New("bad: " + f.s)
}
func (f failing) Poll(context.Context) (sources.CacheState, error) {
	return sources.CacheState{}, errors.New("bad: " + f.s)
}

// FuzzReportsHoldNoControls: whatever the sources put in any field, or in
// their errors, the text and Markdown reports hold no control character
// but line breaks and tabs.
func FuzzReportsHoldNoControls(f *testing.F) {
	for _, s := range []string{"\n\r\x1b[1A\x1b[K", "\x1b]52;c;aGk=\x07", "\u009b2J", "\xff", "\x00\x7f"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, evil string, fail bool) {
		env := &sources.Environment{Name: "qa", Signals: []sources.SignalSpec{{Key: sources.RPS, Title: "Requests/s", Query: "q"}},
			Metrics: sources.Opened[sources.Metrics]{Source: evilSources{evil}}, Database: sources.Opened[sources.Database]{Source: evilSources{evil}},
			Cache: sources.Opened[sources.Cache]{Source: evilCache{evil}}, Celery: sources.Opened[sources.Celery]{Source: evilCelery{evil}}, Migrations: sources.Opened[sources.Migrations]{Source: evilMigrations{evil}},
			Drift: sources.Opened[sources.Drift]{Source: evilMigrations{evil}}, Logs: sources.Opened[sources.Logs]{Source: evilLogs{s: evil}, Target: "t" + evil},
			LogsFilter: "f" + evil, SLOs: sources.Opened[sources.SLOs]{Source: evilSLOs{s: evil}, Target: "t" + evil}}
		if fail {
			env.Metrics.Source, env.Cache.Source, env.Logs.Source, env.SLOs.Source = failing{evil}, failing{evil}, evilLogs{s: evil, fail: true}, evilSLOs{s: evil, fail: true}
		}
		d := Take(context.Background(), env, time.Unix(1_700_000_000, 0))
		for name, out := range map[string]string{"text": d.Text(), "markdown": d.Markdown()} {
			for _, r := range out {
				if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
					t.Fatalf("%s report holds %U:\n%q", name, r, out)
				}
			}
		}
	})
}
