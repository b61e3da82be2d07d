// Package endpoint reduces the connection strings of the servers opsdeck
// acts on (PostgreSQL, Redis, Alertmanager) to what identifies the resource
// they reach, so that two spellings of one database compare equal: the
// server's addresses, its port, and the database (or path) on it.
package endpoint
