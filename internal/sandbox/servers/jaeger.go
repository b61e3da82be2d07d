package servers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// JaegerVersion is the Jaeger tools/jaeger pins: built from the module
// proxy (Debian has no package), once, into the user's cache.
const JaegerVersion = "v1.76.0"

func jaegerBuild() pinned {
	return pinned{name: "jaeger", version: JaegerVersion, pkg: "github.com/jaegertracing/jaeger/cmd/jaeger"}
}

// JaegerBuilt reports whether the cache holds a built jaeger.
func JaegerBuilt() bool { return jaegerBuild().built() }

// BuildJaeger builds jaeger into the cache when it is not there yet (some
// minutes the first time: a large build), one build at a time across
// processes. The module is found from the working directory upwards.
func BuildJaeger(ctx context.Context) (string, error) { return jaegerBuild().build(ctx) }

// Jaeger is a running throwaway Jaeger: OTLP in, its query API out, traces
// kept in memory.
type Jaeger struct {
	server
	// QueryPort serves the UI and the HTTP query API; OTLPPort takes
	// OTLP/HTTP (/v1/traces).
	QueryPort, OTLPPort, grpcPort int
}

// QueryURL is the base URL of the query API (/api/traces/{id}).
func (j *Jaeger) QueryURL() string { return "http://127.0.0.1:" + strconv.Itoa(j.QueryPort) }

// OTLPEndpoint is where OTLP/HTTP exporters send spans (host:port).
func (j *Jaeger) OTLPEndpoint() string { return "127.0.0.1:" + strconv.Itoa(j.OTLPPort) }

// jaegerConfig keeps traces in memory and binds everything to loopback
// ports of its own; no telemetry, no sampling endpoints.
const jaegerConfig = `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:%d
    grpc:
      endpoint: 127.0.0.1:%d
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 20000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`

// StartJaeger runs Jaeger, building it first when the cache has none.
func StartJaeger(ctx context.Context) (*Jaeger, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	bin, err := BuildJaeger(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := makeDir("opsdeck-jaeger-", nil)
	if err != nil {
		return nil, err
	}
	// Its storage is memory: nothing to flush, and its graceful shutdown
	// can outwait the grace period with an exporter still connected.
	j := &Jaeger{server: server{Dir: dir, stopSignal: syscall.SIGKILL}}
	j.port = &j.QueryPort
	j.relaunch = func(ctx context.Context, port int) (*process, error) {
		j.QueryPort = port
		var err error
		if j.OTLPPort, err = FreePort(); err != nil {
			return nil, err
		}
		if j.grpcPort, err = FreePort(); err != nil {
			return nil, err
		}
		conf := filepath.Join(dir, "jaeger.yaml")
		if err := os.WriteFile(conf, fmt.Appendf(nil, jaegerConfig, port, j.grpcPort, j.OTLPPort), 0o644); err != nil {
			return nil, err
		}
		return launch(ctx, "jaeger", dir, nil, j.ready, bin, "--config=file:"+conf)
	}
	if err := j.start(ctx); err != nil {
		return nil, err
	}
	return j, nil
}

// ready: the query API answers and the OTLP receiver accepts connections
// (a GET of /v1/traces is refused with a 4xx, which is an answer).
func (j *Jaeger) ready(ctx context.Context) error {
	for _, u := range []string{j.QueryURL() + "/api/services", "http://" + j.OTLPEndpoint() + "/v1/traces"} {
		if err := answers(ctx, u, func(code int) bool { return code < 500 }); err != nil {
			return err
		}
	}
	return nil
}

// Stop shuts Jaeger down and removes its directory.
func (j *Jaeger) Stop() error {
	if j == nil {
		return nil
	}
	return j.stop()
}
