package preflight

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Observed is what a rehearsal saw one statement do to the tables that
// existed before the migration.
type Observed struct {
	// Locks are the lock modes the statement took (pg_locks), a mode held
	// since an earlier statement of the run not counted again.
	Locks []Lock
	// Rewrite are the tables given a new file (relfilenode): every row copied.
	Rewrite []string
	// Scan are the tables read whole (pg_stat_xact_user_tables.seq_scan).
	Scan []string
	// Skipped says why the statement was not rehearsed ("" when it was).
	Skipped string
	// Err is the statement's error in the rehearsal.
	Err string
}

// snapSQL reads the rehearsing session's view of the user tables: each
// one's file node, its sequential scans in this transaction, and the
// relation locks the session holds.
const snapSQL = `SELECT json_build_object(
  'files', (SELECT json_object_agg(c.oid::regclass::text, c.relfilenode::bigint) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'),
  'scans', (SELECT json_object_agg(relid::regclass::text, seq_scan) FROM pg_stat_xact_user_tables),
  'locks', (SELECT json_agg(json_build_object('table', l.relation::regclass::text, 'mode', l.mode))
            FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND c.relkind IN ('r', 'p', 'm')))`

type snapshot struct {
	Files map[string]int64 `json:"files"`
	Scans map[string]int64 `json:"scans"`
	Locks []struct {
		Table string `json:"table"`
		Mode  string `json:"mode"`
	} `json:"locks"`
}

