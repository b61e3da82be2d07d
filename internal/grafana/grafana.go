package grafana

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/safefile"
	"github.com/opsdeck/opsdeck/internal/units"
)

// Query is one Prometheus target of a panel.
type Query struct {
	// Title is the panel's title, with the target's legend or refId when
	// the panel has several queries.
	Title string
	// Expr is the PromQL with dashboard variables replaced (and divided into
	// Unit: milliseconds into seconds); Raw is as written.
	Expr, Raw string
	Unit      units.Unit
	// Warn and Crit come from the panel's threshold steps (yellow/orange and
	// red), nil when it has none.
	Warn, Crit *float64
	// Unresolved lists variables with no value to substitute.
	Unresolved []string
	// Row is the title of the dashboard row the panel sits in, "" above
	// the first row.
	Row string
}

// Dashboard is what opsdeck takes from a dashboard file.
type Dashboard struct {
	Title   string
	Queries []Query
	// Skipped says which panels were left out and why (another data source,
	// no query), for lint output.
	Skipped []string
}

type rawDashboard struct {
	Title string `json:"title"`
	// Inputs are an export's constants (`${VAR_JOB}`) and data sources.
	Inputs []struct {
		Name  string `json:"name"`
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"__inputs"`
	Panels     []rawPanel `json:"panels"`
	Rows       []rawRow   `json:"rows"`
	Templating struct {
		List []rawVariable `json:"list"`
	} `json:"templating"`
	Dashboard *rawDashboard `json:"dashboard"` // the export wrapper of the HTTP API
}

type rawRow struct {
	Title  string     `json:"title"`
	Panels []rawPanel `json:"panels"`
}

type rawPanel struct {
	Title       string          `json:"title"`
	Type        string          `json:"type"`
	Datasource  json.RawMessage `json:"datasource"`
	Targets     []rawTarget     `json:"targets"`
	Panels      []rawPanel      `json:"panels"` // a collapsed row's panels
	FieldConfig struct {
		Defaults struct {
			Unit       string `json:"unit"`
			Thresholds struct {
				Steps []struct {
					Color string   `json:"color"`
					Value *float64 `json:"value"`
				} `json:"steps"`
			} `json:"thresholds"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Yaxes []struct {
		Format string `json:"format"`
	} `json:"yaxes"`
}

type rawTarget struct {
	Expr         string          `json:"expr"`
	RefID        string          `json:"refId"`
	LegendFormat string          `json:"legendFormat"`
	Hide         bool            `json:"hide"`
	Datasource   json.RawMessage `json:"datasource"`
}

type rawVariable struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	IncludeAll bool   `json:"includeAll"`
	Current    struct {
		Value json.RawMessage `json:"value"`
	} `json:"current"`
	Query json.RawMessage `json:"query"`
}

// Options shape substitution of Grafana's built-in variables.
type Options struct {
	// RateWindow replaces $__rate_interval and $__interval (default 1m).
	RateWindow time.Duration
	// Range replaces $__range (default 15m).
	Range time.Duration
}

// Load reads a dashboard file. Errors name the file and, for JSON syntax,
// the line.
func Load(path string, o Options) (*Dashboard, error) {
	data, err := safefile.Read(path, 16<<20)
	if err != nil {
		return nil, fmt.Errorf("grafana dashboard %s: %w", path, err)
	}
	d, err := Parse(data, o)
	if err != nil {
		return nil, fmt.Errorf("grafana dashboard %s: %w", path, err)
	}
	return d, nil
}

