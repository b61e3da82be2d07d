package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/internal/grafana"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
)

// lintDashboard runs every Prometheus query of a Grafana dashboard against the
// environment and explains each one that returns no series: the missing
// metric or label and the closest one that exists. Exit 1 when any does.
func lintDashboard(a *app, path string) error {
	cfg, err := a.load()
	if err != nil {
		return err
	}
	name, err := a.envName(cfg)
	if err != nil {
		return err
	}
	d, err := wire.LoadDashboard(path, cfg, cfg.Environments[name])
	if err != nil {
		return usageError(err)
	}
	env, ctx, done, err := a.openEnvOf(cfg)
	if err != nil {
		return err
	}
	defer done()
	if _, direct := env.Metrics.Source.(sources.Sampler); env.Metrics.Source == nil || direct {
		return usageError(fmt.Errorf("dashboard lint asks Prometheus, and environment %s has none: set prometheus.url (or PROMETHEUS_URL)", env.Name))
	}
	title := d.Title
	if title == "" {
		title = path
	}
	fmt.Fprintf(a.stdout, "%s: %d Prometheus queries against %s (%s)\n", title, len(d.Queries), env.Name, env.Metrics.Target)
	failed := 0
	specs := wire.DashboardSignals(d)
	for i, q := range d.Queries {
		finding := lintQuery(ctx, env, specs[i], q)
		if finding == "" {
			fmt.Fprintf(a.stdout, "  ✔ %s\n", q.Title)
			continue
		}
		failed++
		fmt.Fprintf(a.stdout, "  ✘ %s: %s\n      %s\n", q.Title, finding, strings.Join(strings.Fields(q.Raw), " "))
	}
	for _, s := range d.Skipped {
		fmt.Fprintf(a.stdout, "  - skipped %s\n", s)
	}
	if failed > 0 {
		fmt.Fprintf(a.stdout, "%d of %d queries return no series.\n", failed, len(d.Queries))
		return found()
	}
	fmt.Fprintf(a.stdout, "every query returns series.\n")
	return nil
}

// lintQuery is "" when the query returns series, else why it does not.
func lintQuery(ctx context.Context, env *sources.Environment, spec sources.SignalSpec, q grafana.Query) string {
	if len(q.Unresolved) > 0 {
		return "uses dashboard variables with no current value: " + strings.Join(q.Unresolved, ", ")
	}
	r, err := env.Metrics.Source.Read(ctx, spec, sources.Window{})
	switch {
	case err != nil:
		return "the query fails: " + env.Scrubber.Error(err)
	case r.Series == 0 && r.Diagnosis != "":
		return "no series: " + env.Scrubber.String(r.Diagnosis)
	case r.Series == 0:
		return "no series"
	}
	return ""
}
