package servers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Alertmanager is a running throwaway Alertmanager: no gossip, one route
// to a receiver that notifies no one, silences kept in its directory.
type Alertmanager struct {
	server
	Port int
}

// URL is the server's base URL (its API is under /api/v2).
func (a *Alertmanager) URL() string { return "http://127.0.0.1:" + strconv.Itoa(a.Port) }

// Addr is host:port, what Prometheus's alerting block takes.
func (a *Alertmanager) Addr() string { return "127.0.0.1:" + strconv.Itoa(a.Port) }

// alertmanagerConfig groups by alert name and sends nowhere; alerts are
// grouped at once so that tests see them in their groups quickly.
const alertmanagerConfig = `route:
  receiver: nobody
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: nobody
`

// StartAlertmanager runs Debian's prometheus-alertmanager.
func StartAlertmanager(ctx context.Context) (*Alertmanager, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	bin, err := LookPath("prometheus-alertmanager", "prometheus-alertmanager")
	if err != nil {
		return nil, err
	}
	dir, err := makeDir("opsdeck-am-", nil)
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(conf, []byte(alertmanagerConfig), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	a := &Alertmanager{server: server{Dir: dir, stopSignal: syscall.SIGTERM}}
	a.port = &a.Port
	a.relaunch = func(ctx context.Context, port int) (*process, error) {
		a.Port = port
		return launch(ctx, "alertmanager", dir, nil, a.ready, bin,
			"--config.file="+conf,
			"--storage.path="+filepath.Join(dir, "data"),
			"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
			"--cluster.listen-address=", // no gossip: one server, no ports of its own
			"--log.level=warn")
	}
	if err := a.start(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// ready: the API answers.
func (a *Alertmanager) ready(ctx context.Context) error {
	return answers(ctx, a.URL()+"/api/v2/status", isOK)
}

// Stop shuts Alertmanager down and removes its directory.
func (a *Alertmanager) Stop() error {
	if a == nil {
		return nil
	}
	return a.stop()
}

// Post sends one alert with labels to the Alertmanager as Prometheus would:
// firing for the next hour, or, resolved, ended a second ago.
func (a *Alertmanager) Post(ctx context.Context, labels map[string]string, resolved bool) error {
	alert := map[string]any{"labels": labels, "startsAt": time.Now().Add(-time.Minute), "endsAt": time.Now().Add(time.Hour)}
	if resolved {
		alert["endsAt"] = time.Now().Add(-time.Second)
	}
	body, err := json.Marshal([]any{alert})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL()+"/api/v2/alerts", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("posting an alert: %s", resp.Status)
	}
	return nil
}
