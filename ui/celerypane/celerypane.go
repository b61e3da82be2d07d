package celerypane

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Options configure the pane.
type Options struct {
	Source   sources.Celery
	Target   string
	Scrubber *redact.Scrubber
	// QueueThresholds colour waiting messages.
	QueueThresholds sources.Thresholds
	// Hint is the zoomed list's key line, written by the root.
	Hint string
}

// Model is the Celery pane.
type Model struct {
	pane.Polled[sources.CeleryState]
	th     sources.Thresholds
	hint   string
	zoomed bool
	cursor int
}

// New builds the pane.
func New(ctx *pane.Context, o Options) *Model {
	m := &Model{th: o.QueueThresholds, hint: o.Hint}
	m.Polled = pane.Polled[sources.CeleryState]{
		Ctx: ctx, Poll: poll.State[sources.CeleryState]{ID: ctx.ID("celery")}, Name: "Celery", Short: "celery",
		Configured: o.Source != nil, Problem: "no Celery broker: set celery.broker_url (or CELERY_BROKER_URL)", Target: o.Target, Scrubber: o.Scrubber,
		NewFetch: func() func(context.Context) (sources.CeleryState, error) {
			src, req := o.Source, sources.CeleryRequest{Running: m.zoomed}
			return func(ctx context.Context) (sources.CeleryState, error) { return src.Poll(ctx, req) }
		},
		Summary: m.summary,
	}
	return m
}

// Answer is the pane's finding in one line: workers online and waiting
// messages; "" until it has read the broker.
func (m *Model) Answer() string {
	if !m.Poll.HasLast {
		return ""
	}
	s := m.Poll.Last
	online := 0
	for _, w := range s.Workers {
		if w.Online {
			online++
		}
	}
	var waiting int64
	for _, q := range s.Queues {
		waiting += q.Waiting
	}
	return fmt.Sprintf("%d of %d workers online, %s tasks waiting, %d failed recently", online, len(s.Workers), units.Count(waiting), len(s.Failures))
}

// State is the last good state.
func (m *Model) State() (sources.CeleryState, bool) { return m.Poll.Last, m.Poll.HasLast }

// SetZoomed switches the list on; it needs a fetch that asks the workers
// what they run.
func (m *Model) SetZoomed(z bool) tea.Cmd {
	if z == m.zoomed {
		return nil
	}
	m.zoomed = z
	m.Changed()
	if z && m.Configured && m.Poll.RefreshNow() {
		return m.Fetch()
	}
	return nil
}

// Move moves the list's cursor.
func (m *Model) Move(delta int) {
	m.cursor = max(m.cursor+delta, 0)
	m.Changed()
}

// rowKind is what a line of the zoomed list is.
type rowKind int

const (
	rowQueue rowKind = iota
	rowRunning
	rowFailure
)

// item is one selectable line of the zoomed list.
type item struct {
	kind    rowKind
	queue   sources.CeleryQueue
	running sources.CeleryRunning
	failure sources.CeleryFailure
}

// items are the zoomed list's lines: queues, running tasks, failures.
func items(s sources.CeleryState) []item {
	var out []item
	for _, q := range s.Queues {
		out = append(out, item{kind: rowQueue, queue: q})
	}
	for _, w := range s.Workers {
		for _, r := range w.Running {
			out = append(out, item{kind: rowRunning, running: r})
		}
	}
	for _, f := range s.Failures {
		out = append(out, item{kind: rowFailure, failure: f})
	}
	return out
}

// selected is the item under the cursor, when zoomed.
func (m *Model) selected() (item, bool) {
	if !m.zoomed || !m.Poll.HasLast {
		return item{}, false
	}
	its := items(m.Poll.Last)
	if m.cursor >= len(its) {
		return item{}, false
	}
	return its[m.cursor], true
}

// SelectedQueue is the queue under the cursor.
func (m *Model) SelectedQueue() (string, bool) {
	it, ok := m.selected()
	return it.queue.Name, ok && it.kind == rowQueue
}

