package wire

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/testenv/wait"
	"github.com/opsdeck/opsdeck/ui"
)

func parse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "opsdeck.yaml"), []byte(yaml), nil, ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestUnreadableReferenceIsSaid: a reference environment whose database URL
// cannot be used is said in the drift pane's comparison, not dropped.
func TestUnreadableReferenceIsSaid(t *testing.T) {
	cfg := parse(t, "environments:\n  qa:\n    postgres: {url: 'postgresql://u@127.0.0.1:1/db'}\n    schema_reference: prod\n  prod:\n    postgres: {url: 'postgresql://u@127.0.0.1:1/db'}\n")
	cfg.Environments["prod"].Postgres.URL = "postgresql://u@127.0.0.1:notaport/db"
	env, err := Open(cfg, "qa", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if env.Drift.Source == nil {
		t.Fatal("no drift source: the reference's error is dropped")
	}
	d := env.Drift.Source.Compare(context.Background(), false)
	if d.Reference != "environment prod" || !strings.Contains(d.Error, "reference: postgres url") {
		t.Fatalf("comparison: %+v", d)
	}
}

// TestFailedOpenReleasesWhatItOpened: an environment that fails to open
// (its dashboard no longer parses) leaves no pool behind.
func TestFailedOpenReleasesWhatItOpened(t *testing.T) {
	dir := t.TempDir()
	dash := filepath.Join(dir, "dash.json")
	if err := os.WriteFile(dash, []byte(`{"panels": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := parse(t, "grafana_dashboard: "+dash+"\nenvironments:\n  qa:\n    prometheus: {url: 'http://127.0.0.1:1'}\n    postgres: {url: 'postgresql://u@127.0.0.1:1/db'}\n    redis: {url: 'redis://127.0.0.1:1/0'}\n")
	if err := os.WriteFile(dash, []byte(`{not json`), 0o600); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	for range 20 {
		if _, err := Open(cfg, "qa", "test"); err == nil {
			t.Fatal("opened with a broken dashboard")
		}
	}
	wait.Eventually(t, "the goroutines of 20 failed opens ended", func() error {
		if n := runtime.NumGoroutine(); n > before+2 {
			return fmt.Errorf("%d before, %d after", before, n)
		}
		return nil
	})
}
