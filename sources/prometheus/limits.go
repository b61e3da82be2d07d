package prometheus

import (
	"regexp"
	"strings"
)

// errVMRejected and errVMBadRequest are VictoriaMetrics' errorTypes for a
// query it refuses: the HTTP status written as the type, 422 (1.79) or 400
// (the current releases).
const (
	errVMRejected   = "422"
	errVMBadRequest = "400"
)

// limitFlag finds the flag a server names in a limit error:
// VictoriaMetrics' -search.max… ("exceeds -search.maxUniqueTimeseries"),
// Mimir's -querier.max… and its err-mimir-… ids.
var limitFlag = regexp.MustCompile(`-(?:search|querier|query|store)\.max[A-Za-z.-]*|err-mimir-[a-z-]+`)

// narrower is what to try instead of a query over a server's limit.
const narrower = "narrow the query: add label matchers (the environment's selector, one handler or instance), shorten the window or widen the step"

// describeLimit puts a limit error in words, naming the limit, or is nil
// when msg is not one.
func describeLimit(msg string) *Error {
	low := strings.ToLower(msg)
	var limit string
	switch {
	case limitFlag.MatchString(msg):
		limit = limitFlag.FindString(msg)
	case strings.Contains(low, "query processing would load too many samples"):
		limit = "--query.max-samples" // Prometheus's own
	case strings.Contains(low, "exceeded the maximum number of"), strings.Contains(low, "limit exceeded"):
		limit = "a per-query limit"
	default:
		return nil
	}
	return &Error{Kind: KindLimit, Msg: "limit exceeded: the server's " + limit + " refused the query; " + narrower + " (" + shorten(msg, 120) + ")"}
}

// describeTenant is Mimir's, Cortex's and Thanos receive's answer to a
// request without a tenant, in words; nil when msg is not that.
func describeTenant(msg string) *Error {
	if !strings.Contains(strings.ToLower(msg), "no org id") {
		return nil
	}
	return &Error{Kind: KindNoTenant, Msg: `no tenant: the server is multi-tenant and wants an X-Scope-OrgID header ("no org id"); set prometheus.headers: {X-Scope-OrgID: <tenant>}`}
}
