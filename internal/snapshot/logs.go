package snapshot

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// Logs is the log section: the lines of the window by level, the error
// lines per minute, and the most frequent error messages by pattern.
type Logs struct {
	Reachable bool   `json:"reachable"`
	Target    string `json:"target,omitempty"`
	// Filter is what narrows every read to the application's lines.
	Filter        string  `json:"filter,omitempty"`
	Error         string  `json:"error,omitempty"`
	WindowSeconds float64 `json:"window_seconds"`
	// ByLevel counts the window's lines by level ("" for lines with none).
	ByLevel             map[string]int `json:"lines_by_level"`
	ErrorLinesPerMinute float64        `json:"error_lines_per_minute"`
	// Patterns are the most frequent error messages of the window, by
	// pattern, each with one example; PatternsOf is how many of the
	// newest error lines they were made from.
	Patterns   []LogPattern `json:"error_patterns"`
	PatternsOf int          `json:"patterns_of"`
	// PatternsError says why the patterns could not be read when the
	// counts could.
	PatternsError string `json:"patterns_error,omitempty"`
}

// LogPattern is one error message pattern, its count among the lines read
// and its newest line.
type LogPattern struct {
	Pattern string     `json:"pattern"`
	Count   int        `json:"count"`
	Example LogExample `json:"example"`
}

// LogExample is one log line as the report shows it.
type LogExample struct {
	Time    string `json:"time"`
	Level   string `json:"level,omitempty"`
	Message string `json:"message"`
	TraceID string `json:"trace_id,omitempty"`
}

// Bounds of the log section: the newest error lines grouped into patterns,
// and the patterns kept.
const (
	logPatternLines = 1000
	logPatterns     = 5
)

// logsSource is the log backend: never judged by check (see Findings).
func logsSource() Source {
	return Source{Name: "logs", Key: "logs", Gate: GateNever,
		configured: func(env *sources.Environment) bool { return isSet(env.Logs) },
		read:       readLogs,
		section:    func(d *Document) Section { return logsSection{d.Logs} }}
}

// readLogs counts the window's lines by level (one hits request) and, for
// a full read, groups its newest error lines by pattern.
func readLogs(ctx context.Context, r *reading) {
	env := r.env
	if env.Logs.Source == nil {
		return
	}
	end := r.now
	if end.IsZero() {
		end = time.Now()
	}
	out := &Logs{Target: env.Logs.Target, Filter: env.LogsFilter, WindowSeconds: r.window.Seconds(), ByLevel: map[string]int{}, Patterns: []LogPattern{}}
	r.doc.Logs = out
	q := sources.LogQuery{Start: end.Add(-r.window), End: end}
	vol, err := env.Logs.Source.Volume(ctx, q, r.window)
	if err != nil {
		out.Error = env.Scrubber.Error(err)
		return
	}
	out.Reachable = true
	for _, v := range vol {
		for level, n := range v.ByLevel {
			out.ByLevel[level] += n
		}
	}
	if m := r.window.Minutes(); m > 0 {
		out.ErrorLinesPerMinute = float64(out.ByLevel["error"]) / m
	}
	if r.depth == Glance || out.ByLevel["error"] == 0 {
		return
	}
	q.MinLevel, q.Limit = "error", logPatternLines
	lines, err := env.Logs.Source.Lines(ctx, q)
	if err != nil {
		out.PatternsError = env.Scrubber.Error(err)
		return
	}
	out.PatternsOf = len(lines)
	for i, p := range sources.LogPatterns(lines) {
		if i == logPatterns {
			break
		}
		e := p.Example
		out.Patterns = append(out.Patterns, LogPattern{Pattern: env.Scrubber.String(p.Pattern), Count: p.Count,
			Example: LogExample{Time: e.Time.UTC().Format(time.RFC3339Nano), Level: e.Level, Message: env.Scrubber.String(e.Message), TraceID: e.TraceID}})
	}
}

// logsSection is the log section as the readers show it (nil: the
// environment has no log backend).
type logsSection struct{ l *Logs }

func (s logsSection) Down() string {
	if s.l != nil && !s.l.Reachable {
		return s.l.Error
	}
	return ""
}

