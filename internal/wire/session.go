package wire

import (
	"net/url"
	"os"
	"strings"

	"github.com/opsdeck/opsdeck/config"
)

// noBytecode keeps Python from writing bytecode into the project (a
// preflight writes nothing) and from reading any: a .pyc planted in
// __pycache__ with the source's size and time would run instead of the
// revision the question showed. Nothing can be created under /proc.
var noBytecode = []string{"PYTHONDONTWRITEBYTECODE=1", "PYTHONPYCACHEPREFIX=/proc/opsdeck-no-bytecode"}

// alembicEnv is the environment of an Alembic command run for e whose
// every session must carry settings (the migration's timeouts, a read-only
// session): DATABASE_URL and alembic.env as configured, a database URL
// among them that has options of its own given the settings there (libpq
// then ignores PGOPTIONS), PGOPTIONS for the others. note says which
// settings cannot be set, and why ("" when all can).
func alembicEnv(e *config.Environment, settings []string) (vars []string, note string) {
	opts := make([]string, len(settings))
	for i, s := range settings {
		opts[i] = "-c " + s
	}
	set := map[string]string{"DATABASE_URL": e.Postgres.URL}
	order := []string{"DATABASE_URL"}
	for k, v := range e.Alembic.Env {
		if _, ok := set[k]; !ok {
			order = append(order, k)
		}
		set[k] = v
	}
	for _, k := range order {
		v := set[k]
		if len(opts) > 0 && looksLikeDatabase(v) {
			var why string
			v, why = withOptions(v, opts)
			if why != "" {
				note = k + ": " + why
			}
		}
		vars = append(vars, k+"="+v)
	}
	if len(opts) > 0 {
		vars = append(vars, "PGOPTIONS="+strings.TrimSpace(os.Getenv("PGOPTIONS")+" "+strings.Join(opts, " ")))
	}
	return append(vars, noBytecode...), note
}

func looksLikeDatabase(v string) bool {
	return strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://") || strings.HasPrefix(v, "postgresql+")
}

// withOptions adds opts to the options a database URL sets itself, where
// libpq reads them instead of PGOPTIONS; a driver that reads neither is
// said.
func withOptions(raw string, opts []string) (string, string) {
	scheme, _, _ := strings.Cut(raw, "://")
	if _, driver, ok := strings.Cut(scheme, "+"); ok && driver != "psycopg2" && driver != "psycopg" {
		return raw, "the " + driver + " driver reads neither PGOPTIONS nor options: " + strings.Join(opts, " ") + " cannot be set on its sessions"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw, ""
	}
	q := u.Query()
	own := q.Get("options")
	if own == "" {
		return raw, "" // PGOPTIONS reaches it
	}
	q.Set("options", own+" "+strings.Join(opts, " "))
	// libpq reads %20 as a space, and "+" as itself (Encode wrote every
	// "+" of the values as %2B).
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String(), ""
}
