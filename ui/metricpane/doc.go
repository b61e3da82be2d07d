// Package metricpane shows one golden signal: the current value with its unit
// and threshold colour, min/max over the window and a braille chart.
package metricpane