// levels are the section's levels, the most severe first, then the
// others by name.
func (s logsSection) levels() []string {
	rank := map[string]int{"error": 0, "warn": 1, "info": 2, "debug": 3}
	return slices.SortedFunc(maps.Keys(s.l.ByLevel), func(a, b string) int {
		ra, oka := rank[a]
		rb, okb := rank[b]
		switch {
		case oka && okb:
			return cmp.Compare(ra, rb)
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
}

// byLevel is the counts in words: "42 error, 10 warn, 3 without a level".
func (s logsSection) byLevel() string {
	var parts []string
	for _, level := range s.levels() {
		parts = append(parts, fmt.Sprintf("%d %s", s.l.ByLevel[level], cmp.Or(level, "without a level")))
	}
	if len(parts) == 0 {
		return "no lines"
	}
	return strings.Join(parts, ", ")
}

// perMinute is a rate of lines as read at a glance: 2, 0.4, 1250.
func perMinute(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

func (s logsSection) window() string {
	return units.ShortDuration(time.Duration(s.l.WindowSeconds * float64(time.Second)))
}

func (s logsSection) Text(b *strings.Builder) {
	l := s.l
	switch {
	case l == nil:
		return
	case !l.Reachable:
		fmt.Fprintf(b, "Logs: unreachable (%s)\n", l.Error)
		return
	}
	fmt.Fprintf(b, "Logs at %s over %s: %s error lines/min; %s\n", l.Target, s.window(), perMinute(l.ErrorLinesPerMinute), s.byLevel())
	if l.PatternsError != "" {
		fmt.Fprintf(b, "  error patterns: %s\n", oneLine(l.PatternsError))
	}
	for _, p := range l.Patterns {
		fmt.Fprintf(b, "  %d× %s\n    e.g. %s %s", p.Count, p.Pattern, p.Example.Time, oneLine(p.Example.Message))
		if p.Example.TraceID != "" {
			fmt.Fprintf(b, " (trace %s)", p.Example.TraceID)
		}
		b.WriteString("\n")
	}
}

func (s logsSection) Markdown(b *strings.Builder) {
	l := s.l
	if l == nil {
		return
	}
	b.WriteString("## Logs\n\n")
	if !l.Reachable {
		fmt.Fprintf(b, "Unreachable: %s\n\n", orNone(l.Error))
		return
	}
	fmt.Fprintf(b, "- `%s` over %s: **%s error lines/min**; %s\n", l.Target, s.window(), perMinute(l.ErrorLinesPerMinute), s.byLevel())
	if l.Filter != "" {
		fmt.Fprintf(b, "- Filter: `%s`\n", strings.ReplaceAll(l.Filter, "`", "'"))
	}
	if l.PatternsError != "" {
		fmt.Fprintf(b, "- Error patterns could not be read: %s\n", oneLine(l.PatternsError))
	}
	if len(l.Patterns) > 0 {
		fmt.Fprintf(b, "\nTop error messages (of the newest %d error lines):\n\n| Count | Pattern | Example (UTC) | Trace |\n|---:|---|---|---|\n", l.PatternsOf)
		for _, p := range l.Patterns {
			trace := "–"
			if p.Example.TraceID != "" {
				trace = "`" + p.Example.TraceID + "`"
			}
			fmt.Fprintf(b, "| %d | %s | %s %s | %s |\n", p.Count, cell(p.Pattern), clock(p.Example.Time, "15:04:05"), cell(p.Example.Message), trace)
		}
	}
	b.WriteString("\n")
}

// Cells: the error lines per minute; a backend that cannot be read is an
// error (a warning on the overview), not an outage of the application.
func (s logsSection) Cells() []Cell {
	switch {
	case s.l == nil:
		return nil
	case !s.l.Reachable:
		return []Cell{{Text: "logs down", Status: sources.StatusError}}
	}
	return []Cell{{Text: perMinute(s.l.ErrorLinesPerMinute) + " err lines/min", Status: sources.StatusOK}}
}

// Findings: none. Error lines have no agreed threshold (a healthy service
// logs some, a failing one may log none), the error rate judges the same
// failures from the metrics, and a log backend down stops no deploy.
func (s logsSection) Findings() []Finding { return nil }
