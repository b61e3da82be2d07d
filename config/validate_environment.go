package config

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/promql"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/ui/binding"
)

// environment checks one environment, one section of its configuration
// at a time.
func (v *validator) environment(name string, e *Environment) {
	base := "environments." + name
	if !envName.MatchString(name) {
		v.fail(base, "environment name %q: use letters, digits, '.', '_' and '-'", name)
	}
	v.prometheus(base, e)
	v.postgres(base, e.Postgres)
	v.confirm(base, e)
	v.commands(base, e.Actions.Commands)
	v.reset(base, e.Actions.Reset)
	v.schemaReference(base, e)
	v.deploys(base, e)
	v.migrate(base, e)
	v.celery(base, e.Celery)
	v.tracing(base, e.Tracing)
	v.alertmanager(base, e.Alertmanager)
	v.logs(base, e.Logs)
	v.redis(base, e.Redis)
	v.slos(base, e.SLOs)
}

// prometheus checks where the metrics come from (Prometheus, or the
// application's /metrics), how they are read, and the golden signals'
// queries and thresholds.
func (v *validator) prometheus(base string, e *Environment) {
	p, pb := e.Prometheus, base+".prometheus"
	if p.URL != "" {
		v.httpURL(pb+".url", p.URL)
	}
	if p.AlertsURL != "" {
		v.httpURL(pb+".alerts_url", p.AlertsURL)
	}
	if e.MetricsURL != "" {
		v.httpURL(base+".metrics_url", e.MetricsURL)
		if p.URL != "" {
			v.fail(base+".metrics_url", "set either prometheus.url or metrics_url (direct /metrics mode, for environments without a Prometheus), not both")
		}
	}
	selectorOK := true
	if strings.TrimSpace(p.Selector) != "" {
		if _, err := promql.ParseMatchers(p.Selector); err != nil {
			selectorOK = false
			v.fail(pb+".selector", "%q is not a label selector like job=\"fastapi-app\": %v", p.Selector, firstLine(err))
		}
	}
	if p.Timeout.D() <= 0 {
		v.fail(pb+".timeout", "must be positive")
	}
	if p.RateWindow.D() < time.Second {
		v.fail(pb+".rate_window", "%s is too short: rate() needs at least two samples (use 1m or more)", p.RateWindow.D())
	}
	v.httpAuth(pb, p.HTTPAuth)
	if q := p.MaxResponseBytes; q.Value != 0 && (!units.Accepts(units.Bytes, q.Kind) || q.Value < 64<<10 || q.Value > 1<<30) {
		v.fail(pb+".max_response_bytes", "write a size from 64KiB to 1GiB, like 8MiB")
	}
	v.queries(pb, p.Queries, selectorOK)
	v.signalThresholds(pb, p.Thresholds)
}

// queries checks the golden signals' PromQL. A query left at its default
// is built from the selector: when the selector is bad, that was reported.
func (v *validator) queries(pb string, qs Queries, selectorOK bool) {
	for key, q := range map[string]string{"rps": qs.RPS, "error_rate": qs.ErrorRate, "p95_latency": qs.P95Latency, "memory": qs.Memory} {
		if !v.pos.has(pb+".queries."+key) && !selectorOK {
			continue
		}
		// The shape only (brackets, strings, matchers); Prometheus has the last word.
		if err := promql.Check(q); err != nil {
			v.fail(pb+".queries."+key, "not valid PromQL: %v", err)
		}
	}
}

