package wire

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources/postgres"
	"github.com/opsdeck/opsdeck/sources/preflight"
)

// preflightOf is what the preflight's helpers are a part of, in the audit log.
const preflightOf = "migrate preflight"

// migrationURL is the database the migration runs against: alembic.env's
// DATABASE_URL when set (a direct connection where postgres.url goes
// through pgbouncer), postgres.url otherwise.
func migrationURL(e *config.Environment) string {
	if u := e.Alembic.Env["DATABASE_URL"]; u != "" {
		return u
	}
	return e.Postgres.URL
}

// pgOptions sets the migration's timeouts on every session it opens, on top
// of any PGOPTIONS opsdeck was started with.
func pgOptions(m config.Migrate) string {
	var opts []string
	if v := os.Getenv("PGOPTIONS"); v != "" {
		opts = append(opts, v)
	}
	if d := m.LockTimeout.D(); d > 0 {
		opts = append(opts, fmt.Sprintf("-c lock_timeout=%d", d.Milliseconds()))
	}
	if d := m.StatementTimeout.D(); d > 0 {
		opts = append(opts, fmt.Sprintf("-c statement_timeout=%d", d.Milliseconds()))
	}
	return strings.Join(opts, " ")
}

// explainMigration puts a failed migration's cause in words when it is one
// of the timeouts opsdeck set, or pgbouncer refusing them.
func explainMigration(m config.Migrate) func(output []string) string {
	return func(output []string) string {
		text := strings.Join(output, "\n")
		switch {
		case strings.Contains(text, "due to lock timeout"):
			return fmt.Sprintf("the migration gave up after waiting %s for a lock (lock_timeout): a session holds a lock on its table, and the application was not left queued behind it. Nothing was applied past the last committed revision; find the blocker in the Postgres lock tree (zoom, v), cancel it or wait, and run it again", m.LockTimeout.D())
		case strings.Contains(text, "due to statement timeout"):
			return fmt.Sprintf("the migration was stopped by its statement_timeout (%s): a statement ran longer; raise actions.migrate.statement_timeout, or make the statement cheaper", m.StatementTimeout.D())
		case strings.Contains(text, "unsupported startup parameter: options"):
			return "pgbouncer refused the migration's timeouts (PGOPTIONS): point the migration at PostgreSQL itself with alembic.env.DATABASE_URL, or set actions.migrate.lock_timeout and statement_timeout to 0s"
		}
		return ""
	}
}

// renderArgv is the migrate command as Alembic's offline renderer: the
// same program and options, `upgrade CURRENT:TARGET --sql`. A command that
// is not alembic's is rendered by `alembic upgrade CURRENT:heads --sql`.
func renderArgv(migrate []string, current string) []string {
	target := "heads"
	prefix := []string{"alembic"}
	if len(migrate) > 0 && filepath.Base(migrate[0]) == "alembic" {
		if i := slices.Index(migrate, "upgrade"); i >= 0 && i+1 < len(migrate) {
			prefix, target = migrate[:i], migrate[i+1]
		}
	}
	from := target
	if current != "" {
		from = current + ":" + target
	}
	return append(append(slices.Clone(prefix), "upgrade", from), "--sql")
}

// dumpSpec is pg_dump of the migration database's schema, its password in
// the environment rather than argv (where ps would show it).
func dumpSpec(dbURL string, scrubber *redact.Scrubber) (actions.Spec, error) {
	u, err := url.Parse(postgres.Driverless(dbURL))
	if err != nil {
		return actions.Spec{}, err
	}
	var env []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
		}
		u.User = url.User(u.User.Username())
	}
	return actions.Spec{Name: "schema-dump", Kind: actions.Safe, Target: redact.URL(dbURL), PartOf: preflightOf,
		Command: &actions.Command{Argv: []string{"pg_dump", "--schema-only", "--no-owner", "--no-privileges", "--dbname", u.String()},
			Env: env, Timeout: time.Minute, Scrub: scrubber}}, nil
}

// Preflight builds the migration's preflight for environment name: the
// SQL rendered by alembic offline, a rehearsal where the environment
// allows one (a scratch_url, or a disposable environment's own server),
// the live check on postgres.url. Helpers it starts go through capture:
// the guard and the audit log.
func Preflight(cfg *config.Config, name string) (func(ctx context.Context, capture actions.Capture) preflight.Verdict, error) {
	e, err := cfg.Get(name)
	if err != nil {
		return nil, err
	}
	if e.Alembic.Dir == "" || e.Postgres.URL == "" {
		return nil, nil
	}
	scrubber := redact.NewScrubber(cfg.Secrets()...)
	m := e.Actions.Migrate
	dbURL := migrationURL(e)
	vars := []string{"DATABASE_URL=" + e.Postgres.URL}
	for k, v := range e.Alembic.Env {
		vars = append(vars, k+"="+v)
	}
	return func(ctx context.Context, capture actions.Capture) preflight.Verdict {
		db, err := postgres.New(postgres.Options{URL: e.Postgres.URL, Scrubber: scrubber,
			StatementTimeout: e.Postgres.StatementTimeout.D(), Timeout: e.Postgres.Timeout.D()})
		if err != nil {
			return preflight.Verdict{RenderErr: err.Error()}
		}
		defer db.Close()
		in := preflight.Inputs{LockTimeout: m.LockTimeout.D(), Activity: db.TableActivity}
		in.Render = func(ctx context.Context) (string, error) {
			current, _, err := db.AlembicVersion(ctx)
			if err != nil {
				return "", err
			}
			if len(current) > 1 {
				return "", fmt.Errorf("the database is at %d heads (%s): Alembic renders offline from one", len(current), strings.Join(current, ", "))
			}
			at := ""
			if len(current) == 1 {
				at = current[0]
			}
			return capture(ctx, actions.Spec{Name: "migration-sql", Kind: actions.Safe, Target: redact.URL(dbURL), PartOf: preflightOf,
				Command: &actions.Command{Argv: renderArgv(strings.Fields(m.Command), at), Dir: e.Alembic.Dir, Env: vars, Timeout: time.Minute, Scrub: scrubber}})
		}
		server := m.ScratchURL
		switch {
		case server != "":
			in.Where = "a scratch database on " + redact.URL(server)
		case e.Disposable:
			server, in.Where = dbURL, "a scratch database beside this disposable environment's"
		default:
			in.NoRehearsal = "not rehearsed: set actions.migrate.scratch_url to rehearse it in a scratch database"
		}
		if server != "" {
			in.Rehearse = func(ctx context.Context, stmts []preflight.Statement) ([]preflight.Observed, error) {
				dump, err := dumpSpec(dbURL, scrubber)
				if err != nil {
					return nil, err
				}
				schema, err := capture(ctx, dump)
				if err != nil {
					return nil, err
				}
				obs, err := preflight.Rehearse(ctx, postgres.Driverless(server), schema, stmts)
				if err != nil {
					return nil, fmt.Errorf("%s", scrubber.String(err.Error()))
				}
				return obs, nil
			}
		}
		v := preflight.Judge(ctx, in)
		v.RenderErr, v.LiveErr, v.Rehearsal = scrubber.String(v.RenderErr), scrubber.String(v.LiveErr), scrubber.String(v.Rehearsal)
		return v
	}, nil
}
