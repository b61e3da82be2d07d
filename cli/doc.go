// Package cli is opsdeck's command line: the command table (commands.go)
// feeds parsing, --help and shell completion; each command is one file with
// one function; every command ends with an ExitCode.
package cli
