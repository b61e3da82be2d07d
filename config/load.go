package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/opsdeck/opsdeck/internal/cmdvars"
	"github.com/opsdeck/opsdeck/internal/endpoint"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/safefile"
	"github.com/opsdeck/opsdeck/internal/suggest"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/ui/binding"
)

// Options says where to look for configuration.
type Options struct {
	// Path is --config; when set, the file must exist.
	Path string
	// LookupEnv reads environment variables (os.LookupEnv in production).
	LookupEnv func(string) (string, bool)
	// WorkDir is where ./opsdeck.yaml is looked for; "" means the current directory.
	WorkDir string
	// Bindings are the console's key bindings (ui.Specs): keys: overrides
	// and command keys are checked against them.
	Bindings []binding.Spec
}

// ZeroConfigVars are the variables a zero-config environment is built from:
// the names the Origin stack already uses.
var zeroConfigVars = []string{"PROMETHEUS_URL", "METRICS_URL", "DATABASE_URL", "REDIS_URL", "ALEMBIC_DIR", "OPSDECK_SCHEMA_REFERENCE", "JAEGER_URL", "OTEL_SERVICE_NAME", "ALERTMANAGER_URL", "CELERY_BROKER_URL", "VICTORIALOGS_URL"}

// Resolve returns the file Load would read: --config, else ./opsdeck.yaml, else
// $XDG_CONFIG_HOME/opsdeck/config.yaml; "" when there is none (zero-config).
func Resolve(opts Options) string {
	if opts.Path != "" {
		return opts.Path
	}
	if found := present(opts); len(found) > 0 {
		return found[0]
	}
	return ""
}

// present lists the implicit candidates that exist, in the order Load
// prefers them.
func present(opts Options) []string {
	lookup := opts.lookup()
	candidates := []string{filepath.Join(opts.WorkDir, "opsdeck.yaml")}
	if home, ok := lookup("XDG_CONFIG_HOME"); ok && home != "" {
		candidates = append(candidates, filepath.Join(home, "opsdeck", "config.yaml"))
	} else if home, ok := lookup("HOME"); ok && home != "" {
		candidates = append(candidates, filepath.Join(home, ".config", "opsdeck", "config.yaml"))
	}
	var out []string
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			out = append(out, c)
		}
	}
	return out
}

func (o Options) lookup() func(string) (string, bool) {
	if o.LookupEnv != nil {
		return o.LookupEnv
	}
	return func(string) (string, bool) { return "", false }
}

// Load finds and reads the configuration. Errors are Errors (exit code 2).
func Load(opts Options) (*Config, error) {
	path := Resolve(opts)
	if path == "" {
		return FromEnv(opts.lookup(), opts.Bindings)
	}
	data, err := safefile.Read(path, maxConfigBytes)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			msg = "file not found"
		}
		return nil, Errors{{File: path, Msg: msg}}
	}
	cfg, err := Parse(path, data, opts.lookup(), opts.Bindings)
	if err != nil || opts.Path != "" {
		return cfg, err
	}
	// A ./opsdeck.yaml silently standing in for the user's own file (where
	// production is protected) must be seen.
	for _, other := range present(opts)[1:] {
		cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("%s is in use; %s also exists and is ignored (--config picks one)", path, other))
	}
	return cfg, nil
}

