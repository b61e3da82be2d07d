// Package scrape is direct /metrics mode: for an environment without a
// Prometheus (a laptop, a fresh staging) it scrapes the application's own
// /metrics endpoint, keeps a ring of samples and computes the golden signals
// itself, the way Prometheus would: rates over the rate window, the error
// ratio, P95 by histogram_quantile's interpolation, and resident memory.
package scrape
