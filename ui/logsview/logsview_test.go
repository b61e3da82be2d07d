package logsview

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/pane/panetest"
	"github.com/opsdeck/opsdeck/ui/theme"
)

var t0 = time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC)

// fakeLogs is a log backend whose lines the test sets. UI tests only: the
// client itself is tested against a real VictoriaLogs.
type fakeLogs struct {
	mu      sync.Mutex
	lines   []sources.LogLine // oldest first
	err     error
	queries []sources.LogQuery
}

func (f *fakeLogs) Lines(_ context.Context, q sources.LogQuery) ([]sources.LogLine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	if f.err != nil {
		return nil, f.err
	}
	var out []sources.LogLine
	for _, l := range f.lines {
		if !l.Time.Before(q.Start) && !l.Time.After(q.End) {
			out = append(out, l)
		}
	}
	return out[max(len(out)-q.Limit, 0):], nil
}

func (f *fakeLogs) Volume(context.Context, sources.LogQuery, time.Duration) ([]sources.LogVolume, error) {
	return nil, errors.New("the view reads no volume")
}

func (f *fakeLogs) Tail(context.Context, string, chan<- sources.LogLine) error {
	return errors.New("the view polls; it never tails")
}

func (f *fakeLogs) add(ls ...sources.LogLine) {
	f.mu.Lock()
	f.lines = append(f.lines, ls...)
	f.mu.Unlock()
}

func (f *fakeLogs) last() sources.LogQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries[len(f.queries)-1]
}

// scheduled is what the test timer returns instead of waiting.
type scheduled struct {
	d   time.Duration
	msg tea.Msg
}

type rig struct {
	t      *testing.T
	now    time.Time
	src    *fakeLogs
	m      *Model
	st     *theme.Styles
	timers []scheduled
}

func newRig(t *testing.T, src *fakeLogs, j Jump) *rig {
	r := &rig{t: t, now: t0, src: src, st: theme.New(theme.Dark(), false)}
	ctx := &pane.Context{Styles: r.st, Now: func() time.Time { return r.now }, Refresh: 2 * time.Second,
		Time: pane.NewTimeline(15 * time.Minute), Base: context.Background(),
		After: func(d time.Duration, msg tea.Msg) tea.Cmd { return func() tea.Msg { return scheduled{d, msg} } }}
	var s sources.Logs
	if src != nil {
		s = src
	}
	r.m = New(ctx, Options{Source: s, Stream: `service.name:"origin-api"`, Hints: "f follow · / filter · enter expand · t trace · esc close"}, j)
	r.m.SetSize(140, 42)
	return r
}

// run executes cmd and what it leads to; timers are kept, not waited for.
func (r *rig) run(cmd tea.Cmd) {
	panetest.Drain(cmd, func(msg tea.Msg) tea.Cmd {
		switch msg := msg.(type) {
		case scheduled:
			r.timers = append(r.timers, msg)
		default:
			if Msg(msg) {
				return r.m.Update(msg)
			}
		}
		return nil
	})
}

// advance moves the clock and delivers the timers due.
func (r *rig) advance(d time.Duration) {
	r.now = r.now.Add(d)
	pending := r.timers
	r.timers = nil
	for _, s := range pending {
		if s.d <= d {
			r.run(func() tea.Msg { return s.msg })
		} else {
			r.timers = append(r.timers, scheduled{s.d - d, s.msg})
		}
	}
}

func (r *rig) screen() string {
	return panetest.Screen(r.t, r.m.View(r.st), r.m.w-4, r.m.h-2)
}

func line(at time.Time, level, msg string) sources.LogLine {
	return sources.LogLine{Time: at, Level: level, Message: msg, Stream: `{service.name="origin-api"}`}
}

func sample() []sources.LogLine {
	return []sources.LogLine{
		line(t0.Add(-4*time.Minute), "info", "GET /api/chat 200 in 41 ms"),
		line(t0.Add(-3*time.Minute), "warn", "pool nearly full: 18 of 20 connections in use"),
		{Time: t0.Add(-2 * time.Minute), Level: "error", Message: "GET /api/chat 500: pool timeout after 30 s\nTraceback (most recent call last):\n  File \"app/db.py\", line 88, in acquire\n    conn = await pool.acquire()\nTimeoutError: pool timeout",
			TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7", Stream: `{service.name="origin-api"}`,
			Fields: map[string]string{"http.route": "/api/chat", "user_id": "42", "code.filepath": "app/db.py"}},
		line(t0.Add(-time.Minute), "debug", "cache hit chat:42"),
	}
}

