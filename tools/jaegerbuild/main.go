package main

import (
	"context"
	"fmt"
	"os"

	"github.com/opsdeck/opsdeck/internal/testenv/harness"
)

func main() {
	path, err := harness.JaegerPath()
	if err == nil {
		if _, statErr := os.Stat(path); statErr != nil {
			fmt.Fprintf(os.Stderr, "building jaeger %s (once; a few minutes) into %s\n", harness.JaegerVersion, path)
		}
		path, err = harness.BuildJaeger(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "jaegerbuild:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}
