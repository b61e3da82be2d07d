package cli

import (
	"fmt"
	"runtime/debug"
)

// version is set at build time (-ldflags "-X github.com/opsdeck/opsdeck/cli.version=..."); otherwise the
// VCS revision Go recorded is used.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
		if info.Main.Version != "" && info.Main.Version != "(devel)" {
			return info.Main.Version
		}
	}
	return "dev"
}

// printVersion is `opsdeck version`.
func printVersion(a *app) error {
	fmt.Fprintln(a.stdout, "opsdeck", buildVersion())
	return nil
}
