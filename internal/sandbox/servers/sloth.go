package servers

import (
	"context"
	"fmt"
	"os/exec"
)

// SlothVersion is the sloth tools/sloth pins: the SLO rule generator whose
// rules the tests' and the demo's Prometheus load (the console never links
// it; it reads the rules sloth made).
const SlothVersion = "v0.16.0"

func slothBuild() pinned {
	return pinned{name: "sloth", version: SlothVersion, pkg: "github.com/slok/sloth/cmd/sloth",
		ldflags: "-X github.com/slok/sloth/internal/info.Version=" + SlothVersion}
}

// SlothBuilt reports whether the cache holds sloth.
func SlothBuilt() bool { return slothBuild().built() }

// BuildSloth builds sloth into the cache when it is not there yet.
func BuildSloth(ctx context.Context) (string, error) { return slothBuild().build(ctx) }

// SlothGenerate is the Prometheus rules sloth generates from the spec at
// path (`sloth generate -i path`), built first when it is not yet.
func SlothGenerate(ctx context.Context, path string) ([]byte, error) {
	bin, err := BuildSloth(ctx)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "generate", "--no-log", "-i", path, "-o", "-")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = lastLines(string(ee.Stderr), 8)
		}
		return nil, fmt.Errorf("sloth generate %s: %v\n%s", path, err, stderr)
	}
	return out, nil
}
