package wire

import (
	"context"
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/postgres"
)

// SignalActions are the names of the actions that signal one backend.
var SignalActions = []string{"cancel", "terminate"}

// Signal is the action that cancels backend pid's query (or, terminate,
// ends the backend) in environment name: guarded like any change, audited;
// Shows reads the session it would reach. close releases its connection.
func Signal(cfg *config.Config, name string, pid int, terminate bool) (env actions.Environment, spec actions.Spec, release func(), err error) {
	env, _, err = Actions(cfg, name)
	if err != nil {
		return env, spec, nil, err
	}
	e, _ := cfg.Get(name)
	if e.Postgres.URL == "" {
		return env, spec, nil, fmt.Errorf("environment %s has no PostgreSQL: set postgres.url (or DATABASE_URL)", name)
	}
	scrubber := redact.NewScrubber(cfg.Secrets()...)
	db, err := postgres.New(postgres.Options{URL: e.Postgres.URL, StatementTimeout: e.Postgres.StatementTimeout.D(), Timeout: e.Postgres.Timeout.D(), Scrubber: scrubber})
	if err != nil {
		return env, spec, nil, err
	}
	verb, done := "cancel", "cancelled the query of"
	if terminate {
		verb, done = "terminate", "terminated"
	}
	spec = actions.Spec{Name: verb, Kind: actions.Dangerous, Target: fmt.Sprintf("pid %d on %s", pid, db.Target()),
		Shows: func(ctx context.Context) ([]string, error) {
			s, err := db.Session(ctx, pid)
			if err != nil {
				return nil, err
			}
			return []string{DescribeSession(s)}, nil
		},
		Call: func(ctx context.Context) ([]string, error) {
			s, sent, err := db.Cancel(ctx, pid, terminate)
			switch {
			case err != nil:
				return nil, err
			case !sent:
				return nil, fmt.Errorf("the server did not signal pid %d (it ended meanwhile?)", pid)
			}
			return []string{done + " " + DescribeSession(s)}, nil
		}}
	return env, spec, db.Close, nil
}

// DescribeSession is a backend as a signal's confirmation shows it: pid,
// user, application, state, ages and query.
func DescribeSession(s sources.DBSession) string {
	parts := []string{fmt.Sprintf("pid %d", s.PID), "user " + s.User}
	if s.Application != "" {
		parts = append(parts, "application "+s.Application)
	}
	parts = append(parts, "state "+s.State)
	if s.QueryAge > 0 {
		parts = append(parts, "query for "+units.Age(units.FromSeconds(s.QueryAge)))
	}
	if s.XactAge > 0 {
		parts = append(parts, "transaction for "+units.Age(units.FromSeconds(s.XactAge)))
	}
	return strings.Join(parts, " · ") + ": " + strings.Join(strings.Fields(s.Query), " ")
}