func TestFirstReadShowsNewestLast(t *testing.T) {
	r := newRig(t, &fakeLogs{lines: sample()}, Jump{Follow: true})
	r.run(r.m.Start())
	q := r.src.last()
	if q.Filter != "" || !q.Start.Equal(t0.Add(-15*time.Minute)) || !q.End.Equal(t0) || q.Limit != Limit {
		t.Errorf("first read asked %+v", q)
	}
	s := r.screen()
	first, last := strings.Index(s, "GET /api/chat 200"), strings.Index(s, "cache hit chat:42")
	if first < 0 || last < first {
		t.Fatalf("not oldest first, newest last:\n%s", s)
	}
	if l, _ := r.m.Selected(); l.Message != "cache hit chat:42" {
		t.Errorf("the newest line is not selected: %q", l.Message)
	}
}

func TestFollowAddsTheNewLine(t *testing.T) {
	r := newRig(t, &fakeLogs{lines: sample()}, Jump{Follow: true})
	r.run(r.m.Start())
	if len(r.timers) != 1 {
		t.Fatalf("following, one read scheduled; got %d timers", len(r.timers))
	}
	r.src.add(line(t0.Add(time.Second), "error", "GET /api/messages 500: worker lost"))
	r.advance(2 * time.Second)
	q := r.src.last()
	if !q.Start.Equal(t0.Add(-time.Minute)) {
		t.Errorf("the follow read starts at %v, want the newest line's instant %v", q.Start, t0.Add(-time.Minute))
	}
	s := r.screen()
	if strings.Count(s, "cache hit chat:42") != 1 {
		t.Errorf("the newest line read again shows twice:\n%s", s)
	}
	if l, _ := r.m.Selected(); l.Message != "GET /api/messages 500: worker lost" {
		t.Errorf("the new line is not the last, selected one: %q\n%s", l.Message, s)
	}
	// Off: no more reads.
	r.run(r.m.ToggleFollow())
	n := len(r.src.queries)
	r.advance(10 * time.Second)
	if len(r.src.queries) != n {
		t.Errorf("not following, the view still reads (%d reads, was %d)", len(r.src.queries), n)
	}
}

func TestFilterIsSentAndItsMatchHighlighted(t *testing.T) {
	r := newRig(t, &fakeLogs{lines: sample()}, Jump{})
	r.run(r.m.Start())
	r.run(r.m.StartFilter())
	for _, k := range `"pool timeout"` {
		r.run(r.m.Type(tea.KeyPressMsg{Code: k, Text: string(k)}))
	}
	if !strings.Contains(r.screen(), `/ "pool timeout"█`) {
		t.Errorf("the filter being typed is not shown:\n%s", r.screen())
	}
	r.run(r.m.KeepFilter())
	want := `"pool timeout"`
	if got := r.src.last().Filter; got != want {
		t.Errorf("sent %q, want %q", got, want)
	}
	r.m.Move(-3) // off the matching line, which the selection paints whole
	lines := r.m.View(r.st)
	hl := r.st.Accent.Render("pool timeout")
	found := slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, hl) })
	if !found {
		t.Errorf("the match is not highlighted:\n%s", strings.Join(lines, "\n"))
	}
	if !strings.Contains(r.m.Title(), `"pool timeout"`) {
		t.Errorf("the title does not say the filter: %q", r.m.Title())
	}
}

func TestExpandShowsEveryFieldAndTheTraceback(t *testing.T) {
	r := newRig(t, &fakeLogs{lines: sample()}, Jump{})
	r.run(r.m.Start())
	r.m.Move(-1)
	if !r.m.Expand() {
		t.Fatal("nothing to expand")
	}
	s := r.screen()
	for _, want := range []string{"http.route: /api/chat", "user_id: 42", "code.filepath: app/db.py", "trace_id: 4bf92f3577b34da6a3ce929d0e0e4736",
		"span_id: 00f067aa0ba902b7", "Traceback (most recent call last):", `  File "app/db.py", line 88, in acquire`, "TimeoutError: pool timeout"} {
		if !strings.Contains(s, want) {
			t.Errorf("expanded line lacks %q:\n%s", want, s)
		}
	}
	if r.m.TraceID() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace id %q", r.m.TraceID())
	}
	if !r.m.Back() || r.m.Expanded() {
		t.Error("esc does not close the expanded line")
	}
}

func TestExpandedLineScrolls(t *testing.T) {
	var tb strings.Builder
	for i := range 200 {
		fmt.Fprintf(&tb, "  frame %03d\n", i)
	}
	r := newRig(t, &fakeLogs{lines: []sources.LogLine{line(t0.Add(-time.Second), "error", "boom\n"+tb.String()+"end of traceback")}}, Jump{})
	r.run(r.m.Start())
	r.m.Expand()
	if s := r.screen(); strings.Contains(s, "end of traceback") || !strings.Contains(s, "more lines") {
		t.Fatalf("a long traceback does not say it continues:\n%s", s)
	}
	r.m.Move(1000)
	if s := r.screen(); !strings.Contains(s, "end of traceback") {
		t.Errorf("scrolled to the end, the traceback's last line is not shown:\n%s", s)
	}
}

