package servers

import (
	"context"
	"errors"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAShortRunStartsNoServer: under -short every Start function refuses
// before it looks for a binary, and a Build function hands back a binary
// built before or refuses, so `go test -short ./...` starts no server and
// builds none. Every exported Start and Build function of this package must
// be in the table: a new one that is not fails here.
//
// It sets -short itself, so it says the same in a full run; it is not
// parallel, so the flag is back before any parallel test goes on.
func TestAShortRunStartsNoServer(t *testing.T) {
	f := flag.Lookup("test.short")
	was := f.Value.String()
	if err := flag.Set("test.short", "true"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("test.short", was)

	ctx := context.Background()
	starts := map[string]func() error{
		"StartAlertmanager": func() error { _, err := StartAlertmanager(ctx); return err },
		"StartCeleryWorker": func() error { _, err := StartCeleryWorker(ctx, CeleryOptions{}); return err },
		"StartJaeger":       func() error { _, err := StartJaeger(ctx); return err },
		"StartPgbouncer":    func() error { _, err := StartPgbouncer(ctx, nil, PgbouncerOptions{}); return err },
		"StartPostgres":     func() error { _, err := StartPostgres(ctx, PostgresOptions{}); return err },
		"StartReplica":      func() error { _, err := StartReplica(ctx, nil); return err },
		"StartPrometheus":   func() error { _, err := StartPrometheus(ctx, PrometheusOptions{}); return err },
		"StartRedis":        func() error { _, err := StartRedis(ctx, RedisOptions{}); return err },
		"StartRedisCluster": func() error { _, err := StartRedisCluster(ctx, 3); return err },
		"startProcessAs":    func() error { _, err := startProcessAs("true", t.TempDir(), nil, nil, "true"); return err },
		"BuildJaeger":       buildRefused(ctx, JaegerBuilt, BuildJaeger),
		"BuildPrometheus":   buildRefused(ctx, PrometheusBuilt, BuildPrometheus),
		"StartVictoriaLogs": func() error { _, err := StartVictoriaLogs(ctx); return err },
		"BuildVictoriaLogs": buildRefused(ctx, VictoriaLogsBuilt, BuildVictoriaLogs),
		"BuildSloth":        buildRefused(ctx, SlothBuilt, BuildSloth),
		"StartVictoriaMetrics": func() error {
			_, err := StartVictoriaMetrics(ctx, VictoriaMetricsOptions{})
			return err
		},
		"BuildVictoriaMetrics": buildRefused(ctx, VictoriaMetricsBuilt, BuildVictoriaMetrics),
		"StartVMAlert":         func() error { _, err := StartVMAlert(ctx, nil, "", ""); return err },
		"StartThanos":          func() error { _, err := StartThanos(ctx, PrometheusOptions{}); return err },
		"BuildThanos":          buildRefused(ctx, ThanosBuilt, BuildThanos),
	}
	for _, name := range startAndBuildFuncs(t) {
		if _, ok := starts[name]; !ok {
			t.Errorf("%s starts or builds a server and is not checked here: add it to the table", name)
		}
	}
	for name, start := range starts {
		if err := start(); !errors.Is(err, ErrShortRun) {
			t.Errorf("%s under -short: %v, want ErrShortRun", name, err)
		}
	}
}

// buildRefused calls a Build function and counts a binary built before the
// call as a refusal: nothing was built.
func buildRefused(ctx context.Context, built func() bool, build func(context.Context) (string, error)) func() error {
	return func() error {
		before := built()
		_, err := build(ctx)
		if err == nil && before {
			return ErrShortRun
		}
		return err
	}
}

// startAndBuildFuncs lists the package's exported functions named Start* or
// Build*, read from its source.
func startAndBuildFuncs(t *testing.T) []string {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && (strings.HasPrefix(fn.Name.Name, "Start") || strings.HasPrefix(fn.Name.Name, "Build")) {
				names = append(names, fn.Name.Name)
			}
		}
	}
	if !slices.Contains(names, "StartPostgres") {
		t.Fatalf("found %v: the source scan lost the Start functions", names)
	}
	return names
}
