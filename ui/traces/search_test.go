package traces

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/jaeger"
	"github.com/opsdeck/opsdeck/ui/pane"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// noExemplars is a signal source that has none, and says why.
type noExemplars struct{}

func (noExemplars) Exemplars(context.Context, sources.SignalSpec, time.Time, time.Time) (sources.ExemplarReading, error) {
	return sources.ExemplarReading{Diagnosis: "exemplar storage is off"}, nil
}

// TestSearchedTracesSayHowTheyEnded: the error rate has no exemplars, so
// the list is Jaeger's search for the service's traces, failed and
// successful alike. Against a real Jaeger holding two failed and two
// successful traces, each row says how its own trace ended and how long it
// took: only the failed ones are marked as failures.
func TestSearchedTracesSayHowTheyEnded(t *testing.T) {
	t.Parallel()
	sandboxtest.SkipServers(t, "Jaeger")
	j := sandboxtest.NewJaeger(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	now := time.Now()
	traces := []struct {
		id     string
		took   time.Duration
		failed bool
	}{
		{"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", 3 * time.Second, true},
		{"b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2", 2 * time.Second, false},
		{"c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3", 1500 * time.Millisecond, true},
		{"d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4", time.Second, false},
	}
	var spans []string
	for _, tr := range traces {
		status := `{"code":1}`
		if tr.failed {
			status = `{"code":2,"message":"502 from the LLM provider"}`
		}
		spans = append(spans, fmt.Sprintf(`{"traceId":%q,"spanId":"00000000000000a1","name":"POST /api/chat","kind":2,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","status":%s}`,
			tr.id, now.Add(-tr.took).UnixNano(), now.UnixNano(), status))
	}
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"origin-api"}}]},"scopeSpans":[{"scope":{"name":"test"},"spans":[` +
		strings.Join(spans, ",") + `]}]}]}`
	resp, err := http.Post("http://"+j.OTLPEndpoint()+"/v1/traces", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Jaeger took the spans with %s", resp.Status)
	}
	jc, err := jaeger.New(httpapi.APIOptions{URL: j.QueryURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer jc.Close()
	// Once Jaeger has stored them all.
	for {
		found, err := jc.Search(ctx, "origin-api", now.Add(-time.Minute), now.Add(time.Minute), 10)
		if err == nil && len(found) == len(traces) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Jaeger holds %d of the %d traces (%v)", len(found), len(traces), err)
		case <-time.After(100 * time.Millisecond):
		}
	}

	pc := &pane.Context{Styles: theme.New(theme.Dark(), false), Now: time.Now, Time: pane.NewTimeline(15 * time.Minute), Base: ctx}
	m := New(pc, noExemplars{}, sources.SignalSpec{Key: sources.ErrorRate, Title: "Error rate", Unit: units.Ratio},
		redact.NewScrubber(), "esc back", jc, "", "origin-api")
	m.SetSize(160, 40)
	m.Update(m.Fetch()())
	screen := ansi.Strip(strings.Join(m.View(pc.Styles), "\n"))
	for _, tr := range traces {
		var row string
		for _, l := range strings.Split(screen, "\n") {
			if strings.Contains(l, tr.id) {
				row = l
			}
		}
		took := units.Format(tr.took.Seconds(), units.Seconds)
		switch {
		case row == "":
			t.Errorf("trace %s is not listed:\n%s", tr.id, screen)
		case !strings.Contains(row, took):
			t.Errorf("trace %s does not say it took %s: %q", tr.id, took, row)
		case tr.failed && !strings.Contains(row, "error"):
			t.Errorf("failed trace %s is not marked: %q", tr.id, row)
		case !tr.failed && (strings.Contains(row, "error") || strings.Contains(row, "failed")):
			t.Errorf("successful trace %s is marked as a failure: %q", tr.id, row)
		}
	}
}