// Parse reads dashboard JSON.
func Parse(data []byte, o Options) (*Dashboard, error) {
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	if o.Range <= 0 {
		o.Range = 15 * time.Minute
	}
	var raw rawDashboard
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, jsonError(data, err)
	}
	if raw.Dashboard != nil && len(raw.Panels) == 0 && len(raw.Rows) == 0 {
		raw = *raw.Dashboard
	}
	inputs := map[string]string{}
	for _, in := range raw.Inputs {
		if in.Type == "constant" {
			inputs[in.Name] = in.Value
		}
	}
	panels := flatten(raw.Panels, "")
	for _, r := range raw.Rows {
		panels = append(panels, flatten(r.Panels, rowTitle(r.Title))...)
	}
	if len(panels) == 0 {
		return nil, fmt.Errorf("no panels: is this a Grafana dashboard JSON (Share → Export)?")
	}
	vars := variables(raw.Templating.List, o)
	for name, value := range inputs {
		if _, ok := vars[name]; !ok {
			vars[name] = value
		}
	}
	d := &Dashboard{Title: raw.Title}
	for _, p := range panels {
		title := strings.TrimSpace(p.Title)
		if title == "" {
			title = "untitled " + p.Type + " panel"
		}
		if kind := sourceType(p.Datasource); kind != "" && kind != "prometheus" {
			d.Skipped = append(d.Skipped, fmt.Sprintf("%s: a %s panel, not Prometheus", title, kind))
			continue
		}
		var targets []rawTarget
		for _, t := range p.Targets {
			if kind := sourceType(t.Datasource); kind != "" && kind != "prometheus" {
				continue
			}
			if strings.TrimSpace(t.Expr) != "" && !t.Hide {
				targets = append(targets, t)
			}
		}
		if len(targets) == 0 {
			d.Skipped = append(d.Skipped, title+": no Prometheus query")
			continue
		}
		unit, divide := unitOf(p.rawPanel)
		warn, crit := thresholds(p.rawPanel, divide)
		for i, t := range targets {
			q := Query{Title: title, Raw: t.Expr, Unit: unit, Warn: warn, Crit: crit, Row: p.row}
			if len(targets) > 1 {
				q.Title += " · " + cmp.Or(legend(t.LegendFormat), strings.TrimSpace(t.RefID), fmt.Sprintf("query %d", i+1))
			}
			q.Expr, q.Unresolved = substitute(t.Expr, vars)
			if divide != 1 {
				q.Expr = "(" + q.Expr + ") / " + fmt.Sprint(divide)
			}
			d.Queries = append(d.Queries, q)
		}
	}
	return d, nil
}

// placed is a panel and the row it sits in ("" above the first row).
type placed struct {
	rawPanel
	row string
}

// flatten lists the panels in dashboard order with their rows: a row panel
// starts a row that holds the panels after it (and, collapsed, the ones
// nested in it).
func flatten(ps []rawPanel, row string) []placed {
	var out []placed
	for _, p := range ps {
		if p.Type == "row" {
			row = rowTitle(p.Title)
			out = append(out, flatten(p.Panels, row)...)
			continue
		}
		out = append(out, placed{p, row})
	}
	return out
}

// rowTitle is a row's title, named when the dashboard left it blank (a row
// still separates its panels from the others).
func rowTitle(t string) string { return cmp.Or(strings.TrimSpace(t), "untitled row") }

// sourceType is the data source's type when the panel says it; "" when it
// is the default, a variable (${DS_PROMETHEUS}) or a bare name.
func sourceType(raw json.RawMessage) string {
	var obj struct {
		Type string `json:"type"`
	}
	if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &obj) == nil {
		if obj.Type == "datasource" { // "-- Mixed --" or "-- Dashboard --": look at the targets
			return ""
		}
		return strings.ToLower(obj.Type)
	}
	return ""
}

// unitOf maps Grafana's unit names to opsdeck's; milliseconds are divided
// into seconds so that thresholds and formatting stay in one unit.
func unitOf(p rawPanel) (units.Unit, float64) {
	u := p.FieldConfig.Defaults.Unit
	if u == "" && len(p.Yaxes) > 0 {
		u = p.Yaxes[0].Format
	}
	switch u {
	case "reqps", "rps", "ops", "opsps":
		return units.ReqPerSec, 1
	case "percentunit":
		return units.Ratio, 1
	case "percent":
		return units.Percentage, 1
	case "s":
		return units.Seconds, 1
	case "ms":
		return units.Seconds, 1000
	case "bytes", "decbytes", "bits":
		return units.Bytes, 1
	}
	return units.None, 1
}

