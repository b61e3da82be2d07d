// Package chart draws a braille line chart: each terminal cell holds 2x4
// dots, so a w x h chart resolves 2w points across and 4h levels up.
package chart
