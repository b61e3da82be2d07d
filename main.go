// Command opsdeck is a terminal console for the engineers on call for a
// Python API behind Prometheus, PostgreSQL, Redis and Alembic: golden signals,
// alerts, database and cache state, schema drift, and guarded runbook actions
// on one screen. The commands live in package cli.
package main

import (
	"os"

	"github.com/opsdeck/opsdeck/cli"
)

func main() { os.Exit(int(cli.Main(os.Args[1:], os.LookupEnv))) }
