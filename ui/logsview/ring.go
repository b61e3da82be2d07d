package logsview

// ring is the lines kept, oldest first: at most maxLines of them and
// maxBytes of their text, the oldest dropped to make room.
type ring struct {
	buf          []entry
	start, n     int
	bytes        int
	maxLines     int
	maxBytes     int
	droppedTotal int // lines dropped since the ring was last emptied
}

func newRing(maxLines, maxBytes int) ring { return ring{maxLines: maxLines, maxBytes: maxBytes} }

func (r *ring) len() int { return r.n }

// at is the i-th line kept, oldest first.
func (r *ring) at(i int) *entry { return &r.buf[(r.start+i)%len(r.buf)] }

// push keeps e as the newest line and returns how many of the oldest were
// dropped for it.
func (r *ring) push(e entry) int {
	if r.buf == nil {
		// Grown on demand up to maxLines: a view of a trace holds a few lines.
		r.buf = make([]entry, 0, min(r.maxLines, 64))
	}
	dropped := 0
	for r.n > 0 && (r.n == r.maxLines || r.bytes+e.size > r.maxBytes) {
		r.dropOldest()
		dropped++
	}
	switch {
	case r.n < len(r.buf):
		*r.at(r.n) = e // a slot freed by a drop
	default: // full and below maxLines: grow, the lines in order again
		if r.start != 0 {
			grown := make([]entry, 0, min(2*len(r.buf), r.maxLines))
			for i := range r.n {
				grown = append(grown, *r.at(i))
			}
			r.buf, r.start = grown, 0
		}
		r.buf = append(r.buf, e)
	}
	r.n++
	r.bytes += e.size
	r.droppedTotal += dropped
	return dropped
}

func (r *ring) dropOldest() {
	old := r.at(0)
	r.bytes -= old.size
	*old = entry{} // the text goes with it
	r.start = (r.start + 1) % len(r.buf)
	r.n--
	if r.n == 0 {
		r.start = 0
	}
}

// reset forgets every line (a new query).
func (r *ring) reset() {
	clear(r.buf)
	r.buf, r.start, r.n, r.bytes, r.droppedTotal = r.buf[:0], 0, 0, 0, 0
}
