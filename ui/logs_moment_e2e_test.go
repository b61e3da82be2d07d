package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/sandbox/otellogs"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/victorialogs"
)

// realLogs starts a VictoriaLogs for one test, a sender through the
// OpenTelemetry SDK and the console's client of it.
func realLogs(t *testing.T) (*otellogs.Logger, *victorialogs.Client) {
	t.Helper()
	sandboxtest.SkipServers(t, "VictoriaLogs")
	vl := sandboxtest.NewVictoriaLogs(t)
	lg, err := otellogs.New(context.Background(), vl.OTLPLogsURL(), "origin-api")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Shutdown(context.Background()) })
	logs, err := victorialogs.New(victorialogs.Options{API: httpapi.APIOptions{URL: vl.URL()}, Filter: `service.name:"origin-api"`})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(logs.Close)
	return lg, logs
}

// send sends records and waits until the client finds every one of them
// in [from, to]: what the backend's own delay is.
func send(t *testing.T, lg *otellogs.Logger, logs sources.Logs, from, to time.Time, want int, recs ...otellogs.Record) {
	t.Helper()
	ctx := context.Background()
	for _, r := range recs {
		if err := lg.Emit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := lg.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := wait.For(t, func() error {
		got, err := logs.Lines(ctx, sources.LogQuery{Start: from, End: to, Limit: want + 100})
		if err != nil {
			return err
		}
		if len(got) != want {
			return fmt.Errorf("VictoriaLogs holds %d of %d lines", len(got), want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBurstAtTheCursorE2E: a burst of error lines at a known moment, sent
// through the SDK into a real VictoriaLogs among lines of other moments, is
// what L shows from a chart's time cursor put on that moment: every line
// of the burst, none from minutes away.
func TestBurstAtTheCursorE2E(t *testing.T) {
	lg, logs := realLogs(t)
	h := newHarness(t, healthy(), nil, false)
	h.now = time.Now().Truncate(time.Second)
	h.logs = logs
	h.m.openEnv("qa")
	h.size(160, 48)
	for range 20 {
		h.key("left")
	}
	cursor := h.m.timeline.Cursor
	_, step := h.m.cursorGrid()
	if cursor.IsZero() || h.now.Sub(cursor) < 10*step {
		t.Fatalf("the cursor is at %v (now %v, step %v)", cursor, h.now, step)
	}
	var recs []otellogs.Record
	for i := range 12 {
		recs = append(recs, otellogs.Record{Time: cursor.Add(time.Duration(i-6) * step / 13), Level: "error",
			Message: fmt.Sprintf("burst %02d: psycopg2.OperationalError: server closed the connection unexpectedly", i)})
	}
	for _, far := range []time.Duration{-5 * step, 4 * step, 8 * step} {
		recs = append(recs, otellogs.Record{Time: cursor.Add(far), Level: "info", Message: fmt.Sprintf("calm line %v away", far)})
	}
	send(t, lg, logs, h.now.Add(-time.Hour), h.now, len(recs), recs...)

	h.key("L")
	l := h.logsTop()
	s := h.screen()
	if !strings.Contains(l.model.Title(), cursor.Format("15:04:05")+" ± ") {
		t.Errorf("the title does not name the cursor's moment: %q", l.model.Title())
	}
	for i := range 12 {
		if want := fmt.Sprintf("burst %02d:", i); !strings.Contains(s, want) {
			t.Errorf("%q missing from the moment's lines:\n%s", want, s)
		}
	}
	if strings.Contains(s, "calm line") {
		t.Errorf("a line minutes from the cursor is among the moment's:\n%s", s)
	}
}

// TestFollowShowsANewLineE2E: with the logs view open and following, a line
// sent after it opened is on screen one refresh after the backend has it.
func TestFollowShowsANewLineE2E(t *testing.T) {
	lg, logs := realLogs(t)
	h := newHarness(t, healthy(), nil, false)
	h.now = time.Now().Truncate(time.Second)
	h.logs = logs
	h.m.openEnv("qa")
	h.size(160, 48)
	send(t, lg, logs, h.now.Add(-time.Hour), h.now, 1, otellogs.Record{Time: h.now.Add(-time.Minute), Level: "info", Message: "GET /api/chat 200 41 ms"})
	h.key("L")
	l := h.logsTop()
	if !l.model.Following() || !strings.Contains(h.screen(), "GET /api/chat 200 41 ms") {
		t.Fatalf("the view does not open following the stream's line:\n%s", h.screen())
	}
	// The new line's time is within the next refresh; the backend has it
	// before the refresh comes.
	refresh := h.m.deps.Refresh
	send(t, lg, logs, h.now.Add(-time.Hour), h.now.Add(refresh), 2, otellogs.Record{Time: h.now.Add(refresh / 2), Level: "error", Message: "Traceback: a new line after the view opened"})
	if strings.Contains(h.screen(), "a new line after the view opened") {
		t.Fatal("the line is shown before any refresh: the test cannot tell follow works")
	}
	h.advance(refresh)
	if s := h.screen(); !strings.Contains(s, "a new line after the view opened") {
		t.Errorf("one refresh after the backend had it, the followed view does not show the new line:\n%s", s)
	}
}
