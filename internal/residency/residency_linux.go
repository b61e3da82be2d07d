//go:build linux

// Package residency gives back the memory of code that ran once.
//
// Linux only; elsewhere TrimCode does nothing.
package residency

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// TrimCode drops from the process's page tables the pages of its own
// executable's read-only mappings (code, read-only data). They are clean
// pages of the file, still in the page cache: those the process touches again
// come back on the next access as minor faults. What ran only at start
// (initialisation, flag and configuration parsing) stops counting as
// resident. Mappings holding private (written) pages are left alone. It
// returns how many bytes of mappings it trimmed.
func TrimCode() (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	trimmed := 0
	for _, m := range parse(smaps) {
		if m.path != exe || m.perms[1] == 'w' || m.anonymous != 0 {
			continue
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, syscall.MADV_DONTNEED); errno != 0 {
			return trimmed, errno
		}
		trimmed += int(m.end - m.start)
	}
	return trimmed, nil
}

type mapping struct {
	start, end uintptr
	perms      string
	path       string
	anonymous  int // kB of private anonymous (copy-on-write) pages
}

// parse reads /proc/self/smaps: a header line per mapping, then its fields.
func parse(smaps []byte) []mapping {
	var out []mapping
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") && len(f[1]) == 4 {
			lo, hi, _ := strings.Cut(f[0], "-")
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 != nil || err2 != nil {
				continue
			}
			m := mapping{start: uintptr(start), end: uintptr(end), perms: f[1]}
			if len(f) >= 6 {
				m.path = f[5]
			}
			out = append(out, m)
			continue
		}
		if len(out) > 0 && len(f) >= 2 && f[0] == "Anonymous:" {
			out[len(out)-1].anonymous, _ = strconv.Atoi(f[1])
		}
	}
	return out
}
