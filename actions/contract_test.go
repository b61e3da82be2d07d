package actions_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/alertmanager"
	"github.com/opsdeck/opsdeck/sources/celery"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/postgres"
	"github.com/opsdeck/opsdeck/sources/preflight"
)

// contractCase is one action kind against real servers: plan it as the
// question would, move the world before the yes, carry it out, and check
// that nothing outside the plan was touched.
type contractCase struct {
	// plan sets up the world and plans one action of the kind; the
	// returned change moves the world between the question and the yes,
	// and untouched checks the world after the run (err is the run's).
	plan func(t *testing.T, ctx context.Context) (plan actions.Plan, change func(), untouched func(err error))
}

// contractCases holds one case for every kind of actions.Kinds().
func contractCases() map[string]contractCase {
	return map[string]contractCase{
		"migrate":             {plan: migrateRevisionInserted},
		"reset":               {plan: resetTriggerAdded},
		"command":             {plan: commandReplaced("command")},
		actions.SelectionKind: {plan: selectionMoved},
		"migration-sql":       {plan: commandReplaced("migration-sql")},
		"schema-dump":         {plan: commandReplaced("schema-dump")},
		"git-log":             {plan: commandReplaced("git-log")},
		"cancel":              {plan: signalNewQuery(false)},
		"terminate":           {plan: signalNewQuery(true)},
		"silence":             {plan: silenceLabelsChange(false)},
		"ack":                 {plan: silenceLabelsChange(true)},
		"expire-silence":      {plan: expireEdited},
		"celery-purge":        {plan: purgeAddedAndRepublished},
		"celery-revoke":       {plan: revokeFinished(false)},
		"celery-terminate":    {plan: revokeFinished(true)},
		"celery-retry":        {plan: retryRecordChanged},
		"rehearsal":           {plan: rehearsalFilesEdited},
	}
}

// TestEveryActionActsOnWhatItShowed is the contract: for every action
// kind, the world changes between the question and the yes, and the run
// acts on the plan alone: it refuses, saying what changed, or (a purge)
// removes exactly the messages it listed. A kind without a case fails.
func TestEveryActionActsOnWhatItShowed(t *testing.T) {
	t.Parallel()
	cases := contractCases()
	for _, kind := range actions.Kinds() {
		c, ok := cases[kind]
		if !ok {
			t.Errorf("action kind %q has no case in the contract test: add one that changes the world under it", kind)
			continue
		}
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			plan, change, untouched := c.plan(t, ctx)
			if got := plan.Question().Action; got != kind {
				t.Fatalf("the plan is of kind %q, not %q", got, kind)
			}
			change()
			_, err := run(ctx, t, plan)
			untouched(err)
		})
	}
	for kind := range cases {
		if !slices.Contains(actions.Kinds(), kind) {
			t.Errorf("the contract test has a case for %q, which is not an action kind", kind)
		}
	}
}

// run carries plan out with a yes (and the name typed), audited in a file
// of the test's own; it returns the output.
func run(ctx context.Context, t *testing.T, plan actions.Plan) (string, error) {
	t.Helper()
	q := plan.Question()
	audit := &actions.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}
	var out strings.Builder
	req := actions.Request{Env: actions.Environment{Name: q.Environment}, Plan: plan,
		Consent: actions.Consent{Yes: true, Typed: q.Environment, How: "contract test"}}
	_, err := actions.Execute(ctx, req, audit, actions.Who{User: "test"}, func(_ actions.Stream, line string) {
		out.WriteString(line + "\n")
	})
	recs, rerr := audit.Recent(10)
	if rerr != nil || len(recs) != 2 {
		t.Errorf("the run is not in the audit log as started and finished: %v %v", recs, rerr)
	}
	return out.String(), err
}

