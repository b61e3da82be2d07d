package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opsdeck/opsdeck/sources"
)

// signalSQL picks the session a signal may reach: a client backend of this
// database, neither this connection nor any opsdeck's (they only read).
// $SIGNAL is the function to call, or null to only read the session.
const signalSQL = `SELECT json_build_object('session', ` + sessionJSON + `, 'signalled', $SIGNAL)
FROM pg_stat_activity
WHERE pid = $PID AND datname = current_database() AND pid <> pg_backend_pid()
  -- Without pg_read_all_stats other roles' sessions show no backend_type.
  AND (backend_type = 'client backend' OR (backend_type IS NULL AND usesysid IS NOT NULL))
  AND application_name IS DISTINCT FROM 'opsdeck'`

// Session reads backend pid as a signal would find it; an error says why
// it is not one opsdeck may signal.
func (c *Client) Session(ctx context.Context, pid int) (sources.DBSession, error) {
	s, _, err := c.signal(ctx, pid, "null")
	return s, err
}

// Cancel cancels backend pid's current query (pg_cancel_backend); with
// terminate, it ends the backend (pg_terminate_backend). It returns the
// session as it was, and whether the server sent the signal.
func (c *Client) Cancel(ctx context.Context, pid int, terminate bool) (sources.DBSession, bool, error) {
	fn := "pg_cancel_backend(pid)"
	if terminate {
		fn = "pg_terminate_backend(pid)"
	}
	return c.signal(ctx, pid, fn)
}

func (c *Client) signal(ctx context.Context, pid int, fn string) (sources.DBSession, bool, error) {
	if pid <= 0 {
		return sources.DBSession{}, false, fmt.Errorf("%d is not a backend pid", pid)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	sql := strings.NewReplacer("$SIGNAL", fn, "$PID", fmt.Sprint(pid)).Replace(signalSQL)
	results, err := c.exec(ctx, transaction(false, c.opts.StatementTimeout, sql))
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42501" {
			return sources.DBSession{}, false, fmt.Errorf("the role %s may not signal pid %d: it must be the same role, a member of pg_signal_backend, or a superuser (%s)",
				c.user, pid, c.opts.Scrubber.String(pgErr.Message))
		}
		return sources.DBSession{}, false, c.describe(ctx, err)
	}
	for _, r := range results {
		if len(r.Rows) == 1 && len(r.Rows[0]) == 1 {
			var w struct {
				Session   wireSession `json:"session"`
				Signalled *bool       `json:"signalled"`
			}
			if err := json.Unmarshal(r.Rows[0][0], &w); err != nil {
				return sources.DBSession{}, false, fmt.Errorf("postgres answered an unreadable session: %v", err)
			}
			return w.Session.session(), w.Signalled != nil && *w.Signalled, nil
		}
	}
	return sources.DBSession{}, false, fmt.Errorf("pid %d is not a client session of %s that opsdeck may signal (another database's, opsdeck's own, or gone)", pid, c.target)
}
