package ui

import (
	"strings"
	"testing"
)

// TestHeaderNamesTheServer: the header says which server answered the
// metric panes (its flavour and version, as the Prometheus client read
// them), once one has, and leaves it out when short of room.
func TestHeaderNamesTheServer(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.size(160, 48)
	head := func() string { return strings.SplitN(h.screen(), "\n", 2)[0] }
	if strings.Contains(head(), "·  ·") || strings.Contains(head(), "Prometheus") {
		t.Fatalf("a server named before any said which: %s", head())
	}
	for _, name := range []string{"VictoriaMetrics", "Prometheus 3.16.0", "Thanos 0.42.4"} {
		for _, c := range h.m.charts {
			c.Poll.Last.Server = name
		}
		if !strings.Contains(head(), name+" · refresh 2s") {
			t.Errorf("header lacks %q: %s", name, head())
		}
	}
	h.size(90, 30)
	if strings.Contains(head(), "Thanos") {
		t.Errorf("a narrow header keeps the server: %s", head())
	}
}

// TestPausedHeaderKeepsThePause: paused with a cursor, a long config path
// and the server's name, the header at 160 cells still says it is paused
// and where the cursor is (the whole right side went, pause and all, when
// it did not fit); the config's path gives way first.
func TestPausedHeaderKeepsThePause(t *testing.T) {
	h := newHarness(t, healthy(), nil, false)
	h.size(160, 48)
	h.m.deps.ConfigSource = "/tmp/opsdeck-demo-1578916089/opsdeck.yaml"
	for _, c := range h.m.charts {
		c.Poll.Last.Server = "Prometheus 2.42.0+ds"
	}
	h.key("p")
	h.key("left")
	head := strings.SplitN(h.screen(), "\n", 2)[0]
	if !strings.Contains(head, "PAUSED at ") || !strings.Contains(head, "cursor ") {
		t.Errorf("the paused header lost its pause: %s", head)
	}
	if !strings.Contains(head, "refresh 2s") {
		t.Errorf("the paused header lost its refresh and window, which fit: %s", head)
	}
}
