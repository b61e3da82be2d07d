package sources

import "context"

// Schema is a database's structure, as `opsdeck schema dump` writes it and
// the drift comparison reads it. Names outside the public schema carry it.
type Schema struct {
	Tables     []Table       `json:"tables"`
	Extensions []DBExtension `json:"extensions"`
	Sequences  []string      `json:"sequences"`
}

// Table is a table with its columns, indexes and constraints.
type Table struct {
	Name        string       `json:"name"`
	Columns     []Column     `json:"columns"`
	Indexes     []Index      `json:"indexes"`
	Constraints []Constraint `json:"constraints"`
}

// Column is one column; Type is format_type's, Default pg_get_expr's.
type Column struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	NotNull bool   `json:"not_null"`
	Default string `json:"default,omitempty"`
}

// Index is an index that no constraint owns; Definition is pg_get_indexdef's.
type Index struct {
	Name       string `json:"name"`
	Unique     bool   `json:"unique"`
	Definition string `json:"definition"`
}

// Constraint is a primary key, unique, foreign key, check or exclusion
// constraint; Definition is pg_get_constraintdef's.
type Constraint struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"` // primary key, unique, foreign key, check, exclusion
	Definition string `json:"definition"`
}

// Difference is one way the live schema differs from the reference, with the
// SQL that would make the live one match; Hazardous when it drops or rewrites.
type Difference struct {
	Kind      string `json:"kind"`
	Object    string `json:"object"`
	Detail    string `json:"detail"`
	SQL       string `json:"sql"`
	Hazardous bool   `json:"hazardous"`
}

// SchemaDrift is the live schema against a reference.
type SchemaDrift struct {
	Reference   string       `json:"reference"`
	Differences []Difference `json:"differences"`
	// Error says why the comparison could not be made.
	Error string `json:"error,omitempty"`
}

// SchemaReader reads a database's schema.
type SchemaReader interface {
	Schema(ctx context.Context) (Schema, error)
}

// Drift compares an environment's live schema with its reference. A
// comparison may be reused for a while unless fresh is set.
type Drift interface {
	Compare(ctx context.Context, fresh bool) SchemaDrift
}

// DriftReport is what the drift pane shows: the revision state and the
// schema comparison, each when configured.
type DriftReport struct {
	Migrations *MigrationState
	// MigrationsError says why the Alembic project could not be read.
	MigrationsError string
	Schema          *SchemaDrift
}
