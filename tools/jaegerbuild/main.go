package main

import (
	"context"
	"fmt"
	"os"

	"github.com/opsdeck/opsdeck/internal/testenv/harness"
)

func main() {
	if !harness.JaegerBuilt() {
		fmt.Fprintf(os.Stderr, "building jaeger %s (once; a few minutes)\n", harness.JaegerVersion)
	}
	path, err := harness.BuildJaeger(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "jaegerbuild:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}
