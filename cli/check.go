package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/preflight"
)

// checkFlags are `opsdeck check`'s own flags.
type checkFlags struct {
	Format string
	// Metrics adds the golden-signal gate: error rate and P95 under critical.
	Metrics bool
	// All checks every environment.
	All bool
	// preflight judges the pending migration of the named environment
	// (nil when it cannot be judged).
	preflight func(ctx context.Context, env string, from []string, to string) *preflight.Verdict
	// metricsTimeout is the named environment's prometheus.timeout: the
	// whole of --metrics' read (0: none of its own).
	metricsTimeout func(env string) time.Duration
}

// checkResult is `opsdeck check --format json`.
type checkResult struct {
	Environment string                  `json:"environment"`
	OK          bool                    `json:"ok"`
	Findings    []string                `json:"findings"`
	Migrations  *sources.MigrationState `json:"migrations,omitempty"`
	// Signals are the error rate and P95 as read for --metrics.
	Signals     []checkSignal        `json:"signals,omitempty"`
	SchemaDrift *sources.SchemaDrift `json:"schema_drift,omitempty"`
	// Preflight is the pending migration's verdict, when one is pending.
	Preflight *checkPreflight `json:"preflight,omitempty"`
	// Celery is the Celery section as the snapshot writes it.
	Celery *snapshot.Celery `json:"celery,omitempty"`
	// Judged names the sources the gate read.
	Judged []string `json:"judged"`
	// others are the judged sources beyond migrations, drift and the
	// signals, as the overview's cells say them, for the text.
	others []string
}

// othersOf are the judged sources beyond migrations, drift and metrics in
// words: "celery: 120 celery, 2 worker(s)".
func othersOf(docs ...*snapshot.Document) []string {
	var out []string
	for _, d := range docs {
		if d == nil {
			continue
		}
		for _, name := range d.Read() {
			if name == "migrations" || name == "drift" || name == "metrics" {
				continue
			}
			s, _ := snapshot.SourceNamed(name)
			var cells []string
			for _, c := range s.Section(d).Cells() {
				cells = append(cells, c.Text)
			}
			out = append(out, name+": "+strings.Join(cells, ", "))
		}
	}
	return out
}

// checkPreflight is a preflight verdict in `opsdeck check`'s JSON.
type checkPreflight struct {
	Summary string               `json:"summary"`
	Hazards int                  `json:"hazards"`
	Lines   []checkPreflightLine `json:"lines"`
}

type checkPreflightLine struct {
	Severity string `json:"severity"`
	Text     string `json:"text"`
}

// runCheck is `opsdeck check`, the runbook's pre-deploy gate.
// Problems of severity critical or warning fail it (Alembic itself refuses a
// project with several heads or a file without a revision).
func runCheck(a *app, c checkFlags) error {
	cfg, err := a.load()
	if err != nil {
		return err
	}
	env, ctx, done, err := a.openEnvOf(cfg)
	if err != nil {
		return err
	}
	defer done()
	c.preflight, c.metricsTimeout = a.preflighter(cfg), metricsTimeouts(cfg)
	res, err := checkEnv(ctx, env, c)
	if err != nil {
		return err
	}
	if c.Format == "json" {
		out, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, string(out))
	} else {
		fmt.Fprint(a.stdout, res.text())
	}
	if !res.OK {
		return found()
	}
	return nil
}

// nothingToCheck says why env has no gate.
func nothingToCheck(env *sources.Environment) error {
	return usageError(fmt.Errorf("nothing to check in environment %s: set alembic.dir (or ALEMBIC_DIR) and postgres.url, schema_reference, redis.url or celery.broker_url, and/or use --metrics", env.Name))
}

