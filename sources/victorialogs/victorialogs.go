package victorialogs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// Bounds of what one read may hold.
const (
	// DefaultLimit is how many lines a read returns at most when the
	// configuration says nothing (logs.limit); MaxLimit is the most it may
	// say.
	DefaultLimit = 1000
	MaxLimit     = 50_000
	// MaxMessage is how much of a message is kept: a traceback fits, a
	// line of 5 MB is cut, saying how long it was.
	MaxMessage = 64 << 10
	// maxValue and maxFields bound a line's other fields.
	maxValue  = 4 << 10
	maxFields = 64
	// maxRecord is the largest record read at all (its JSON, escapes
	// included); a larger one is left out, and a line says so.
	maxRecord = 16 << 20
	// maxAnswer bounds one answer of lines: far above limit lines of
	// ordinary length.
	maxAnswer = 256 << 20
	// maxSteps bounds a volume read: a longer range is counted in longer
	// steps.
	maxSteps = 1500
	// maxGroups bounds the level values counted apart.
	maxGroups = 64
)

// Options configure a client.
type Options struct {
	// API is the server, its timeout, credentials and scrubber.
	API httpapi.APIOptions
	// Filter narrows every read (the application's stream, in LogsQL).
	Filter string
	// Tenant is AccountID[:ProjectID] ("" for the default tenant, 0:0).
	Tenant string
	// Limit bounds the lines of one read (default DefaultLimit).
	Limit int
}

// Client reads one VictoriaLogs.
type Client struct {
	api    *httpapi.API
	filter string
	limit  int
}

// New builds a client; it does no I/O.
func New(o Options) (*Client, error) {
	o.API.Name = "victorialogs"
	if err := CheckFilter(o.Filter); err != nil {
		return nil, fmt.Errorf("logs.query: %w", err)
	}
	if o.Tenant != "" {
		account, project, err := ParseTenant(o.Tenant)
		if err != nil {
			return nil, err
		}
		// The tenant travels in headers of every request, never in a URL
		// or a message.
		h := map[string]string{}
		for k, v := range o.API.Auth.Headers {
			h[k] = v
		}
		h["AccountID"], h["ProjectID"] = account, project
		o.API.Auth.Headers = h
	}
	if o.Limit <= 0 {
		o.Limit = DefaultLimit
	}
	api, err := httpapi.NewAPI(o.API)
	if err != nil {
		return nil, err
	}
	return &Client{api: api, filter: o.Filter, limit: min(o.Limit, MaxLimit)}, nil
}

// ParseTenant splits AccountID[:ProjectID], each a 32-bit unsigned number.
func ParseTenant(t string) (account, project string, err error) {
	account, project, found := strings.Cut(strings.TrimSpace(t), ":")
	if !found {
		project = "0"
	}
	for _, n := range []string{account, project} {
		if _, err := strconv.ParseUint(n, 10, 32); err != nil {
			return "", "", errors.New("tenant: want AccountID or AccountID:ProjectID, numbers (12 or 12:34)")
		}
	}
	return account, project, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.api.Close() }

// String is the server's URL, any password masked (never the tenant).
func (c *Client) String() string { return c.api.String() }

// query is the LogsQL of q: the configured filter, q's and its level's,
// ANDed.
func (c *Client) query(filter, minLevel string) (string, error) {
	if err := CheckFilter(filter); err != nil {
		return "", err
	}
	lf, err := LevelFilter(minLevel)
	if err != nil {
		return "", err
	}
	return And(c.filter, filter, lf), nil
}

// timeRange is q's range as the API's arguments.
func timeRange(v url.Values, start, end time.Time) {
	if !start.IsZero() {
		v.Set("start", start.UTC().Format(time.RFC3339Nano))
	}
	if !end.IsZero() {
		v.Set("end", end.UTC().Format(time.RFC3339Nano))
	}
}

