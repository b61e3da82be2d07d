// Package prometheus reads golden signals and alerts over the Prometheus HTTP
// API, so that Prometheus, Thanos, Mimir and VictoriaMetrics all work: bearer
// token, basic auth, extra headers (X-Scope-OrgID) and TLS are supported, every
// request has a timeout, and an empty result is explained (see Diagnose).
package prometheus