// signalThresholds checks each golden signal's warn/crit pair against the
// unit the signal is measured in.
func (v *validator) signalThresholds(pb string, ts Thresholds) {
	for key, th := range map[string]struct {
		t Threshold
		u units.Unit
	}{
		"rps": {ts.RPS, units.ReqPerSec}, "error_rate": {ts.ErrorRate, units.Ratio},
		"p95_latency": {ts.P95Latency, units.Seconds}, "memory": {ts.Memory, units.Bytes},
	} {
		tp := pb + ".thresholds." + key
		for level, q := range map[string]*Quantity{"warn": th.t.Warn, "crit": th.t.Crit} {
			if q != nil && !units.Accepts(th.u, q.Kind) {
				v.fail(tp+"."+level, "%s cannot be %s; %s is measured in %s", key, q.Kind, key, th.u)
			}
		}
		if th.t.Warn != nil && th.t.Crit != nil && th.t.Warn.Value > th.t.Crit.Value {
			v.fail(tp, "warn (%v) is above crit (%v)", th.t.Warn.Value, th.t.Crit.Value)
		}
	}
}

// postgres checks the database's URLs, timeouts and the pane's thresholds.
func (v *validator) postgres(base string, pg Postgres) {
	pb := base + ".postgres"
	if pg.URL != "" {
		v.postgresURL(pb+".url", pg.URL)
	}
	if pg.PgbouncerURL != "" {
		v.postgresURL(pb+".pgbouncer_url", pg.PgbouncerURL)
	}
	v.timeout(pb+".statement_timeout", pg.StatementTimeout)
	v.timeout(pb+".timeout", pg.Timeout)
	v.threshold(pb+".thresholds.connections", pg.Thresholds.Connections, units.Ratio)
	v.threshold(pb+".thresholds.transaction_age", pg.Thresholds.TransactionAge, units.Seconds)
	v.threshold(pb+".thresholds.query_age", pg.Thresholds.QueryAge, units.Seconds)
}

// timeout checks a timeout of a server's reads: from 10ms to 1m.
func (v *validator) timeout(path string, d Duration) {
	if d.D() < 10*time.Millisecond || d.D() > time.Minute {
		v.fail(path, "%s is out of range: use 10ms to 1m", d.D())
	}
}

// confirm checks confirm:, which only a disposable environment may turn off.
func (v *validator) confirm(base string, e *Environment) {
	switch e.Confirm {
	case "":
	case "none":
		if !e.Disposable {
			v.fail(base+".confirm", "confirm: none is only allowed with disposable: true (one keystroke must never wipe a real environment)")
		}
	default:
		v.fail(base+".confirm", "unknown value %q: the only setting is none (disposable environments)", e.Confirm)
	}
}

// commands checks the runbook commands: each named once, run one way, with
// no credential on its command line, on a key of its own.
func (v *validator) commands(base string, cmds []CustomCommand) {
	taken := binding.Taken(v.specs, v.cfg.Bindings)
	seenKeys := map[string]string{}
	seenNames := map[string]int{}
	for i, c := range cmds {
		cb := fmt.Sprintf("%s.actions.commands[%d]", base, i)
		v.commandName(cb, c.Name, i, seenNames)
		if (len(c.Argv) == 0) == (c.Shell == "") {
			v.fail(cb, "set exactly one of argv (run directly) or shell (run with /bin/sh -c)")
		}
		v.noCredential(cb, c)
		v.commandVars(cb, c)
		if c.Key != "" {
			v.commandKey(cb, c, taken, seenKeys)
		}
	}
}

// commandName checks the name of the i-th command: `opsdeck run` picks a
// command by it. seen maps the names so far to their commands' indexes.
func (v *validator) commandName(cb, name string, i int, seen map[string]int) {
	switch first, dup := seen[name]; {
	case strings.TrimSpace(name) == "":
		v.fail(cb+".name", "a command needs a name")
	case slices.Contains(BuiltinActions, name):
		v.fail(cb+".name", "%q is the name of a built-in action (%s): `opsdeck run %s` must mean the built-in; pick another name", name, strings.Join(BuiltinActions, ", "), name)
	case dup:
		v.fail(cb+".name", "%q is also the name of commands[%d]: `opsdeck run` picks a command by its name, so names must be unique", name, first)
	default:
		seen[name] = i
	}
}

