package main

import (
	"context"
	"fmt"
	"os"

	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

func main() {
	servers := map[string]struct {
		version string
		built   func() bool
		build   func(context.Context) (string, error)
	}{
		"jaeger":          {servers.JaegerVersion, servers.JaegerBuilt, servers.BuildJaeger},
		"prometheus":      {servers.PrometheusVersion, servers.PrometheusBuilt, servers.BuildPrometheus},
		"sloth":           {servers.SlothVersion, servers.SlothBuilt, servers.BuildSloth},
		"thanos":          {servers.ThanosVersion, servers.ThanosBuilt, servers.BuildThanos},
		"victorialogs":    {servers.VictoriaLogsVersion, servers.VictoriaLogsBuilt, servers.BuildVictoriaLogs},
		"victoriametrics": {servers.VictoriaMetricsVersion, servers.VictoriaMetricsBuilt, servers.BuildVictoriaMetrics},
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: serverbuild jaeger|prometheus|sloth|thanos|victorialogs|victoriametrics")
		os.Exit(2)
	}
	s, ok := servers[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "serverbuild: no server %q (jaeger, prometheus, sloth, thanos, victorialogs, victoriametrics)\n", os.Args[1])
		os.Exit(2)
	}
	if !s.built() {
		fmt.Fprintf(os.Stderr, "building %s %s (once; a few minutes)\n", os.Args[1], s.version)
	}
	path, err := s.build(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "serverbuild:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}
