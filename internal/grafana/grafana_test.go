package grafana

import (
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
)

func TestOriginDashboard(t *testing.T) {
	d, err := Load("../../cli/testdata/grafana-origin-dashboard.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ title, expr string }{
		{"API RPS", "sum(rate(http_requests_total[5m]))"},
		{"API Error Rate (%)", `sum(rate(http_requests_total{status_code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) * 100`},
		{"API Latency P95 (seconds)", "histogram_quantile(0.95, sum(rate(http_requests_duration_seconds_bucket[5m])) by (le))"},
		{"Memory Usage", "memory_usage_bytes"},
	}
	if len(d.Queries) != len(want) {
		t.Fatalf("%d queries: %+v", len(d.Queries), d.Queries)
	}
	for i, w := range want {
		if q := d.Queries[i]; q.Title != w.title || q.Expr != w.expr {
			t.Errorf("query %d: %q %q, want %q %q", i, q.Title, q.Expr, w.title, w.expr)
		}
	}
}

const modern = `{
  "title": "Modern",
  "templating": {"list": [
    {"name": "job", "type": "query", "current": {"value": "fastapi-app"}},
    {"name": "handler", "type": "custom", "current": {"value": ["/a", "/b"]}},
    {"name": "env", "type": "constant", "query": "prod"},
    {"name": "all", "type": "query", "current": {"value": "$__all"}}
  ]},
  "panels": [
    {"type": "row", "title": "collapsed", "panels": [
      {"type": "timeseries", "title": "Latency", "datasource": {"type": "prometheus", "uid": "x"},
       "fieldConfig": {"defaults": {"unit": "ms", "thresholds": {"steps": [
         {"color": "green", "value": null}, {"color": "orange", "value": 500}, {"color": "red", "value": 2000}]}}},
       "targets": [{"refId": "A", "expr": "histogram_quantile(0.95, sum by (le) (rate(x_bucket{job=\"$job\",handler=~\"${handler}\"}[$__rate_interval])))"}]}
    ]},
    {"type": "stat", "title": "Two", "datasource": "${DS_PROMETHEUS}", "fieldConfig": {"defaults": {"unit": "percentunit"}},
     "targets": [{"refId": "A", "expr": "up{env=\"[[env]]\",x=~\"$all\"}", "legendFormat": "up"}, {"refId": "B", "expr": "vector(1)"},
                 {"refId": "C", "expr": "hidden", "hide": true}]},
    {"type": "logs", "title": "Logs", "datasource": {"type": "loki"}, "targets": [{"expr": "{app=\"x\"}"}]},
    {"type": "text", "title": "Notes"},
    {"type": "timeseries", "title": "Unknown var", "targets": [{"expr": "rate(y{a=\"$missing\"}[$__interval])"}]}
  ]
}`

func TestModernDashboardVariablesUnitsThresholds(t *testing.T) {
	d, err := Parse([]byte(modern), Options{RateWindow: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Queries) != 4 {
		t.Fatalf("%d queries: %+v", len(d.Queries), d.Queries)
	}
	lat := d.Queries[0]
	if lat.Expr != `(histogram_quantile(0.95, sum by (le) (rate(x_bucket{job="fastapi-app",handler=~"/a|/b"}[2m])))) / 1000` {
		t.Errorf("latency expr: %s", lat.Expr)
	}
	if lat.Unit != units.Seconds || lat.Warn == nil || *lat.Warn != 0.5 || lat.Crit == nil || *lat.Crit != 2 {
		t.Errorf("ms become seconds, thresholds too: %v %v %v", lat.Unit, lat.Warn, lat.Crit)
	}
	// A collapsed row holds its panels; the panels after a row are its own.
	for _, q := range d.Queries {
		if q.Row != "collapsed" {
			t.Errorf("%s: row %q, want collapsed", q.Title, q.Row)
		}
	}
	if q := d.Queries[1]; q.Title != "Two · up" || q.Expr != `up{env="prod",x=~".*"}` || q.Unit != units.Ratio {
		t.Errorf("second: %+v", q)
	}
	if q := d.Queries[2]; q.Title != "Two · B" {
		t.Errorf("a target without a legend is named by its refId: %q", q.Title)
	}
	if q := d.Queries[3]; len(q.Unresolved) != 1 || q.Unresolved[0] != "$missing" || !strings.Contains(q.Expr, "[2m]") {
		t.Errorf("unknown variable: %+v", q)
	}
	skipped := strings.Join(d.Skipped, "; ")
	if !strings.Contains(skipped, "Logs: a loki panel, not Prometheus") || !strings.Contains(skipped, "Notes: no Prometheus query") {
		t.Errorf("skipped: %s", skipped)
	}
}

func TestOldSchemaRowsAndExportWrapper(t *testing.T) {
	old := `{"dashboard": {"title": "Old", "rows": [{"title": "Traffic", "panels": [
	  {"type": "graph", "title": "Req", "yaxes": [{"format": "reqps"}, {"format": "short"}], "targets": [{"expr": "sum(rate(r[1m]))"}]}]},
	  {"panels": [{"title": "Up", "targets": [{"expr": "up"}]}]}]}}`
	d, err := Parse([]byte(old), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Old" || len(d.Queries) != 2 || d.Queries[0].Unit != units.ReqPerSec {
		t.Fatalf("%+v", d)
	}
	if d.Queries[0].Row != "Traffic" || d.Queries[1].Row != "untitled row" {
		t.Errorf("rows: %q, %q", d.Queries[0].Row, d.Queries[1].Row)
	}
}

func TestBadFilesSayWhere(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"{\n  \"panels\": [\n    {\"title\": 3}\n  ]\n}", "line 3: panels.title has the wrong type"},
		{"{\n  \"panels\": [\n", "not valid JSON"},
		{`{"title": "x"}`, "no panels"},
	} {
		_, err := Parse([]byte(c.src), Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.src, err, c.want)
		}
	}
	if _, err := Load("nope.json", Options{}); err == nil || !strings.Contains(err.Error(), "grafana dashboard nope.json") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParse: no dashboard, however broken, makes the import panic; what it
