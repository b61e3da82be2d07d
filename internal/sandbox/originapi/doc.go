// Package originapi is a synthetic Origin API: the metric names, labels and
// histogram buckets the real FastAPI service exports (through
// prometheus-fastapi-instrumentator and its own collectors), driven by a
// traffic simulator with periodic incidents. The demo sandbox serves it for
// Prometheus to scrape; integration tests use it as a real scrape target.
package originapi
