package originapi

// AlertRules are alert rules for tests of alerting: one alert from the
// API's errors (with Origin's annotations), three from one rule (three
// volumes), and one more of the storage team in a group of its own.
const AlertRules = `groups:
  - name: t
    rules:
      - alert: OriginHighErrorRate
        expr: sum(rate(http_requests_total{status=~"5.."}[1m])) > 0
        labels: {severity: critical, team: api}
        annotations:
          summary: High API error rate
          description: More than 5 % of requests fail.
          runbook_url: https://runbooks.example.com/high-error-rate
      - alert: DiskFilling
        expr: label_replace(vector(1), "volume", "v1", "", "") or label_replace(vector(2), "volume", "v2", "", "") or label_replace(vector(3), "volume", "v3", "", "")
        labels: {severity: warning, team: storage}
      - alert: BackupLate
        expr: vector(1)
        labels: {severity: warning, team: storage}
`