// gated are the sources check judges in env: every configured source whose
// gate is always, and with --metrics the live ones (metrics and alerts).
func gated(env *sources.Environment, metrics bool) (always, live []string) {
	for _, s := range snapshot.Sources() {
		switch {
		case s.Gate == snapshot.GateAlways && s.Configured(env):
			always = append(always, s.Name)
		case s.Gate == snapshot.GateLive && metrics:
			live = append(live, s.Name)
		}
	}
	return always, live
}

// checkEnv runs the gate on env; the error is nothingToCheck's. Each source
// is read once, as the snapshot reads it, and judged by its own section.
func checkEnv(ctx context.Context, env *sources.Environment, c checkFlags) (checkResult, error) {
	always, live := gated(env, c.Metrics)
	if len(always)+len(live) == 0 {
		return checkResult{}, nothingToCheck(env)
	}
	res := checkResult{Environment: env.Name, Findings: []string{}, Judged: append(append([]string{}, always...), live...)}
	var doc, liveDoc *snapshot.Document
	var wg sync.WaitGroup
	if len(always) > 0 {
		wg.Go(func() { doc = snapshot.TakeWith(ctx, env, time.Now(), snapshot.Options{Only: always}) })
	}
	if len(live) > 0 {
		wg.Go(func() { liveDoc = readLive(ctx, env, live, c.metricsTimeout) })
	}
	wg.Wait()
	for _, d := range []*snapshot.Document{doc, liveDoc} {
		if d == nil {
			continue
		}
		for _, f := range d.Findings() {
			res.Findings = append(res.Findings, f.Text)
		}
	}
	if doc != nil {
		res.Migrations, res.Celery = doc.Migrations.MigrationState, celeryOf(doc)
		if slices.Contains(always, "drift") {
			sd := doc.SchemaDrift
			res.SchemaDrift = &sources.SchemaDrift{Reference: sd.Reference, Differences: sd.Differences, Error: sd.Error}
		}
		if st := res.Migrations; st != nil && len(st.Pending) > 0 && len(st.Heads) == 1 && c.preflight != nil {
			// The preflight judges the upgrade to the one head; several heads
			// are a finding of their own.
			res.Preflight = judgePreflight(ctx, env.Name, st, c.preflight)
			if res.Preflight != nil && res.Preflight.Hazards > 0 {
				res.Findings = append(res.Findings, res.Preflight.Summary)
			}
		}
	}
	if liveDoc != nil {
		res.Signals = signalsOf(liveDoc, env)
	}
	res.others = othersOf(doc, liveDoc)
	res.OK = len(res.Findings) == 0
	return res, nil
}

// celeryOf is the Celery section of doc for check's JSON (nil: not read).
func celeryOf(doc *snapshot.Document) *snapshot.Celery {
	if doc.Celery.CeleryState == nil && doc.Celery.Error == "" {
		return nil
	}
	c := doc.Celery
	return &c
}

// judgePreflight is the pending migration's verdict in check's form.
func judgePreflight(ctx context.Context, env string, st *sources.MigrationState, judge func(ctx context.Context, env string, from []string, to string) *preflight.Verdict) *checkPreflight {
	v := judge(ctx, env, st.Current, st.Heads[0])
	if v == nil {
		return nil
	}
	p := &checkPreflight{Summary: safetext.String(v.Summary()), Hazards: v.Hazards()}
	for _, l := range v.Lines() {
		// Other sessions' queries are in it: text, never terminal controls.
		p.Lines = append(p.Lines, checkPreflightLine{Severity: l.Severity.String(), Text: safetext.String(l.Text)})
	}
	return p
}

// checkSignal is one golden signal against its critical threshold.
type checkSignal struct {
	Key      string   `json:"key"`
	Value    *float64 `json:"value"`
	Critical *float64 `json:"critical"`
	Status   string   `json:"status"`
	unit     units.Unit
}

// metricsTimeouts is each environment's prometheus.timeout.
func metricsTimeouts(cfg *config.Config) func(env string) time.Duration {
	return func(name string) time.Duration {
		if e := cfg.Environments[name]; e != nil {
			return e.Prometheus.Timeout.D()
		}
		return 0
	}
}

