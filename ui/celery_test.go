package ui

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/actionpane"
)

type fakeCelery struct{ st sources.CeleryState }

func (f *fakeCelery) Poll(context.Context, sources.CeleryRequest) (sources.CeleryState, error) {
	return f.st, nil
}

func sampleCelery() sources.CeleryState {
	return sources.CeleryState{
		Workers: []sources.CeleryWorker{{Hostname: "w1@host", Pool: "prefork", Concurrency: 2, Online: true, SendsEvents: true, Active: 1,
			Running: []sources.CeleryRunning{{ID: "r-1", Name: "app.tasks.export_conversations", Worker: "w1@host"}}},
			{Hostname: "w2@host", Pool: "gevent/eventlet", LastSeen: t0.Add(-time.Minute)}},
		Queues:   []sources.CeleryQueue{{Name: "default", Waiting: 12}, {Name: "high_priority"}, {Name: "low_priority", Waiting: 3}},
		Tasks:    []sources.CeleryTask{{Name: "app.tasks.reindex_embeddings", Received: 9, Failed: 9, ReceivedPerSec: 0.3}},
		Failures: []sources.CeleryFailure{{ID: "f-1", Name: "app.tasks.reindex_embeddings", Exception: "ValueError('mismatch')", Worker: "w1@host", At: t0, Args: `["x"]`}},
		Events:   sources.CeleryEvents{Since: t0.Add(-5 * time.Minute)}, Window: 5 * time.Minute,
	}
}

// TestCeleryPaneAndItsKeys: the pane shows its workers (one gone), queues
// and failures; zoomed, P purges the selected queue, T terminates the
// selected running task, E retries the selected failure, each through the
// console's Celery action with what is under the cursor; a metric pane
// whose query asks for a celery_* metric no exporter makes says the
// Celery pane's answer.
func TestCeleryPaneAndItsKeys(t *testing.T) {
	src := healthy()
	src.values["grafana:celery"] = math.NaN()
	src.diag = "metric celery_worker_up does not exist; celery_* metrics come from a Celery exporter, which this Prometheus does not scrape: " + sources.CeleryNoExporter
	h := newHarness(t, src, nil, false)
	h.celery = &fakeCelery{st: sampleCelery()}
	h.m.openEnv("qa")
	h.m.env.Signals = append(h.m.env.Signals, sources.SignalSpec{Key: "grafana:celery", Title: "Celery workers up", Query: "sum(celery_worker_up)"})
	h.m.buildPanes()
	type call struct{ kind, arg string }
	var asked []call
	h.m.deps.Celery = func(env, kind, arg string) actionpane.Action {
		asked = append(asked, call{kind, arg})
		// Refused: the key's call is what is tested, not the overlay.
		return actionpane.Action{Name: kind, Guard: actionpane.Refused, Reason: "test"}
	}
	h.size(200, 60)
	h.advance(h.m.deps.Refresh)
	h.advance(h.m.deps.Refresh) // the metric pane reads after the Celery pane has
	paneText := func(title string) string {
		for _, p := range h.m.panes {
			if p.Title() == title {
				text := ansi.Strip(strings.Join(p.View(false), " "))
				return strings.Join(strings.Fields(strings.NewReplacer("│", " ", "╭", " ", "╮", " ", "╰", " ", "╯", " ", "─", " ").Replace(text)), " ")
			}
		}
		return ""
	}
	for _, want := range []string{"1/2 workers", "✖ 1 gone worker · w2", "12 waiting default", "✖ 9 failed over 5m"} {
		if s := paneText("Celery"); !strings.Contains(s, want) {
			t.Fatalf("the Celery pane lacks %q: %s", want, s)
		}
	}
	if s := paneText("Celery workers up"); !strings.Contains(s, "the Celery pane finds 1 of 2 workers online, 15 tasks waiting, 1 failed recently") {
		t.Errorf("the no-data diagnosis lacks the Celery pane's answer: %s", s)
	}
	for !h.m.focused(h.m.celeryPane) {
		h.key("tab")
	}
	h.key("enter")
	h.key("P") // the first row: queue default
	h.key("down")
	h.key("down")
	h.key("down") // the running task
	h.key("T")
	h.key("down") // the failure
	h.key("E")
	h.key("X") // not a running task: refused, nothing asked
	want := []call{{"purge", "default"}, {"terminate", "r-1"}, {"retry", "f-1"}}
	if len(asked) != len(want) {
		t.Fatalf("asked %v, want %v", asked, want)
	}
	for i := range want {
		if asked[i] != want[i] {
			t.Errorf("asked %v, want %v", asked, want)
		}
	}
	if !strings.Contains(h.screen(), "select a running task") {
		t.Errorf("X on a failure must say why it does nothing:\n%s", h.screen())
	}
}

// TestCeleryAnswerOnlyOnceRead: before the Celery pane has read the broker
// there is no answer to put beside a diagnosis (not a sentence cut short).
func TestCeleryAnswerOnlyOnceRead(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.celery = &fakeCelery{st: sampleCelery()}
	h.m.openEnv("qa")
	h.m.buildPanes()
	if got := h.m.paneContext.Celery(); got != "" {
		t.Errorf("before the first read: %q", got)
	}
	h.size(200, 60)
	h.advance(h.m.deps.Refresh)
	if got := h.m.paneContext.Celery(); !strings.HasPrefix(got, "the Celery pane finds 1 of 2 workers online") {
		t.Errorf("after it: %q", got)
	}
}
