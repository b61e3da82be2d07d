package suggest

import (
	"strings"

	"github.com/agnivade/levenshtein"
)

// Closest returns the candidate nearest to s and whether it is near enough to
// offer. Containment counts as very near: "memory_usage_bytes" suggests
// "origin_memory_usage_bytes", "status_code" suggests "status".
func Closest(s string, candidates []string) (string, bool) {
	best, bestScore := "", 1<<30
	for _, c := range candidates {
		if c == s {
			return c, true
		}
		score := distance(s, c)
		if score < bestScore || (score == bestScore && c < best) {
			best, bestScore = c, score
		}
	}
	if best == "" {
		return "", false
	}
	return best, bestScore <= max(3, len(s)/2)
}

func distance(s, c string) int {
	if len(c) >= 3 && len(s) >= 3 && (strings.Contains(c, s) || strings.Contains(s, c)) {
		d := len(c) - len(s)
		if d < 0 {
			d = -d
		}
		return d/4 + 1
	}
	return levenshtein.ComputeDistance(s, c)
}