// readLive reads the live sources under one deadline, the environment's
// prometheus.timeout (0: none): a hung server costs the gate one timeout,
// not one per signal. Direct mode's wait between its two samples is its
// own, not the server's, and is added.
func readLive(ctx context.Context, env *sources.Environment, live []string, timeouts func(string) time.Duration) *snapshot.Document {
	var timeout time.Duration
	if timeouts != nil {
		timeout = timeouts(env.Name)
	}
	if timeout > 0 {
		if _, sampled := env.Metrics.Source.(sources.Sampler); sampled {
			timeout += sources.SampleGap
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return snapshot.TakeWith(ctx, env, time.Time{}, snapshot.Options{Only: live})
}

// signalsOf are the gate's signals, the error rate and P95, as read.
func signalsOf(doc *snapshot.Document, env *sources.Environment) []checkSignal {
	var out []checkSignal
	for _, spec := range env.Signals {
		if spec.Key != sources.ErrorRate && spec.Key != sources.P95Latency {
			continue
		}
		m := doc.Metrics[spec.Key]
		out = append(out, checkSignal{Key: spec.Key, Critical: spec.Thresholds.Crit, Status: m.Status, Value: m.Value, unit: spec.Unit})
	}
	return out
}

func (r checkResult) text() string {
	var b strings.Builder
	if r.OK {
		var parts []string
		if r.Migrations != nil {
			parts = append(parts, "at the Alembic heads ("+strings.Join(r.Migrations.Heads, ", ")+")")
		}
		if r.SchemaDrift != nil {
			parts = append(parts, "schema equal to "+r.SchemaDrift.Reference)
		}
		for _, s := range r.Signals {
			v := "no traffic"
			if s.Value != nil {
				v = units.Format(*s.Value, s.unit)
			}
			if s.Critical != nil {
				v += ", critical at " + units.Format(*s.Critical, s.unit)
			}
			parts = append(parts, strings.ReplaceAll(s.Key, "_", " ")+" "+v)
		}
		parts = append(parts, r.others...)
		fmt.Fprintf(&b, "ok: %s: %s\n", r.Environment, strings.Join(parts, "; "))
	} else {
		fmt.Fprintf(&b, "drift in %s:\n", r.Environment)
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "  - %s\n", f)
		}
	}
	r.Preflight.text(&b, r.Findings)
	return b.String()
}

// text writes the verdict under the gate's text: its summary first (why it
// could not render, or how many hazards), unless the findings above say it
// already, then its other lines.
func (p *checkPreflight) text(b *strings.Builder, findings []string) {
	if p == nil {
		return
	}
	fmt.Fprintf(b, "  migration preflight:\n")
	lines := p.Lines
	if len(lines) > 0 && lines[0].Text == p.Summary {
		lines = lines[1:]
	}
	if !slices.Contains(findings, p.Summary) {
		fmt.Fprintf(b, "    %s\n", p.Summary)
	}
	for _, l := range lines {
		fmt.Fprintf(b, "    %s\n", l.Text)
	}
}

// preflighter judges an environment's pending migration as `m` would,
// its helpers guarded by the environment and in the audit log.
func (a *app) preflighter(cfg *config.Config) func(ctx context.Context, name string, from []string, to string) *preflight.Verdict {
	audit := &actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}
	who := actions.Who{User: osUser(), Host: hostname()}
	return func(ctx context.Context, name string, from []string, to string) *preflight.Verdict {
		judge, err := wire.Preflight(cfg, name)
		if err != nil || judge == nil {
			return nil
		}
		env, err := wire.GuardOver(cfg, name, config.ReachDatabase)
		if err != nil {
			return nil
		}
		v := judge(ctx, actions.StepsIn(env, a.cli.Readonly, audit, who), from, to)
		return &v
	}
}
