package preflight

// Mode is a table-level lock mode, named as pg_locks names it.
type Mode int

// The modes from the weakest to the strongest, as PostgreSQL's
// documentation lists them ("Explicit Locking", table-level lock modes).
const (
	NoLock Mode = iota
	AccessShare
	RowShare
	RowExclusive
	ShareUpdateExclusive
	Share
	ShareRowExclusive
	Exclusive
	AccessExclusive
)

var modeNames = [...]string{"", "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
	"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}

func (m Mode) String() string { return modeNames[m] }

// ParseMode reads pg_locks' mode name.
func ParseMode(s string) Mode {
	for i, n := range modeNames {
		if n == s && i > 0 {
			return Mode(i)
		}
	}
	return NoLock
}

// conflicts is the documentation's table of conflicting lock modes: bit b
// of conflicts[a] is set when a conflicts with b.
var conflicts = [...]uint16{
	AccessShare:          1 << AccessExclusive,
	RowShare:             1<<Exclusive | 1<<AccessExclusive,
	RowExclusive:         1<<Share | 1<<ShareRowExclusive | 1<<Exclusive | 1<<AccessExclusive,
	ShareUpdateExclusive: 1<<ShareUpdateExclusive | 1<<Share | 1<<ShareRowExclusive | 1<<Exclusive | 1<<AccessExclusive,
	Share:                1<<RowExclusive | 1<<ShareUpdateExclusive | 1<<ShareRowExclusive | 1<<Exclusive | 1<<AccessExclusive,
	ShareRowExclusive:    1<<RowExclusive | 1<<ShareUpdateExclusive | 1<<Share | 1<<ShareRowExclusive | 1<<Exclusive | 1<<AccessExclusive,
	Exclusive:            1<<RowShare | 1<<RowExclusive | 1<<ShareUpdateExclusive | 1<<Share | 1<<ShareRowExclusive | 1<<Exclusive | 1<<AccessExclusive,
	AccessExclusive:      1<<AccessShare | 1<<RowShare | 1<<RowExclusive | 1<<ShareUpdateExclusive | 1<<Share | 1<<ShareRowExclusive | 1<<Exclusive | 1<<AccessExclusive,
}

// Conflicts reports whether a lock in mode a must wait for one held in b.
func Conflicts(a, b Mode) bool {
	if a == NoLock || b == NoLock {
		return false
	}
	return conflicts[a]&(1<<b) != 0
}

// Blocks says what a lock held in m stops other sessions doing.
func (m Mode) Blocks() string {
	switch {
	case m >= AccessExclusive:
		return "blocks every read and write"
	case m >= Exclusive:
		return "blocks writes and locking reads"
	case m >= Share:
		return "blocks writes"
	case m >= ShareUpdateExclusive:
		return "blocks other schema changes and vacuum, not reads or writes"
	}
	return "blocks only schema changes"
}
