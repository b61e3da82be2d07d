package snapshot

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// Source is one kind of source an environment may have, declared once: how a
// snapshot reads it (once per poll) into its section of the document, and
// the section as every reader shows it. The snapshot's JSON, text and
// Markdown, the overview's cells and `check` all read Sources(); a source
// missing from one of them fails TestEverySourceReachesEveryReader.
type Source struct {
	// Name is the source's name in every reader, and its pane's.
	Name string
	// Key is its section's key in the snapshot's JSON.
	Key string
	// Gate says when `check` reads the source and fails on its findings.
	Gate Gate
	// configured reports whether env has the source.
	configured func(env *sources.Environment) bool
	// read fills the source's section of d from env.
	read func(ctx context.Context, r *reading)
	// section is the source's section of d.
	section func(d *Document) Section
}

// isSet reports whether an environment's source was opened.
func isSet[T comparable](o sources.Opened[T]) bool {
	var none T
	return o.Source != none
}

// Configured reports whether env has the source.
func (s Source) Configured(env *sources.Environment) bool { return s.configured(env) }

// Section is s's part of d.
func (s Source) Section(d *Document) Section { return s.section(d) }

// Sources are every kind of source, in the order the readers show them.
func Sources() []Source {
	return []Source{metricsSource(), sloSource(), alertsSource(), changesSource(), tracesSource(), postgresSource(), redisSource(),
		celerySource(), logsSource(), migrationsSource(), driftSource()}
}

// Gate says when `check` judges a source.
type Gate int

const (
	// GateNever: the source is news, not a fault (changes, traces).
	GateNever Gate = iota
	// GateAlways: check judges it whenever it is configured.
	GateAlways
	// GateLive: live health, judged with `check --metrics` only: a
	// deploy is not stopped by traffic unless asked.
	GateLive
)

// Section is one source's part of a snapshot, as each reader shows it.
type Section interface {
	// Down says why the source could not be read ("" when it was, or when
	// it is not configured).
	Down() string
	// Text writes the section of `opsdeck snapshot --format text`.
	Text(b *strings.Builder)
	// Markdown writes the section of the incident report.
	Markdown(b *strings.Builder)
	// Cells are the section on the overview's row: short, the worst first.
	Cells() []Cell
	// Findings are what `check` judges wrong, each in words.
	Findings() []Finding
}

// Cell is one figure on the overview: its text and how it is coloured ("":
// muted, the source is not configured).
type Cell struct {
	Text   string
	Status sources.Status
}

// Finding is one thing a check finds wrong.
type Finding struct {
	Level sources.Status
	Text  string
}

// Depth is how much a read takes.
type Depth int

const (
	// Full reads everything a report holds.
	Full Depth = iota
	// Glance reads what the overview shows: the signals over a window with
	// their points, the sources' state, no changes, traces or silences, and
	// the schema comparison of the last minutes.
	Glance
)

// Options say what a snapshot reads.
type Options struct {
	Depth Depth
	// Only names the sources to read (none: every source).
	Only []string
	// Window is the span of changes, traces and sparklines (0: the
	// environment's chart window, or ChangesWindow).
	Window time.Duration
}

// reading is one snapshot being read: what every source's read needs.
type reading struct {
	env    *sources.Environment
	doc    *Document
	now    time.Time
	window time.Duration
	depth  Depth
	lock   func() func() // guards doc fields two reads share
}

// Configured returns the names of env's configured sources.
func Configured(env *sources.Environment) []string {
	var out []string
	for _, s := range Sources() {
		if s.Configured(env) {
			out = append(out, s.Name)
		}
	}
	return out
}

// notConfigured is a section's words for a source the environment lacks:
// its problem, which says how to configure it.
func notConfigured(problem string) string { return cmp.Or(problem, "not configured") }

// worst is the worse of two statuses.
func worst(a, b sources.Status) sources.Status {
	if Rank(b) > Rank(a) {
		return b
	}
	return a
}

// Rank orders statuses from none through ok and warn (or error) to crit.
func Rank(s sources.Status) int {
	switch s {
	case sources.StatusCrit:
		return 3
	case sources.StatusWarn, sources.StatusError:
		return 2
	case sources.StatusOK:
		return 1
	}
	return 0
}

// SourceNamed is the source of that name.
func SourceNamed(name string) (Source, bool) {
	for _, s := range Sources() {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}
