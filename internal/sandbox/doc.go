// Package sandbox is the self-contained sandbox behind `make demo`: a synthetic
// Origin API with periodic incidents, a Prometheus scraping it with Origin's
// alert rules, a PostgreSQL part-way through a small Alembic history with
// seeded rows, and a Redis with keys and a Celery-like queue. Everything runs
// on free loopback ports in one temporary directory, removed on Stop.
//
// It runs in a program of its own, opsdeck-sandbox (./opsdeck-sandbox),
// which `opsdeck demo` starts: the console never links this package, the
// servers or the synthetic API (cli.TestConsoleLinksNoSandbox), and the
// program links no test code (cli.TestSandboxLinksNoTestCode).
package sandbox
