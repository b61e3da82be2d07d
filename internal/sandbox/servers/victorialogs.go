package servers

import (
	"context"
	"path/filepath"
	"strconv"
	"syscall"
)

// VictoriaLogsVersion is the VictoriaLogs tools/victorialogs pins: built
// from the module proxy (Debian has no package), once, into the user's cache.
const VictoriaLogsVersion = "v1.52.2"

func victoriaLogsBuild() pinned {
	return pinned{name: "victorialogs", version: VictoriaLogsVersion, pkg: "github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs"}
}

// VictoriaLogsBuilt reports whether the cache holds a built VictoriaLogs.
func VictoriaLogsBuilt() bool { return victoriaLogsBuild().built() }

// BuildVictoriaLogs builds VictoriaLogs into the cache when it is not there
// yet (a minute or two the first time), one build at a time across processes.
func BuildVictoriaLogs(ctx context.Context) (string, error) { return victoriaLogsBuild().build(ctx) }

// VictoriaLogs is a running throwaway VictoriaLogs: OTLP logs in, LogsQL out,
// one port for both, its data in its directory.
type VictoriaLogs struct {
	server
	Port int
}

// URL is the server's base URL (LogsQL under /select/logsql/).
func (v *VictoriaLogs) URL() string { return "http://127.0.0.1:" + strconv.Itoa(v.Port) }

// OTLPLogsURL is where an OTLP/HTTP log exporter sends its records
// (protobuf only).
func (v *VictoriaLogs) OTLPLogsURL() string { return v.URL() + "/insert/opentelemetry/v1/logs" }

// StartVictoriaLogs runs VictoriaLogs, building it first when the cache has
// none. Ingested lines are searchable within a second: the in-memory parts
// are flushed every second, the least it takes.
func StartVictoriaLogs(ctx context.Context) (*VictoriaLogs, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	bin, err := BuildVictoriaLogs(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := makeDir("opsdeck-vlogs-", nil)
	if err != nil {
		return nil, err
	}
	v := &VictoriaLogs{server: server{Dir: dir, stopSignal: syscall.SIGTERM}}
	v.port = &v.Port
	v.relaunch = func(ctx context.Context, port int) (*process, error) {
		v.Port = port
		return launch(ctx, "victorialogs", dir, nil, v.ready, bin,
			"-storageDataPath="+filepath.Join(dir, "data"),
			"-httpListenAddr=127.0.0.1:"+strconv.Itoa(port),
			"-inmemoryDataFlushInterval=1s",
			"-memory.allowedPercent=5", // a sandbox's few lines; the default takes 60 % of the machine for caches
			"-loggerLevel=WARN")
	}
	if err := v.start(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

// ready: /health answers OK.
func (v *VictoriaLogs) ready(ctx context.Context) error {
	return answers(ctx, v.URL()+"/health", isOK)
}

// Stop shuts VictoriaLogs down and removes its directory.
func (v *VictoriaLogs) Stop() error {
	if v == nil {
		return nil
	}
	return v.stop()
}