// commandKey checks a command's key against the built-in keys (taken) and
// the keys of the commands before it (seen, key to command name).
func (v *validator) commandKey(cb string, c CustomCommand, taken, seen map[string]string) {
	switch {
	case len([]rune(c.Key)) != 1:
		v.fail(cb+".key", "%q: a key is one character", c.Key)
	case binding.Valid(c.Key) != nil:
		v.fail(cb+".key", "%v", binding.Valid(c.Key))
	case binding.Answer(c.Key):
		v.fail(cb+".key", "%q answers the y/N question: an action on it would confirm itself on a second press", c.Key)
	case taken[c.Key] != "":
		v.fail(cb+".key", "%q is taken by the built-in key %s (remap it under keys: or pick another)", c.Key, taken[c.Key])
	case seen[c.Key] != "":
		v.fail(cb+".key", "%q is also the key of %s", c.Key, seen[c.Key])
	default:
		seen[c.Key] = c.Name
	}
}

// reset checks the reset action's Redis databases and lock timeout.
func (v *validator) reset(base string, r Reset) {
	for i, db := range r.RedisDBs {
		if db < 0 || db > 15 {
			v.fail(fmt.Sprintf("%s.actions.reset.redis_dbs[%d]", base, i), "%d is not a Redis database number (0-15)", db)
		}
	}
	if d := r.LockTimeout.D(); d != 0 && (d < 10*time.Millisecond || d > 10*time.Minute) {
		v.fail(base+".actions.reset.lock_timeout", "%s is out of range: use 10ms to 10m", d)
	}
}

// schemaReference checks what the live schema is compared with: another
// environment with a database, or a readable file (resolved against the
// configuration's directory).
func (v *validator) schemaReference(base string, e *Environment) {
	ref := e.SchemaReference
	if ref == "" {
		return
	}
	path := base + ".schema_reference"
	other, isEnv := v.cfg.Environments[ref]
	switch {
	case ref == e.Name:
		v.fail(path, "an environment cannot be its own reference")
	case isEnv && other.Postgres.URL == "":
		v.fail(path, "environment %s has no postgres.url to compare with", ref)
	case !isEnv:
		ref = v.relative(ref)
		e.SchemaReference = ref
		if _, err := os.Stat(ref); err != nil {
			v.fail(path, "%q is neither an environment nor a readable file (write one with: opsdeck schema dump > %s)", ref, ref)
		}
	}
	if e.Postgres.URL == "" {
		v.fail(path, "a schema reference needs postgres.url: there is no live schema to compare")
	}
}

// migrate checks the migration's timeouts and its rehearsal's scratch
// server.
func (v *validator) migrate(base string, e *Environment) {
	m, mb := e.Actions.Migrate, base+".actions.migrate"
	if d := m.LockTimeout.D(); d != 0 && (d < 10*time.Millisecond || d > time.Hour) {
		v.fail(mb+".lock_timeout", "%s is out of range: use 10ms to 1h, or 0s for none", d)
	}
	if d := m.StatementTimeout.D(); d != 0 && (d < 100*time.Millisecond || d > 24*time.Hour) {
		v.fail(mb+".statement_timeout", "%s is out of range: use 100ms to 24h, or 0s for none", d)
	}
	if m.ScratchURL != "" {
		v.postgresURL(mb+".scratch_url", m.ScratchURL)
		v.scratch(base, e)
	}
}

// celery checks the broker and result backend, read as Redis.
func (v *validator) celery(base string, c Celery) {
	cb := base + ".celery"
	if c.BrokerURL != "" {
		v.redisURL(cb+".broker_url", c.BrokerURL)
	}
	if c.ResultBackend != "" {
		v.redisURL(cb+".result_backend", c.ResultBackend)
	}
	if c.BrokerURL == "" && (c.ResultBackend != "" || len(c.Queues) > 0) {
		v.fail(cb, "needs broker_url (the Redis the workers take their tasks from)")
	}
	if c.BrokerURL != "" {
		v.timeout(cb+".timeout", c.Timeout)
	}
}