// refused asserts err is the contract's refusal naming what changed.
func refused(t *testing.T, err error, says string) {
	t.Helper()
	if !actions.IsChanged(err) || !strings.Contains(err.Error(), says) || !strings.Contains(err.Error(), "nothing was done") {
		t.Errorf("want a refusal saying %q, got %v", says, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// running says whether the session state reads is running the query marked.
func running(state func() (string, string), mark string) func() error {
	return func() error {
		if st, q := state(); st != "active" || !strings.Contains(q, mark) {
			return fmt.Errorf("the session is %q running %q", st, q)
		}
		return nil
	}
}

// alerts says whether n alerts match ms.
func alerts(ctx context.Context, t *testing.T, c *alertmanager.Client, ms []sources.Matcher, n int) func() error {
	return func() error {
		if got := len(matching(ctx, t, c, ms)); got != n {
			return fmt.Errorf("%d match", got)
		}
		return nil
	}
}

func connect(ctx context.Context, t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(ctx, url)
	must(t, err)
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func scalar[T any](ctx context.Context, t *testing.T, c *pgx.Conn, sql string) T {
	t.Helper()
	var v T
	must(t, c.QueryRow(ctx, sql).Scan(&v))
	return v
}

// migrateRevisionInserted: a revision is inserted below the planned one
// (the planned revision's file now comes down from it): the migration
// refuses, and the database stays where it was.
func migrateRevisionInserted(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	dir := sandboxtest.AlembicProjectAt(ctx, t, pg, []servers.Revision{
		{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id int)"}},
		{ID: "r1", Down: "r0", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN note text"}},
	}, "r0")
	plan, err := actions.PlanMigrate(ctx, migrateSpec(pg, dir), nil)
	must(t, err)
	if got := plan.Revisions(); !slices.Equal(got, []string{"r1"}) {
		t.Fatalf("planned %v, want [r1]", got)
	}
	change := func() {
		must(t, servers.WriteAlembicRevisions(dir, []servers.Revision{
			{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id int)"}},
			{ID: "r0b", Down: "r0", Upgrade: []string{"CREATE TABLE sneaked (id int)"}},
			{ID: "r1", Down: "r0b", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN note text"}},
		}))
	}
	conn := connect(ctx, t, pg.URL())
	return plan, change, func(err error) {
		refused(t, err, "a revision was added since the question: r0b")
		if v := scalar[string](ctx, t, conn, "SELECT version_num FROM alembic_version"); v != "r0" {
			t.Errorf("the database moved to %s", v)
		}
		if scalar[bool](ctx, t, conn, "SELECT to_regclass('sneaked') IS NOT NULL") {
			t.Error("the inserted revision was applied")
		}
	}
}

func migrateSpec(pg *servers.Postgres, dir string) actions.MigrateSpec {
	return actions.MigrateSpec{Environment: "qa", Dir: dir, DB: postgres.Options{URL: pg.URL()}, Target: "the test database",
		Command: actions.Command{Argv: []string{"alembic", "-c", filepath.Join(dir, "alembic.ini"), "upgrade", "head"}, Dir: dir,
			Env: []string{"DATABASE_URL=" + pg.URL(), "PYTHONDONTWRITEBYTECODE=1"}, Timeout: time.Minute}}
}

// resetTriggerAdded: a TRUNCATE trigger, enabled always, is put on a
// planned table after the question; it would empty a kept table and
// another schema's. The reset refuses, naming it; nothing is emptied.
func resetTriggerAdded(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	conn := connect(ctx, t, pg.URL())
	_, err := conn.Exec(ctx, `CREATE TABLE users (id int); INSERT INTO users SELECT generate_series(1, 10);
		CREATE TABLE feature_flags (id int); INSERT INTO feature_flags VALUES (1);
		CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int); INSERT INTO billing.invoices VALUES (1)`)
	must(t, err)
	r := &actions.ResetAction{Environment: "qa", DatabaseURL: pg.URL(), Keep: []string{"feature_flags"}}
	plan, err := r.Preview(ctx)
	must(t, err)
	change := func() {
		_, err := conn.Exec(ctx, `CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN DELETE FROM feature_flags; DELETE FROM billing.invoices; RETURN NULL; END $$;
			CREATE TRIGGER wipe_all AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION wipe();
			ALTER TABLE users ENABLE ALWAYS TRIGGER wipe_all`)
		must(t, err)
	}
	return plan, change, func(err error) {
		if err == nil || !strings.Contains(err.Error(), "wipe_all") || !strings.Contains(err.Error(), "fires on TRUNCATE") {
			t.Errorf("want a refusal naming the trigger, got %v", err)
		}
		for table, want := range map[string]int{"users": 10, "feature_flags": 1, "billing.invoices": 1} {
			if n := scalar[int](ctx, t, conn, "SELECT count(*) FROM "+table); n != want {
				t.Errorf("%s holds %d rows, want %d", table, n, want)
			}
		}
	}
}

// commandReplaced: the program the question named is replaced before the
// yes: it is not run (its replacement would leave a mark).
func commandReplaced(kind string) func(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
	return func(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
		dir := t.TempDir()
		script, mark := filepath.Join(dir, "check.sh"), filepath.Join(dir, "mark")
		must(t, os.WriteFile(script, []byte("#!/bin/sh\necho fine\n"), 0o755))
		plan, err := actions.PlanCommand(actions.CommandSpec{Action: kind, Environment: "qa", Name: kind, Danger: actions.Safe,
			Command: actions.Command{Argv: []string{"./check.sh"}, Dir: dir, Timeout: time.Minute}})
		must(t, err)
		change := func() {
			// Replaced as a deploy would: a new file renamed over the old.
			must(t, os.WriteFile(script+".new", []byte("#!/bin/sh\ntouch "+mark+"\n"), 0o755))
			must(t, os.Rename(script+".new", script))
		}
		return plan, change, func(err error) {
			refused(t, err, "was replaced or written since you were asked")
			if _, serr := os.Stat(mark); serr == nil {
				t.Error("the replaced program ran")
			}
		}
	}
}

// selectionMoved: a runbook command using $PID and $ROUTE is asked about
// with one session and route selected; by the yes the cursor is on
// another (the map the values came from is written over): the command
// runs with the values of the question.
func selectionMoved(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
	dir, argv, env := recorder(t)
	selected := map[string]string{"PID": "4242", "ROUTE": "/api/chat"}
	plan, err := actions.PlanCommand(actions.CommandSpec{Action: actions.SelectionKind, Environment: "qa", Name: "inspect", Danger: actions.Safe,
		Command: actions.Command{Argv: []string{"./rec.sh", "--pid=$PID", "$ROUTE"}, Dir: dir, Timeout: time.Minute}, Values: selected})
	must(t, err)
	change := func() { selected["PID"], selected["ROUTE"] = "1", "/health" }
	return plan, change, func(err error) {
		if err != nil {
			t.Fatalf("the run failed: %v", err)
		}
		if got := argv(); !slices.Equal(got, []string{"--pid=4242", "/api/chat"}) {
			t.Errorf("the command ran on %q, not on the question's values", got)
		}
		if got := env(); got[0] != "4242" || got[2] != "/api/chat" {
			t.Errorf("the command's environment holds %q", got)
		}
	}
}

// signalNewQuery: the backend the question named runs another query by
// the yes (a pooled connection moved on): it is not signalled, and its new
// query runs on.
func signalNewQuery(terminate bool) func(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
	return func(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
		pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
		client := connect(ctx, t, pg.URL())
		pid := int(client.PgConn().PID())
		sleep := func(seconds int) chan error {
			done := make(chan error, 1)
			go func() { _, err := client.Exec(ctx, fmt.Sprintf("SELECT pg_sleep(%d)", seconds)); done <- err }()
			return done
		}
		watcher := connect(ctx, t, pg.URL())
		state := func() (string, string) {
			var st, q string
			_ = watcher.QueryRow(ctx, "SELECT coalesce(state, ''), coalesce(query, '') FROM pg_stat_activity WHERE pid = $1", pid).Scan(&st, &q)
			return st, q
		}
		done1 := sleep(601)
		wait.Eventually(t, "the first query", running(state, "601"), wait.Context(ctx))
		plan, err := actions.PlanSignal(ctx, "qa", postgres.Options{URL: pg.URL()}, pid, terminate, nil)
		must(t, err)
		var done2 chan error
		change := func() {
			// The client gives up on its query (a cancel request keeps its
			// connection) and sends another.
			must(t, client.PgConn().CancelRequest(ctx))
			<-done1
			done2 = sleep(602)
			wait.Eventually(t, "the second query", running(state, "602"), wait.Context(ctx))
		}
		return plan, change, func(err error) {
			refused(t, err, fmt.Sprintf("pid %d is running another query since you were asked: SELECT pg_sleep(602)", pid))
			ended := false
			select {
			case qerr := <-done2:
				ended = true
				t.Errorf("the new query was signalled: %v", qerr)
			case <-time.After(200 * time.Millisecond):
			}
			if st, q := state(); st != "active" || !strings.Contains(q, "602") {
				t.Errorf("the session is %q running %q, want its new query running", st, q)
			}
			// The connection is closed when the test ends: its query first.
			if !ended {
				must(t, client.PgConn().CancelRequest(ctx))
				<-done2
			}
		}
	}
}

// alertmanagerFor starts an Alertmanager with a client of it.
func alertmanagerFor(t *testing.T) (*servers.Alertmanager, *alertmanager.Client) {
	am := sandboxtest.NewAlertmanager(t)
	c, err := alertmanager.New(httpapi.APIOptions{URL: am.URL(), Timeout: 5 * time.Second})
	must(t, err)
	t.Cleanup(c.Close)
	return am, c
}

// matching is the alerts ms matches now.
func matching(ctx context.Context, t *testing.T, c *alertmanager.Client, ms []sources.Matcher) []sources.Alert {
	t.Helper()
	as, err := c.Matching(ctx, ms)
	must(t, err)
	return as
}

// silenceLabelsChange: the alert the silence was made from changes its
// labels before the yes (its instance moved): the silence's matchers no
// longer match the alert shown, so no silence is made.
func silenceLabelsChange(ack bool) func(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
	return func(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
		am, c := alertmanagerFor(t)
		labels := map[string]string{"alertname": "HighErrorRate", "instance": "api-1", "note": "line1\nline2\x1b[31m"}
		must(t, am.Post(ctx, labels, false))
		ms := sources.NewRawLabels(labels).Matchers()
		wait.Eventually(t, "the alert in Alertmanager", alerts(ctx, t, c, ms, 1), wait.Context(ctx))
		now := time.Now()
		s := sources.Silence{Matchers: ms, StartsAt: now, EndsAt: now.Add(30 * time.Minute), CreatedBy: "test", Comment: "ack"}
		plan, err := actions.PlanSilence(ctx, "qa", false, c, s, nil, ack)
		must(t, err)
		change := func() {
			must(t, am.Post(ctx, labels, true))
			moved := map[string]string{"alertname": "HighErrorRate", "instance": "api-2", "note": labels["note"]}
			must(t, am.Post(ctx, moved, false))
			wait.Eventually(t, "the alert's old labels resolved", alerts(ctx, t, c, ms, 0), wait.Context(ctx))
		}
		return plan, change, func(err error) {
			refused(t, err, "no longer matched")
			ss, serr := c.Silences(ctx)
			must(t, serr)
			if len(ss) != 0 {
				t.Errorf("a silence was made: %+v", ss)
			}
		}
	}
}

// expireEdited: the silence is edited (its end moved) by someone else
// before the yes: it is not expired.
func expireEdited(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
	am, c := alertmanagerFor(t)
	must(t, am.Post(ctx, map[string]string{"alertname": "DiskFilling"}, false))
	now := time.Now()
	s := sources.Silence{Matchers: []sources.Matcher{{Name: "alertname", Value: "DiskFilling", IsEqual: true}},
		StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: "someone", Comment: "maintenance"}
	id, err := c.CreateSilence(ctx, s)
	must(t, err)
	plan, err := actions.PlanExpire(ctx, "qa", false, c, id)
	must(t, err)
	change := func() {
		edited := s
		edited.ID, edited.EndsAt = id, now.Add(2*time.Hour)
		body, _ := json.Marshal(map[string]any{"id": id, "matchers": []map[string]any{{"name": "alertname", "value": "DiskFilling", "isRegex": false, "isEqual": true}},
			"startsAt": edited.StartsAt.UTC(), "endsAt": edited.EndsAt.UTC(), "createdBy": "someone", "comment": "maintenance, extended"})
		resp, err := http.Post(am.URL()+"/api/v2/silences", "application/json", bytes.NewReader(body))
		must(t, err)
		resp.Body.Close()
	}
	return plan, change, func(err error) {
		refused(t, err, "was changed since you were asked")
		ss, serr := c.Silences(ctx)
		must(t, serr)
		active := 0
		for _, x := range ss {
			if x.State == "active" {
				active++
			}
		}
		if active != 1 {
			t.Errorf("%d active silences, want the edited one still active: %+v", active, ss)
		}
	}
}

func celeryOptions(broker string) celery.Options {
	return celery.Options{BrokerURL: broker, Timeout: 5 * time.Second, ReplyWait: 2 * time.Second}
}

// purgeAddedAndRepublished: after the question, a worker takes one listed
// message and publishes it again (a retry: same task id, new delivery
// tag), and new messages arrive. The purge removes the listed messages
// still there, and nothing else.
func purgeAddedAndRepublished(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	broker := rd.URL(0)
	_, err := servers.CelerySend(ctx, broker, "app.tasks.cleanup_sessions", 5, []any{"1h"}, nil)
	must(t, err)
	plan, err := actions.PlanPurge(ctx, "qa", celeryOptions(broker), "the test broker", "low_priority")
	must(t, err)
	rc := redisClient(t, broker)
	var kept []string
	change := func() {
		body, err := rc.RPop(ctx, "low_priority").Result() // a worker takes the oldest
		must(t, err)
		var msg map[string]any
		must(t, json.Unmarshal([]byte(body), &msg))
		msg["properties"].(map[string]any)["delivery_tag"] = "republished"
		again, _ := json.Marshal(msg)
		must(t, rc.LPush(ctx, "low_priority", again).Err())
		kept = append(kept, string(again))
		later, err := servers.CelerySend(ctx, broker, "app.tasks.cleanup_sessions", 2, []any{"2h"}, nil)
		must(t, err)
		if len(later) != 2 {
			t.Fatalf("sent %v", later)
		}
	}
	return plan, change, func(err error) {
		if err != nil {
			t.Fatalf("purge: %v", err)
		}
		left, lerr := rc.LRange(ctx, "low_priority", 0, -1).Result()
		must(t, lerr)
		if len(left) != 3 || !slices.Contains(left, kept[0]) {
			t.Errorf("the queue holds %d messages, want the re-published one and the two new ones", len(left))
		}
	}
}

// revokeFinished: the task the question showed running finishes before the
// yes: nothing is revoked (a later run of its id would not be skipped) and
// no process is killed.
func revokeFinished(terminate bool) func(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
	return func(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
		rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
		broker := rd.URL(0)
		sandboxtest.NewCeleryWorker(t, servers.CeleryOptions{BrokerURL: broker, Name: "w1"})
		c, err := celery.New(celeryOptions(broker))
		must(t, err)
		t.Cleanup(c.Close)
		ids, err := servers.CelerySend(ctx, broker, "app.tasks.export_conversations", 1, []any{3}, nil)
		must(t, err)
		wait.Eventually(t, "the task running", func() error {
			running, err := c.Running(ctx)
			if err == nil && (len(running) != 1 || running[0].ID != ids[0]) {
				err = fmt.Errorf("running: %v", running)
			}
			return err
		}, wait.Context(ctx))
		plan, err := actions.PlanRevoke(ctx, "qa", celeryOptions(broker), "the test broker", ids[0], terminate)
		must(t, err)
		change := func() {
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			_, err := servers.CeleryResult(rctx, broker, ids[0], "SUCCESS")
			must(t, err)
		}
		return plan, change, func(err error) {
			refused(t, err, "since you were asked")
			replies, berr := c.Broadcast(ctx, "dump_revoked", nil, nil, 2*time.Second)
			must(t, berr)
			for host, raw := range replies {
				if strings.Contains(string(raw), ids[0]) {
					t.Errorf("%s holds the finished task as revoked: %s", host, raw)
				}
			}
		}
	}
}

// retryRecordChanged: the failed task's record changes before the yes (it
// ran again under its id and succeeded): nothing is sent.
func retryRecordChanged(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	broker := rd.URL(0)
	rc := redisClient(t, broker)
	id := "4f2a9c1e-0000-4000-8000-000000000001"
	failed := `{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["boom"]}, "task_id": "` + id +
		`", "name": "app.tasks.summarize", "args": [7], "kwargs": {}, "queue": "default"}`
	must(t, rc.Set(ctx, "celery-task-meta-"+id, failed, 0).Err())
	plan, err := actions.PlanRetry(ctx, "qa", celeryOptions(broker), "the test broker", id)
	must(t, err)
	change := func() {
		must(t, rc.Set(ctx, "celery-task-meta-"+id, strings.Replace(failed, "FAILURE", "SUCCESS", 1), 0).Err())
	}
	return plan, change, func(err error) {
		refused(t, err, "result changed since you were asked (its state is now SUCCESS)")
		if n := rc.LLen(ctx, "default").Val(); n != 0 {
			t.Errorf("%d message(s) were sent", n)
		}
	}
}

// rehearsalFilesEdited: the migration's file is edited after its SQL was
// read (it now terminates sessions): the rehearsal runs what it was planned
// with, and another database's session lives on.
func rehearsalFilesEdited(t *testing.T, ctx context.Context) (actions.Plan, func(), func(error)) {
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	must(t, pg.Exec(ctx, "CREATE DATABASE other"))
	revs := []servers.Revision{{ID: "r0", Upgrade: []string{"CREATE TABLE accounts (id int)"}},
		{ID: "r1", Down: "r0", Upgrade: []string{"ALTER TABLE accounts ADD COLUMN note text"}}}
	dir := sandboxtest.AlembicProjectAt(ctx, t, pg, revs, "r0")
	var rehearsed []string
	cp := *pg
	cp.Database = "other"
	bystander, err := cp.StartSession("bystander", "SELECT pg_sleep(600)")
	must(t, err)
	t.Cleanup(func() { bystander.Stop() })
	plan, change := rehearsalPlan(t, ctx, pg, dir, &rehearsed), func() {
		revs[1].Upgrade = []string{"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bystander'"}
		must(t, servers.WriteAlembicRevisions(dir, revs))
	}
	return plan, change, func(err error) {
		if err != nil {
			t.Fatalf("rehearsal: %v", err)
		}
		if !slices.ContainsFunc(rehearsed, func(s string) bool { return strings.Contains(s, "ADD COLUMN note") }) ||
			slices.ContainsFunc(rehearsed, func(s string) bool { return strings.Contains(s, "pg_terminate_backend") }) {
			t.Errorf("rehearsed %q, want the planned statements", rehearsed)
		}
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := cp.ActivePID(actx, "bystander"); err != nil {
			t.Errorf("another database's session is gone: %v", err)
		}
	}
}

// rehearsalPlan is the preflight's rehearsal step as wire builds it: the
// SQL rendered and split when planned, run in a scratch database when
// carried out; rehearsed receives the statements it ran.
func rehearsalPlan(t *testing.T, ctx context.Context, pg *servers.Postgres, dir string, rehearsed *[]string) actions.Plan {
	sql, err := servers.AlembicOutput(ctx, dir, pg.URL(), "upgrade", "r0:r1", "--sql")
	must(t, err)
	schema, err := pg.DumpSchema(ctx)
	must(t, err)
	stmts := preflight.Split(sql)
	return actions.PlanStep("rehearsal", "qa", "migrate preflight", "a scratch database", []string{"rehearse the migration"},
		func(ctx context.Context) ([]string, error) {
			obs, err := preflight.Rehearse(ctx, pg.URLFor("postgres"), schema, stmts)
			for i, s := range stmts {
				if i < len(obs) && obs[i].Skipped == "" && obs[i].Err == "" {
					*rehearsed = append(*rehearsed, s.SQL)
				}
			}
			return nil, err
		})
}

func redisClient(t *testing.T, url string) *goredis.Client {
	o, err := goredis.ParseURL(url)
	must(t, err)
	c := goredis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRetryOfHugeArgumentsShowsABoundAndSendsThemAll: a failed task whose
// stored args are ~900 kB: the question shows a bounded part of them (its
// layout froze the console), the retry sends them whole.
func TestRetryOfHugeArgumentsShowsABoundAndSendsThemAll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	broker := rd.URL(0)
	rc := redisClient(t, broker)
	id := "4f2a9c1e-0000-4000-8000-000000000002"
	big := strings.Repeat("x", 900_000)
	failed := `{"status": "FAILURE", "task_id": "` + id + `", "name": "app.tasks.summarize", "args": ["` + big + `"], "kwargs": {}, "queue": "default"}`
	must(t, rc.Set(ctx, "celery-task-meta-"+id, failed, 0).Err())
	plan, err := actions.PlanRetry(ctx, "qa", celeryOptions(broker), "the test broker", id)
	must(t, err)
	shown := 0
	for _, l := range plan.Question().Head {
		shown += len(l)
	}
	if shown > 10_000 || !strings.Contains(strings.Join(plan.Question().Head, " "), "bytes in all") {
		t.Errorf("the question holds %d bytes of the arguments", shown)
	}
	if _, err := run(ctx, t, plan); err != nil {
		t.Fatal(err)
	}
	sent, err := rc.LIndex(ctx, "default", 0).Result()
	must(t, err)
	var msg struct{ Body string }
	must(t, json.Unmarshal([]byte(sent), &msg))
	body, err := base64.StdEncoding.DecodeString(msg.Body)
	must(t, err)
	if !strings.Contains(string(body), big) {
		t.Errorf("the retry did not send the arguments whole (%d bytes of body)", len(body))
	}
}
