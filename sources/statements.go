package sources

import (
	"cmp"
	"slices"
)

// StatementCounters are one pg_stat_statements entry's cumulative counters
// as read: they only mean something as the difference of two reads.
type StatementCounters struct {
	QueryID int64
	User    string
	Calls   int64
	TotalMS float64 // total_exec_time
	Rows    int64
	Query   string // normalised by the extension ($1 for constants)
}

// DBStatement is one statement over the interval between two reads.
type DBStatement struct {
	QueryID int64  `json:"queryid"`
	User    string `json:"user"`
	Query   string `json:"query"`
	// Calls, TotalMS and Rows are the interval's differences.
	Calls   int64   `json:"calls"`
	TotalMS float64 `json:"total_ms"`
	Rows    int64   `json:"rows"`
	// CallsPerSec and LoadMSPerSec (milliseconds of execution per second of
	// the interval) are the differences over its length; MeanMS and
	// RowsPerCall are per call made in it.
	CallsPerSec  float64 `json:"calls_per_sec"`
	LoadMSPerSec float64 `json:"ms_per_sec"`
	MeanMS       float64 `json:"mean_ms"`
	RowsPerCall  float64 `json:"rows_per_call"`
}

// DBStatements is the statements view: the busiest statements between the
// last two reads, or why there are none.
type DBStatements struct {
	// Problem says why nothing can be read (the extension is missing), in
	// words with the way to enable it; "" when it can.
	Problem string `json:"problem,omitempty"`
	// Seconds is the interval; 0 on the first read (no rates yet).
	Seconds float64       `json:"interval_seconds"`
	Entries int           `json:"entries"` // entries read
	Top     []DBStatement `json:"top"`
}

// statementKey is how pg_stat_statements keys an entry within a database.
type statementKey struct {
	id   int64
	user string
}

// StatementRates compares two reads taken seconds apart: each entry's
// differences, sorted by the time spent in it, the most first, at most top
// of them. Entries with no call in the interval are left out, and so are
// those whose counters went backwards (reset or evicted and re-added): their
// difference is not the interval's. An entry missing from prev is new, all
// its calls made in the interval, only when prev was complete (the read was
// not cut at its limit); otherwise it is left out until the next read.
func StatementRates(prev, cur []StatementCounters, prevComplete bool, seconds float64, top int) []DBStatement {
	if seconds <= 0 {
		return nil
	}
	before := make(map[statementKey]StatementCounters, len(prev))
	for _, p := range prev {
		before[statementKey{p.QueryID, p.User}] = p
	}
	var out []DBStatement
	for _, c := range cur {
		p, ok := before[statementKey{c.QueryID, c.User}]
		if !ok && !prevComplete {
			continue
		}
		calls, ms, rows := c.Calls-p.Calls, c.TotalMS-p.TotalMS, c.Rows-p.Rows
		if calls <= 0 || ms < 0 || rows < 0 {
			continue
		}
		out = append(out, DBStatement{QueryID: c.QueryID, User: c.User, Query: c.Query, Calls: calls, TotalMS: ms, Rows: rows,
			CallsPerSec: float64(calls) / seconds, LoadMSPerSec: ms / seconds,
			MeanMS: ms / float64(calls), RowsPerCall: float64(rows) / float64(calls)})
	}
	slices.SortFunc(out, func(a, b DBStatement) int {
		return cmp.Or(cmp.Compare(b.TotalMS, a.TotalMS), cmp.Compare(b.Calls, a.Calls), cmp.Compare(a.QueryID, b.QueryID))
	})
	if len(out) > top {
		out = out[:top]
	}
	return out
}
