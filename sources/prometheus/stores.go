package prometheus

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// storesTTL: a Thanos querier checks its stores every 5 s (by default) and
// leaves out one that fails; asked again this often, the panes of one
// refresh share one answer, and a store left out is said at most a refresh
// after the querier's own finding.
const storesTTL = 2 * time.Second

// maxStoreNotes bounds the notes on stores left out, one each; the rest
// are counted in one more.
const maxStoreNotes = 3

// maxStoreLabels bounds the labels a note writes of one label set.
const maxStoreLabels = 6

// storeList is /api/v1/stores' data: the stores by type.
type storeList map[string][]struct {
	Name      string              `json:"name"`
	LastError *string             `json:"lastError"`
	LabelSets []map[string]string `json:"labelSets"`
}

// storesLeftOut are notes on the stores a Thanos querier lists with a
// failing health check: it asks them no more, so their series are missing
// from its answers without the warning a store that fails a query gives.
// Nothing on other servers. Cached for storesTTL, unless failing (an
// answer warned of a store that failed it): that store is about to be left
// out, and the next answer, without the warning, must not read a list
// from before.
func (c *Client) storesLeftOut(ctx context.Context, f Flavour, failing bool) []string {
	if f.Name != FlavourThanos {
		return nil
	}
	c.mu.Lock()
	if failing {
		c.storesAt = time.Time{}
	}
	if !c.storesAt.IsZero() && time.Since(c.storesAt) < storesTTL {
		notes := c.storesNotes
		c.mu.Unlock()
		return notes
	}
	c.mu.Unlock()
	var list storeList
	// Unanswered, nothing is said (the reading's own errors say what is
	// wrong with the server), and not asked again before storesTTL.
	_ = c.call(ctx, "/stores", nil, &list)
	var notes []string
	more := 0
	for _, kind := range slices.Sorted(maps.Keys(list)) {
		for _, s := range list[kind] {
			switch {
			case s.LastError == nil:
			case len(notes) < maxStoreNotes:
				notes = append(notes, fmt.Sprintf("warning: Thanos leaves out %s %s%s, which fails its health check: its series are missing", kind, s.Name, labelSets(s.LabelSets)))
			default:
				more++
			}
		}
	}
	if more > 0 {
		notes = append(notes, fmt.Sprintf("warning: Thanos leaves out %d more stores, which fail their health checks: their series are missing", more))
	}
	if !failing {
		c.mu.Lock()
		c.storesNotes, c.storesAt = notes, time.Now()
		c.mu.Unlock()
	}
	return notes
}

// labelSets are a store's external label sets as PromQL writes them, the
// first two and their first maxStoreLabels labels, " " before them (""
// without).
func labelSets(sets []map[string]string) string {
	var out []string
	for _, set := range sets[:min(len(sets), 2)] {
		var pairs []string
		keys := slices.Sorted(maps.Keys(set))
		for _, k := range keys[:min(len(keys), maxStoreLabels)] {
			pairs = append(pairs, fmt.Sprintf("%s=%q", k, set[k]))
		}
		if len(keys) > maxStoreLabels {
			pairs = append(pairs, "…")
		}
		out = append(out, "{"+strings.Join(pairs, ", ")+"}")
	}
	if len(sets) > 2 {
		out = append(out, fmt.Sprintf("and %d more", len(sets)-2))
	}
	if len(out) == 0 {
		return ""
	}
	return " " + strings.Join(out, " ")
}
