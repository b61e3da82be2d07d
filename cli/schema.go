package cli

import (
	"encoding/json"
	"fmt"

	"github.com/opsdeck/opsdeck/sources"
)

// schemaDump prints the environment's schema, the format schema_reference reads.
func schemaDump(a *app) error {
	env, ctx, done, err := a.openEnv()
	if err != nil {
		return err
	}
	defer done()
	reader, ok := env.Database.Source.(sources.SchemaReader)
	if !ok {
		return usageError(fmt.Errorf("environment %s has no database: %s", env.Name, env.Database.Problem))
	}
	s, err := reader.Schema(ctx)
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(a.stdout, string(out))
	return err
}
