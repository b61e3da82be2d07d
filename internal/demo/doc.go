// Package demo is the self-contained sandbox behind `make demo`: a synthetic
// Origin API with periodic incidents, a Prometheus scraping it with Origin's
// alert rules, a PostgreSQL part-way through a small Alembic history with
// seeded rows, and a Redis with keys and a Celery-like queue. Everything runs
// on free loopback ports in one temporary directory, removed on Stop.
package demo
