package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opsdeck/opsdeck/sources"
)

// SessionIdentity is a backend as a signal may reach it: the pid with the
// moment its backend started (a pid is reused by the next backend), the
// moment its current query started and that query's digest (a pooled
// connection moves on to other queries), and its state.
type SessionIdentity struct {
	PID          int
	BackendStart string // epoch seconds, as the server gives them
	QueryStart   string // "" when it never ran a query
	QueryMD5     string
	State        string
}

// signalSQL picks the session a signal may reach: a client backend of this
// database, not one of this client's own connections. $SIGNAL is the
// function to call, or null to only read the session; $MATCH narrows it to
// one identity. The check and the signal are one statement: nothing runs
// between them.
const signalSQL = `SELECT json_build_object('session', ` + sessionJSON + `,
  'backend_start', extract(epoch FROM backend_start)::text, 'query_start', extract(epoch FROM query_start)::text,
  'query_md5', md5(query), 'raw_state', state, 'signalled', $SIGNAL)
FROM pg_stat_activity
WHERE pid = $PID AND datname = current_database() AND pid <> pg_backend_pid() AND pid <> ALL($OWN)
  -- Without pg_read_all_stats other roles' sessions show no backend_type.
  AND (backend_type = 'client backend' OR (backend_type IS NULL AND usesysid IS NOT NULL))$MATCH`

// Session reads backend pid as a signal would find it, with its identity;
// an error says why it is not one opsdeck may signal. own are more pids
// never to signal (the console's other connections).
func (c *Client) Session(ctx context.Context, pid int, own []int) (sources.DBSession, SessionIdentity, error) {
	s, id, _, err := c.signal(ctx, pid, "null", "", own)
	if err == nil && id == nil {
		err = fmt.Errorf("pid %d is not a client session of %s that opsdeck may signal (another database's, opsdeck's own, or gone)", pid, c.target)
	}
	if err != nil {
		return sources.DBSession{}, SessionIdentity{}, err
	}
	return s, *id, nil
}

// identityValue is what a server-given identity field may hold: it is put
// in the statement as a literal.
var identityValue = regexp.MustCompile(`^[0-9a-z. ()]*$`)

// SignalResult is what SignalIf found.
type SignalResult struct {
	// Matched: the backend was the one identified; Signalled: the server
	// sent it the signal.
	Matched, Signalled bool
	// Now is the backend as it is now when it did not match (nil when the
	// pid is gone or is not one opsdeck may signal).
	Now   *sources.DBSession
	NowID *SessionIdentity
}

// SignalIf cancels the query of the backend id names (with terminate, ends
// the backend), only if it is still that backend, running that query in
// that state.
func (c *Client) SignalIf(ctx context.Context, id SessionIdentity, terminate bool, own []int) (SignalResult, error) {
	for _, v := range []string{id.BackendStart, id.QueryStart, id.QueryMD5, id.State} {
		if !identityValue.MatchString(v) {
			return SignalResult{}, fmt.Errorf("not a session identity: %q", v)
		}
	}
	if id.BackendStart == "" {
		return SignalResult{}, fmt.Errorf("pid %d shows no backend start to the role %s: it cannot be told from a later backend with its pid", id.PID, c.user)
	}
	fn := "pg_cancel_backend(pid)"
	if terminate {
		fn = "pg_terminate_backend(pid)"
	}
	match := fmt.Sprintf("\n  AND extract(epoch FROM backend_start)::text = '%s' AND extract(epoch FROM query_start)::text IS NOT DISTINCT FROM %s"+
		"\n  AND md5(query) IS NOT DISTINCT FROM %s AND state IS NOT DISTINCT FROM %s", id.BackendStart, nullable(id.QueryStart), nullable(id.QueryMD5), nullable(id.State))
	_, got, sent, err := c.signal(ctx, id.PID, fn, match, own)
	if err != nil {
		return SignalResult{}, err
	}
	if got != nil {
		return SignalResult{Matched: true, Signalled: sent}, nil
	}
	s, nid, _, err := c.signal(ctx, id.PID, "null", "", own)
	if err != nil || nid == nil {
		return SignalResult{}, err
	}
	if nid.BackendStart == "" {
		return SignalResult{}, fmt.Errorf("the role %s may not signal pid %d: the session is another role's and hidden from it; it must be the same role, a member of pg_signal_backend (and pg_read_all_stats), or a superuser", c.user, id.PID)
	}
	return SignalResult{Now: &s, NowID: nid}, nil
}

func nullable(v string) string {
	if v == "" {
		return "NULL"
	}
	return "'" + v + "'"
}

// signal runs signalSQL; id is nil when no session matched.
func (c *Client) signal(ctx context.Context, pid int, fn, match string, own []int) (sources.DBSession, *SessionIdentity, bool, error) {
	if pid <= 0 {
		return sources.DBSession{}, nil, false, fmt.Errorf("%d is not a backend pid", pid)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	ownPIDs := []string{"0"}
	for _, p := range slices.Concat(c.OwnPIDs(), own) {
		ownPIDs = append(ownPIDs, strconv.Itoa(p))
	}
	sql := strings.NewReplacer("$SIGNAL", fn, "$PID", strconv.Itoa(pid), "$OWN", "ARRAY["+strings.Join(ownPIDs, ",")+"]", "$MATCH", match).Replace(signalSQL)
	results, err := c.exec(ctx, transaction(false, c.opts.StatementTimeout, sql))
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42501" {
			return sources.DBSession{}, nil, false, fmt.Errorf("the role %s may not signal pid %d: it must be the same role, a member of pg_signal_backend, or a superuser (%s)",
				c.user, pid, c.opts.Scrubber.String(pgErr.Message))
		}
		return sources.DBSession{}, nil, false, c.describe(ctx, err)
	}
	for _, r := range results {
		if len(r.Rows) == 1 && len(r.Rows[0]) == 1 {
			var w struct {
				Session      wireSession `json:"session"`
				BackendStart *string     `json:"backend_start"`
				QueryStart   *string     `json:"query_start"`
				QueryMD5     *string     `json:"query_md5"`
				State        *string     `json:"raw_state"`
				Signalled    *bool       `json:"signalled"`
			}
			if err := json.Unmarshal(r.Rows[0][0], &w); err != nil {
				return sources.DBSession{}, nil, false, fmt.Errorf("postgres answered an unreadable session: %v", err)
			}
			str := func(p *string) string {
				if p == nil {
					return ""
				}
				return *p
			}
			id := &SessionIdentity{PID: pid, BackendStart: str(w.BackendStart), QueryStart: str(w.QueryStart), QueryMD5: str(w.QueryMD5), State: str(w.State)}
			return w.Session.session(), id, w.Signalled != nil && *w.Signalled, nil
		}
	}
	return sources.DBSession{}, nil, false, nil
}
