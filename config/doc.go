// Package config loads opsdeck's configuration: defaults, then a YAML file (or,
// with no file, the environment variables the Origin stack already uses), then
// validation. Every error names the file, the line and the field.
package config