// FromEnv builds the single environment "default" from PROMETHEUS_URL,
// DATABASE_URL, REDIS_URL and ALEMBIC_DIR.
func FromEnv(lookup func(string) (string, bool), specs []binding.Spec) (*Config, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	env := &Environment{
		Name:       DefaultEnvironment,
		Prometheus: Prometheus{URL: get("PROMETHEUS_URL")},
		Postgres:   Postgres{URL: get("DATABASE_URL")},
		Redis:      Redis{URL: get("REDIS_URL")},
		Alembic:    Alembic{Dir: get("ALEMBIC_DIR")},
		// Zero-config has one environment: the reference can only be a dump file.
		SchemaReference: get("OPSDECK_SCHEMA_REFERENCE"),
		Tracing:         Tracing{JaegerURL: get("JAEGER_URL"), Service: get("OTEL_SERVICE_NAME")},
		Alertmanager:    Alertmanager{URL: get("ALERTMANAGER_URL")},
		Logs:            Logs{URL: get("VICTORIALOGS_URL")},
		// Origin's broker is its Redis unless said otherwise.
		Celery: Celery{BrokerURL: cmp.Or(get("CELERY_BROKER_URL"), get("REDIS_URL"))},
	}
	cfg := &Config{
		Source:             "environment variables (" + strings.Join(zeroConfigVars, ", ") + ")",
		fromEnv:            true,
		DefaultEnvironment: DefaultEnvironment,
		Environments:       map[string]*Environment{DefaultEnvironment: env},
		Order:              []string{DefaultEnvironment},
	}
	// Direct /metrics mode only when there is no Prometheus to ask.
	if m := get("METRICS_URL"); m != "" {
		if env.Prometheus.URL == "" {
			env.MetricsURL = m
		} else {
			cfg.Warnings = append(cfg.Warnings, "METRICS_URL is ignored: PROMETHEUS_URL is set")
		}
	}
	applyDefaults(cfg, presence{})
	v := &validator{file: "environment", pos: presence{}, specs: specs, res: endpoint.NewResolver(endpoint.Options{}), envField: map[string]string{
		"environments.default.prometheus.url":     "PROMETHEUS_URL",
		"environments.default.metrics_url":        "METRICS_URL",
		"environments.default.postgres.url":       "DATABASE_URL",
		"environments.default.redis.url":          "REDIS_URL",
		"environments.default.alembic.dir":        "ALEMBIC_DIR",
		"environments.default.schema_reference":   "OPSDECK_SCHEMA_REFERENCE",
		"environments.default.tracing.jaeger_url": "JAEGER_URL",
		"environments.default.alertmanager.url":   "ALERTMANAGER_URL",
		"environments.default.celery.broker_url":  "CELERY_BROKER_URL or REDIS_URL",
		"environments.default.logs.url":           "VICTORIALOGS_URL",
	}}
	v.config(cfg)
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	return cfg, nil
}

// Parse reads configuration text; file names the source in errors.
func Parse(file string, data []byte, lookup func(string) (string, bool), specs []binding.Spec) (*Config, error) {
	return parse(file, data, lookup, specs, endpoint.NewResolver(endpoint.Options{}))
}

// parse is Parse with the resolver that compares the resources the
// environments name.
func parse(file string, data []byte, lookup func(string) (string, bool), specs []binding.Spec, res *endpoint.Resolver) (*Config, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	data, ph := protectRefs(data)
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, errEOF) || strings.Contains(err.Error(), "EOF") {
			return nil, Errors{{File: file, Msg: "file is empty: it needs at least an environments: section"}}
		}
		return nil, Errors{yamlSyntaxError(file, err)}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	w := &walker{file: file, pos: presence{}, lookup: lookup, ph: ph, merging: map[*yaml.Node]bool{}, expanded: map[*yaml.Node][]string{}, said: map[string]bool{}, fields: map[reflect.Type]structFields{}, blanked: map[*yaml.Node]bool{}}
	w.expand(root, "")
	w.walk(root, reflect.TypeOf(Config{}), "")
	if w.visits > maxNodes {
		return nil, w.finish(w.errs) // decoding would expand the same tree
	}
	cfg := &Config{}
	if err := root.Decode(cfg); err != nil {
		// The walker blanks every node the decoder could refuse, so this is a
		// bug in opsdeck rather than in the file; still report it with the file.
		return nil, w.finish(append(w.errs, &FieldError{File: file, Msg: err.Error()}))
	}
	cfg.Source = file
	cfg.Warnings = w.warnings
	cfg.Order = w.envOrder
	for name, env := range cfg.Environments {
		if env == nil {
			env = &Environment{}
			cfg.Environments[name] = env
		}
		env.Name = name
	}
	applyDefaults(cfg, w.pos)
	v := &validator{file: file, pos: w.pos, quiet: w.failed, specs: specs, res: res}
	v.config(cfg)
	if errs := append(w.errs, v.errs...); len(errs) > 0 {
		return nil, w.finish(errs)
	}
	return cfg, nil
}

