package victorialogs_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/sandbox/otellogs"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	. "github.com/opsdeck/opsdeck/sources/victorialogs"
)

const (
	traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	spanID  = "00f067aa0ba902b7"
)

// traceback is a Python traceback as the API logs it with a 500.
const traceback = "Traceback (most recent call last):\n  File \"/app/chat.py\", line 42, in chat\n    rows = await pool.fetch(q)\n" +
	"asyncpg.exceptions.QueryCanceledError: canceling statement due to statement timeout"

// TestAgainstVictoriaLogs: lines sent through the OpenTelemetry SDK into a
// real VictoriaLogs are read back by this client: a trace's lines by its
// id (message, level, trace and span ids, stream and attributes, the
// traceback whole), only the configured service's (the default query's
// field is VictoriaLogs's own for service.name); a burst of error lines at
// a known moment found in that moment's range, counted by the volume's
// step and grouped into one pattern; the filter's result is what the same
// query asked over plain HTTP answers; another tenant sees none of it; a
// new line reaches a tail; LogsQL the server refuses is said in its words.
func TestAgainstVictoriaLogs(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "VictoriaLogs")
	vl := sandboxtest.NewVictoriaLogs(t)
	ctx, cancel := wait.Bounded(t)
	defer cancel()

	send := func(service string, recs ...otellogs.Record) { sendLogs(t, ctx, vl.OTLPLogsURL(), service, recs...) }
	now := time.Now().UTC().Truncate(time.Second)
	burst := now.Add(-5 * time.Minute)
	route := map[string]string{"http.route": "/api/chat"}
	recs := []otellogs.Record{
		{Time: now.Add(-2 * time.Second), Level: "info", Message: "POST /api/chat 500", TraceID: traceID, SpanID: spanID, Attributes: route},
		{Time: now.Add(-time.Second), Level: "error", Message: traceback, TraceID: traceID, SpanID: spanID, Attributes: route},
		{Time: now, Level: "warn", Message: "slow request: 2.31s", TraceID: traceID, SpanID: spanID},
	}
	for i := range 20 {
		recs = append(recs, otellogs.Record{Time: burst.Add(time.Duration(i) * 100 * time.Millisecond), Level: "error",
			Message: fmt.Sprintf("pool timeout after %d ms waiting for a connection (request %d)", 5000+i, i)})
	}
	send("origin-api", recs...)
	send("other-service", otellogs.Record{Time: now, Level: "error", Message: "not ours", TraceID: traceID, SpanID: spanID})

	filter := config.ServiceQuery("origin-api")
	c, err := New(Options{API: httpapi.APIOptions{URL: vl.URL()}, Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	window := sources.LogQuery{Start: now.Add(-10 * time.Minute), End: now.Add(time.Second)}

	// The trace's lines, once all 23 of ours are searchable.
	var lines []sources.LogLine
	wait.Eventually(t, "the 23 lines sent", func() error {
		all, err := c.Lines(ctx, window)
		if err != nil {
			return err
		}
		if len(all) != 23 {
			return fmt.Errorf("%d lines", len(all))
		}
		q := window
		q.Filter = `trace_id:"` + traceID + `"`
		lines, err = c.Lines(ctx, q)
		return err
	}, wait.Context(ctx))
	if len(lines) != 3 {
		t.Fatalf("the trace's lines: %d, want 3 (the other service's left out): %+v", len(lines), lines)
	}
	for i, want := range []struct{ level, msg string }{{"info", recs[0].Message}, {"error", traceback}, {"warn", recs[2].Message}} {
		l := lines[i]
		if l.Level != want.level || l.Message != want.msg || l.TraceID != traceID || l.SpanID != spanID || !strings.Contains(l.Stream, "origin-api") ||
			!l.Time.Equal(recs[i].Time) {
			t.Errorf("line %d: %+v, want level %s, message %q at %v", i, l, want.level, want.msg, recs[i].Time)
		}
	}
	if lines[0].Fields["http.route"] != "/api/chat" || lines[0].Fields["service.name"] != "origin-api" || lines[0].Fields["severity_text"] != "INFO" {
		t.Errorf("fields %v", lines[0].Fields)
	}

	t.Run("burst", func(t *testing.T) { checkBurst(t, ctx, c, window, burst) })
	t.Run("filter", func(t *testing.T) { checkFilterAsServer(t, ctx, c, vl.URL(), filter, window) })
	t.Run("tenant", func(t *testing.T) { checkTenant(t, ctx, c, vl.URL(), window) })
	t.Run("tail", func(t *testing.T) { checkTail(t, ctx, c, vl.OTLPLogsURL()) })
}

// sendLogs sends recs as service through the OpenTelemetry SDK, flushed.
func sendLogs(t *testing.T, ctx context.Context, otlpURL, service string, recs ...otellogs.Record) {
	t.Helper()
	l, err := otellogs.New(ctx, otlpURL, service)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := l.Emit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Shutdown(ctx); err != nil {
		t.Fatalf("sending %d records: %v", len(recs), err)
	}
}

// checkBurst: the burst's 20 error lines found from its moment (± one
// step), one pattern of 20, and the volume counting them in its minute.
func checkBurst(t *testing.T, ctx context.Context, c *Client, window sources.LogQuery, burst time.Time) {
	// The burst, from the moment it happened (± one step), errors only.
	at := sources.LogQuery{Start: burst.Add(-time.Minute), End: burst.Add(time.Minute), MinLevel: "error"}
	found, err := c.Lines(ctx, at)
	if err != nil || len(found) != 20 {
		t.Fatalf("the burst: %d lines, %v", len(found), err)
	}
	p := sources.LogPatterns(found)
	if len(p) != 1 || p[0].Count != 20 || p[0].Pattern != "pool timeout after <n> ms waiting for a connection (request <n>)" {
		t.Errorf("the burst's patterns %+v", p)
	}
	vol, err := c.Volume(ctx, window, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	byLevel := map[string]int{}
	for _, v := range vol {
		if v.Time.Equal(burst.Truncate(time.Minute)) && v.ByLevel["error"] != 20 {
			t.Errorf("the burst's minute counts %v", v.ByLevel)
		}
		for k, n := range v.ByLevel {
			byLevel[k] += n
		}
	}
	if byLevel["error"] != 21 || byLevel["info"] != 1 || byLevel["warn"] != 1 {
		t.Errorf("the window's volume %v", byLevel)
	}

}

// checkFilterAsServer: the filter's result is the server's own answer to
// the same query asked over plain HTTP.
func checkFilterAsServer(t *testing.T, ctx context.Context, c *Client, base, filter string, window sources.LogQuery) {
	// The filter's result is the server's own answer to the same query.
	user := `"pool timeout" OR slow`
	q := window
	q.Filter = user
	ours, err := c.Lines(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	theirs := plainQuery(t, base, And(filter, user), window)
	if len(ours) != 21 || !slices.Equal(messages(ours), theirs) {
		t.Errorf("filter %q: ours %d lines, the server's %d", user, len(ours), len(theirs))
	}

}

// checkTenant: another tenant holds none of the lines; LogsQL the server
// refuses is said in its words.
func checkTenant(t *testing.T, ctx context.Context, c *Client, base string, window sources.LogQuery) {
	// Another tenant holds none of it.
	other, err := New(Options{API: httpapi.APIOptions{URL: base}, Tenant: "42:7"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if l, err := other.Lines(ctx, window); err != nil || len(l) != 0 {
		t.Errorf("tenant 42:7: %d lines, %v", len(l), err)
	}
	if _, err := c.Lines(ctx, sources.LogQuery{Filter: `x:~"("`}); err == nil || !strings.Contains(err.Error(), "400 Bad Request: cannot parse `query`") {
		t.Errorf("LogsQL the server refuses: %v", err)
	}

}

// checkTail: a new line reaches a tail; a tail stopped by its caller says
// why.
func checkTail(t *testing.T, ctx context.Context, c *Client, otlpURL string) {
	// A new line reaches a tail.
	tailCtx, stop := context.WithCancel(ctx)
	defer stop()
	tailed := make(chan sources.LogLine, 10)
	ended := make(chan error, 1)
	go func() { ended <- c.Tail(tailCtx, `"tail marker"`, tailed) }()
	sent := time.Now()
	sendLogs(t, ctx, otlpURL, "origin-api", otellogs.Record{Level: "error", Message: "tail marker", TraceID: traceID, SpanID: spanID})
	select {
	case l := <-tailed:
		if l.Message != "tail marker" || l.Level != "error" || l.TraceID != traceID {
			t.Errorf("tailed %+v", l)
		}
		t.Logf("a new line reached the tail %v after it was sent", time.Since(sent))
	case err := <-ended:
		t.Fatalf("the tail ended: %v", err)
	case <-ctx.Done():
		t.Fatal("no line reached the tail")
	}
	stop()
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("a tail stopped by its caller: %v", err)
	}
}

// plainQuery is the messages VictoriaLogs answers query with over plain
// HTTP, oldest first.
func plainQuery(t *testing.T, base, query string, q sources.LogQuery) []string {
	t.Helper()
	v := url.Values{"query": {query}, "start": {q.Start.Format(time.RFC3339Nano)}, "end": {q.End.Format(time.RFC3339Nano)}}
	resp, err := http.Get(base + "/select/logsql/query?" + v.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	type rec struct {
		Time time.Time
		Msg  string
	}
	var recs []rec
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var r struct {
			Time string `json:"_time"`
			Msg  string `json:"_msg"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		at, err := time.Parse(time.RFC3339Nano, r.Time)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec{at, r.Msg})
	}
	slices.SortStableFunc(recs, func(a, b rec) int { return a.Time.Compare(b.Time) })
	var out []string
	for _, r := range recs {
		out = append(out, r.Msg)
	}
	return out
}

func messages(lines []sources.LogLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Message)
	}
	return out
}
