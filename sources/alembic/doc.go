// Package alembic reads an Alembic project statically: the revision files are
// parsed as text, never run, because they import modules the on-call machine
// does not have (Origin's import pgvector and dotenv, so the real `alembic
// heads` fails there). It builds the revision graph, finds its problems, and
// orders pending revisions exactly as Alembic would apply them.
package alembic
