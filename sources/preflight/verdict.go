package preflight

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// Judged is one statement with everything known about it.
type Judged struct {
	Statement
	Effect
	// Observed is the rehearsal's; nil when there was none.
	Observed *Observed
	// Waits are the live locks this statement's locks would queue behind.
	Waits []sources.TableLock
	// Severity is the worst of the rules, the rehearsal and the live check.
	Severity Severity
}

// Traffic is a table's recent use: what would queue behind a lock on it.
type Traffic struct {
	Table         string
	Scans, Writes float64 // per second
}

// Verdict is the preflight of a pending migration.
type Verdict struct {
	Statements []Judged
	// RenderErr says why the SQL could not be rendered ("" when it was).
	RenderErr string
	// Rehearsal says where the SQL was rehearsed, or why it was not.
	Rehearsal string
	Rehearsed bool
	// RehearsalGaps say what a rehearsal that ran did not cover: schema it
	// could not restore, the time limit reached at a statement…
	RehearsalGaps []string
	// rehearsalFailed: Rehearsal says why a rehearsal that was tried did
	// not run.
	rehearsalFailed bool
	LiveErr         string
	Old             []sources.DBSession // transactions open longer than the lock timeout
	Traffic         []Traffic
	LockTimeout     time.Duration
	Elapsed         time.Duration
}

// Inputs are how Judge reaches the world; wire builds them for an
// environment, tests for a real server.
type Inputs struct {
	// Render is the pending migration's SQL (alembic upgrade --sql).
	Render func(ctx context.Context) (string, error)
	// Activity reads the live tables (nil tables: counters of all of them).
	Activity func(ctx context.Context, tables []string, olderThan time.Duration) (sources.TableActivity, error)
	// Rehearse, when the environment allows it, runs the statements in a
	// scratch database; where names it. Nil when not allowed (NoRehearsal
	// says why).
	Rehearse    func(ctx context.Context, stmts []Statement) ([]Observed, error)
	Where       string
	NoRehearsal string
	// LockTimeout is the migration's; transactions older than it are named.
	LockTimeout time.Duration
	// TrafficWindow is the least time between the two counter reads (1s).
	TrafficWindow time.Duration
}

// Judge renders the migration, judges each statement, rehearses it where
// allowed and checks the live database; the first counter read runs while
// Alembic renders, so the traffic costs no extra wait.
func Judge(ctx context.Context, in Inputs) Verdict {
	start := time.Now()
	v := Verdict{LockTimeout: in.LockTimeout}
	window := cmp.Or(in.TrafficWindow, time.Second)
	var (
		first    sources.TableActivity
		firstErr error
		wg       sync.WaitGroup
	)
	if in.Activity != nil {
		wg.Go(func() { first, firstErr = in.Activity(ctx, nil, in.LockTimeout) })
	}
	sql, err := in.Render(ctx)
	if err != nil {
		v.RenderErr = err.Error()
	}
	wg.Wait()
	major := first.Major // 0 when unknown: the rules of current versions
	for _, s := range Split(sql) {
		j := Judged{Statement: s}
		if !s.Bookkeeping {
			j.Effect = Analyze(s.SQL, major)
		}
		v.Statements = append(v.Statements, j)
	}
	v.newTables()
	tables := v.touched()
	if in.Rehearse != nil && v.RenderErr == "" && len(tables) == 0 {
		v.Rehearsal = "not rehearsed: the migration touches no table that exists now"
	} else if in.Rehearse != nil && v.RenderErr == "" {
		stmts := make([]Statement, len(v.Statements))
		for i, j := range v.Statements {
			stmts[i] = j.Statement
		}
		v.rehearsed(in.Rehearse(ctx, stmts))
		if v.Rehearsed {
			v.Rehearsal = "rehearsed in " + in.Where
		}
	} else if in.Rehearse == nil {
		v.Rehearsal = in.NoRehearsal
	}
	if in.Activity != nil && len(tables) > 0 {
		if firstErr != nil {
			v.LiveErr = firstErr.Error()
		} else {
			if wait := window - time.Since(first.At); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
				}
			}
			now, err := in.Activity(ctx, tables, in.LockTimeout)
			if err != nil {
				v.LiveErr = err.Error()
			} else {
				v.live(first, now)
			}
		}
	}
	for i := range v.Statements {
		v.Statements[i].judge()
	}
	v.Elapsed = time.Since(start)
	return v
}

