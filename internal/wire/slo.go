package wire

import (
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/prometheus"
	"github.com/opsdeck/opsdeck/sources/slo"
)

const noSLOs = "no SLOs: they are read from the sloth or pyrra recording rules of the Prometheus at prometheus.url, or declared under slos: (which need prometheus.url too)"

// slos opens the objectives: those in the rules of the environment's
// Prometheus (m's) and those the configuration declares, all read
// through it. Direct /metrics mode has no PromQL to read them with.
func (o *opener) slos(m sources.Opened[sources.Metrics]) sources.Opened[sources.SLOs] {
	client, ok := m.Source.(*prometheus.Client)
	if !ok {
		return sources.Opened[sources.SLOs]{Problem: noSLOs}
	}
	p := o.e.Prometheus
	out := sources.Opened[sources.SLOs]{Target: redact.URL(p.URL)}
	rules, err := httpapi.NewAPI(httpapi.APIOptions{Name: "prometheus", URL: p.URL, Timeout: p.Timeout.D(), Auth: httpAuth(p.HTTPAuth),
		UserAgent: o.agent, MaxBody: int64(p.MaxResponseBytes.Value), Scrubber: o.scrubber})
	if err != nil {
		out.Problem = o.failed(err)
		return out
	}
	o.closers = append(o.closers, rules.Close)
	var declared []slo.Declared
	for _, s := range o.e.SLOs {
		declared = append(declared, slo.Declared{Name: s.Name, Objective: s.ObjectivePercent(), Window: s.WindowDuration(),
			Errors: s.Errors, Total: s.Total, Latency: s.Latency, Threshold: s.ThresholdValue()})
	}
	out.Source = slo.New(slo.Options{Prometheus: client, Rules: rules, Declared: declared})
	return out
}
