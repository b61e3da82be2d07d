package ui

// serverName is the metrics server as its last answer named it
// ("Prometheus 3.16.0", "VictoriaMetrics"), "" until one has answered or
// when it does not say.
func (m *Model) serverName() string {
	for _, c := range m.charts {
		if c.Poll.HasLast && c.Poll.Last.Server != "" {
			return c.Poll.Last.Server
		}
	}
	return ""
}