// finish orders errors by line and masks what they quote: a message quotes
// what was written, and that may be a URL with its password. Every way out
// of Parse with errors comes through here.
func (w *walker) finish(errs Errors) Errors {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	for _, e := range errs {
		e.Field, e.Msg = redact.Text(e.Field), redact.Text(e.Msg)
	}
	if w.dropped > 0 {
		errs = append(errs, &FieldError{File: w.file, Msg: fmt.Sprintf("and %d more problems, not listed", w.dropped)})
	}
	return errs
}

var errEOF = errors.New("EOF")

// Bounds on what a configuration may be: far above any real one, far
// below what would hang or exhaust the console.
const (
	maxConfigBytes = 1 << 20
	maxNodes       = 5_000
)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlSyntaxError(file string, err error) *FieldError {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return &FieldError{File: file, Line: line, Msg: "YAML syntax: " + m[2]}
	}
	return &FieldError{File: file, Msg: "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")}
}

// presence maps a dotted field path to the line it was written on; a path
// that is absent was not written in the file.
type presence map[string]int

// line returns the line of path or of its nearest written parent.
func (p presence) line(path string) int {
	for path != "" {
		if l, ok := p[path]; ok {
			return l
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func (p presence) has(path string) bool { _, ok := p[path]; return ok }

// applyDefaults fills what the file left out, one section of each
// environment at a time. Presence distinguishes "selector omitted" (use
// Origin's job) from "selector: ”" (no selector).
func applyDefaults(cfg *Config, pos presence) {
	if cfg.Refresh == 0 {
		cfg.Refresh = Duration(DefaultRefresh)
	}
	if cfg.Window == 0 {
		cfg.Window = Duration(DefaultWindow)
	}
	if cfg.OverviewRefresh == 0 {
		cfg.OverviewRefresh = Duration(DefaultOverviewRefresh)
	}
	if cfg.DefaultEnvironment == "" && len(cfg.Order) > 0 {
		cfg.DefaultEnvironment = cfg.Order[0]
	}
	for _, name := range cfg.Order {
		env, base := cfg.Environments[name], "environments."+name
		defaultPrometheus(&env.Prometheus, base+".prometheus", pos)
		defaultRedis(&env.Redis, base+".redis", pos)
		defaultPostgres(&env.Postgres, base+".postgres", pos)
		defaultActions(&env.Actions, base+".actions", pos)
		if strings.TrimSpace(env.Alembic.CheckCommand) == "" {
			env.Alembic.CheckCommand = DefaultCheckCommand
		}
		defaultTimeout(&env.Tracing.Timeout)
		defaultTimeout(&env.Alertmanager.Timeout)
		defaultLogs(&env.Logs, base+".logs", env.Tracing.Service, pos)
		if env.Alertmanager.AckDuration == 0 {
			env.Alertmanager.AckDuration = Duration(DefaultAckDuration)
		}
		if env.Celery.BrokerURL != "" {
			defaultTimeout(&env.Celery.Timeout)
			if len(env.Celery.Queues) == 0 {
				env.Celery.Queues = append([]string(nil), DefaultCeleryQueues...)
			}
		}
	}
}

// defaultTimeout sets a server's timeout to the default when none is written.
func defaultTimeout(d *Duration) {
	if *d == 0 {
		*d = Duration(DefaultTimeout)
	}
}

// defaultLevels fills the levels of the threshold at path that were not
// written. A level written stays (even empty: no colour).
func defaultLevels(t *Threshold, def Threshold, path string, pos presence) {
	if !pos.has(path + ".warn") {
		t.Warn = def.Warn
	}
	if !pos.has(path + ".crit") {
		t.Crit = def.Crit
	}
}

// defaultPrometheus fills the selector, timeouts and the golden signals'
// queries and thresholds; the default queries read the selector.
func defaultPrometheus(p *Prometheus, pb string, pos presence) {
	if !pos.has(pb + ".selector") {
		p.Selector = DefaultSelector
	}
	defaultTimeout(&p.Timeout)
	if p.RateWindow == 0 {
		p.RateWindow = Duration(DefaultRateWindow)
	}
	def := DefaultQueries(p.Selector, p.RateWindow.D())
	for _, q := range []struct {
		field *string
		def   string
	}{{&p.Queries.RPS, def.RPS}, {&p.Queries.ErrorRate, def.ErrorRate}, {&p.Queries.P95Latency, def.P95Latency}, {&p.Queries.Memory, def.Memory}} {
		if strings.TrimSpace(*q.field) == "" {
			*q.field = q.def
		}
	}
	dt := DefaultThresholds()
	defaultLevels(&p.Thresholds.RPS, dt.RPS, pb+".thresholds.rps", pos)
	defaultLevels(&p.Thresholds.ErrorRate, dt.ErrorRate, pb+".thresholds.error_rate", pos)
	defaultLevels(&p.Thresholds.P95Latency, dt.P95Latency, pb+".thresholds.p95_latency", pos)
	defaultLevels(&p.Thresholds.Memory, dt.Memory, pb+".thresholds.memory", pos)
}

// defaultRedis fills the queues watched, the mode, the timeout and the
// pane's thresholds. Queues written as an empty list stay empty.
func defaultRedis(r *Redis, rb string, pos presence) {
	if !pos.has(rb+".queues") && len(r.Queues) == 0 {
		r.Queues = []string{DefaultQueue}
	}
	if r.Mode == "" {
		r.Mode = RedisSingle
	}
	defaultTimeout(&r.Timeout)
	defaultLevels(&r.QueueThresholds, DefaultQueueThresholds(), rb+".queue_thresholds", pos)
	defaultLevels(&r.MemoryThresholds, DefaultMemoryThresholds(), rb+".memory_thresholds", pos)
}

// defaultPostgres fills the timeouts and the pane's thresholds.
func defaultPostgres(pg *Postgres, pb string, pos presence) {
	if pg.StatementTimeout == 0 {
		pg.StatementTimeout = Duration(DefaultStatementTimeout)
	}
	defaultTimeout(&pg.Timeout)
	dp := DefaultPostgresThresholds()
	defaultLevels(&pg.Thresholds.Connections, dp.Connections, pb+".thresholds.connections", pos)
	defaultLevels(&pg.Thresholds.TransactionAge, dp.TransactionAge, pb+".thresholds.transaction_age", pos)
	defaultLevels(&pg.Thresholds.QueryAge, dp.QueryAge, pb+".thresholds.query_age", pos)
}

// defaultActions fills the migration's command and timeouts and the
// schemas a reset empties.
func defaultActions(a *Actions, ab string, pos presence) {
	m := &a.Migrate
	if strings.TrimSpace(m.Command) == "" {
		m.Command = DefaultMigrateCommand
	}
	if m.Timeout == 0 {
		m.Timeout = Duration(DefaultMigrateTimeout)
	}
	// Written as 0s, a timeout is off; not written, the default.
	if !pos.has(ab + ".migrate.lock_timeout") {
		m.LockTimeout = Duration(DefaultMigrateLockTimeout)
	}
	if !pos.has(ab + ".migrate.statement_timeout") {
		m.StatementTimeout = m.Timeout
	}
	if len(a.Reset.Schemas) == 0 {
		a.Reset.Schemas = []string{"public"}
	}
}

// walker checks the YAML tree against the Config types before decoding: unknown
// keys, wrong kinds and unparseable scalars, each with its line and path. It
// also expands ${VAR} in values and records where every field was written.
type walker struct {
	file     string
	pos      presence
	lookup   func(string) (string, bool)
	errs     Errors
	warnings []string
	envOrder []string
	ph       placeholders // the ${...} references, as the parser saw them
	visits   int          // nodes walked, aliases and merges followed included
	fields   map[reflect.Type]structFields
	dropped  int                 // errors past maxErrors, counted and not listed
	said     map[string]bool     // errors listed, so that a mistake merged in many places is listed once
	failed   []string            // paths already reported: later checks stay quiet about them
	blanked  map[*yaml.Node]bool // nodes fail blanked: an anchor used again is not reported as empty
	merging  map[*yaml.Node]bool // what merge keys are merging in, while it is walked
	// expanded maps each scalar that held a ${...} reference to the
	// references it held: a guard flag must not depend on what they gave.
	expanded map[*yaml.Node][]string
}

// fail records a problem and blanks the node, so that decoding and the
// semantic checks can still run and report every other problem at once.
func (w *walker) fail(n *yaml.Node, path, format string, args ...any) {
	w.add(&FieldError{File: w.file, Line: n.Line, Field: path, Msg: fmt.Sprintf(format, args...)})
	w.failed = append(w.failed, path)
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	w.blanked[n] = true
}

// refPattern finds ${VAR} and ${VAR:-default}; "$$" escapes a dollar.
var refPattern = regexp.MustCompile(`\$\$|\$\{[^}\n]*\}`)

// placeholders stand for the ${...} references while the YAML is parsed:
// the braces of "${TOKEN}" would otherwise break flow mappings such as
// {bearer_token: ${PROM_TOKEN}}, the shape the docs show. The marker is
// chosen so that it occurs nowhere in the file: text that looks like a
// placeholder stays text.
type placeholders struct {
	marker string
	re     *regexp.Regexp
	refs   []string // indexed by the placeholder's number
}

func protectRefs(data []byte) ([]byte, placeholders) {
	ph := placeholders{marker: "OPSDECKREF"}
	for bytes.Contains(data, []byte(ph.marker)) {
		ph.marker += "Q"
	}
	ph.re = regexp.MustCompile(ph.marker + `([0-9]+)Z`)
	out := refPattern.ReplaceAllFunc(data, func(m []byte) []byte {
		if string(m) == "$$" {
			return m
		}
		ph.refs = append(ph.refs, string(m))
		return []byte(fmt.Sprintf("%s%dZ", ph.marker, len(ph.refs)-1))
	})
	return out, ph
}

// ref is the reference a placeholder stands for.
func (ph placeholders) ref(m string) string {
	return ph.refs[atoi(ph.re.FindStringSubmatch(m)[1])]
}

var varRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?\}$`)

// expand replaces ${VAR} and ${VAR:-default} in scalar values; $$ is a literal $.
// Bare $VAR is left alone: PromQL and Grafana use it for their own variables.
func (w *walker) expand(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			w.expand(c, join(path, fmt.Sprint(i)))
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			k.Value = w.restore(k.Value) // keys are not expanded, only given back their text
			w.expand(n.Content[i+1], join(path, k.Value))
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") && !strings.Contains(n.Value, w.ph.marker) {
			return
		}
		var used []string
		// Unescape $$ first so that a variable's value is never unescaped.
		n.Value = w.ph.re.ReplaceAllStringFunc(strings.ReplaceAll(n.Value, "$$", "$"), func(m string) string {
			ref := w.ph.ref(m)
			used = append(used, ref)
			sub := varRef.FindStringSubmatch(ref)
			if sub == nil {
				w.add(&FieldError{File: w.file, Line: n.Line, Field: indexed.ReplaceAllString(path, "[$1]"),
					Msg: fmt.Sprintf("%s is not a variable reference: write ${NAME} or ${NAME:-default} ($$ for a literal $)", ref)})
				return ""
			}
			if commandLine.MatchString(path) && cmdvars.Known(sub[1]) {
				w.add(&FieldError{File: w.file, Line: n.Line, Field: indexed.ReplaceAllString(path, "[$1]"),
					Msg: fmt.Sprintf("%s is read from opsdeck's own environment when the file loads; for the selection's value write $%s (bare)", ref, sub[1])})
				return ""
			}
			if val, ok := w.lookup(sub[1]); ok && val != "" {
				return val
			}
			if strings.Contains(ref, ":-") {
				return sub[2]
			}
			w.warnings = append(w.warnings, fmt.Sprintf("%s:%d: %s: ${%s} is not set; using an empty value", w.file, n.Line, path, sub[1]))
			return ""
		})
		if len(used) > 0 {
			w.expanded[n] = used
			w.noSecretOnCommandLine(n, path, used)
		}
		if n.Style == 0 {
			n.Tag = "" // let "${FLAG}" -> "true" resolve to a bool
		}
	}
}

// commandLine is a runbook command's argv or shell, where every user of
// the machine can read what is written (ps, /proc).
var commandLine = regexp.MustCompile(`^environments\.[^.]+\.actions\.commands\.\d+\.(argv(\.\d+)?|shell)$`)

// indexed is a list index in a walker's path, written [N] in messages.
var indexed = regexp.MustCompile(`\.(\d+)`)

// secretName is a variable whose name says it holds a secret.
var secretName = regexp.MustCompile(`(?i)pass|secret|token|key|cred|auth|private`)

// noSecretOnCommandLine refuses a variable named like a secret expanded
// into a command line: pass it in the command's env instead.
func (w *walker) noSecretOnCommandLine(n *yaml.Node, path string, used []string) {
	if !commandLine.MatchString(path) {
		return
	}
	for _, ref := range used {
		if sub := varRef.FindStringSubmatch(ref); sub != nil && secretName.MatchString(sub[1]) {
			w.add(&FieldError{File: w.file, Line: n.Line, Field: indexed.ReplaceAllString(path, "[$1]"),
				Msg: fmt.Sprintf("${%s} would be on the command line, where every user of the machine can read it (ps, /proc): pass it in the command's env: instead", sub[1])})
		}
	}
}

// restore puts the original ${...} text back (used for keys).
func (w *walker) restore(s string) string {
	return w.ph.re.ReplaceAllStringFunc(s, w.ph.ref)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	durationType = reflect.TypeOf(Duration(0))
	quantityType = reflect.TypeOf(Quantity{})
	secretType   = reflect.TypeOf(Secret(""))
	keyListType  = reflect.TypeOf(KeyList(nil))
)

// walk checks node n against type t, by the kind of value t is.
func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) {
	// Aliases and merge keys can make a small file a huge tree (a
	// "billion laughs"): past a bound no real configuration reaches, stop.
	if w.visits++; w.visits > maxNodes {
		if w.visits == maxNodes+1 {
			w.add(&FieldError{File: w.file, Line: n.Line, Field: indexed.ReplaceAllString(path, "[$1]"),
				Msg: fmt.Sprintf("aliases and merge keys expand to more than %d values: simplify the anchors", maxNodes)})
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if refs, ok := w.expanded[n]; ok && t.Kind() == reflect.Bool {
		w.expandedFlag(n, path, refs)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty value keeps the default
	}
	switch {
	case t == durationType:
		w.walkDuration(n, path)
	case t == quantityType:
		w.walkQuantity(n, path)
	case t == keyListType:
		w.walkKeyList(n, path)
	case t.Kind() == reflect.Struct:
		w.walkStruct(n, t, path)
	case t.Kind() == reflect.Map:
		w.walkMap(n, t, path)
	case t.Kind() == reflect.Slice:
		w.walkSlice(n, t, path)
	default:
		w.walkScalar(n, t, path)
	}
}

// expandedFlag checks a boolean that held ${...} references. A guard flag
// that a variable turned off by being unset would silently unprotect
// production: it must come out true or false.
func (w *walker) expandedFlag(n *yaml.Node, path string, refs []string) {
	if n.Value != "true" && n.Value != "false" {
		w.fail(n, path, "%s must expand to true or false, and it did not (unset or another value): a guard flag never falls back to a default", strings.Join(refs, ", "))
		return
	}
	n.Tag = "!!bool"
}

func (w *walker) walkDuration(n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode {
		w.fail(n, path, "want a duration like 2s or 15m")
		return
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		w.fail(n, path, "%s is not a duration: write it like 500ms, 2s or 15m", w.quote(n))
	} else if d < 0 {
		w.fail(n, path, "%s is negative", w.quote(n))
	}
}

func (w *walker) walkQuantity(n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode {
		w.fail(n, path, "want a number, a percentage (5%%), a duration (2s) or a size (1GiB)")
		return
	}
	if _, _, err := units.Parse(n.Value); err != nil {
		if _, expanded := w.expanded[n]; expanded {
			w.fail(n, path, "%s is not a number, a percentage (5%%), a duration (2s) or a size (1GiB)", w.quote(n))
		} else {
			w.fail(n, path, "%v", err)
		}
	}
}

func (w *walker) walkKeyList(n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		return
	}
	if n.Kind != yaml.SequenceNode {
		w.fail(n, path, "want a key or a list of keys like [q, ctrl+c], got %s", w.kindName(n))
		return
	}
	for i, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			w.fail(c, fmt.Sprintf("%s[%d]", path, i), "want a key, got %s", w.kindName(c))
		}
	}
}

// walkMap checks a mapping of names to values of t's element type, and
// records the environments' order as written.
func (w *walker) walkMap(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "want a mapping of names to values, got %s", w.kindName(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" || k.ShortTag() == "!!null" {
			// A name that is not text (an anchor with no name after it, a
			// list): refused, and left out of what is decoded.
			w.fail(k, path, "a name here must be non-empty text, got %s", w.describe(k))
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			i -= 2
			continue
		}
		p := join(path, k.Value)
		w.pos[p] = k.Line
		if path == "environments" {
			w.envOrder = append(w.envOrder, k.Value)
		}
		w.walk(v, t.Elem(), p)
	}
}

func (w *walker) walkSlice(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.SequenceNode {
		w.fail(n, path, "want a list like [a, b], got %s", w.kindName(n))
		return
	}
	for i, c := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		w.pos[p] = c.Line
		w.walk(c, t.Elem(), p)
	}
}

// walkScalar checks a whole number, a boolean or a string.
func (w *walker) walkScalar(n *yaml.Node, t reflect.Type, path string) {
	switch {
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			w.fail(n, path, "want a whole number, got %s", w.describe(n))
		}
	case t.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			w.fail(n, path, "want true or false, got %s", w.describe(n))
		}
	case t.Kind() == reflect.String || t == secretType:
		if n.Kind != yaml.ScalarNode {
			w.fail(n, path, "want a single value, got %s", w.kindName(n))
		}
	}
}

func (w *walker) walkStruct(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "want a mapping (key: value lines), got %s", w.describe(n))
		return
	}
	f := w.fieldsOf(t)
	fields, names := f.types, f.names
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" { // YAML merge key: the merged mappings are part of this one
			merged := v
			if merged.Kind == yaml.AliasNode {
				merged = merged.Alias
			}
			if w.merging[merged] {
				// An anchor merged into its own mapping would merge forever.
				w.fail(k, path, "merges the mapping it is part of (an anchor used inside itself)")
				n.Content = append(n.Content[:i], n.Content[i+2:]...)
				i -= 2
				continue
			}
			w.merging[merged] = true
			if merged.Kind == yaml.SequenceNode {
				for _, m := range merged.Content {
					w.walk(m, t, path)
				}
			} else {
				w.walk(merged, t, path)
			}
			delete(w.merging, merged)
			continue
		}
		p := join(path, k.Value)
		ft, ok := fields[k.Value]
		if !ok {
			w.failed = append(w.failed, p)
			if !w.once(fmt.Sprintf("%d %s: unknown", k.Line, p)) || w.full() {
				continue // no suggestion worked out for an error not listed
			}
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s, ok := suggest.Closest(k.Value, names); ok {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (known keys: " + strings.Join(slices.Sorted(slices.Values(names)), ", ") + ")"
			}
			w.add(&FieldError{File: w.file, Line: k.Line, Field: p, Msg: msg})
			continue
		}
		w.pos[p] = k.Line
		if f.guards[k.Value] {
			w.walkGuard(v, ft, p)
			continue
		}
		w.walk(v, ft, p)
	}
}

// walkGuard checks a guard flag: empty, null or anything but a boolean
// (none for confirm) is an error, because reading it as the zero value
// would quietly lift a guard.
func (w *walker) walkGuard(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if w.blanked[n] {
		return // reported where it was first seen (an anchor used twice)
	}
	want := "write true or false"
	if t.Kind() == reflect.String {
		want = "write none (disposable environments), or leave confirm out to be asked"
	}
	_, expanded := w.expanded[n]
	if !expanded && n.Kind == yaml.ScalarNode {
		switch {
		case n.ShortTag() == "!!null":
			w.fail(n, path, "is empty (%s): %s; a guard is never guessed", nullSpelling(n.Value), want)
			return
		case strings.TrimSpace(n.Value) == "":
			w.fail(n, path, "is empty (%q): %s; a guard is never guessed", n.Value, want)
			return
		}
	}
	switch {
	case t.Kind() == reflect.String && expanded && n.Value != "none":
		w.fail(n, path, "%s must expand to none, and it did not (unset or another value): a guard flag never falls back to a default", strings.Join(w.expanded[n], ", "))
	case t.Kind() == reflect.Bool && !expanded && (n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || !yamlBool(n.Value)):
		w.fail(n, path, "want true or false, got %s: a guard is never guessed", w.describe(n))
	default:
		w.walk(n, t, path) // a variable's value is checked there, as for every boolean
	}
}

// yamlBool reports whether the decoder reads s as a boolean; an explicit
// !!bool tag on anything else would fail to decode.
func yamlBool(s string) bool {
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return true
	}
	return false
}

func nullSpelling(v string) string {
	if v == "" {
		return "null"
	}
	return v
}

// maxErrors bounds the problems listed: a file with thousands (a merge
// bomb's copies of one mistake) says how many more there are.
const maxErrors = 50

// full reports whether no more errors are listed, counting the one not listed.
func (w *walker) full() bool {
	if len(w.errs) >= maxErrors {
		w.dropped++
		return true
	}
	return false
}

// add lists e once: a merged mapping repeats its mistakes wherever it is merged.
func (w *walker) add(e *FieldError) {
	if w.once(e.Error()) && !w.full() {
		w.errs = append(w.errs, e)
	}
}

// once reports whether key is said for the first time, and records it.
func (w *walker) once(key string) bool {
	if w.said[key] {
		return false
	}
	w.said[key] = true
	return true
}

// fieldsOf is t's YAML field names and types, worked out once per type:
// merge keys can make the walk visit the same structs many times.
func (w *walker) fieldsOf(t reflect.Type) structFields {
	if f, ok := w.fields[t]; ok {
		return f
	}
	f := structFields{types: map[string]reflect.Type{}, guards: map[string]bool{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" && opts == "inline" { // its fields are this mapping's keys
			in := w.fieldsOf(sf.Type)
			maps.Copy(f.types, in.types)
			maps.Copy(f.guards, in.guards)
			f.names = append(f.names, in.names...)
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		f.types[name] = sf.Type
		f.names = append(f.names, name)
		if sf.Tag.Get("guard") != "" {
			f.guards[name] = true
		}
	}
	w.fields[t] = f
	return f
}

type structFields struct {
	types map[string]reflect.Type
	names []string
	// guards are the guard flags (tagged guard): never empty, never guessed.
	guards map[string]bool
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return describe(n)
	}
}

func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%q", n.Value)
	}
	return kindName(n)
}

// quote is n's value quoted for an error, unless it came from a variable:
// an expanded value may be a secret, so the error names the variable.
func (w *walker) quote(n *yaml.Node) string {
	if refs, ok := w.expanded[n]; ok {
		return "the value of " + strings.Join(refs, ", ") + " (not shown: it may be a secret)"
	}
	return fmt.Sprintf("%q", n.Value)
}

func (w *walker) describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return w.quote(n)
	}
	return describe(n)
}

func (w *walker) kindName(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return w.quote(n)
	}
	return kindName(n)
}
