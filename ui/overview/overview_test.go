package overview

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/glance"
	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/theme"
)

var t0 = time.Date(2026, 11, 30, 14, 30, 0, 0, time.UTC)

func healthyRow(name string, at time.Time) glance.Row {
	return glance.Row{Name: name, At: at,
		Signals: []glance.Signal{{Key: sources.RPS, Unit: "req/s", Value: 42, Has: true, Status: sources.StatusOK, Points: []float64{1, 2, 3}}},
		Parts: []glance.Part{
			glance.NewPart("alerts", true, "", snapshot.Cell{Text: "no alerts", Status: sources.StatusOK}),
			glance.NewPart("postgres", true, "", snapshot.Cell{Text: "PG 12/97 conn", Status: sources.StatusOK}),
			glance.NewPart("redis", true, "", snapshot.Cell{Text: "Redis 1.0 MiB", Status: sources.StatusOK}, snapshot.Cell{Text: "3 celery", Status: sources.StatusOK}),
			glance.NewPart("migrations", true, "", snapshot.Cell{Text: "up to date", Status: sources.StatusOK}),
			glance.NewPart("drift", true, "", snapshot.Cell{Text: "schema equal", Status: sources.StatusOK}),
		}}
}

// withPart is r with source's part replaced.
func withPart(r glance.Row, p glance.Part) glance.Row {
	parts := append([]glance.Part{}, r.Parts...)
	for i := range parts {
		if parts[i].Source == p.Source {
			parts[i] = p
		}
	}
	r.Parts = parts
	return r
}

func screen(m *Model) string { return ansi.Strip(strings.Join(m.View(), "\n")) }

func model(now *time.Time, names ...string) *Model {
	var envs []Env
	for _, n := range names {
		envs = append(envs, Env{Name: n})
	}
	m := New(Options{Styles: theme.New(theme.Dark(), true), Now: func() time.Time { return *now }, Refresh: 10 * time.Second,
		After: func(time.Duration, tea.Msg) tea.Cmd { return nil }, Hints: "hints"}, envs)
	m.SetSize(160, 48)
	for _, e := range m.envs {
		e.src = &sources.Environment{Name: e.Name} // read by hand below
	}
	return m
}

// give hands the model a row for env as its read's answer.
func give(m *Model, name string, r glance.Row) {
	e := m.entry(name)
	m.Update(result{owner: m, name: name, gen: e.gen, row: r})
}

// TestRanksAndKeepsLastData: the worst environment first, then the
// configuration's order; a part that fails keeps its last data and says
// how old it is; a read that does not come back shows its age.
func TestRanksAndKeepsLastData(t *testing.T) {
	now := t0
	m := model(&now, "qa", "staging", "production")
	for _, n := range []string{"qa", "staging", "production"} {
		give(m, n, healthyRow(n, now))
	}
	if got := strings.Join(m.Rows(), ","); got != "qa,staging,production" {
		t.Fatalf("all healthy: %s", got)
	}
	now = now.Add(10 * time.Second)
	bad := healthyRow("production", now)
	bad = withPart(bad, glance.NewPart("alerts", true, "", snapshot.Cell{Text: "2 firing (critical)", Status: sources.StatusCrit}))
	give(m, "production", bad)
	down := withPart(healthyRow("staging", now), glance.NewPart("postgres", true, "connection refused", snapshot.Cell{Text: "PG down", Status: sources.StatusCrit}))
	down.Signals[0] = glance.Signal{Key: sources.RPS, Unit: "req/s", Status: sources.StatusError, Err: "prometheus: 502"}
	give(m, "staging", down)
	if got := strings.Join(m.Rows(), ","); got != "staging,production,qa" {
		t.Fatalf("ranked: %s", got)
	}
	s := strings.Join(strings.Fields(screen(m)), " ")
	for _, want := range []string{"2 firing (critical)", "⚠ PG down: connection refused (last ok 10s ago)", "⚠ rate 42.0 req/s", "PG 12/97 conn"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q missing:\n%s", want, screen(m))
		}
	}
	// qa's next read hangs: after two refreshes its row says how old it is.
	now = now.Add(25 * time.Second)
	if s := screen(m); !strings.Contains(s, "⚠ read 35s ago") {
		t.Errorf("a late read's age:\n%s", s)
	}
	m.Move(-1) // from qa, last, up to production
	if m.Selected() != "production" {
		t.Errorf("move: %s", m.Selected())
	}
}