// SelectedTask is the running task or the failure under the cursor: its id.
func (m *Model) SelectedTask() (id string, running bool, ok bool) {
	it, ok := m.selected()
	switch {
	case !ok:
		return "", false, false
	case it.kind == rowRunning:
		return it.running.ID, true, true
	case it.kind == rowFailure:
		return it.failure.ID, false, true
	}
	return "", false, false
}

func (m *Model) summary(st *theme.Styles, s sources.CeleryState, w, h int, stale bool) []string {
	if !m.zoomed {
		return summaryLines(st, s, m.th, w, h, stale, m.Ctx.Now())
	}
	lines := summaryLines(st, s, m.th, w, max(h/3, 5), stale, m.Ctx.Now())
	return append(lines, m.list(st, s, w, h-len(lines))...)
}

// summaryLines are the pane's findings in at most h lines, most urgent
// first (a short pane keeps the top ones), each line with its figure before
// its label (a cut line keeps its number).
func summaryLines(st *theme.Styles, s sources.CeleryState, th sources.Thresholds, w, h int, stale bool, now time.Time) []string {
	ls := frame.NewLines(st, w, stale)
	narrow := w < 70
	headLine(ls, st, s)
	goneLine(ls, st, s.Workers, narrow, now)
	for _, p := range s.Problems {
		ls.Add(frame.Warning, st.Warn, "⚠ "+p)
	}
	workerLines(ls, st, s.Workers, narrow)
	queueLine(ls, st, s.Queues, th, narrow)
	failureLine(ls, st, s, now)
	if narrow {
		narrowTaskLines(ls, st, s, now)
	} else {
		taskTable(ls, st, s, now)
	}
	return ls.Top(h)
}

// headLine is the workers online of those known and the tasks they run;
// a worker gone (or none at all) is critical.
func headLine(ls *frame.Lines, st *theme.Styles, s sources.CeleryState) {
	online, active := 0, 0
	for _, wk := range s.Workers {
		if wk.Online {
			online++
			active += wk.Active
		}
	}
	head := fmt.Sprintf("%d/%d workers · %d active", online, len(s.Workers), active)
	ev := "events on"
	if s.Events.Since.IsZero() {
		ev = "events down"
	}
	level, p := frame.Ordinary, st.OK
	if online < len(s.Workers) || len(s.Workers) == 0 {
		level, p, head = frame.Critical, st.Crit, "✖ "+head
	}
	ls.Raw(level, frame.Spread(ls.Paint(p).Render(head), ls.Paint(st.Muted).Render(ev), ls.Width()))
}

// hostname is a worker's name; w1@host is w1 where room is short.
func hostname(wk sources.CeleryWorker, narrow bool) string {
	if narrow {
		host, _, _ := strings.Cut(wk.Hostname, "@")
		return host
	}
	return wk.Hostname
}

// goneLine is the workers gone, in one line under the head that counts
// them: the head shows first where room is short.
func goneLine(ls *frame.Lines, st *theme.Styles, workers []sources.CeleryWorker, narrow bool, now time.Time) {
	var gone []string
	for _, wk := range workers {
		if !wk.Online {
			gone = append(gone, fmt.Sprintf("%s last seen %s ago", hostname(wk, narrow), units.Span(now.Sub(wk.LastSeen))))
		}
	}
	if len(gone) == 0 {
		return
	}
	noun := "worker"
	if len(gone) > 1 {
		noun = "workers"
	}
	ls.More(st.Crit, fmt.Sprintf("✖ %d gone %s · %s", len(gone), noun, strings.Join(gone, ", ")))
}