// rehearsed takes what the rehearsal returned: an observation per
// statement, with the gaps of a rehearsal that ran in part; or why it did
// not run.
func (v *Verdict) rehearsed(obs []Observed, err error) {
	var gaps *Gaps
	switch {
	case len(obs) == len(v.Statements) && (err == nil || errors.As(err, &gaps)):
		v.Rehearsed = true
		if gaps != nil {
			v.RehearsalGaps = gaps.Notes
		}
		for i := range v.Statements {
			v.Statements[i].Observed = &obs[i]
		}
	case err != nil:
		v.Rehearsal, v.rehearsalFailed = "not rehearsed: "+err.Error(), true
	default:
		v.Rehearsal, v.rehearsalFailed = fmt.Sprintf("not rehearsed: the rehearsal observed %d statement(s) of %d", len(obs), len(v.Statements)), true
	}
}

// newTables lowers to notes what statements do to tables the migration
// itself created before them: those are empty and no one uses them yet.
func (v *Verdict) newTables() {
	created := map[string]bool{}
	for i := range v.Statements {
		j := &v.Statements[i]
		if len(j.Locks) > 0 && !slices.ContainsFunc(j.Locks, func(l Lock) bool { return !created[bare(l.Table)] }) {
			for k := range j.Findings {
				j.Findings[k].Severity = Note
				j.Findings[k].Text += " (a table this migration creates: empty, harmless)"
			}
		}
		for _, c := range j.Creates {
			created[bare(c)] = true
		}
	}
}

