package config

import (
	"errors"
	"fmt"
	"github.com/opsdeck/opsdeck/ui"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mergeBomb is a small file whose merge keys expand to width^depth mappings.
func mergeBomb(depth, width int) string {
	var b strings.Builder
	b.WriteString("x0: &x0 {refresh: 2s}\n")
	for i := 1; i <= depth; i++ {
		refs := make([]string, width)
		for j := range refs {
			refs[j] = fmt.Sprintf("*x%d", i-1)
		}
		fmt.Fprintf(&b, "x%d: &x%d {<<: [%s]}\n", i, i, strings.Join(refs, ", "))
	}
	fmt.Fprintf(&b, "environments:\n  a:\n    <<: *x%d\n", depth)
	return b.String()
}

// TestHostileConfigurations: each of these hung the loader, panicked or
// exhausted memory; each now ends at once with a configuration error.
func TestHostileConfigurations(t *testing.T) {
	for _, depth := range []int{7, 9, 12} {
		bomb := mergeBomb(depth, 9)
		start := time.Now()
		_, err := Parse("bomb.yaml", []byte(bomb), nil, ui.Specs())
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("merge bomb of depth %d (%d bytes) took %s", depth, len(bomb), took)
		}
		var es Errors
		if !errors.As(err, &es) || !strings.Contains(err.Error(), "expand to more than") {
			t.Errorf("merge bomb of depth %d: %v", depth, err)
		}
	}
	// Text that reads like the loader's own placeholders stays text.
	cfg, err := Parse("p.yaml", []byte("environments:\n  OPSDECKREF7Z:\n    prometheus: {url: 'http://p:9090', selector: 'job=\"OPSDECKREF99Z\"'}\n    postgres: {url: \"${DB}\"}\n"),
		envOf("DB", "postgresql://u@h/db"), ui.Specs())
	if err != nil {
		t.Fatal(err)
	}
	if e := cfg.Environments["OPSDECKREF7Z"]; e == nil || e.Prometheus.Selector != `job="OPSDECKREF99Z"` || e.Postgres.URL != "postgresql://u@h/db" {
		t.Fatalf("placeholder-like text: %+v", cfg.Environments)
	}

	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", 2<<20)+"\nenvironments: {a: {}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{"/dev/zero", "not a regular file"},
		{fifo, "not a regular file"},
		{big, "larger than 1024 KiB"},
		{dir, "not a regular file"},
	} {
		done := make(chan error, 1)
		go func() { _, err := Load(Options{Bindings: ui.Specs(), Path: c.path}); done <- err }()
		select {
		case err := <-done:
			var es Errors
			if !errors.As(err, &es) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("%s: %v", c.path, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the loader hangs", c.path)
		}
	}
}

// TestAnotherCandidateFileIsAWarning: a ./opsdeck.yaml in force while the
// user's own file exists says so; --config picks one and says nothing.
func TestAnotherCandidateFileIsAWarning(t *testing.T) {
	work, home := t.TempDir(), t.TempDir()
	local := filepath.Join(work, "opsdeck.yaml")
	user := filepath.Join(home, "opsdeck", "config.yaml")
	for _, p := range []string{local, user} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("environments: {a: {}}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := Load(Options{Bindings: ui.Specs(), WorkDir: work, LookupEnv: envOf("XDG_CONFIG_HOME", home)})
	if err != nil {
		t.Fatal(err)
	}
	want := local + " is in use; " + user + " also exists and is ignored"
	if cfg.Source != local || len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], want) {
		t.Fatalf("source %s, warnings %q", cfg.Source, cfg.Warnings)
	}
	cfg, err = Load(Options{Bindings: ui.Specs(), Path: user, WorkDir: work, LookupEnv: envOf("XDG_CONFIG_HOME", home)})
	if err != nil || cfg.Source != user || len(cfg.Warnings) != 0 {
		t.Fatalf("explicit: %v %q", err, cfg.Warnings)
	}
}
