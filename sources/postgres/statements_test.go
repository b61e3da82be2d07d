package postgres

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
	"github.com/opsdeck/opsdeck/sources"
)

// marker is a statement no one else runs, so that its counters move only
// by the test's calls.
const marker = "SELECT count(*) FROM generate_series(1, 3) AS opsdeck_statement_marker"

// markerCounters reads the marker's entry straight from pg_stat_statements.
func markerCounters(t *testing.T, pg *servers.Postgres) (calls int64, ms float64, rows int64) {
	t.Helper()
	c := connect(t, pg.URL(), "test-reader")
	err := c.QueryRow(context.Background(), `SELECT coalesce(sum(calls), 0)::bigint, coalesce(sum(total_exec_time), 0), coalesce(sum(rows), 0)::bigint
		FROM pg_stat_statements WHERE query LIKE '%opsdeck_statement_marker%' AND query NOT LIKE '%pg_stat_statements%'`).Scan(&calls, &ms, &rows)
	if err != nil {
		t.Fatal(err)
	}
	return calls, ms, rows
}

// TestStatementRates: the view's figures are the differences of two reads
// of pg_stat_statements over the interval between them, and asking for them
// keeps the poll one round trip.
func TestStatementRates(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{Settings: map[string]string{"shared_preload_libraries": "pg_stat_statements"}})
	dial := &countingDial{}
	c := newClient(t, Options{URL: pg.URL(), Dial: dial.dial})
	req := sources.DBRequest{Statements: true}

	st := poll(t, c, req)
	if st.Statements == nil || !strings.Contains(st.Statements.Problem, "CREATE EXTENSION pg_stat_statements") ||
		!strings.Contains(st.Statements.Problem, "shared_preload_libraries") {
		t.Fatalf("without the extension the view must say how to enable it: %+v", st.Statements)
	}
	if err := pg.Exec(context.Background(), "CREATE EXTENSION pg_stat_statements"); err != nil {
		t.Fatal(err)
	}
	poll(t, c, req) // learns the extension is there
	first := poll(t, c, req)
	if first.Statements == nil || first.Statements.Problem != "" || first.Statements.Seconds != 0 || first.Statements.Entries == 0 {
		t.Fatalf("first read: %+v", first.Statements)
	}
	calls0, ms0, rows0 := markerCounters(t, pg)

	app := connect(t, pg.URL(), "test-app")
	const n = 40
	for range n {
		exec(t, app, marker)
	}
	calls1, ms1, rows1 := markerCounters(t, pg)
	if calls1-calls0 != n {
		t.Fatalf("the server counted %d calls, want %d", calls1-calls0, n)
	}
	dial.writes.Store(0)
	second := poll(t, c, req)
	if w := dial.writes.Load(); w != 1 {
		t.Errorf("a poll with statements took %d round trips, want 1", w)
	}
	s := second.Statements
	if s == nil || s.Seconds <= 0 {
		t.Fatalf("second read has no interval: %+v", s)
	}
	var got *sources.DBStatement
	for i := range s.Top {
		if strings.Contains(s.Top[i].Query, "opsdeck_statement_marker") {
			got = &s.Top[i]
		}
	}
	if got == nil {
		t.Fatalf("the marker is not among the top statements: %+v", s.Top)
	}
	if got.Calls != calls1-calls0 || got.Rows != rows1-rows0 || math.Abs(got.TotalMS-(ms1-ms0)) > 1e-6 {
		t.Errorf("marker: calls %d rows %d ms %f, server differences: calls %d rows %d ms %f", got.Calls, got.Rows, got.TotalMS, calls1-calls0, rows1-rows0, ms1-ms0)
	}
	if math.Abs(got.CallsPerSec*s.Seconds-n) > 1e-6 || math.Abs(got.MeanMS*n-got.TotalMS) > 1e-6 || got.RowsPerCall != 1 {
		t.Errorf("rates do not follow from the differences: %+v over %.3fs", got, s.Seconds)
	}
	if !strings.Contains(got.Query, "$1") {
		t.Errorf("the text should be the extension's normalised form: %q", got.Query)
	}
	for i := 1; i < len(s.Top); i++ {
		if s.Top[i].TotalMS > s.Top[i-1].TotalMS {
			t.Fatalf("not sorted by total time: %+v", s.Top)
		}
	}
	// Closed, the view stops reading: the poll is the plain one again.
	if st := poll(t, c, sources.DBRequest{}); st.Statements != nil {
		t.Errorf("statements read with the view closed: %+v", st.Statements)
	}
}

// TestStatementsLeaveOutOpsdecksOwn: opsdeck's own statements (the poll,
// the schema, the revision, table activity) are recorded by the extension
// like anyone's, and the top statements leave them out: the application's
// are what is listed, even on a quiet database where the poll is the
// busiest client.
func TestStatementsLeaveOutOpsdecksOwn(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{Settings: map[string]string{"shared_preload_libraries": "pg_stat_statements"}})
	if err := pg.Exec(context.Background(), "CREATE EXTENSION pg_stat_statements"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{URL: pg.URL()})
	ctx := context.Background()
	req := sources.DBRequest{Statements: true, Sessions: true}
	poll(t, c, req) // learns the extension is there
	poll(t, c, req)
	app := connect(t, pg.URL(), "test-app")
	for range 5 {
		poll(t, c, req)
		exec(t, app, marker)
		if _, err := c.Schema(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.AlembicVersion(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.TableActivity(ctx, []string{"messages"}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	st := poll(t, c, req)
	if st.Statements == nil || len(st.Statements.Top) == 0 {
		t.Fatalf("no top statements: %+v", st.Statements)
	}
	for _, s := range st.Statements.Top {
		if !strings.Contains(s.Query, "opsdeck_statement_marker") {
			t.Errorf("listed a statement the application did not send: %q", s.Query)
		}
	}
	// Read after the last poll, so that this reader is not in its interval.
	var own int
	reader := connect(t, pg.URL(), "test-reader")
	if err := reader.QueryRow(ctx, `SELECT count(*) FROM pg_stat_statements WHERE query LIKE '/* opsdeck */%' AND calls >= 5`).Scan(&own); err != nil {
		t.Fatal(err)
	}
	if own < 6 { // BEGIN, two SET LOCALs, the poll's two SELECTs, COMMIT, the schema, the revision...
		t.Fatalf("the extension recorded %d of opsdeck's statements as opsdeck's", own)
	}
}

// TestStatementsNotLoaded: created but not preloaded, or not visible to the
// role, the view says which and how to mend it, and the poll goes on.
func TestStatementsNotLoaded(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	if err := pg.Exec(context.Background(), "CREATE EXTENSION pg_stat_statements; CREATE ROLE watcher LOGIN PASSWORD 'w4tch3r-pw'"); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{URL: pg.URL()})
	for range 3 {
		st := poll(t, c, sources.DBRequest{Statements: true, Sessions: true})
		if st.Statements == nil || !strings.Contains(st.Statements.Problem, "not loaded") || !strings.Contains(st.Statements.Problem, "shared_preload_libraries") {
			t.Fatalf("not loaded: %+v", st.Statements)
		}
	}
	url := strings.Replace(pg.URL(), pg.User+":"+pg.Password, "watcher:w4tch3r-pw", 1)
	w := newClient(t, Options{URL: url})
	for range 2 {
		st := poll(t, w, sources.DBRequest{Statements: true})
		if st.Statements == nil || !strings.Contains(st.Statements.Problem, "GRANT pg_monitor TO watcher") {
			t.Fatalf("unprivileged: %+v", st.Statements)
		}
	}
}
