package sources

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
