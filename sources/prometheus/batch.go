package prometheus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
)

// The metric panes poll at the same instants (clock-aligned), each asking
// its current value: four answers arriving apart, four wake-ups of an idle
// console. Values asked within a few milliseconds of one another go as one
// query instead, each labelled by its place and split again on the way
// back:
//
//	label_replace(Q0, "__opsdeck_batch", "0", "", "") or label_replace(Q1, …, "1", "", "")
//
// A batch that cannot stand for its members' own answers leaves them to ask
// alone: an error (whose query's?), a warning or info (whose?), an answer
// not labelled as sent. A query that then fails alone, or answers a scalar
// (label_replace takes vectors only), asks alone for a while.

const (
	// batchGather is how long the first value asked waits for others.
	batchGather = 5 * time.Millisecond
	// batchSpread is how far apart two instants may be and still be read
	// at the first: the panes' instants are the same boundary read a few
	// milliseconds apart.
	batchSpread = 50 * time.Millisecond
	// batchMost bounds the queries of one batch (the query's length).
	batchMost = 16
	// aloneFor is how long a query a batch could not carry asks alone.
	aloneFor = 5 * time.Minute
	// batchLabel marks each series with its query's place in the batch.
	batchLabel = "__opsdeck_batch"
)

// errAlone tells a member of a batch to ask alone.
var errAlone = errors.New("ask alone")

// instantBatch is the values asked at one instant, answered together.
type instantBatch struct {
	at      time.Time
	queries []string
	ready   chan struct{} // closed once answered
	samples [][]Sample    // per query, when err is nil
	err     error
}

// batcher gathers the values asked at about the same instant.
type batcher struct {
	mu    sync.Mutex
	open  *instantBatch
	alone map[string]time.Time // query: asks alone until then
}

// instantAt is Instant for a signal's current value, gathered with the
// others asked at about the same instant. at is the instant evaluated.
func (c *Client) instantAt(ctx context.Context, query string, at time.Time) ([]Sample, []string, time.Time, error) {
	b, i := c.batch.join(c, query, at)
	if b != nil {
		select {
		case <-b.ready:
		case <-ctx.Done():
			return nil, nil, at, c.classify(ctx, ctx.Err())
		}
		if b.err == nil {
			return b.samples[i], nil, b.at, nil
		}
	}
	samples, notes, scalar, err := c.instant(ctx, query, at)
	if b != nil && len(b.queries) > 1 && (err != nil || scalar) {
		c.batch.leave(query, time.Now().Add(aloneFor))
	}
	return samples, notes, at, err
}

// join adds query to the open batch at about at, or opens one; nil when the
// query asks alone.
func (bt *batcher) join(c *Client, query string, at time.Time) (*instantBatch, int) {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	if until, ok := bt.alone[query]; ok {
		if time.Now().Before(until) {
			return nil, 0
		}
		delete(bt.alone, query)
	}
	if b := bt.open; b != nil && len(b.queries) < batchMost && (at.Sub(b.at)).Abs() <= batchSpread {
		b.queries = append(b.queries, query)
		if len(b.queries) == batchMost {
			bt.open = nil
			go c.answer(b)
		}
		return b, len(b.queries) - 1
	}
	b := &instantBatch{at: at, queries: []string{query}, ready: make(chan struct{})}
	bt.open = b
	time.AfterFunc(batchGather, func() {
		bt.mu.Lock()
		if bt.open == b {
			bt.open = nil
		}
		bt.mu.Unlock()
		if len(b.queries) < batchMost { // a full one is on its way already
			c.answer(b)
		}
	})
	return b, 0
}

// leave has query ask alone until then.
func (bt *batcher) leave(query string, until time.Time) {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	if bt.alone == nil {
		bt.alone = map[string]time.Time{}
	}
	if len(bt.alone) < 1000 {
		bt.alone[query] = until
	}
}

// answer asks b's queries as one and splits the answer; b's members ask
// alone when it cannot stand for theirs. A batch of one asks nothing.
func (c *Client) answer(b *instantBatch) {
	defer close(b.ready)
	if len(b.queries) < 2 {
		b.err = errAlone
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	val, notes, err := c.query(ctx, batchQuery(b.queries), b.at)
	switch {
	case err != nil:
		b.err = err
	case len(notes) > 0:
		b.err = errAlone // a note is one query's: asked alone, it goes to its pane
	default:
		b.samples, b.err = splitBatch(val, len(b.queries))
	}
}

// batchQuery is the queries as one, each series labelled by its query's place.
func batchQuery(queries []string) string {
	var q strings.Builder
	for i, one := range queries {
		if i > 0 {
			q.WriteString(" or ")
		}
		fmt.Fprintf(&q, "label_replace(%s, %q, %q, \"\", \"\")", one, batchLabel, strconv.Itoa(i))
	}
	return q.String()
}

// splitBatch is the batch's answer as each query's samples.
func splitBatch(val model.Value, n int) ([][]Sample, error) {
	v, ok := val.(model.Vector)
	if !ok && val != nil {
		return nil, fmt.Errorf("a batch answered a %s", val.Type())
	}
	out := make([][]Sample, n)
	for _, s := range v {
		i, err := strconv.Atoi(string(s.Metric[batchLabel]))
		if err != nil || i < 0 || i >= n {
			return nil, fmt.Errorf("a series of the batch without its place: %s", s.Metric)
		}
		labels := labelsOf(s.Metric)
		delete(labels, batchLabel)
		out[i] = append(out[i], Sample{Labels: labels, Value: float64(s.Value)})
	}
	return out, nil
}
