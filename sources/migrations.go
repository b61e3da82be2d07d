package sources

import (
	"context"
)

// Migration statuses, as the snapshot spells them.
const (
	MigrationsUpToDate       = "up_to_date"
	MigrationsBehind         = "behind"
	MigrationsUnknownRevison = "unknown_revision"
	MigrationsNoTable        = "no_table"
)

// Revision is one Alembic revision file, read without running it.
type Revision struct {
	ID           string   `json:"revision"`
	Down         []string `json:"down_revisions,omitempty"`
	BranchLabels []string `json:"branch_labels,omitempty"`
	DependsOn    []string `json:"depends_on,omitempty"`
	Message      string   `json:"message"`
	File         string   `json:"file,omitempty"`
	// Digest is the SHA-256 of the file as read: a revision edited after
	// a migration was planned is not the one planned.
	Digest string `json:"-"`
}

// Problem is something wrong with the revision graph or the database's place
// in it, put so that an on-call engineer can act on it.
type Problem struct {
	Severity string `json:"severity"` // critical, warning or info
	Message  string `json:"message"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
}

// Problem severities.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Migrations reads an environment's Alembic project and where its database
// stands in it.
type Migrations interface {
	Poll(ctx context.Context) (MigrationState, error)
}

// MigrationState is one reading. The JSON names are the snapshot's.
type MigrationState struct {
	Dir string `json:"-"`
	// Status is up_to_date, behind, unknown_revision or no_table; "unknown"
	// when no database is configured.
	Status   string     `json:"status"`
	Current  []string   `json:"current"`
	Heads    []string   `json:"heads"`
	Pending  []Revision `json:"pending"`
	Problems []Problem  `json:"problems"`
	// Revisions counts the revision files read.
	Revisions int `json:"revisions"`
	// DatabaseError says why the database side could not be read (the
	// project side is still shown).
	DatabaseError string `json:"database_error,omitempty"`
}

// MigrationsUnknown is the status when the database side is not known.
const MigrationsUnknown = "unknown"
