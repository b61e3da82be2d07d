// Package victorialogs reads logs from VictoriaLogs over its HTTP API with
// LogsQL: the lines of a range (/select/logsql/query), their volume by level
// (/select/logsql/hits) and new lines as they come (/select/logsql/tail),
// for one tenant (AccountID and ProjectID headers) and narrowed by the
// configured filter. Every answer is bounded: lines per read, bytes per
// line and per answer, fields per line; every text is made safe to show.
package victorialogs
