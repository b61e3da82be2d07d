package faulttest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/originapi"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/ui"
)

// traceRow is a listed trace: its 32-digit id.
var traceRow = regexp.MustCompile(`\b[0-9a-f]{32}\b`)

// TestJaegerFaults: a real Jaeger behind a fault proxy, the trace list
// open (Jaeger's search, this Prometheus keeping no exemplars). Jaeger is
// hung, slowed past its timeout, black-holed, reset, answers a 500, a login
// page or cut-off JSON, and goes down: each time a refresh of the list says
// so in words within the timeout and keeps the traces listed before, the
// metric panes go on unharmed, keys are handled throughout, and the list
// recovers on the next refresh. A trace opened while Jaeger hangs says so,
// and opens once it answers.
func TestJaegerFaults(t *testing.T) {
	sandboxtest.SkipServers(t, "Jaeger, Prometheus, PostgreSQL and Redis")
	s := newStack(t)
	j := sandboxtest.NewJaeger(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	api := originapi.New()
	if _, err := api.Serve(ctx); err != nil {
		t.Fatal(err)
	}
	must(t, api.ExportSpans(ctx, j.OTLPEndpoint()))
	go api.Run(ctx, originapi.Schedule{Start: time.Now(), Period: time.Hour, Hit: "/api/chat", Always: "latency"}, 5)
	proxy := faults.NewProxy(t, strings.TrimPrefix(j.QueryURL(), "http://"))
	p := measurePace(t, s, false)
	s.tracing = fmt.Sprintf(`{jaeger_url: "http://%s", service: %s, timeout: %s}`, proxy.Addr(), originapi.ServiceName, p.timeout)
	c := startConsole(t, s.config(t, p.refresh, p.timeout))
	c.waitFor(t, "first complete frame", 0, healthy)

	key := func(k tea.KeyPressMsg) { c.prog.Send(k) }
	refresh := func() { key(tea.KeyPressMsg{Code: 'r', Text: "r"}) }
	overlay := func(panes map[string]string) string { return flat(panes[ui.TraceOverlay]) }
	listed := func(panes map[string]string) bool {
		o := overlay(panes)
		return strings.Contains(o, "Jaeger's search") && !strings.Contains(o, "⚠") && traceRow.MatchString(o)
	}
	key(tea.KeyPressMsg{Code: 't', Text: "t"})
	// Traces reach Jaeger a few at a time: refresh until some are listed
	// (a refresh while one runs is dropped, so none pile up).
	c.waitFor(t, "traces listed from Jaeger's search", 0, func(panes map[string]string) bool {
		if listed(panes) {
			return true
		}
		refresh()
		return false
	})

	presses, stop := context.WithCancel(context.Background())
	var presser sync.WaitGroup
	presser.Go(func() { c.pressTabs(presses) })
	c.awaitHealthyPresses(t, 20)

	serve := func(h http.HandlerFunc) func() { return func() { proxy.SetWith(faults.Serve, 0, h) } }
	withinTimeout := "within " + p.timeout.String()
	cases := []struct {
		name, want string
		start      func()
	}{
		{"hung", withinTimeout, func() { proxy.Set(faults.Stall) }},
		{"slow past the timeout", withinTimeout, func() { proxy.SetWith(faults.Slow, 2*p.timeout, nil) }},
		{"black hole", withinTimeout, func() { proxy.Set(faults.BlackHole) }},
		{"reset", "reset", func() { proxy.Set(faults.Reset) }},
		{"500", "500", serve(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "internal server error", http.StatusInternalServerError)
		})},
		{"login page", "not its JSON API", serve(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<!doctype html><html><body><h1>Sign in</h1></body></html>")
		})},
		{"cut-off JSON", "not its JSON API", serve(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"data":[{"traceID":"ab","spans":[{"spanID":"1","operationName":"GET`)
		})},
		{"down", "refused", proxy.Down},
	}
	var said []string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.setFaulty(true)
			tc.start()
			refresh()
			took := c.waitFor(t, "the list says so and keeps its traces", p.timeout+p.refresh, func(panes map[string]string) bool {
				o := overlay(panes)
				return strings.Contains(o, "⚠") && strings.Contains(o, "Jaeger's search failed") && strings.Contains(o, tc.want) && traceRow.MatchString(o)
			})
			c.mu.Lock()
			if !healthy(c.panes) {
				t.Errorf("the metric panes suffer from Jaeger's fault:\n%s", dump(c.panes))
			}
			o := overlay(c.panes)
			c.mu.Unlock()
			if i := strings.Index(o, "⚠"); i >= 0 {
				said = append(said, fmt.Sprintf("%s (%.2fs): %s", tc.name, took.Seconds(), o[i:min(len(o), i+130)]))
			}
			if tc.name == "down" {
				must(t, proxy.Up())
			}
			proxy.Set(faults.Pass)
			c.setFaulty(false)
			// Refreshed until it lists again: on a busy machine a search may
			// outlast the timeout once more (how soon is not what is claimed).
			c.waitFor(t, "the list recovers on a refresh", 0, func(panes map[string]string) bool {
				if listed(panes) {
					return true
				}
				if !strings.Contains(overlay(panes), "reading…") {
					refresh()
				}
				return false
			})
		})
	}

	// A trace opened while Jaeger hangs says so; once Jaeger answers, it opens.
	enter, esc := tea.KeyPressMsg{Code: tea.KeyEnter}, tea.KeyPressMsg{Code: tea.KeyEscape}
	c.setFaulty(true)
	proxy.Set(faults.Stall)
	key(enter)
	c.waitFor(t, "the hung trace says so", p.timeout+p.refresh, func(panes map[string]string) bool {
		return strings.Contains(overlay(panes), "⚠ no answer from") && strings.Contains(overlay(panes), withinTimeout)
	})
	proxy.Set(faults.Pass)
	c.setFaulty(false)
	key(esc)
	key(enter)
	c.waitFor(t, "the trace opens", p.timeout+p.refresh, func(panes map[string]string) bool {
		o := overlay(panes)
		return strings.Contains(o, "spans ·") && strings.Contains(o, "POST /api/chat") && !strings.Contains(o, "⚠")
	})
	// The trace, then the list, closed: the console quits from its main view.
	key(esc)
	key(esc)
	c.waitFor(t, "the list closed", 0, func(panes map[string]string) bool { return panes[ui.TraceOverlay] == "" })
	stop()
	presser.Wait()
	t.Logf("what the list said:\n%s", strings.Join(said, "\n"))
	c.checkKeys(p.timeout)
}