// tracing checks the trace backend and the team's trace page, which must
// say where the trace's id goes.
func (v *validator) tracing(base string, t Tracing) {
	tb := base + ".tracing"
	v.timeout(tb+".timeout", t.Timeout)
	v.httpAuth(tb, t.HTTPAuth)
	if t.JaegerURL != "" {
		v.httpURL(tb+".jaeger_url", t.JaegerURL)
	}
	if u := t.UIURL; u != "" {
		v.httpURL(tb+".ui_url", strings.ReplaceAll(u, "{trace_id}", "0"))
		if !strings.Contains(u, "{trace_id}") {
			v.fail(tb+".ui_url", "%q has no {trace_id}: write where the trace's id goes (https://jaeger.example.com/trace/{trace_id})", redact.URL(u))
		}
	}
}

// alertmanager checks the Alertmanager and how long an acknowledgement
// silences an alert.
func (v *validator) alertmanager(base string, a Alertmanager) {
	ab := base + ".alertmanager"
	v.timeout(ab+".timeout", a.Timeout)
	v.httpAuth(ab, a.HTTPAuth)
	if a.URL != "" {
		v.httpURL(ab+".url", a.URL)
	}
	if d := a.AckDuration.D(); d < time.Minute || d > 24*time.Hour {
		v.fail(ab+".ack_duration", "%s is out of range: use 1m to 24h", d)
	}
}

// redis checks the Redis: its URL or addresses as its mode wants them, its
// timeout, the pane's thresholds and the queues it watches.
func (v *validator) redis(base string, r Redis) {
	rb := base + ".redis"
	if r.URL != "" {
		v.redisURL(rb+".url", r.URL)
	}
	v.timeout(rb+".timeout", r.Timeout)
	v.redisMode(rb, r)
	for i, a := range r.Addrs {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			v.fail(fmt.Sprintf("%s.addrs[%d]", rb, i), "%q is not host:port", a)
		}
	}
	v.queueThresholds(rb+".queue_thresholds", r.QueueThresholds)
	v.threshold(rb+".memory_thresholds", r.MemoryThresholds, units.Ratio)
	for i, q := range r.Queues {
		if strings.TrimSpace(q) == "" {
			v.fail(fmt.Sprintf("%s.queues[%d]", rb, i), "empty queue name")
		}
	}
}

// redisMode checks that the fields set are those of the Redis's mode.
func (v *validator) redisMode(rb string, r Redis) {
	switch r.Mode {
	case RedisSingle, RedisCluster:
		if r.SentinelPassword != "" {
			v.fail(rb+".sentinel_password", "sentinel_password is for mode sentinel; mode is %s", r.Mode)
		}
		if r.Mode == RedisSingle && len(r.Addrs) > 0 {
			v.fail(rb+".addrs", "addrs is for mode cluster or sentinel; mode is %s", r.Mode)
		}
	case RedisSentinel:
		if r.MasterName == "" {
			v.fail(rb+".master_name", "mode sentinel needs the master's name (master_name)")
		}
	default:
		v.fail(rb+".mode", "unknown mode %q: use %s, %s or %s", r.Mode, RedisSingle, RedisSentinel, RedisCluster)
	}
}

// queueThresholds checks the queue lengths' warn/crit pair: numbers of
// tasks.
func (v *validator) queueThresholds(path string, t Threshold) {
	if t.Warn != nil && t.Crit != nil && t.Warn.Value > t.Crit.Value {
		v.fail(path, "warn (%v) is above crit (%v)", t.Warn.Value, t.Crit.Value)
	}
	for level, q := range map[string]*Quantity{"warn": t.Warn, "crit": t.Crit} {
		if q != nil && q.Kind != units.Plain {
			v.fail(path+"."+level, "a queue length is a number of tasks, not %s", q.Kind)
		}
	}
}
