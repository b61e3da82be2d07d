// Package slo holds Origin API's service level objectives: the sloth spec
// (origin.sloth.yml) and the recording rules sloth generated from it
// (rules.yml, `make slo-rules`), which the tests' and the demo's Prometheus
// load.
package slo

import _ "embed"

//go:embed rules.yml
var rules string

// Rules is the text of the rule file sloth generated.
func Rules() string { return rules }

// Objectives are the SLOs the rules record, by sloth id, with their
// objective ratio: what a test expects discovery to find.
func Objectives() map[string]float64 {
	return map[string]float64{"origin-api-requests-availability": 0.995, "origin-api-requests-latency": 0.99}
}
