// Package changes gathers what changed in an environment, for the marks on
// the charts' time axis and the report's "What changed": Prometheus's
// alerts, restarts and deploys, the console's own actions from the audit
// log, and migrations the console saw happen (the database's revision
// moving between two polls, whoever ran it).
package changes
