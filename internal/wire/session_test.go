package wire

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

// TestSessionSettingsReachTheSession: a database URL with options of its
// own (libpq then ignores PGOPTIONS) gets the migration's timeouts in
// them, as the server reads them; one without keeps PGOPTIONS; a driver
// that reads neither is said; Python reads and writes no bytecode.
func TestSessionSettingsReachTheSession(t *testing.T) {
	t.Parallel()
	pg := sandboxtest.NewPostgres(t, servers.PostgresOptions{})
	own := pg.URL() + "&options=-c%20search_path%3Dpublic"
	e := &config.Environment{Postgres: config.Postgres{URL: own},
		Alembic: config.Alembic{Env: map[string]string{"OTHER_URL": "postgresql+asyncpg://u:p@h/db", "KEY": "k3y"}}}
	vars, note := alembicEnv(e, []string{"lock_timeout=1000", "default_transaction_read_only=on"})
	get := func(k string) string {
		for _, kv := range vars {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	}
	conn, err := pgx.Connect(context.Background(), get("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for setting, want := range map[string]string{"lock_timeout": "1s", "default_transaction_read_only": "on", "search_path": "public"} {
		var got string
		if err := conn.QueryRow(context.Background(), "SHOW "+setting).Scan(&got); err != nil || got != want {
			t.Errorf("%s is %q (%v), want %q", setting, got, err, want)
		}
	}
	if !strings.Contains(get("PGOPTIONS"), "-c lock_timeout=1000") || get("KEY") != "k3y" || get("PYTHONDONTWRITEBYTECODE") != "1" || get("PYTHONPYCACHEPREFIX") == "" {
		t.Errorf("vars: %v", vars)
	}
	if !strings.Contains(note, "OTHER_URL: the asyncpg driver reads neither PGOPTIONS nor options") {
		t.Errorf("note: %q", note)
	}
}