// CleanDump drops the psql meta-commands (\connect, \restrict…) from
// pg_dump's output: what is left is SQL a driver can send.
func CleanDump(dump string) string {
	lines := strings.Split(dump, "\n")
	out := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(l, `\`) {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// DefaultRehearsalDeadline bounds a rehearsal whose caller sets no
// deadline of its own: the schema restored and every statement run.
const DefaultRehearsalDeadline = 60 * time.Second

// Rehearsal is a rehearsal's scratch server, the schema it restores and
// its limits.
type Rehearsal struct {
	// Server is the scratch server's URL. Its role makes, for this
	// rehearsal alone, a role with no power and a database owned by it
	// (it needs CREATEROLE and CREATEDB, or to be powerless itself).
	Server string
	// Schema is the live database's (pg_dump --schema-only).
	Schema string
	// Deadline bounds the whole rehearsal (DefaultRehearsalDeadline when
	// 0); the caller's context may end it sooner.
	Deadline time.Duration
	// LockTimeout bounds each wait for a lock (5s when 0).
	LockTimeout time.Duration
	// TempFileLimit caps a statement's temporary files ("1GB" when "").
	TempFileLimit string
	// Scrub, when set, cleans every message the rehearsal returns.
	Scrub func(string) string
}

func (r Rehearsal) deadline() time.Duration    { return cmp.Or(r.Deadline, DefaultRehearsalDeadline) }
func (r Rehearsal) lockTimeout() time.Duration { return cmp.Or(r.LockTimeout, 5*time.Second) }
func (r Rehearsal) tempFileLimit() string      { return cmp.Or(r.TempFileLimit, "1GB") }
func (r Rehearsal) scrub(s string) string {
	if r.Scrub == nil {
		return s
	}
	return r.Scrub(s)
}

// Gaps is what a rehearsal that ran did not cover: Run returns it as its
// error beside the observations, and Judge lists it in the verdict.
type Gaps struct{ Notes []string }

func (g *Gaps) Error() string { return "rehearsed in part: " + strings.Join(g.Notes, "; ") }

// Rehearse runs the statements in a scratch database on serverURL with
// the default limits (see Rehearsal.Run).
func Rehearse(ctx context.Context, serverURL, schema string, stmts []Statement) ([]Observed, error) {
	return Rehearsal{Server: serverURL, Schema: schema}.Run(ctx, stmts)
}

// Run rehearses the statements with no power beyond a database made for
// them: scratch_url's role makes a role of no power and a database it
// owns; that role logs in (its own session, so the SQL cannot RESET ROLE
// back to the admin), restores the schema statement by statement, then
// runs the statements in one transaction that is rolled back, reading
// after each one the locks it took, the tables it rewrote and those it
// scanned. The schema is committed before the transaction begins: tables
// created in the transaction would already be locked by it. Each
// statement runs under a savepoint, so that one that fails is said and
// the rest go on. The deadline stops the statement on the server; the
// database and the role are dropped whatever happens.
//
// It returns an observation per statement and, when the rehearsal ran in
// part, a *Gaps error saying what it did not cover; any other error means
// nothing was rehearsed.
func (r Rehearsal) Run(ctx context.Context, stmts []Statement) (obs []Observed, err error) {
	ctx, cancel := context.WithTimeout(ctx, r.deadline())
	defer cancel()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	s := &scratch{r: r, name: "opsdeck_rehearsal_" + hex.EncodeToString(b)}
	started := time.Now()
	defer func() {
		if left := s.close(); left != "" {
			s.notes = append(s.notes, left)
		}
		obs, err = r.result(obs, err, s.notes)
	}()
	if err := s.connect(ctx); err != nil {
		return nil, r.stopped(ctx, err, started, "connecting")
	}
	if err := s.prepare(ctx); err != nil {
		return nil, r.stopped(ctx, err, started, "preparing the scratch database")
	}
	if err := s.restore(ctx); err != nil {
		return nil, r.stopped(ctx, err, started, "restoring the schema")
	}
	obs, err = s.rehearse(ctx, stmts, started)
	if err != nil {
		return nil, r.stopped(ctx, fmt.Errorf("the rehearsal's transaction: %s", pgMessage(err)), started, "it ran")
	}
	return obs, nil
}

// result is what Run returns: the observations with the gaps, or the
// error (the gaps appended, such as a clean-up that failed), scrubbed.
func (r Rehearsal) result(obs []Observed, err error, notes []string) ([]Observed, error) {
	for i := range notes {
		notes[i] = r.scrub(notes[i])
	}
	switch {
	case err != nil && obs == nil:
		msg := err.Error()
		if len(notes) > 0 {
			msg += "; " + strings.Join(notes, "; ")
		}
		return nil, errors.New(r.scrub(msg))
	case len(notes) > 0:
		return obs, &Gaps{Notes: notes}
	}
	return obs, err
}

// stopped puts an error in words, saying so when it is the deadline's.
func (r Rehearsal) stopped(ctx context.Context, err error, started time.Time, doing string) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("the rehearsal was stopped after %s, its time limit, while %s", since(started), doing)
	case ctx.Err() != nil:
		return fmt.Errorf("the rehearsal was cancelled while %s", doing)
	}
	return err
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

// restore runs the schema's statements one by one as the rehearsal's
// role, so that one it cannot make is said and the rest go on. The
// extensions (their scripts are the server's own files) are created by
// the admin, while the role has made nothing but schemas: pg_dump writes
// them first. The dump's settings that would lift the session's time
// limits are left out.
func (s *scratch) restore(ctx context.Context) error {
	var failed []string
	onlySchemas := true
	for _, st := range Split(CleanDump(s.r.Schema)) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		kind := dumpKind(st.SQL)
		if kind == liftsLimit {
			continue
		}
		conn := s.conn
		if kind == extension && onlySchemas && s.madeRole {
			admin, err := s.adminInScratch(ctx)
			if err != nil {
				return fmt.Errorf("the admin's session in the scratch database: %s", pgMessage(err))
			}
			conn = admin
		}
		onlySchemas = onlySchemas && kind != object
		if _, err := conn.Exec(ctx, st.SQL).ReadAll(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, oneLine(st.SQL, 70)+" ("+pgMessage(err)+")")
		}
	}
	if len(failed) > 0 {
		shown := failed[:min(len(failed), 5)]
		more := ""
		if len(failed) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(failed)-len(shown))
		}
		s.notes = append(s.notes, fmt.Sprintf("%d statement(s) of the schema could not be restored as the rehearsal's role, so what the migration does to what they make was not rehearsed: %s%s",
			len(failed), strings.Join(shown, "; "), more))
	}
	if _, err := s.conn.Exec(ctx, "RESET ALL").ReadAll(); err != nil {
		return fmt.Errorf("resetting the session after the restore: %s", pgMessage(err))
	}
	return nil
}

// dumpStatement is what a statement of pg_dump's output is to the restore.
type dumpStatement int

const (
	object     dumpStatement = iota // makes an object
	setting                         // a session setting, a schema: makes nothing a script could run
	extension                       // CREATE EXTENSION, COMMENT ON EXTENSION
	liftsLimit                      // SET statement_timeout = 0 and the like
)

func dumpKind(sql string) dumpStatement {
	p := &tokens{ts: lex(sql)}
	switch {
	case p.accept("create", "extension"), p.accept("comment", "on", "extension"):
		return extension
	case p.accept("set"):
		if t := p.peek(); t.is("statement_timeout") || t.is("lock_timeout") || t.is("idle_in_transaction_session_timeout") || t.is("transaction_timeout") {
			return liftsLimit
		}
		return setting
	case p.accept("select", "pg_catalog", ".", "set_config"), p.accept("create", "schema"), p.accept("comment", "on", "schema"):
		return setting
	}
	return object
}

// rehearse runs the statements in a transaction that is rolled back.
func (s *scratch) rehearse(ctx context.Context, stmts []Statement, started time.Time) ([]Observed, error) {
	conn := s.conn
	exec := func(sql string) error { _, err := conn.Exec(ctx, sql).ReadAll(); return err }
	snap := func() (snapshot, error) {
		res, err := conn.Exec(ctx, snapSQL).ReadAll()
		if err != nil {
			return snapshot{}, err
		}
		var s snapshot
		if len(res) != 1 || len(res[0].Rows) != 1 {
			return s, errors.New("no snapshot row")
		}
		return s, json.Unmarshal(res[0].Rows[0][0], &s)
	}
	// step runs one statement under a savepoint: what it left, or its
	// error in the rehearsal (failed), or an error that ends the rehearsal.
	step := func(sql string) (after snapshot, failed string, err error) {
		if err := exec("SAVEPOINT opsdeck_step"); err != nil {
			return after, "", err
		}
		if err := exec(sql); err != nil {
			if ctx.Err() != nil {
				return after, "", err
			}
			return after, pgMessage(err), exec("ROLLBACK TO SAVEPOINT opsdeck_step")
		}
		if conn.TxStatus() != 'T' {
			return after, "", nil
		}
		after, err = snap()
		return after, "", err
	}
	if err := exec("BEGIN"); err != nil {
		return nil, err
	}
	start, err := snap()
	if err != nil {
		return nil, err
	}
	out := make([]Observed, len(stmts))
	prev := start
	for i, st := range stmts {
		if why := notRehearsed(st); why != "" {
			out[i].Skipped = why
			continue
		}
		cur, failed, err := step(st.SQL)
		switch {
		case ctx.Err() != nil:
			why := "cancelled"
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				why = fmt.Sprintf("stopped after %s, its time limit", since(started))
			}
			out[i].Err = "the rehearsal was " + why + ", while this statement ran"
			s.notes = append(s.notes, "the rehearsal was "+why+", "+cutShort(out, stmts, i))
			return out, nil
		case err != nil:
			return nil, err
		case failed != "":
			out[i].Err = failed
		case conn.TxStatus() != 'T':
			out[i].Err = "it ended the rehearsal's transaction: what it did was not observed"
			s.notes = append(s.notes, "the rehearsal's transaction was ended by "+cutShort(out, stmts, i))
			return out, nil
		default:
			out[i] = observe(start, prev, cur)
			prev = cur
		}
	}
	return out, nil
}

// notRehearsed says why a statement is not run in the rehearsal, "" when
// it is.
func notRehearsed(st Statement) string {
	switch {
	case st.Bookkeeping:
		return "Alembic's own"
	case Analyze(st.SQL, 0).Concurrent:
		return "CONCURRENTLY cannot run inside the rehearsal's transaction"
	case transactionControl(st.SQL):
		return "it would end the rehearsal's transaction"
	}
	return ""
}

// transactionControl reports a statement that begins, ends or marks a
// transaction: the rehearsal keeps its own.
func transactionControl(sql string) bool {
	p := &tokens{ts: lex(sql)}
	for _, kw := range []string{"begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release"} {
		if p.accept(kw) {
			return true
		}
	}
	return p.accept("prepare", "transaction")
}

// cutShort marks the statements after statement i as not reached and
// names statement i: "at statement 2 of 3 (…); 1 statement(s) after it
// not rehearsed". Statements are counted as the verdict lists them,
// Alembic's own left out.
func cutShort(out []Observed, stmts []Statement, i int) string {
	n, of := 0, 0
	for j, st := range stmts {
		if !st.Bookkeeping {
			of++
			if j <= i {
				n++
			}
		}
	}
	after := 0
	for j := i + 1; j < len(stmts); j++ {
		if out[j].Skipped = notRehearsed(stmts[j]); out[j].Skipped == "" {
			out[j].Skipped = "not reached: the rehearsal stopped before it"
			after++
		}
	}
	return fmt.Sprintf("at statement %d of %d (%s); %d statement(s) after it not rehearsed", n, of, oneLine(stmts[i].SQL, 60), after)
}

// observe compares the snapshots around a statement, on the tables that
// existed before the migration.
func observe(start, before, after snapshot) Observed {
	var o Observed
	held := map[string]bool{}
	for _, l := range before.Locks {
		held[l.Table+"\x00"+l.Mode] = true
	}
	for _, l := range after.Locks {
		if _, existed := start.Files[l.Table]; !existed || held[l.Table+"\x00"+l.Mode] {
			continue
		}
		m := ParseMode(l.Mode)
		if i := slices.IndexFunc(o.Locks, func(x Lock) bool { return x.Table == l.Table }); i >= 0 {
			o.Locks[i].Mode = max(o.Locks[i].Mode, m)
		} else {
			o.Locks = append(o.Locks, Lock{Table: l.Table, Mode: m})
		}
	}
	for t, node := range after.Files {
		if was, ok := before.Files[t]; ok && was != node {
			if _, existed := start.Files[t]; existed {
				o.Rewrite = append(o.Rewrite, t)
			}
		}
	}
	for t, n := range after.Scans {
		// A rewrite reads every row: said once, as the rewrite.
		if _, existed := start.Files[t]; existed && n > before.Scans[t] && !slices.Contains(o.Rewrite, t) {
			o.Scan = append(o.Scan, t)
		}
	}
	slices.SortFunc(o.Locks, func(a, b Lock) int { return strings.Compare(a.Table, b.Table) })
	slices.Sort(o.Rewrite)
	slices.Sort(o.Scan)
	return o
}

// pgMessage is a server error's message (and detail), without the driver's
// wrapping.
func pgMessage(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}