// thresholds reads the panel's threshold steps, in the panel's unit divided
// by divide: the first red step is critical, the first yellow or orange step a warning.
func thresholds(p rawPanel, divide float64) (warn, crit *float64) {
	for _, s := range p.FieldConfig.Defaults.Thresholds.Steps {
		if s.Value == nil {
			continue // the base colour
		}
		v := *s.Value / divide
		switch c := strings.ToLower(s.Color); {
		case strings.Contains(c, "red") && crit == nil:
			crit = &v
		case (strings.Contains(c, "yellow") || strings.Contains(c, "orange")) && warn == nil:
			warn = &v
		}
	}
	return warn, crit
}

var variable = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\[\[([A-Za-z0-9_]+)\]\]|\$([A-Za-z0-9_]+)`)

// variables maps each variable name to its substitution.
func variables(list []rawVariable, o Options) map[string]string {
	vars := map[string]string{
		"__rate_interval": promDuration(o.RateWindow),
		"__interval":      promDuration(o.RateWindow),
		"__interval_ms":   fmt.Sprint(o.RateWindow.Milliseconds()),
		"__range":         promDuration(o.Range),
		"__range_s":       fmt.Sprint(int(o.Range.Seconds())),
	}
	for _, v := range list {
		if value, ok := currentValue(v.Current.Value); ok {
			vars[v.Name] = value
		} else if v.IncludeAll {
			vars[v.Name] = ".*" // no selection where "All" is allowed: Grafana's default
		} else if v.Type == "constant" || v.Type == "textbox" {
			var s string
			if json.Unmarshal(v.Query, &s) == nil {
				vars[v.Name] = s
			}
		}
	}
	return vars
}

// currentValue reads a variable's current selection; "All" and multiple
// values become a regex alternative, as Grafana renders them for =~.
func currentValue(raw json.RawMessage) (string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		if one == "$__all" {
			return ".*", true
		}
		return one, true
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		for _, m := range many {
			if m == "$__all" {
				return ".*", true
			}
		}
		return strings.Join(many, "|"), true
	}
	return "", false
}

func substitute(expr string, vars map[string]string) (string, []string) {
	var missing []string
	out := variable.ReplaceAllStringFunc(expr, func(m string) string {
		sub := variable.FindStringSubmatch(m)
		name := cmp.Or(sub[1], sub[2], sub[3])
		if strings.Trim(name, "0123456789") == "" {
			return m // $1, ${1}: a regex group in label_replace, not a variable
		}
		if v, ok := vars[name]; ok {
			return v
		}
		what := "$" + name
		if strings.HasPrefix(name, "VAR_") {
			what = "${" + name + "} (an export constant missing from __inputs)"
		}
		if !slices.Contains(missing, what) {
			missing = append(missing, what)
		}
		return m
	})
	sort.Strings(missing)
	return out, missing
}

// template is a legend's {{label}} placeholders.
var template = regexp.MustCompile(`\{\{\s*([^}]*?)\s*\}\}`)

// legend is a target's legend as a title: its placeholders by their label
// names ("{{handler}} 5xx" is "handler 5xx"); "" when nothing is left.
func legend(format string) string {
	return strings.Join(strings.Fields(template.ReplaceAllString(format, "$1")), " ")
}

func promDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return fmt.Sprintf("%ds", int(d/time.Second))
}

// jsonError turns an offset into a line number.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("line %d: not valid JSON: %v", lineAt(data, se.Offset), err)
	case errors.As(err, &te):
		return fmt.Errorf("line %d: %s has the wrong type (want %s)", lineAt(data, te.Offset), te.Field, te.Type)
	}
	return err
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return strings.Count(string(data[:off]), "\n") + 1
}