// TestSparkline: a signal's points drawn in braille like the charts, in
// sparkWidth cells; none at all are blanks.
func TestSparkline(t *testing.T) {
	up := sparkline([]float64{0, 1, 2, 3, 4, 5, 6, 7})
	if ansi.StringWidth(up) != sparkWidth || strings.TrimSpace(up) == "" {
		t.Errorf("a rising line: %q", up)
	}
	for _, r := range strings.TrimSpace(up) {
		if r < 0x2800 || r > 0x28ff {
			t.Errorf("%q is not braille", r)
		}
	}
	if got := sparkline([]float64{math.NaN(), math.NaN()}); got != strings.Repeat(" ", sparkWidth) {
		t.Errorf("no points: %q", got)
	}
	if flat := sparkline([]float64{5, 5, 5}); strings.TrimSpace(flat) == "" {
		t.Errorf("a flat line is drawn along the bottom: %q", flat)
	}
}

// TestOpenFailureSaid: an environment that cannot be opened says why and
// ranks first.
func TestOpenFailureSaid(t *testing.T) {
	now := t0
	m := New(Options{Styles: theme.New(theme.Dark(), true), Now: func() time.Time { return now }, Refresh: time.Second,
		After: func(time.Duration, tea.Msg) tea.Cmd { return nil },
		Open: func(n string) (*sources.Environment, error) {
			if n == "broken" {
				return nil, errors.New("environment broken: grafana dashboard: no such file")
			}
			return &sources.Environment{Name: n, Close: func() {}}, nil
		}}, []Env{{Name: "ok"}, {Name: "broken"}})
	m.SetSize(120, 30)
	m.base, m.cancel = context.WithCancel(context.Background())
	defer m.Close()
	m.Start()
	if got := strings.Join(m.Rows(), ","); got != "broken,ok" || !strings.Contains(screen(m), "⚠ environment broken: grafana dashboard") {
		t.Errorf("rows %s:\n%s", got, screen(m))
	}
}

// BenchmarkOverviewView: five environments at 160x48. Budget: 1 ms.
func BenchmarkOverviewView(b *testing.B) {
	now := t0
	names := []string{"qa", "staging", "production", "eu", "us"}
	m := model(&now, names...)
	for _, n := range names {
		r := healthyRow(n, now)
		for range 3 {
			r.Signals = append(r.Signals, r.Signals[0])
		}
		for i := range r.Signals {
			r.Signals[i].Points = make([]float64, glance.Points)
			for j := range r.Signals[i].Points {
				r.Signals[i].Points[j] = float64(j % 7)
			}
		}
		give(m, n, r)
	}
	for b.Loop() {
		m.version++ // every frame drawn anew: the worst case
		_ = m.View()
	}
	if per := b.Elapsed() / time.Duration(b.N); per > time.Millisecond {
		b.Errorf("%v a frame: over the 1 ms budget", per)
	}
}

// TestScrollsToTheSelection: more environments than fit, the selected one
// stays on screen and the head says which are shown.
func TestScrollsToTheSelection(t *testing.T) {
	now := t0
	names := []string{"e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"}
	m := model(&now, names...)
	m.SetSize(120, 12) // three environments fit
	for _, n := range names {
		give(m, n, healthyRow(n, now))
	}
	for range 6 {
		m.Move(1)
	}
	s := screen(m)
	if !strings.Contains(s, "e7") || strings.Contains(s, " e1 ") || !strings.Contains(s, "5–7 of 8") || len(m.View()) > 12 {
		t.Errorf("scrolled to e7:\n%s", s)
	}
}

// TestDownServersFirst: an environment whose servers are all down shows the
// database's cell and why within the first 160 columns, before the parts
// read through Prometheus, which say only that they are unknown.
func TestDownServersFirst(t *testing.T) {
	now := t0
	m := model(&now, "broken")
	r := glance.Row{Name: "broken", At: now, Parts: []glance.Part{
		glance.NewPart("alerts", true, "prometheus: connection refused", snapshot.Cell{Text: "alerts ?", Status: sources.StatusError}),
		glance.NewPart("changes", true, "prometheus: connection refused"),
		glance.NewPart("traces", true, "exemplars: prometheus: connection refused"),
		glance.NewPart("migrations", true, "", snapshot.Cell{Text: "migrations –"}),
		glance.NewPart("postgres", true, "dial tcp 127.0.0.1:1: connection refused", snapshot.Cell{Text: "PG down", Status: sources.StatusCrit}),
	}}
	give(m, "broken", r)
	first := strings.Split(screen(m), "\n")[2]
	at := strings.Index(first, "⚠ PG down: dial tcp 127.0.0.1:1: connection re… (never read)")
	if at < 0 || at > strings.Index(first, "alerts ?") || strings.Contains(first, "prometheus: connection refused") {
		t.Errorf("the broken environment's line:\n%s", first)
	}
}
