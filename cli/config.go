package cli

// printConfig is `opsdeck config print`: the merged configuration, secrets
// redacted.
func printConfig(a *app) error {
	cfg, err := a.load()
	if err != nil {
		return err
	}
	out, err := cfg.Print()
	if err != nil {
		return err
	}
	_, err = a.stdout.Write(out)
	return err
}
