// Package units formats and parses the four kinds of quantity opsdeck shows:
// request rates, ratios (shown as percent), durations in seconds and byte sizes.
// It is shared by the UI and the headless snapshot so both print the same text.
package units