func TestTraceKeyNeedsATraceID(t *testing.T) {
	r := newRig(t, &fakeLogs{lines: sample()}, Jump{})
	r.run(r.m.Start())
	var trace pane.Key[*Model]
	for _, k := range Bindings() {
		if k.Name == "logs_trace" {
			trace = k
		}
	}
	if why := trace.Disabled(r.m); why == "" {
		t.Error("the newest line has no trace id, yet t is on")
	}
	r.m.Move(-1)
	if why := trace.Disabled(r.m); why != "" || r.m.TraceID() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("on the line with a trace: %q, %q", why, r.m.TraceID())
	}
}

func TestRingHoldsItsBound(t *testing.T) {
	rg := newRing(MaxLines, MaxBytes)
	for i := range MaxLines + 500 {
		rg.push(entryOf(line(t0.Add(time.Duration(i)*time.Millisecond), "info", fmt.Sprintf("line %d", i))))
	}
	if rg.len() != MaxLines || rg.at(0).line.Message != "line 500" || rg.at(MaxLines-1).line.Message != fmt.Sprintf("line %d", MaxLines+499) {
		t.Errorf("%d lines kept, from %q to %q", rg.len(), rg.at(0).line.Message, rg.at(rg.len()-1).line.Message)
	}
	big := strings.Repeat("x", 200<<10)
	for i := range 300 {
		rg.push(entryOf(line(t0.Add(time.Duration(i)*time.Second), "error", big)))
	}
	if rg.bytes > MaxBytes || rg.len() == 0 {
		t.Errorf("%d bytes in %d lines, bound %d", rg.bytes, rg.len(), MaxBytes)
	}
	if n := len(rg.at(rg.len() - 1).line.Message); n > MaxMessage {
		t.Errorf("a 200 KiB message kept whole (%d bytes)", n)
	}
	// Small lines again: the ring fills up to its line bound.
	for i := range MaxLines {
		rg.push(entryOf(line(t0, "info", fmt.Sprint(i))))
	}
	if rg.len() != MaxLines {
		t.Errorf("after the large lines, %d small ones kept, want %d", rg.len(), MaxLines)
	}
}

func TestFloodSaysLinesWereSkipped(t *testing.T) {
	src := &fakeLogs{lines: sample()}
	r := newRig(t, src, Jump{Follow: true})
	r.run(r.m.Start())
	var flood []sources.LogLine
	for i := range 3 * Limit {
		flood = append(flood, line(t0.Add(time.Duration(i+1)*time.Microsecond), "info", fmt.Sprint("flood ", i)))
	}
	src.add(flood...)
	r.advance(2 * time.Second)
	if n := r.m.lines.len(); n != len(sample())+1+Limit {
		t.Errorf("%d lines kept, want the first read's, a notice and one read's", n)
	}
	r.m.Move(-Limit)
	if s := r.screen(); !strings.Contains(s, "more lines came than one read takes") {
		t.Errorf("the lines skipped are not said:\n%s", s)
	}
}

