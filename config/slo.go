package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/opsdeck/opsdeck/internal/promql"
)

// SLO is a service level objective declared in the configuration, for a
// team without sloth's or pyrra's rules: opsdeck derives its queries.
// Either errors and total (counters: bad events and all events), or
// latency (a histogram) and threshold (the bucket bound a good event is
// within). Objective, window and threshold are written as text
// (objective: 99.9, window: 30d, threshold: 0.5) and read by their
// methods once validated.
type SLO struct {
	Name      string `yaml:"name"`
	Objective string `yaml:"objective"`
	Window    string `yaml:"window,omitempty"`
	Errors    string `yaml:"errors,omitempty"`
	Total     string `yaml:"total,omitempty"`
	Latency   string `yaml:"latency,omitempty"`
	Threshold string `yaml:"threshold,omitempty"`
}

// DefaultSLOWindow is an objective's window when none is written.
const DefaultSLOWindow = 30 * 24 * time.Hour

// ObjectivePercent is the objective in percent (99.9); 0 when invalid.
func (s SLO) ObjectivePercent() float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s.Objective), "%")), 64)
	if err != nil {
		return 0
	}
	return v
}

// WindowDuration is the objective's window (DefaultSLOWindow when not
// written); 0 when invalid.
func (s SLO) WindowDuration() time.Duration {
	if strings.TrimSpace(s.Window) == "" {
		return DefaultSLOWindow
	}
	d, err := model.ParseDuration(strings.TrimSpace(s.Window))
	if err != nil {
		return 0
	}
	return time.Duration(d)
}

// ThresholdValue is the latency bound in the histogram's unit; -1 when
// invalid.
func (s SLO) ThresholdValue() float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s.Threshold), 64)
	if err != nil || v <= 0 {
		return -1
	}
	return v
}

// bareSelector is a query that is one vector selector alone.
var bareSelector = regexp.MustCompile(`^\s*[a-zA-Z_:][a-zA-Z0-9_:]*\s*(\{.*\})?\s*$`)

// slos checks each declared objective, naming the field at fault.
func (v *validator) slos(base string, slos []SLO) {
	seen := map[string]int{}
	for i, s := range slos {
		sb := fmt.Sprintf("%s.slos[%d]", base, i)
		switch first, dup := seen[s.Name]; {
		case strings.TrimSpace(s.Name) == "":
			v.fail(sb+".name", "each objective needs a name, such as api-availability")
		case dup:
			v.fail(sb+".name", "%q is also the name of slos[%d]", s.Name, first)
		default:
			seen[s.Name] = i
		}
		if p := s.ObjectivePercent(); p <= 0 || p >= 100 {
			v.fail(sb+".objective", "%q: write a percentage between 0 and 100, such as 99.9", s.Objective)
		}
		if w := s.WindowDuration(); w < 5*time.Minute {
			v.fail(sb+".window", "%q: write a window of at least 5m, such as 30d or 28d", s.Window)
		}
		v.sloQueries(sb, s)
	}
}

// sloQueries checks an objective's form: errors and total, or latency and
// threshold, each a selector (or PromQL with {{.window}} for the range).
func (v *validator) sloQueries(sb string, s SLO) {
	switch {
	case s.Latency != "":
		if s.Errors != "" || s.Total != "" {
			v.fail(sb+".latency", "write either errors and total, or latency with its threshold, not both")
			return
		}
		if !bareSelector.MatchString(s.Latency) {
			v.fail(sb+".latency", "%q: write a histogram's name with its matchers, such as http_request_duration_seconds{job=\"api\"}", s.Latency)
		} else if err := promql.Check(s.Latency); err != nil {
			v.fail(sb+".latency", "%q: %v", s.Latency, firstLine(err))
		}
		if s.ThresholdValue() <= 0 {
			v.fail(sb+".threshold", "%q: write the bound of a histogram bucket in its unit, such as 0.5", s.Threshold)
		}
		return
	case s.Errors == "" && s.Total == "":
		v.fail(sb+".errors", "write errors and total (counter selectors), or latency and threshold")
		return
	}
	for _, f := range []struct{ name, q string }{{"errors", s.Errors}, {"total", s.Total}} {
		switch {
		case strings.TrimSpace(f.q) == "":
			v.fail(sb+"."+f.name, "missing: errors and total go together")
		case !strings.Contains(f.q, "{{.window}}") && !bareSelector.MatchString(f.q):
			v.fail(sb+"."+f.name, "%q: write a counter selector such as http_requests_total{status=\"5xx\"}, or PromQL with {{.window}} where the range goes", f.q)
		default:
			if err := promql.Check(strings.ReplaceAll(f.q, "{{.window}}", "5m")); err != nil {
				v.fail(sb+"."+f.name, "%q: %v", f.q, firstLine(err))
			}
		}
	}
}