// workerLines are the workers online, the tasks each runs first; a worker
// whose tasks failed is a warning.
func workerLines(ls *frame.Lines, st *theme.Styles, workers []sources.CeleryWorker, narrow bool) {
	for _, wk := range workers {
		if !wk.Online {
			continue
		}
		host := hostname(wk, narrow)
		pool := wk.Pool
		if wk.Concurrency > 0 {
			pool += fmt.Sprintf("×%d", wk.Concurrency)
		}
		line := fmt.Sprintf("%d active · %s done · %s %s", wk.Active, units.Count(wk.Processed), host, strings.TrimSpace(pool))
		if len(wk.Load) > 0 && !narrow {
			line += " · load " + strconv.FormatFloat(wk.Load[0], 'f', 2, 64)
		}
		if wk.Failed > 0 {
			ls.Add(frame.Warning, st.Warn, fmt.Sprintf("⚠ %d failed · %s", wk.Failed, line))
			continue
		}
		ls.Add(frame.Ordinary, st.Text, "● "+line)
	}
}

// queueLine is the messages waiting in each queue, the longest queue first,
// judged by the configured thresholds.
func queueLine(ls *frame.Lines, st *theme.Styles, queues []sources.CeleryQueue, th sources.Thresholds, narrow bool) {
	if len(queues) == 0 {
		return
	}
	qs := slices.Clone(queues)
	slices.SortStableFunc(qs, func(a, b sources.CeleryQueue) int { return cmp.Compare(b.Waiting, a.Waiting) })
	parts := make([]string, len(qs))
	for i, q := range qs {
		name := q.Name
		if narrow {
			name = strings.TrimSuffix(name, "_priority")
		}
		t := units.Count(q.Waiting) + " " + name
		if i == 0 {
			t = units.Count(q.Waiting) + " waiting " + name
		}
		if q.Growth != nil && *q.Growth != 0 && q.GrowthOver >= time.Second {
			t += fmt.Sprintf(" (%+d)", *q.Growth)
		}
		if q.Unacked > 0 {
			t += fmt.Sprintf(" (%d unacked)", q.Unacked)
		}
		parts[i] = t
	}
	// The longest queue is the worst: the thresholds are one for all.
	status := th.Classify(float64(qs[0].Waiting))
	text := strings.Join(parts, " · ")
	if status == sources.StatusWarn || status == sources.StatusCrit {
		text = "⚠ " + text
	}
	ls.Add(frame.LevelOf(status), st.Status(status, st.Text), text)
}

// failureLine is how many tasks failed in the window and the last failure.
func failureLine(ls *frame.Lines, st *theme.Styles, s sources.CeleryState, now time.Time) {
	if len(s.Failures) == 0 {
		return
	}
	// The window's count from the events; the failures kept are the last
	// fifty of them (and the tasks lost with a worker).
	var n int64
	for _, t := range s.Tasks {
		n += t.Failed
	}
	n = max(n, int64(len(s.Failures)))
	f := s.Failures[0]
	ls.Add(frame.Critical, st.Crit, fmt.Sprintf("✖ %d failed %s · last %s: %s", n, window(s, now), short(f.Name), frame.OneLine(f.Exception)))
}

// narrowTaskLines are the tasks' rates, one task a line, the rate first.
func narrowTaskLines(ls *frame.Lines, st *theme.Styles, s sources.CeleryState, now time.Time) {
	if len(s.Tasks) == 0 {
		return
	}
	ls.Add(frame.Ordinary, st.Muted, "tasks "+window(s, now))
	for _, t := range s.Tasks {
		p, text := st.Text, fmt.Sprintf("%s/s %s", units.FormatShort(t.ReceivedPerSec, units.None), short(t.Name))
		if t.Failed > 0 {
			p, text = st.Warn, text+fmt.Sprintf(" · %d failed", t.Failed)
		}
		if t.P95 != nil {
			text += " · p95 " + units.Format(*t.P95, units.Seconds)
		}
		ls.More(p, text)
	}
}

