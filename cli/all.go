package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
)

// everyEnv opens every configured environment and runs read on each at
// once, in the configuration's order: one environment down never delays
// the others beyond its own sources' timeouts.
func everyEnv[T any](a *app, read func(ctx context.Context, env *sources.Environment) T) ([]T, error) {
	cfg, err := a.load()
	if err != nil {
		return nil, err
	}
	envs := make([]*sources.Environment, len(cfg.Order))
	for i, name := range cfg.Order {
		if envs[i], err = wire.Open(cfg, name, buildVersion()); err != nil {
			for _, e := range envs[:i] {
				e.Close()
			}
			return nil, err
		}
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	out := make([]T, len(envs))
	var wg sync.WaitGroup
	for i, env := range envs {
		wg.Go(func() {
			defer env.Close()
			out[i] = read(ctx, env)
		})
	}
	wg.Wait()
	return out, nil
}

// takeSnapshots is `opsdeck snapshot --all`: every environment's snapshot,
// in the configuration's order.
func takeSnapshots(a *app, format string) error {
	now := time.Now()
	docs, err := everyEnv(a, func(ctx context.Context, env *sources.Environment) *snapshot.Document {
		return snapshot.Take(ctx, env, now)
	})
	if err != nil {
		return err
	}
	switch format {
	case "text":
		// Every environment at a glance first, as the overview shows them,
		// then each in full.
		parts := make([]string, 0, len(docs)+1)
		glance := make([]string, len(docs))
		for i, d := range docs {
			glance[i] = d.Glance()
		}
		parts = append(parts, strings.Join(glance, "\n"))
		for _, d := range docs {
			parts = append(parts, d.Text())
		}
		_, err = io.WriteString(a.stdout, strings.Join(parts, "\n\n"))
		return err
	case "markdown":
		audit := &actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}
		parts := make([]string, len(docs))
		for i, d := range docs {
			if err := addActions(d, audit, reportActions); err != nil && i == 0 {
				fmt.Fprintln(a.stderr, "opsdeck: audit log:", err)
			}
			parts[i] = d.Markdown()
		}
		_, err = io.WriteString(a.stdout, strings.Join(parts, "\n---\n\n"))
		return err
	}
	all := struct {
		TakenAt      string            `json:"taken_at"`
		Environments []json.RawMessage `json:"environments"`
	}{TakenAt: now.UTC().Format(time.RFC3339)}
	for _, d := range docs {
		b, err := d.JSON()
		if err != nil {
			return err
		}
		all.Environments = append(all.Environments, b)
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(a.stdout, string(b))
	return err
}

// checked is one environment's gate, or why it has none.
type checked struct {
	res     checkResult
	nothing error
}

// runChecks is `opsdeck check --all`: the gate in every environment that
// has one; the exit code is the worst (1 when any fails). Environments with
// nothing to check are said and skipped; with none to check at all, it is a
// usage error.
func runChecks(a *app, c checkFlags) error {
	cfg, err := a.load()
	if err != nil {
		return err
	}
	c.preflight, c.metricsTimeout = a.preflighter(cfg), metricsTimeouts(cfg)
	results, err := everyEnv(a, func(ctx context.Context, env *sources.Environment) checked {
		res, err := checkEnv(ctx, env, c)
		return checked{res: res, nothing: err}
	})
	if err != nil {
		return err
	}
	var ran []checkResult
	var skipped []string
	ok := true
	for _, r := range results {
		if r.nothing != nil {
			skipped = append(skipped, r.nothing.Error())
			continue
		}
		ran = append(ran, r.res)
		ok = ok && r.res.OK
	}
	if len(ran) == 0 {
		return usageError(fmt.Errorf("nothing to check in any environment:\n  %s", strings.Join(skipped, "\n  ")))
	}
	if c.Format == "json" {
		out, err := json.MarshalIndent(struct {
			OK           bool          `json:"ok"`
			Environments []checkResult `json:"environments"`
			Skipped      []string      `json:"skipped,omitempty"`
		}{ok, ran, skipped}, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, string(out))
	} else {
		for _, r := range ran {
			fmt.Fprint(a.stdout, r.text())
		}
		for _, s := range skipped {
			fmt.Fprintln(a.stdout, "skipped: "+s)
		}
	}
	if !ok {
		return found()
	}
	return nil
}
