//go:build linux

package residency

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// residentCode is the resident size (kB) of the test binary's read-only
// mappings, from /proc/self/smaps.
func residentCode(t *testing.T) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	header := regexp.MustCompile(`^[0-9a-f]+-[0-9a-f]+ (\S{4}) \S+ \S+ \S+\s+(.*)$`)
	rss := regexp.MustCompile(`^Rss:\s+(\d+) kB`)
	total, counting := 0, false
	for _, line := range regexp.MustCompile("\n").Split(string(data), -1) {
		if m := header.FindStringSubmatch(line); m != nil {
			counting = m[2] == exe && m[1][1] != 'w'
			continue
		}
		if m := rss.FindStringSubmatch(line); m != nil && counting {
			n, _ := strconv.Atoi(m[1])
			total += n
		}
	}
	return total
}

// TestTrimCodeGivesBackPagesAndKeepsRunning: the executable's read-only
// pages stop counting as resident, and the program goes on working (its code
// comes back as it runs).
func TestTrimCodeGivesBackPagesAndKeepsRunning(t *testing.T) {
	before := residentCode(t)
	trimmed, err := TrimCode()
	if err != nil {
		t.Fatal(err)
	}
	after := residentCode(t)
	t.Logf("resident code and read-only data: %d kB before, %d kB after; %d kB of mappings trimmed", before, after, trimmed>>10)
	if trimmed == 0 || after >= before {
		t.Fatalf("nothing given back: %d kB before, %d kB after", before, after)
	}
	// Code runs again from the page cache: parse a real smaps, as before.
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	if len(parse(data)) == 0 {
		t.Fatal("no mappings parsed after the trim")
	}
}