// Lines returns the lines of q, the newest q.Limit (at most the client's
// limit) of them, oldest first.
func (c *Client) Lines(ctx context.Context, q sources.LogQuery) ([]sources.LogLine, error) {
	query, err := c.query(q.Filter, q.MinLevel)
	if err != nil {
		return nil, err
	}
	limit := c.limit
	if q.Limit > 0 {
		limit = min(q.Limit, limit)
	}
	v := url.Values{"query": {query}, "limit": {strconv.Itoa(limit)}}
	timeRange(v, q.Start, q.End)
	ctx, cancel := context.WithTimeout(ctx, c.api.Timeout())
	defer cancel()
	resp, err := c.api.Open(ctx, "/select/logsql/query?"+v.Encode(), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := c.status(resp); err != nil {
		return nil, err
	}
	var out []sources.LogLine
	err = c.each(ctx, resp.Body, maxAnswer, func(l sources.LogLine) error {
		if len(out) == limit {
			return fmt.Errorf("%s answered more than the %d lines asked for", c, limit)
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b sources.LogLine) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// Tail sends the new lines matching filter (and the configured filter) to
// lines as VictoriaLogs sees them (after its own delay of a few seconds),
// until ctx ends or the stream fails.
func (c *Client) Tail(ctx context.Context, filter string, lines chan<- sources.LogLine) error {
	query, err := c.query(filter, "")
	if err != nil {
		return err
	}
	// Uncompressed: VictoriaLogs compressing a tail holds back its lines,
	// its headers too, until it has enough of them.
	resp, err := c.api.Open(ctx, "/select/logsql/tail?"+url.Values{"query": {query}}.Encode(), http.Header{"Accept-Encoding": {"identity"}})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := c.status(resp); err != nil {
		return err
	}
	err = c.each(ctx, resp.Body, -1, func(l sources.LogLine) error {
		select {
		case lines <- l:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err == nil {
		err = fmt.Errorf("%s ended the tail", c)
	}
	return err
}

// status is nil for an answer of 2xx, else what the server said, in
// words: its error text (LogsQL it cannot parse), or its status.
func (c *Client) status(resp *http.Response) error {
	if resp.StatusCode/100 == 2 {
		ct := resp.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "text/html") {
			return fmt.Errorf("%s answered an HTML page, not VictoriaLogs's API (a login page or a proxy's?)", c)
		}
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	text := strings.TrimSpace(string(body))
	if text == "" || strings.HasPrefix(text, "<") {
		return c.api.Scrub(fmt.Errorf("%s answered %s", c, safetext.Shorten(safetext.String(resp.Status), 100)))
	}
	return c.api.Scrub(fmt.Errorf("%s answered %s: %s", c, safetext.Shorten(safetext.String(resp.Status), 100), safetext.Shorten(safetext.String(text), 500)))
}

// each reads records of JSON lines from r, each turned into a line for
// add, until r ends, add fails or, when budget is not -1, more than budget
// bytes were read. A read cut by ctx's deadline says so in words.
func (c *Client) each(ctx context.Context, r io.Reader, budget int64, add func(sources.LogLine) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var read int64
	for {
		rec, n, err := readRecord(br)
		read += n
		if budget >= 0 && read > budget {
			return fmt.Errorf("the answer of %s is larger than %d MiB: opsdeck reads at most that much (narrow the filter or lower logs.limit)", c, budget>>20)
		}
		switch {
		case err == nil || err == io.EOF:
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return fmt.Errorf("no whole answer from %s within %s", c, c.api.Timeout())
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			return c.api.Scrub(fmt.Errorf("reading the answer of %s: %s", c, safetext.Shorten(safetext.String(err.Error()), 300)))
		}
		if len(rec) > 0 || n > 0 {
			line, derr := decodeLine(rec, n)
			if derr != nil {
				return fmt.Errorf("%s's answer is not VictoriaLogs's JSON lines: %s", c, derr)
			}
			if line != nil {
				if aerr := add(*line); aerr != nil {
					return aerr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readRecord reads one line of r: its bytes (nil when it is longer than
// maxRecord, the rest skipped) and how many bytes it took.
func readRecord(r *bufio.Reader) ([]byte, int64, error) {
	var rec []byte
	var n int64
	for {
		chunk, err := r.ReadSlice('\n')
		n += int64(len(chunk))
		if n <= maxRecord {
			rec = append(rec, chunk...)
		} else {
			rec = nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return rec, n, err
	}
}

// Unusable is a log backend whose client could not be built: every read
// says why.
func Unusable(reason string) sources.Logs { return unusable{reason} }

type unusable struct{ reason string }

func (u unusable) Lines(context.Context, sources.LogQuery) ([]sources.LogLine, error) {
	return nil, errors.New(u.reason)
}

func (u unusable) Volume(context.Context, sources.LogQuery, time.Duration) ([]sources.LogVolume, error) {
	return nil, errors.New(u.reason)
}

func (u unusable) Tail(context.Context, string, chan<- sources.LogLine) error {
	return errors.New(u.reason)
}
