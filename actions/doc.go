// Package actions carries out what the console's keys, `opsdeck run` and a
// preflight's steps do to the world, under one contract (contract.go): a
// Plan read once and never changed, naming what it touches by identities
// that cannot be mistaken; a Question drawn from the plan alone; and
// Execute, which checks the guard against the consent given, audits the
// run, and has the plan check that the world still matches before it acts
// on the plan only. One file per kind: command, migrate, reset, signal,
// silence, celery. The guard policy (guard.go), the process runner
// (runner.go) and the audit log (audit.go) live here too.
package actions
