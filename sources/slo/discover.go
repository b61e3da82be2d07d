package slo

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/opsdeck/opsdeck/sources"
)

// recordingRule is one recording rule of /api/v1/rules?type=record.
type recordingRule struct {
	Name   string            `json:"name"`
	Query  string            `json:"query"`
	Labels map[string]string `json:"labels"`
}

type rulesAnswer struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		Groups []struct {
			Rules []recordingRule `json:"rules"`
		} `json:"groups"`
	} `json:"data"`
}

// recordingRules reads the server's recording rules.
func (s *Source) recordingRules(ctx context.Context) ([]recordingRule, error) {
	body, code, status, err := s.api.Do(ctx, "GET", "/api/v1/rules?type=record", nil, "")
	if err != nil {
		return nil, err
	}
	rules, err := decodeRules(body, code, status)
	if err != nil {
		return nil, fmt.Errorf("the rules of %s: %s", s.api, s.scrub(err.Error()))
	}
	return rules, nil
}

// decodeRules reads an answer of /api/v1/rules: its recording rules, or
// why there are none to read.
func decodeRules(body []byte, code int, status string) ([]recordingRule, error) {
	var a rulesAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		if code != 200 {
			return nil, errors.New(status)
		}
		return nil, fmt.Errorf("not Prometheus's JSON: %v", err)
	}
	if a.Status != "success" {
		return nil, errors.New(cmp.Or(a.Error, status, "status "+a.Status))
	}
	var out []recordingRule
	for _, g := range a.Data.Groups {
		out = append(out, g.Rules...)
	}
	return out, nil
}

// scrub masks secrets in what the server said.
func (s *Source) scrub(text string) string { return s.api.Scrub(fmt.Errorf("%s", text)).Error() }

// constant is the value of a rule that records vector(X), as sloth's
// objective and period rules do (NaN when the query is another).
func constant(query string) float64 {
	q := strings.TrimSpace(query)
	if !strings.HasPrefix(q, "vector(") || !strings.HasSuffix(q, ")") {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(q[len("vector("):len(q)-1]), 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

var (
	slothRatio = regexp.MustCompile(`^slo:sli_error:ratio_rate(\w+)$`)
	pyrraBurn  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*:burnrate(\w+)$`)
)

// fromRules finds sloth's and pyrra's objectives among rules: those whose
// objective and windows the rules say.
func fromRules(rules []recordingRule) []objective {
	return append(slothObjectives(rules), pyrraObjectives(rules)...)
}

// slothObjectives: one per sloth_id of sloth_slo_info, its objective and
// period from its meta rules, its error ratios from its SLI rules.
func slothObjectives(rules []recordingRule) []objective {
	type found struct {
		name      string
		objective float64
		days      float64
		ratios    map[time.Duration]string
	}
	byID := map[string]*found{}
	get := func(id string) *found {
		if byID[id] == nil {
			byID[id] = &found{objective: math.NaN(), days: 30, ratios: map[time.Duration]string{}}
		}
		return byID[id]
	}
	for _, r := range rules {
		id := r.Labels["sloth_id"]
		if id == "" {
			continue
		}
		switch {
		case r.Name == "sloth_slo_info":
			get(id).name = id
			if svc, slo := r.Labels["sloth_service"], r.Labels["sloth_slo"]; svc != "" && slo != "" {
				get(id).name = svc + "/" + slo
			}
		case r.Name == "slo:objective:ratio":
			get(id).objective = constant(r.Query)
		case r.Name == "slo:time_period:days":
			if d := constant(r.Query); d > 0 {
				get(id).days = d
			}
		default:
			if m := slothRatio.FindStringSubmatch(r.Name); m != nil {
				if w, err := model.ParseDuration(m[1]); err == nil {
					get(id).ratios[time.Duration(w)] = fmt.Sprintf("%s{sloth_id=%q}", r.Name, id)
				}
			}
		}
	}
	var out []objective
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		f := byID[id]
		window := time.Duration(f.days * 24 * float64(time.Hour))
		ratios := pick(f.ratios, allWindows(window), 0)
		if f.name == "" || !ratio(f.objective) || len(ratios) == 0 {
			continue // not sloth's whole set of rules
		}
		out = append(out, objective{name: f.name, origin: "sloth", objective: f.objective, window: window, query: batch(ratios)})
	}
	return out
}

// pyrraObjectives: one per slo label of pyrra_objective, its window from
// pyrra_window, its error ratios from its burnrate rules (whose windows
// scale with the objective's: the nearest within a fifth stands in).
func pyrraObjectives(rules []recordingRule) []objective {
	type found struct {
		objective float64
		window    time.Duration
		ratios    map[time.Duration]string
	}
	bySLO := map[string]*found{}
	get := func(slo string) *found {
		if bySLO[slo] == nil {
			bySLO[slo] = &found{objective: math.NaN(), window: 28 * 24 * time.Hour, ratios: map[time.Duration]string{}}
		}
		return bySLO[slo]
	}
	for _, r := range rules {
		slo := r.Labels["slo"]
		if slo == "" {
			continue
		}
		switch {
		case r.Name == "pyrra_objective":
			get(slo).objective = constant(r.Query)
		case r.Name == "pyrra_window":
			if s := constant(r.Query); s > 0 {
				get(slo).window = time.Duration(s * float64(time.Second))
			}
		case r.Name == "pyrra_availability":
			get(slo).ratios[-1] = fmt.Sprintf("(1 - pyrra_availability{slo=%q})", slo)
		default:
			if m := pyrraBurn.FindStringSubmatch(r.Name); m != nil {
				if w, err := model.ParseDuration(m[1]); err == nil {
					get(slo).ratios[time.Duration(w)] = fmt.Sprintf("%s{slo=%q}", r.Name, slo)
				}
			}
		}
	}
	var out []objective
	for _, slo := range slices.Sorted(maps.Keys(bySLO)) {
		f := bySLO[slo]
		ratios := pick(f.ratios, sources.SLOWindows, 0.2)
		if own, ok := f.ratios[-1]; ok {
			ratios[f.window] = own
		}
		if !ratio(f.objective) || len(ratios) == 0 {
			continue
		}
		out = append(out, objective{name: slo, origin: "pyrra", objective: f.objective, window: f.window, query: batch(ratios)})
	}
	return out
}

// ratio reports whether an objective is a ratio of good events a team
// could mean: above 0, below 1.
func ratio(v float64) bool { return v > 0 && v < 1 }

// pick is, for each wanted window, the rule of that window, or of the
// nearest one within slack of it (a fraction).
func pick(have map[time.Duration]string, want []time.Duration, slack float64) map[time.Duration]string {
	out := map[time.Duration]string{}
	for _, w := range want {
		best, bestOff := time.Duration(0), math.Inf(1)
		for h := range have {
			if h <= 0 {
				continue
			}
			if off := math.Abs(float64(h-w)) / float64(w); off <= slack && off < bestOff {
				best, bestOff = h, off
			}
		}
		if best > 0 {
			out[w] = have[best]
		}
	}
	return out
}
