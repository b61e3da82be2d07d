package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// patternLogs answers two steps of volume and a few error lines of two
// patterns; lines counts the reads of lines.
type patternLogs struct {
	lines     *int
	linesFail bool
}

func (p patternLogs) Volume(_ context.Context, q sources.LogQuery, _ time.Duration) ([]sources.LogVolume, error) {
	return []sources.LogVolume{{Time: q.Start, ByLevel: map[string]int{"error": 20, "info": 500}},
		{Time: q.Start.Add(time.Minute), ByLevel: map[string]int{"error": 10, "warn": 4, "": 2}}}, nil
}

func (p patternLogs) Lines(_ context.Context, q sources.LogQuery) ([]sources.LogLine, error) {
	*p.lines++
	if p.linesFail || q.MinLevel != "error" {
		return nil, errors.New("lines refused")
	}
	at := q.End.Add(-time.Minute)
	return []sources.LogLine{
		{Time: at, Level: "error", Message: "pool timeout after 5000ms"},
		{Time: at.Add(time.Second), Level: "error", Message: "user 'x' not found"},
		{Time: at.Add(2 * time.Second), Level: "error", Message: "pool timeout after 300ms", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"},
	}, nil
}

func (patternLogs) Tail(context.Context, string, chan<- sources.LogLine) error { return nil }

// TestLogsSection: the window's lines by level, the error lines per
// minute over the window, the error patterns by count with their newest
// example, in the JSON, the text and the report; a glance reads no lines;
// lines that cannot be read leave the counts standing and say why.
func TestLogsSection(t *testing.T) {
	now := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	reads := 0
	env := &sources.Environment{Name: "qa", Logs: sources.Opened[sources.Logs]{Source: patternLogs{lines: &reads}, Target: "http://vl:9428"},
		LogsFilter: `service.name:"origin-api"`, MarksWindow: 15 * time.Minute}
	d := Take(context.Background(), env, now)
	l := d.Logs
	if l == nil || !l.Reachable || l.ByLevel["error"] != 30 || l.ByLevel["info"] != 500 || l.ByLevel[""] != 2 || l.ErrorLinesPerMinute != 2 || l.PatternsOf != 3 {
		t.Fatalf("section %+v", l)
	}
	if len(l.Patterns) != 2 || l.Patterns[0].Pattern != "pool timeout after <n>ms" || l.Patterns[0].Count != 2 ||
		l.Patterns[0].Example.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || l.Patterns[0].Example.Message != "pool timeout after 300ms" {
		t.Errorf("patterns %+v", l.Patterns)
	}
	b, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Logs map[string]json.RawMessage `json:"logs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"reachable", "target", "filter", "window_seconds", "lines_by_level", "error_lines_per_minute", "error_patterns", "patterns_of"} {
		if _, ok := doc.Logs[k]; !ok {
			t.Errorf("JSON logs lacks %q: %s", k, b)
		}
	}
	text, md := d.Text(), d.Markdown()
	for _, want := range []string{"2 error lines/min", "30 error, 4 warn, 500 info, 2 without a level", "2× pool timeout after <n>ms", "(trace 4bf92f3577b34da6a3ce929d0e0e4736)"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{"## Logs", "**2 error lines/min**", "| 2 | pool timeout after <n>ms | 13:59:02 pool timeout after 300ms | `4bf92f3577b34da6a3ce929d0e0e4736` |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if c := (logsSection{l}).Cells(); len(c) != 1 || c[0].Text != "2 err lines/min" {
		t.Errorf("cells %+v", c)
	}

	reads = 0
	g := TakeWith(context.Background(), env, now, Options{Depth: Glance})
	if reads != 0 || g.Logs.ErrorLinesPerMinute != 2 {
		t.Errorf("a glance read lines %d times, %+v", reads, g.Logs)
	}
	env.Logs.Source = patternLogs{lines: &reads, linesFail: true}
	f := Take(context.Background(), env, now)
	if !f.Logs.Reachable || f.Logs.ByLevel["error"] != 30 || !strings.Contains(f.Logs.PatternsError, "lines refused") ||
		!strings.Contains(f.Markdown(), "could not be read: lines refused") {
		t.Errorf("lines refused: %+v", f.Logs)
	}
	if none := Take(context.Background(), &sources.Environment{Name: "qa"}, now); none.Logs != nil || strings.Contains(none.Markdown(), "## Logs") {
		t.Errorf("an environment without logs has a section: %+v", none.Logs)
	}
}