// returns is either an error or queries with titles.
func FuzzParse(f *testing.F) {
	f.Add([]byte(modern))
	f.Add([]byte(`{"rows": [{"panels": [{"targets": [{"expr": "up"}]}]}]}`))
	f.Add([]byte(`{"panels": [{"type": "row", "panels": [{"title": "x", "targets": [{"expr": "$a ${b:raw} [[c]]"}]}]}]}`))
	f.Add([]byte(`{"dashboard": {"panels": []}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data, Options{})
		if err != nil {
			return
		}
		for _, q := range d.Queries {
			if q.Title == "" || q.Expr == "" {
				t.Errorf("a query without a title or expression: %+v", q)
			}
		}
	})
}

// TestRealDashboardsImport: what real exported dashboards hold. Regex groups
// in label_replace are not variables; a missing variable is listed once;
// export constants come from __inputs or are named as such; $__interval_ms
// is known; "All" with no selection is .*; a multi-query panel is titled by
// its legend without {{…}}, else its refId, never an empty suffix.
func TestRealDashboardsImport(t *testing.T) {
	d, err := Parse([]byte(`{
  "__inputs": [{"name": "DS_PROM", "type": "datasource"}, {"name": "VAR_JOB", "type": "constant", "value": "fastapi-app"}],
  "templating": {"list": [{"name": "route", "type": "query", "includeAll": true, "current": {}}]},
  "panels": [
    {"title": "Routes", "type": "timeseries", "targets": [
      {"expr": "label_replace(rate(x{job=\"${VAR_JOB}\", route=~\"$route\"}[$__rate_interval]), \"r\", \"$1\", \"route\", \"/(.*)\")", "refId": "A", "legendFormat": "{{ route }} rps"},
      {"expr": "sum(rate(y{zone=\"$zone\", other=\"$zone\"}[${__interval_ms}ms])) + ${1}", "refId": "B", "legendFormat": "{{}}"},
      {"expr": "z{j=\"${VAR_MISSING}\"}", "refId": "", "legendFormat": ""}
    ]}
  ]}`), Options{RateWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Queries) != 3 {
		t.Fatalf("%+v", d.Queries)
	}
	a, b, c := d.Queries[0], d.Queries[1], d.Queries[2]
	if a.Title != "Routes · route rps" || a.Expr != `label_replace(rate(x{job="fastapi-app", route=~".*"}[1m]), "r", "$1", "route", "/(.*)")` || len(a.Unresolved) != 0 {
		t.Errorf("A: %q %q %v", a.Title, a.Expr, a.Unresolved)
	}
	if b.Title != "Routes · B" || !strings.Contains(b.Expr, "[60000ms]") || !strings.Contains(b.Expr, "${1}") ||
		strings.Join(b.Unresolved, ",") != "$zone" {
		t.Errorf("B: %q %q %v", b.Title, b.Expr, b.Unresolved)
	}
	if c.Title != "Routes · query 3" || strings.Join(c.Unresolved, ",") != "${VAR_MISSING} (an export constant missing from __inputs)" {
		t.Errorf("C: %q %v", c.Title, c.Unresolved)
	}
}
