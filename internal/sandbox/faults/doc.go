// Package faults is test-only fault injection: a TCP proxy that stalls,
// slows, resets, black-holes or answers with garbage; a RESP server that
// answers what a test says; and Poison, which fills a value's strings with
// hostile text. Nothing in the product binary imports it.
package faults
