package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
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
	return usageError(fmt.Errorf("nothing to check in environment %s: set alembic.dir (or ALEMBIC_DIR) and postgres.url, and/or schema_reference", env.Name))
}

// checkEnv runs the gate on env; the error is nothingToCheck's.
func checkEnv(ctx context.Context, env *sources.Environment, c checkFlags) (checkResult, error) {
	if env.Migrations.Source == nil && env.Drift.Source == nil && !c.Metrics {
		return checkResult{}, nothingToCheck(env)
	}
	res := checkResult{Environment: env.Name, Findings: []string{}}
	if env.Migrations.Source != nil {
		st, err := env.Migrations.Source.Poll(ctx)
		if err != nil {
			res.Findings = append(res.Findings, env.Scrubber.Error(err))
		} else {
			res.Migrations = &st
			res.Findings = findings(st)
			// The preflight judges the upgrade to the one head; several heads
			// are a finding of their own (findings).
			if len(st.Pending) > 0 && len(st.Heads) == 1 && c.preflight != nil {
				if v := c.preflight(ctx, env.Name, st.Current, st.Heads[0]); v != nil {
					res.Preflight = &checkPreflight{Summary: safetext.String(v.Summary()), Hazards: v.Hazards()}
					for _, l := range v.Lines() {
						// Other sessions' queries are in it: text, never terminal controls.
						res.Preflight.Lines = append(res.Preflight.Lines, checkPreflightLine{Severity: l.Severity.String(), Text: safetext.String(l.Text)})
					}
					if v.Hazards() > 0 {
						res.Findings = append(res.Findings, res.Preflight.Summary)
					}
				}
			}
		}
	}
	if env.Drift.Source != nil {
		d := env.Drift.Source.Compare(ctx, true)
		d.Error = env.Scrubber.String(d.Error)
		res.SchemaDrift = &d
		if d.Error != "" {
			res.Findings = append(res.Findings, "the schema could not be compared with "+d.Reference+": "+d.Error)
		}
		for _, x := range d.Differences {
			res.Findings = append(res.Findings, "schema: "+x.Detail)
		}
	}
	if c.Metrics {
		var timeout time.Duration
		if c.metricsTimeout != nil {
			timeout = c.metricsTimeout(env.Name)
		}
		res.Signals = readSignals(ctx, env, timeout)
		for _, s := range res.Signals {
			if s.Finding != "" {
				res.Findings = append(res.Findings, s.Finding)
			}
		}
	}
	res.OK = len(res.Findings) == 0
	return res, nil
}

// checkSignal is one golden signal against its critical threshold.
type checkSignal struct {
	Key      string   `json:"key"`
	Value    *float64 `json:"value"`
	Critical *float64 `json:"critical"`
	Status   string   `json:"status"`
	Finding  string   `json:"-"`
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

// readSignals reads the error rate and P95 once, as the snapshot reads
// them; a value at or over its critical threshold fails the gate, and so
// does a source that cannot be read (a gate that cannot see must not pass).
// No traffic (no value) passes. The signals are read side by side under
// one deadline, timeout (0: none): a hung server costs the gate one
// timeout, not one per signal. Direct mode's wait between its two samples
// is its own, not the server's, and is added.
func readSignals(ctx context.Context, env *sources.Environment, timeout time.Duration) []checkSignal {
	if timeout > 0 {
		if _, sampled := env.Metrics.Source.(sources.Sampler); sampled {
			timeout += sources.SampleGap
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	sources.Warm(ctx, env.Metrics.Source) // direct mode needs two samples for a rate
	var specs []sources.SignalSpec
	for _, spec := range env.Signals {
		if spec.Key == sources.ErrorRate || spec.Key == sources.P95Latency {
			specs = append(specs, spec)
		}
	}
	out := make([]checkSignal, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Go(func() { out[i] = readSignal(ctx, env, spec) })
	}
	wg.Wait()
	return out
}

// readSignal reads one signal against its critical threshold.
func readSignal(ctx context.Context, env *sources.Environment, spec sources.SignalSpec) checkSignal {
	m := snapshot.ReadMetric(ctx, env, spec, time.Time{})
	cs := checkSignal{Key: spec.Key, Critical: spec.Thresholds.Crit, Status: m.Status, Value: m.Value, unit: spec.Unit}
	switch {
	case m.Error != "":
		cs.Finding = spec.Title + ": cannot be read: " + m.Error
	case m.Status == string(sources.StatusCrit):
		v := math.Inf(1) // the one critical value the snapshot leaves out of JSON
		if m.Value != nil {
			v = *m.Value
		}
		cs.Finding = fmt.Sprintf("%s is %s, at or over its critical threshold %s", spec.Title,
			units.Format(v, spec.Unit), units.Format(*spec.Thresholds.Crit, spec.Unit))
	}
	return cs
}

// findings are the reasons the gate fails.
func findings(st sources.MigrationState) []string {
	var out []string
	switch st.Status {
	case sources.MigrationsUpToDate:
	case sources.MigrationsBehind:
		ids := make([]string, len(st.Pending))
		for i, r := range st.Pending {
			ids[i] = r.ID
		}
		out = append(out, fmt.Sprintf("the database is behind: %d revision(s) pending (%s); run `alembic upgrade head`", len(st.Pending), strings.Join(ids, ", ")))
	case sources.MigrationsUnknown:
		out = append(out, "the database's revision could not be read: "+st.DatabaseError)
	}
	for _, p := range st.Problems {
		if p.Severity == sources.SeverityCritical || p.Severity == sources.SeverityWarning {
			out = append(out, p.Severity+": "+p.Message)
		}
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
