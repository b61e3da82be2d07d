package snapshot

import (
	"context"
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// Postgres is the database section. When the server cannot be read only
// reachable, target and error are present.
type Postgres struct {
	Reachable bool   `json:"reachable"`
	Target    string `json:"target,omitempty"`
	Error     string `json:"error,omitempty"`
	*sources.DBState
	BlockedSessions           *int     `json:"blocked_sessions,omitempty"`
	LongestTransactionSeconds *float64 `json:"longest_transaction_seconds,omitempty"`
	// thresholds colour the overview's cells.
	thresholds sources.DBThresholds
	configured bool
}

func postgresSource() Source {
	return Source{Name: "postgres", Key: "postgres", Gate: GateAlways,
		configured: func(env *sources.Environment) bool { return isSet(env.Database) },
		read:       func(ctx context.Context, r *reading) { r.doc.Postgres = readPostgres(ctx, r.env) },
		section:    func(d *Document) Section { return d.Postgres }}
}

func readPostgres(ctx context.Context, env *sources.Environment) Postgres {
	out := Postgres{Target: env.Database.Target, thresholds: env.DBThresholds, configured: env.Database.Source != nil}
	if env.Database.Source == nil {
		out.Error = notConfigured(env.Database.Problem)
		return out
	}
	st, err := env.Database.Source.Poll(ctx, sources.DBRequest{})
	if err != nil {
		out.Error = env.Scrubber.Error(err)
		return out
	}
	blocked, longest := len(st.Blocked), 0.0
	if t := st.LongestTransaction; t != nil {
		longest = t.XactAge
	}
	out.Reachable, out.DBState, out.BlockedSessions, out.LongestTransactionSeconds = true, &st, &blocked, &longest
	return out
}

func (p Postgres) Down() string {
	if p.configured && !p.Reachable {
		return p.Error
	}
	return ""
}

func (p Postgres) Text(b *strings.Builder) {
	if !p.Reachable {
		fmt.Fprintf(b, "Postgres: unreachable (%s)\n", p.Error)
		return
	}
	st := p.DBState
	c := st.Connections
	fmt.Fprintf(b, "Postgres %s %s at %s: %d/%d connections (%d active, %d idle, %d idle in transaction), %d blocked, size %s\n",
		st.Version, st.Role, p.Target, c.Total, c.Max, c.Active, c.Idle, c.IdleInTransaction, len(st.Blocked), units.Format(float64(st.DatabaseSize), units.Bytes))
	if t := st.LongestTransaction; t != nil {
		fmt.Fprintf(b, "  longest transaction: %s, pid %d %s (%s): %s\n", units.Span(units.FromSeconds(t.XactAge)), t.PID, t.User, t.State, strings.Join(strings.Fields(t.Query), " "))
	}
	for _, bl := range st.Blocked {
		fmt.Fprintf(b, "  blocked: pid %d by %v: %s\n", bl.PID, bl.BlockedBy, strings.Join(strings.Fields(bl.Query), " "))
	}
	for _, d := range details(st) {
		b.WriteString("  " + d + "\n")
	}
}

// details are the Postgres findings both the text and the Markdown list:
// missing extensions, replication, pgbouncer trouble and what the role cannot see.
func details(st *sources.DBState) []string {
	var out []string
	for _, m := range st.MissingExtensions {
		out = append(out, "missing extension: "+m)
	}
	for _, r := range st.Replication.Replicas {
		out = append(out, fmt.Sprintf("replica %s (%s): %s", r.Name, r.Client, r.State))
	}
	if u := st.Replication.Upstream; u != nil {
		out = append(out, fmt.Sprintf("replica of %s: %s", u.Sender, u.Status))
	}
	if bo := st.Pgbouncer; bo != nil && bo.Error != "" {
		out = append(out, "pgbouncer: "+bo.Error)
	}
	for _, h := range st.Hidden {
		out = append(out, "note: "+h)
	}
	return out
}

func (p Postgres) Markdown(b *strings.Builder) {
	b.WriteString("## PostgreSQL\n\n")
	if !p.Reachable {
		fmt.Fprintf(b, "Unreachable: %s\n\n", orNone(p.Error))
		return
	}
	st := p.DBState
	c := st.Connections
	fmt.Fprintf(b, "- %s %s at `%s`, size %s\n", st.Role, st.Version, p.Target, units.Format(float64(st.DatabaseSize), units.Bytes))
	fmt.Fprintf(b, "- Connections: %d of %d (%d active, %d idle, %d idle in transaction)\n", c.Total, c.Max, c.Active, c.Idle, c.IdleInTransaction)
	fmt.Fprintf(b, "- Blocked sessions: %d\n", len(st.Blocked))
	for _, bl := range st.Blocked {
		by := make([]string, len(bl.BlockedBy))
		for i, p := range bl.BlockedBy {
			by[i] = fmt.Sprint(p)
		}
		fmt.Fprintf(b, "  - pid %d blocked by pid %s: `%s`\n", bl.PID, strings.Join(by, ", "), oneLine(bl.Query))
	}
	if t := st.LongestTransaction; t != nil {
		fmt.Fprintf(b, "- Longest transaction: %s, pid %d %s (%s): `%s`\n", units.Span(units.FromSeconds(t.XactAge)), t.PID, t.User, t.State, oneLine(t.Query))
	}
	if q := st.LongestQuery; q != nil {
		fmt.Fprintf(b, "- Longest query: %s, pid %d %s: `%s`\n", units.Span(units.FromSeconds(q.QueryAge)), q.PID, q.User, oneLine(q.Query))
	}
	if r := st.CacheHitRatio; r != nil {
		fmt.Fprintf(b, "- Cache hit ratio: %s\n", units.Format(*r, units.Ratio))
	}
	for _, d := range details(st) {
		b.WriteString("- " + strings.ToUpper(d[:1]) + d[1:] + "\n")
	}
	b.WriteString("\n")
}

// usable are the connections clients may take (max less the reserved).
func usable(c sources.DBConnections) int { return c.Max - c.Reserved }

// Cells: the blocked sessions first (the worst), then the connections used
// of those usable.
func (p Postgres) Cells() []Cell {
	switch {
	case !p.configured:
		return []Cell{{Text: "PG –"}}
	case !p.Reachable:
		return []Cell{{Text: "PG down", Status: sources.StatusCrit}}
	}
	c := p.Connections
	conn := Cell{Text: fmt.Sprintf("PG %d/%d conn", c.Total, usable(c)), Status: sources.StatusOK}
	if u := usable(c); u > 0 {
		conn.Status = worst(sources.StatusOK, p.thresholds.Connections.Classify(float64(c.Total)/float64(u)))
	}
	if n := len(p.Blocked); n > 0 {
		return []Cell{{Text: fmt.Sprintf("%d blocked", n), Status: sources.StatusWarn}, conn}
	}
	return []Cell{conn}
}

// Findings: a database that cannot be reached. A lock wait of the moment
// is the overview's and the pane's to show, not a reason to stop a deploy.
func (p Postgres) Findings() []Finding {
	if p.configured && !p.Reachable {
		return []Finding{{Level: sources.StatusCrit, Text: "PostgreSQL at " + p.Target + " cannot be read: " + p.Error}}
	}
	return nil
}
