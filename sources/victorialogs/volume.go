package victorialogs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
)

// hitsAnswer is /select/logsql/hits's answer: per group of level fields,
// the count of each step.
type hitsAnswer struct {
	Hits []struct {
		Fields     map[string]string `json:"fields"`
		Timestamps []string          `json:"timestamps"`
		Values     []int             `json:"values"`
	} `json:"hits"`
}

// Volume counts q's lines by level in steps of step (longer when the range
// would have more than maxSteps), oldest first, one entry per step that
// VictoriaLogs counted.
func (c *Client) Volume(ctx context.Context, q sources.LogQuery, step time.Duration) ([]sources.LogVolume, error) {
	query, err := c.query(q.Filter, q.MinLevel)
	if err != nil {
		return nil, err
	}
	if step <= 0 {
		return nil, fmt.Errorf("a volume step of %s: it must be positive", step)
	}
	if span := q.End.Sub(q.Start); !q.Start.IsZero() && !q.End.IsZero() && span/step > maxSteps {
		step = (span/maxSteps + time.Second - 1).Truncate(time.Second)
	}
	v := url.Values{"query": {query}, "step": {step.String()}, "fields_limit": {strconv.Itoa(maxGroups)}, "field": levelFields()}
	timeRange(v, q.Start, q.End)
	body, code, status, err := c.api.Do(ctx, http.MethodGet, "/select/logsql/hits?"+v.Encode(), nil, "")
	if err != nil {
		return nil, err
	}
	out, err := volumeOf(body, code, status, c.String())
	return out, c.api.Scrub(err)
}

// volumeOf decodes hits's answer into counts per step by level.
func volumeOf(body []byte, code int, status, server string) ([]sources.LogVolume, error) {
	if code/100 != 2 {
		text := strings.TrimSpace(string(body))
		if text == "" || text[0] == '<' {
			return nil, fmt.Errorf("%s answered %s", server, safetext.Shorten(safetext.String(status), 100))
		}
		return nil, fmt.Errorf("%s answered %s: %s", server, safetext.Shorten(safetext.String(status), 100), safetext.Shorten(safetext.String(text), 500))
	}
	var a hitsAnswer
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
		return nil, fmt.Errorf("%s answered an HTML page, not VictoriaLogs's API (a login page or a proxy's?)", server)
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("%s's answer is not VictoriaLogs's hits: %s", server, safetext.Shorten(safetext.String(err.Error()), 200))
	}
	byTime := map[time.Time]map[string]int{}
	for _, h := range a.Hits {
		level := safetext.String(Level(levelText(h.Fields), ""))
		for i, ts := range h.Timestamps {
			t, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil || i >= len(h.Values) {
				return nil, fmt.Errorf("%s's hits hold a step %q that is not a time, or no count for it", server, safetext.Shorten(safetext.String(ts), 40))
			}
			if byTime[t] == nil {
				byTime[t] = map[string]int{}
			}
			if h.Values[i] != 0 {
				byTime[t][level] += h.Values[i]
			}
		}
	}
	out := make([]sources.LogVolume, 0, len(byTime))
	for t, m := range byTime {
		out = append(out, sources.LogVolume{Time: t, ByLevel: m})
	}
	slices.SortFunc(out, func(a, b sources.LogVolume) int { return a.Time.Compare(b.Time) })
	return out, nil
}