// touched are the tables the statements lock that existed before: the
// ones live traffic uses.
func (v *Verdict) touched() []string {
	created := map[string]bool{}
	var out []string
	for _, j := range v.Statements {
		for _, c := range j.Creates {
			created[bare(c)] = true
		}
		for _, l := range j.Locks {
			if t := l.Table; !created[bare(t)] && !strings.HasPrefix(t, "index ") && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// bare drops the default schema from a table name: "public.users" and
// "users" are one table to a migration on the default search path.
func bare(t string) string { return strings.TrimPrefix(t, "public.") }

// live attaches the live locks each statement would wait behind, the old
// transactions and the traffic between the two reads.
func (v *Verdict) live(first, now sources.TableActivity) {
	v.Old = now.Old
	secs := now.At.Sub(first.At).Seconds()
	for _, t := range v.touched() {
		c, ok := now.Counters[t]
		p, okp := first.Counters[t]
		if !okp {
			p, okp = first.Counters["public."+bare(t)]
		}
		if !ok || !okp || secs <= 0 {
			continue
		}
		v.Traffic = append(v.Traffic, Traffic{Table: t, Scans: float64(c.Scans-p.Scans) / secs, Writes: float64(c.Writes-p.Writes) / secs})
	}
	for i := range v.Statements {
		j := &v.Statements[i]
		for _, want := range j.locks() {
			for _, l := range now.Locks {
				if bare(l.Table) == bare(want.Table) && Conflicts(want.Mode, ParseMode(l.Mode)) &&
					!slices.ContainsFunc(j.Waits, func(x sources.TableLock) bool { return x.Session.PID == l.Session.PID && x.Table == l.Table }) {
					j.Waits = append(j.Waits, l)
				}
			}
		}
	}
}

// locks are the statement's locks: the rehearsal's when it saw any, the
// rules' otherwise; on tables that existed before.
func (j *Judged) locks() []Lock {
	ls := j.Effect.Locks
	if o := j.Observed; o != nil && o.Skipped == "" && o.Err == "" && len(o.Locks) > 0 {
		ls = o.Locks
	}
	return ls
}

// judge settles the statement's severity: the rules', raised by what the
// rehearsal saw (a rewrite or a scan the rules did not expect) and by live
// sessions it would wait behind: a lock that waits holds up everyone queued
// after it.
func (j *Judged) judge() {
	j.Severity = j.Worst()
	if o := j.Observed; o != nil {
		for _, t := range o.Rewrite {
			if !slices.ContainsFunc(j.Rewrite, func(x string) bool { return bare(x) == bare(t) }) {
				j.find(Finding{Rule: "rehearsal-rewrite", Severity: Hazard, Text: "the rehearsal saw " + t + " rewritten (a new file): every row is copied under the lock"})
			}
		}
		if len(o.Rewrite) > 0 || len(o.Scan) > 0 && slices.ContainsFunc(o.Locks, func(l Lock) bool { return l.Mode >= Share }) {
			j.Severity = max(j.Severity, Hazard)
		}
		j.Severity = max(j.Severity, j.Worst())
	}
	if o := j.Observed; o != nil && o.Err != "" {
		j.Severity = max(j.Severity, Caution) // what it does was not observed
	}
	if len(j.Waits) > 0 {
		j.Severity = Hazard
	}
	if !j.Known && !j.Bookkeeping {
		j.Severity = max(j.Severity, Caution)
	}
}

// Hazards counts the statements judged hazardous.
func (v Verdict) Hazards() int {
	n := 0
	for _, j := range v.Statements {
		if j.Severity == Hazard {
			n++
		}
	}
	return n
}

// Worst is the verdict's worst severity; an unrendered migration is a
// caution (nothing is known of it).
func (v Verdict) Worst() Severity {
	w := Note
	if v.RenderErr != "" {
		w = Caution
	}
	for _, j := range v.Statements {
		w = max(w, j.Severity)
	}
	return w
}

// Summary is the verdict in one line.
func (v Verdict) Summary() string {
	var parts []string
	switch {
	case v.RenderErr != "":
		parts = append(parts, "preflight: the SQL could not be rendered: "+v.RenderErr)
	case v.Hazards() > 0:
		parts = append(parts, fmt.Sprintf("preflight: %d hazard(s) in %d statement(s)", v.Hazards(), v.judgedCount()))
	default:
		parts = append(parts, fmt.Sprintf("preflight: no hazard in %d statement(s)", v.judgedCount()))
	}
	switch {
	case v.rehearsalFailed:
		parts = append(parts, "not rehearsed (see why below)")
	case v.Rehearsed && v.rehearsalPartial():
		parts = append(parts, v.Rehearsal+", in part (see below)")
	case v.Rehearsal != "":
		parts = append(parts, v.Rehearsal)
	}
	if v.LiveErr != "" {
		parts = append(parts, "live check failed: "+v.LiveErr)
	}
	return strings.Join(parts, " · ")
}

func (v Verdict) judgedCount() int {
	n := 0
	for _, j := range v.Statements {
		if !j.Bookkeeping {
			n++
		}
	}
	return n
}

// Lines are the verdict as the confirmation and `opsdeck check` show it:
// the summary, then each statement that matters with its revision, lock,
// findings, the rehearsal's observations and whom it would wait behind,
// then old transactions and the traffic that would queue.
func (v Verdict) Lines() []Line {
	out := []Line{{Severity: v.Worst(), Text: v.Summary()}}
	out = append(out, v.rehearsalLines()...)
	said := map[string]bool{} // sessions waited behind, already named in full
	for _, j := range v.Statements {
		if j.Bookkeeping {
			continue
		}
		head := oneLine(j.SQL, 90)
		if j.Revision != "" {
			head = j.Revision + ": " + head
		}
		var locks []string
		for _, l := range j.locks() {
			locks = append(locks, l.Mode.String()+" on "+l.Table)
		}
		if len(locks) > 0 {
			head += " → " + strings.Join(locks, ", ")
		}
		out = append(out, Line{Severity: j.Severity, Text: head})
		for _, f := range j.Findings {
			if f.Severity == Note && j.Severity != Note {
				continue
			}
			t := "  " + f.Severity.String() + ": " + f.Text
			if f.Safer != "" && f.Severity >= Caution {
				t += "; safer: " + f.Safer
			}
			out = append(out, Line{Severity: f.Severity, Text: t})
		}
		if !j.Known {
			out = append(out, Line{Severity: Caution, Text: "  caution: no rule knows this statement" + map[bool]string{true: "; see the rehearsal", false: ""}[j.Observed != nil]})
		}
		if o := j.Observed; o != nil {
			out = append(out, Line{Severity: Note, Text: "  rehearsal: " + o.describe()})
		}
		if key := waitKey(j.Waits); key != "" && said[key] {
			out = append(out, Line{Severity: Hazard, Text: "  would wait behind the same sessions as above (pid " + key + ")"})
			continue
		} else if key != "" {
			said[key] = true
		}
		for _, w := range j.Waits {
			s := w.Session
			state := "holds"
			if !w.Granted {
				state = "waits for"
			}
			out = append(out, Line{Severity: Hazard, Text: fmt.Sprintf("  would wait behind pid %d (%s, tx %s, %s) which %s %s on %s: %s; meanwhile every session that needs %s queues behind the migration",
				s.PID, strings.TrimSpace(s.Application+" "+s.User), age(s.XactAge), s.State, state, w.Mode, w.Table, oneLine(s.Query, 60), w.Table)})
		}
	}
	named := map[int]bool{}
	for _, j := range v.Statements {
		for _, w := range j.Waits {
			named[w.Session.PID] = true
		}
	}
	for _, s := range v.Old {
		if named[s.PID] {
			continue // already said, with the lock it holds
		}
		out = append(out, Line{Severity: Caution, Text: fmt.Sprintf("transaction open %s (longer than the %s lock timeout): pid %d %s: %s",
			age(s.XactAge), v.LockTimeout, s.PID, strings.TrimSpace(s.Application+" "+s.User), oneLine(s.Query, 60))})
	}
	for _, t := range v.Traffic {
		out = append(out, Line{Severity: Note, Text: fmt.Sprintf("traffic on %s: %s scans/s, %s writes/s would queue behind its lock",
			t.Table, units.FormatShort(t.Scans, units.None), units.FormatShort(t.Writes, units.None))})
	}
	return out
}

// rehearsalPartial reports a rehearsal that left something out beyond
// Alembic's own statements.
func (v Verdict) rehearsalPartial() bool {
	if len(v.RehearsalGaps) > 0 {
		return true
	}
	for _, j := range v.Statements {
		if o := j.Observed; o != nil && !j.Bookkeeping && (o.Skipped != "" || o.Err != "") {
			return true
		}
	}
	return false
}

// rehearsalLines say what the rehearsal covered and what it did not, and
// why: a failed rehearsal's reason; the statements run, failed, skipped
// (with the reason) and not reached; then each gap.
func (v Verdict) rehearsalLines() []Line {
	if v.rehearsalFailed {
		return []Line{{Severity: Caution, Text: "rehearsal: " + v.Rehearsal}}
	}
	if !v.Rehearsed {
		return nil
	}
	var ran, failed, own, judged int
	var skipped []string // a reason per statement, in order
	for _, j := range v.Statements {
		o := j.Observed
		switch {
		case j.Bookkeeping:
			own++
			continue
		case o.Skipped != "":
			skipped = append(skipped, o.Skipped)
		case o.Err != "":
			failed++
		default:
			ran++
		}
		judged++
	}
	parts := []string{fmt.Sprintf("%d of %d statement(s) ran", ran, judged)}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed (said below)", failed))
	}
	for _, why := range slices.Compact(slices.Sorted(slices.Values(skipped))) {
		n := len(slices.DeleteFunc(slices.Clone(skipped), func(s string) bool { return s != why }))
		if strings.HasPrefix(why, "not reached") {
			parts = append(parts, fmt.Sprintf("%d not reached", n))
		} else {
			parts = append(parts, fmt.Sprintf("%d not rehearsed: %s", n, why))
		}
	}
	if own > 0 {
		parts = append(parts, fmt.Sprintf("Alembic's own %d (its version table, the transaction) not rehearsed", own))
	}
	sev := Note
	if failed > 0 || len(skipped) > 0 || len(v.RehearsalGaps) > 0 {
		sev = Caution
	}
	out := []Line{{Severity: sev, Text: "rehearsal: " + strings.Join(parts, "; ")}}
	for _, g := range v.RehearsalGaps {
		out = append(out, Line{Severity: Caution, Text: "rehearsal: " + g})
	}
	return out
}

// Line is one line of the verdict with its severity (for its colour).
type Line struct {
	Severity Severity
	Text     string
}

func (o Observed) describe() string {
	switch {
	case o.Skipped != "":
		return "skipped (" + o.Skipped + ")"
	case o.Err != "":
		return "failed: " + o.Err
	}
	var parts []string
	for _, l := range o.Locks {
		parts = append(parts, l.Mode.String()+" on "+l.Table)
	}
	if len(parts) == 0 {
		parts = append(parts, "no new lock on an existing table")
	}
	if len(o.Rewrite) > 0 {
		parts = append(parts, "rewrote "+strings.Join(o.Rewrite, ", "))
	}
	if len(o.Scan) > 0 {
		parts = append(parts, "scanned "+strings.Join(o.Scan, ", "))
	}
	return strings.Join(parts, "; ")
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func age(s float64) string {
	if s <= 0 {
		return "0s"
	}
	return units.Span(units.FromSeconds(s))
}

// waitKey names the sessions a statement would wait behind, "" for none.
func waitKey(ws []sources.TableLock) string {
	var pids []string
	for _, w := range ws {
		if p := fmt.Sprint(w.Session.PID); !slices.Contains(pids, p) {
			pids = append(pids, p)
		}
	}
	return strings.Join(pids, ", ")
}
