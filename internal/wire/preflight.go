package wire

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/pgconnstr"
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

// timeouts are the migration's lock_timeout and statement_timeout, as
// settings of every session it opens.
func timeouts(m config.Migrate) []string {
	var out []string
	if d := m.LockTimeout.D(); d > 0 {
		out = append(out, fmt.Sprintf("lock_timeout=%d", d.Milliseconds()))
	}
	if d := m.StatementTimeout.D(); d > 0 {
		out = append(out, fmt.Sprintf("statement_timeout=%d", d.Milliseconds()))
	}
	return out
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
// same program and options, `upgrade FROM:TO --sql`. A command that is not
// alembic's is rendered by `alembic upgrade FROM:TO --sql`.
func renderArgv(migrate []string, from, to string) []string {
	prefix := []string{"alembic"}
	if len(migrate) > 0 && filepath.Base(migrate[0]) == "alembic" {
		if i := slices.Index(migrate, "upgrade"); i >= 0 {
			prefix = migrate[:i]
		}
	}
	span := to
	if from != "" {
		span = from + ":" + to
	}
	return append(append(slices.Clone(prefix), "upgrade", span), "--sql")
}

// dumpSpec is pg_dump of the migration database's schema. Whatever form
// the URL takes (userinfo, ?password=, key=value), no secret reaches
// pg_dump's argv, where ps shows it: the password and passfile go in its
// environment, an sslpassword in a service file of its own, which done
// removes once the dump has run.
func dumpSpec(env, dbURL string, lockWait time.Duration, scrubber *redact.Scrubber) (plan *actions.CommandPlan, done func(), err error) {
	child, err := pgconnstr.ForChild(dbURL)
	if err != nil {
		return nil, nil, fmt.Errorf("the migration database's URL: %w", err)
	}
	vars, done := child.Env, func() {}
	if len(child.Service) > 0 {
		dir, err := os.MkdirTemp("", "opsdeck-dump-")
		if err != nil {
			return nil, nil, err
		}
		done = func() { os.RemoveAll(dir) }
		service, err := child.WriteService(dir)
		if err != nil {
			done()
			return nil, nil, err
		}
		vars = append(slices.Clone(vars), service...)
	}
	plan, err = actions.PlanCommand(actions.CommandSpec{Action: "schema-dump", Environment: env, Name: "schema-dump", Danger: actions.Safe,
		Target: redact.URL(dbURL), PartOf: preflightOf,
		// pg_dump takes a lock on every table; one it waits for would queue
		// the application's queries on that table behind it.
		Command: actions.Command{Argv: []string{"pg_dump", "--schema-only", "--no-owner", "--no-privileges",
			fmt.Sprintf("--lock-wait-timeout=%d", cmp.Or(lockWait, 5*time.Second).Milliseconds()), "--dbname", child.Conninfo},
			Env: vars, Timeout: time.Minute, Scrub: scrubber},
		Explain: func(output []string) string {
			for _, l := range output {
				if table, ok := strings.CutPrefix(strings.TrimSpace(l), "pg_dump: detail: Query was: LOCK TABLE "); ok {
					table, _, _ = strings.Cut(table, " IN ")
					return fmt.Sprintf("pg_dump gave up after %s waiting for a lock on %s (a session holds one that conflicts): no schema to rehearse on", cmp.Or(lockWait, 5*time.Second), table)
				}
			}
			return ""
		}})
	if err != nil {
		done()
		return nil, nil, err
	}
	return plan, done, nil
}

// Preflight builds the migration's preflight for environment name: the
// SQL of the upgrade from one revision to another rendered by alembic
// offline, a rehearsal where the environment allows one (a scratch_url, or
// a disposable environment's own server), the live check on postgres.url.
// Its steps (the render, the dump, the rehearsal) go through steps: the
// guard and the audit log.
func Preflight(cfg *config.Config, name string) (func(ctx context.Context, steps actions.Steps, from []string, to string) preflight.Verdict, error) {
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
	// The render's sessions cannot write: offline, Alembic needs no
	// database, but an env.py may connect anyway.
	renderVars, _ := alembicEnv(e, []string{"default_transaction_read_only=on"})
	server, where, noRehearsal := m.ScratchURL, "", ""
	switch g, err := cfg.GuardOver(name, config.ReachDatabase); {
	case server != "":
		where = "a scratch database on " + redact.URL(server)
	case err == nil && g.Disposable: // disposable by its own flag and every sharer's
		server, where = dbURL, "a scratch database beside this disposable environment's"
	default:
		noRehearsal = "not rehearsed: set actions.migrate.scratch_url to rehearse it in a scratch database"
	}
	return func(ctx context.Context, steps actions.Steps, from []string, to string) preflight.Verdict {
		db, err := postgres.New(postgres.Options{URL: e.Postgres.URL, Scrubber: scrubber,
			StatementTimeout: e.Postgres.StatementTimeout.D(), Timeout: e.Postgres.Timeout.D()})
		if err != nil {
			return preflight.Verdict{RenderErr: err.Error()}
		}
		defer db.Close()
		in := preflight.Inputs{LockTimeout: m.LockTimeout.D(), Activity: db.TableActivity}
		in.Render = func(ctx context.Context) (string, error) {
			if len(from) > 1 {
				return "", fmt.Errorf("the database is at %d heads (%s): Alembic renders offline from one", len(from), strings.Join(from, ", "))
			}
			at := ""
			if len(from) == 1 {
				at = from[0]
			}
			render, err := actions.PlanCommand(actions.CommandSpec{Action: "migration-sql", Environment: name, Name: "migration-sql", Danger: actions.Safe,
				Target: redact.URL(dbURL), PartOf: preflightOf,
				Command: actions.Command{Argv: renderArgv(strings.Fields(m.Command), at, to), Dir: e.Alembic.Dir, Env: renderVars, Timeout: time.Minute, Scrub: scrubber},
				Explain: explainReadOnly})
			if err != nil {
				return "", err
			}
			return steps(ctx, render)
		}
		in.Where, in.NoRehearsal = where, noRehearsal
		if server != "" {
			in.Rehearse = rehearser(rehearsal{env: name, where: where, server: server, dbURL: dbURL, lockWait: m.LockTimeout.D(), scrubber: scrubber}, steps, to)
		}
		v := preflight.Judge(ctx, in)
		v.RenderErr, v.LiveErr, v.Rehearsal = scrubber.String(v.RenderErr), scrubber.String(v.LiveErr), scrubber.String(v.Rehearsal)
		return v
	}, nil
}

// rehearsal is where and how an environment's migration is rehearsed.
type rehearsal struct {
	env, where, server, dbURL string
	lockWait                  time.Duration
	scrubber                  *redact.Scrubber
}

// rehearser is the preflight's rehearsal of the upgrade up to to: the
// schema dumped, then the statements run in a scratch database, each a
// step through steps; one time limit for both. The observations come back
// with the gaps of a rehearsal that ran in part (*preflight.Gaps).
func rehearser(r rehearsal, steps actions.Steps, to string) func(ctx context.Context, stmts []preflight.Statement) ([]preflight.Observed, error) {
	return func(ctx context.Context, stmts []preflight.Statement) ([]preflight.Observed, error) {
		ctx, cancel := context.WithTimeout(ctx, preflight.DefaultRehearsalDeadline)
		defer cancel()
		dump, done, err := dumpSpec(r.env, r.dbURL, r.lockWait, r.scrubber)
		if err != nil {
			return nil, err
		}
		schema, err := steps(ctx, dump)
		done()
		if err != nil {
			return nil, err
		}
		if !strings.Contains(schema, "PostgreSQL database dump") {
			// An empty schema would have every statement fail on a table
			// that is not there, as if the migration did.
			return nil, fmt.Errorf("pg_dump gave no schema to rehearse on")
		}
		var obs []preflight.Observed
		var gaps error
		step := actions.PlanStep("rehearsal", r.env, preflightOf, r.where,
			[]string{fmt.Sprintf("rehearse %d statement(s) of the migration up to %s in %s", len(stmts), to, r.where)},
			func(ctx context.Context) ([]string, error) {
				o, err := preflight.Rehearsal{Server: postgres.Driverless(r.server), Schema: schema, Scrub: r.scrubber.String}.Run(ctx, stmts)
				if o == nil {
					return nil, err
				}
				obs, gaps = o, err
				lines := []string{fmt.Sprintf("rehearsed %d statement(s)", len(o))}
				if err != nil {
					lines = append(lines, err.Error())
				}
				return lines, nil
			})
		if _, err := steps(ctx, step); err != nil {
			return nil, err
		}
		return obs, gaps
	}
}