func TestFailingBackendKeepsItsLinesAndSaysSo(t *testing.T) {
	src := &fakeLogs{lines: sample()}
	r := newRig(t, src, Jump{Follow: true})
	r.run(r.m.Start())
	src.err = errors.New("dial tcp 127.0.0.1:9428: connect: connection refused")
	r.advance(12 * time.Second)
	r.advance(2 * time.Second)
	s := r.screen()
	if !strings.Contains(s, "⚠ logs: dial tcp 127.0.0.1:9428: connect: connection refused (last ok") || !strings.Contains(s, "cache hit chat:42") {
		t.Errorf("the failure is not said, or the lines went:\n%s", s)
	}
	src.err = nil
	src.add(line(t0.Add(20*time.Second), "info", "back"))
	r.advance(2 * time.Second)
	if s := r.screen(); strings.Contains(s, "⚠ logs") || !strings.Contains(s, "back") {
		t.Errorf("recovered, the view still fails:\n%s", s)
	}
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func TestHostileLinesAreDrawnSafely(t *testing.T) {
	huge := strings.Repeat("A", 5<<20)
	src := &fakeLogs{lines: []sources.LogLine{
		line(t0.Add(-5*time.Second), "error", "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b[31mred\rover\x00"),
		line(t0.Add(-4*time.Second), "warn", "invoice\u202egnp.exe and \u2066isolate\u2069 zero\u200bwidth"),
		line(t0.Add(-3*time.Second), "info", "bad utf-8: \xff\xfe\xc3("),
		line(t0.Add(-2*time.Second), "error\x1b[5m", huge),
		{Time: t0.Add(-time.Second), Level: "info", Message: "fields", TraceID: "\x1b[2Jtrace", Fields: map[string]string{"k\x1b[1m": "v\u202ev", "big": huge}},
	}}
	r := newRig(t, src, Jump{})
	r.run(r.m.Start())
	check := func(what string) {
		for _, l := range r.m.View(r.st) {
			// Only the view's own colours may be escape sequences.
			if rest := sgr.ReplaceAllString(l, ""); strings.ContainsAny(rest, "\x1b\x07\x00\r\u202e\u2066\u200b") {
				t.Errorf("%s: an unsafe character reaches the screen: %q", what, rest)
			}
		}
		r.screen() // every line exactly the view's width
	}
	check("list")
	if s := r.screen(); !strings.Contains(s, "␛]52;c;") || !strings.Contains(s, "invoice�gnp.exe") {
		t.Errorf("the hostile lines are not shown with stand-ins:\n%s", s)
	}
	for i := range 5 {
		r.m.cursor = i
		r.m.Expand()
		check(fmt.Sprint("expanded line ", i))
		r.m.Back()
	}
	e := r.m.lines.at(3)
	if len(e.line.Message) > MaxMessage || !strings.Contains(e.line.Message, "more bytes)") {
		t.Errorf("the 5 MB line is kept at %d bytes, or does not say it was cut", len(e.line.Message))
	}
	if e.size > MaxMessage+2*rowBytes {
		t.Errorf("the 5 MB line holds %d bytes", e.size)
	}
}

func TestTerms(t *testing.T) {
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{`error`, []string{"error"}},
		{`"pool timeout" AND level:error`, []string{"pool timeout", "error"}},
		{`trace_id:"4bf9"`, []string{"4bf9"}},
		{`(timeout OR refused) -health`, []string{"timeout", "refused"}},
		{`_time:5m chat* | stats count()`, []string{"chat"}},
		{`msg:~"re.*x" "a: b"`, []string{"a: b"}},
		{``, nil},
	} {
		if got := Terms(c.filter); !slices.Equal(got, c.want) {
			t.Errorf("Terms(%q) = %q, want %q", c.filter, got, c.want)
		}
	}
}

func TestHighlight(t *testing.T) {
	st := theme.New(theme.Dark(), false)
	got := Highlight("Pool TIMEOUT after pool timeout", []string{"pool timeout"}, st.Text, st.Accent)
	want := st.Accent.Render("Pool TIMEOUT") + st.Text.Render(" after ") + st.Accent.Render("pool timeout")
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if ansi.StringWidth(got) != len("Pool TIMEOUT after pool timeout") {
		t.Error("the highlight changed the width")
	}
	if got := Highlight("é pool é", []string{"pool"}, st.Text, st.Accent); ansi.Strip(got) != "é pool é" {
		t.Errorf("text around the match changed: %q", ansi.Strip(got))
	}
}

func TestAnd(t *testing.T) {
	for _, c := range [][]string{
		{"", ""},
		{"a", "a", ""},
		{"(a) (b OR c)", "a", "", "b OR c"},
	} {
		if got := And(c[1:]...); got != c[0] {
			t.Errorf("And(%q) = %q, want %q", c[1:], got, c[0])
		}
	}
}

// TestNewFilterDropsTheLinesOfTheOld: the lines kept are the old query's;
// when the new one fails, they must not stay under its title.
func TestNewFilterDropsTheLinesOfTheOld(t *testing.T) {
	src := &fakeLogs{lines: sample()}
	r := newRig(t, src, Jump{})
	r.run(r.m.Start())
	src.err = errors.New(`filter "a | b" has a pipe (|): opsdeck takes filters only`)
	r.run(r.m.StartFilter())
	r.m.input.SetValue("a | b")
	r.run(r.m.KeepFilter())
	s := r.screen()
	if strings.Contains(s, "cache hit chat:42") || !strings.Contains(s, "⚠ logs: filter \"a | b\" has a pipe") {
		t.Errorf("the old query's lines stay under the new one, or its failure is not said:\n%s", s)
	}
}

// TestFirstReadCappedSaysSo: a range with more lines than one read takes
// shows its newest, and says there were more.
func TestFirstReadCappedSaysSo(t *testing.T) {
	var many []sources.LogLine
	for i := range Limit + 10 {
		many = append(many, line(t0.Add(-time.Duration(Limit+10-i)*time.Millisecond), "info", fmt.Sprint("line ", i)))
	}
	r := newRig(t, &fakeLogs{lines: many}, Jump{})
	r.run(r.m.Start())
	if s := r.screen(); !strings.Contains(s, fmt.Sprintf("%d lines, the newest of more", Limit)) || !strings.Contains(s, fmt.Sprint("line ", Limit+9)) {
		t.Errorf("a capped read does not say so, or lacks the newest line:\n%s", s)
	}
}