// taskTable is the tasks' rates over the window in columns, where the pane
// is wide.
func taskTable(ls *frame.Lines, st *theme.Styles, s sources.CeleryState, now time.Time) {
	if len(s.Tasks) == 0 {
		return
	}
	ls.Add(frame.Ordinary, st.Muted, fmt.Sprintf("%-26s %7s %7s %7s %7s %7s %8s %8s", "tasks "+window(s, now), "recv/s", "start/s", "ok/s", "fail/s", "retry/s", "p50", "p95"))
	per := func(n int64) string { return units.FormatShort(float64(n)/max(s.Window.Seconds(), 1), units.None) }
	for _, t := range s.Tasks {
		p := st.Text
		if t.Failed > 0 {
			p = st.Warn
		}
		p50, p95 := "–", "–"
		if t.P50 != nil && t.P95 != nil {
			p50, p95 = units.Format(*t.P50, units.Seconds), units.Format(*t.P95, units.Seconds)
		}
		ls.More(p, fmt.Sprintf("%-26s %7s %7s %7s %7s %7s %8s %8s", frame.Fit(short(t.Name), 26), per(t.Received), per(t.Started),
			per(t.Succeeded), per(t.Failed), per(t.Retried), p50, p95))
	}
}

// window says what the task figures cover: the window, or since when
// opsdeck has listened when that is shorter.
func window(s sources.CeleryState, now time.Time) string {
	if since := s.Events.Since; !since.IsZero() && now.Sub(since) < s.Window+time.Second {
		return "since " + since.Local().Format("15:04:05")
	}
	return "over " + units.Span(s.Window)
}

// short drops the module path of a task name (app.tasks.summarize is
// summarize) where the pane is narrow.
func short(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && i < len(name)-1 {
		return name[i+1:]
	}
	return name
}

// list is the zoomed list: queues, running tasks and failures, with the
// cursor, in h lines; the last is the key hint.
func (m *Model) list(st *theme.Styles, s sources.CeleryState, w, h int) []string {
	if h < 3 {
		return nil
	}
	its := items(s)
	m.cursor = min(m.cursor, max(len(its)-1, 0))
	out := []string{st.Faint.Render(strings.Repeat("─", w))}
	n := h - len(out) - 1
	start := 0
	if m.cursor >= n && n > 0 {
		start = m.cursor - n + 1
	}
	for i := start; i < len(its) && len(out) < h-1; i++ {
		it := its[i]
		var text string
		p := st.Text
		switch it.kind {
		case rowQueue:
			unacked := "unacked ?"
			if it.queue.Unacked >= 0 {
				unacked = fmt.Sprintf("%d unacked", it.queue.Unacked)
			}
			text = fmt.Sprintf("queue %-16s %8s waiting · %s", it.queue.Name, units.Count(it.queue.Waiting), unacked)
		case rowRunning:
			r := it.running
			age := ""
			if !r.Started.IsZero() {
				age = " for " + units.Span(m.Ctx.Now().Sub(r.Started))
			}
			text = fmt.Sprintf("running %s %s on %s%s %s", r.ID, r.Name, r.Worker, age, frame.OneLine(r.Args))
		case rowFailure:
			f := it.failure
			p = st.Crit
			what := "failed"
			if f.Lost {
				what = "lost"
			}
			text = fmt.Sprintf("%s %s %s: %s", what, f.At.Format("15:04:05"), f.Name, frame.OneLine(f.Exception))
			if f.Args != "" {
				text += " · args " + f.Args
			}
			if f.Kwargs != "" && f.Kwargs != "{}" {
				text += " kwargs " + f.Kwargs
			}
			text += " · on " + f.Worker + " · id " + f.ID
		}
		if i == m.cursor {
			p = st.Selected
		}
		out = append(out, p.Render(frame.Fit(text, w)))
	}
	if len(its) == 0 {
		out = append(out, st.Muted.Render(frame.Fit("no queue, running task or failure to act on", w)))
	}
	for len(out) < h-1 {
		out = append(out, "")
	}
	return append(out, st.Muted.Render(frame.Fit(m.hint, w)))
}
