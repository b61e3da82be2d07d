package preflight

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// cleanupTimeout bounds the removal of the scratch database and role, on a
// context of its own: the rehearsal's may have ended.
const cleanupTimeout = 15 * time.Second

// scratch is one rehearsal's footprint on the scratch server: the admin
// session (scratch_url's role), the role made for the rehearsal, the
// database it owns, and the rehearsing session logged in as that role.
type scratch struct {
	r     Rehearsal
	cfg   *pgconn.Config // the admin's
	admin *pgconn.PgConn
	// name is the database's, and the role's when one is made.
	name     string
	password string
	madeRole bool // CREATE ROLE was sent: the role is dropped at the end
	madeDB   bool // CREATE DATABASE was sent
	who      powers
	conn     *pgconn.PgConn // the rehearsing session
	adminIn  *pgconn.PgConn // the admin in the scratch database, for extensions
	notes    []string       // what the rehearsal does not cover
}

// powers are what a role may do beyond its own objects.
type powers struct {
	Name                                             string
	Super, CreateRole, CreateDB, Replication, Bypass bool
	// MemberOf are the roles whose rights it has or may take (SET ROLE).
	MemberOf string
	// Until is the server's clock a little past the rehearsal's end.
	Until string
}

// lent says what the role could lend the migration's SQL, "" for nothing.
func (p powers) lent() string {
	var out []string
	for _, a := range []struct {
		on   bool
		what string
	}{{p.Super, "SUPERUSER"}, {p.CreateRole, "CREATEROLE"}, {p.Replication, "REPLICATION"}, {p.Bypass, "BYPASSRLS"}} {
		if a.on {
			out = append(out, a.what)
		}
	}
	if p.MemberOf != "" {
		out = append(out, "membership of "+p.MemberOf)
	}
	return strings.Join(out, ", ")
}

// powersSQL reads the session role's attributes and memberships (any role
// it belongs to but pg_database_owner, which every database owner is).
const powersSQL = `SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,
  coalesce((SELECT string_agg(m.rolname, ', ' ORDER BY m.rolname) FROM pg_roles m
            WHERE m.oid <> r.oid AND m.rolname <> 'pg_database_owner' AND pg_has_role(r.oid, m.oid, 'MEMBER')), ''),
  (now() + interval '%d seconds')::text
FROM pg_roles r WHERE r.rolname = session_user AND session_user = current_user`

func readPowers(ctx context.Context, conn *pgconn.PgConn, until time.Duration) (powers, error) {
	res, err := conn.Exec(ctx, fmt.Sprintf(powersSQL, int(until.Seconds())+1)).ReadAll()
	if err != nil {
		return powers{}, err
	}
	if len(res) != 1 || len(res[0].Rows) != 1 {
		return powers{}, errors.New("the session's role is not the one it logged in as")
	}
	row := res[0].Rows[0]
	t := func(i int) bool { return string(row[i]) == "t" }
	return powers{Name: string(row[0]), Super: t(1), CreateRole: t(2), CreateDB: t(3), Replication: t(4), Bypass: t(5),
		MemberOf: string(row[6]), Until: string(row[7])}, nil
}

// connect opens the admin session and reads its powers.
func (s *scratch) connect(ctx context.Context) error {
	cfg, err := pgconn.ParseConfig(s.r.Server)
	if err != nil {
		return fmt.Errorf("scratch server: %s", errors.Unwrap(err))
	}
	cfg.RuntimeParams["application_name"] = "opsdeck-rehearsal"
	cfg.BuildContextWatcherHandler = cancelRequest
	s.cfg = cfg
	if s.admin, err = pgconn.ConnectConfig(ctx, cfg); err != nil {
		return fmt.Errorf("scratch server: %s", pgMessage(err))
	}
	deadline, _ := ctx.Deadline()
	if s.who, err = readPowers(ctx, s.admin, time.Until(deadline)+cleanupTimeout); err != nil {
		return fmt.Errorf("scratch server: reading what its role may do: %s", pgMessage(err))
	}
	return nil
}

// cancelRequest makes a context that ends stop the statement on the
// server (a cancel request), not only the wait for it; the socket closes
// only if the server does not answer.
func cancelRequest(c *pgconn.PgConn) ctxwatch.Handler {
	return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
}

// prepare makes the role and the database and logs the role in. When the
// admin cannot make roles but is itself powerless, the rehearsal runs as
// the admin, in a session of its own; otherwise it does not run.
func (s *scratch) prepare(ctx context.Context) error {
	w := s.who
	if !w.Super && !w.CreateDB {
		return fmt.Errorf("role %s cannot create the scratch database: it needs CREATEDB", w.Name)
	}
	switch {
	case w.Super || w.CreateRole:
		if err := s.makeRole(ctx); err != nil {
			return err
		}
	case w.lent() == "":
		s.notes = append(s.notes, fmt.Sprintf("rehearsed as %s itself (it cannot create roles): its own sessions elsewhere on the scratch server were within the SQL's reach", w.Name))
	default:
		return fmt.Errorf("role %s cannot create a role for the rehearsal (it lacks CREATEROLE), and the migration's SQL run as %s would have %s: give actions.migrate.scratch_url a role with CREATEROLE and CREATEDB, or one with neither those powers nor memberships",
			w.Name, w.Name, w.lent())
	}
	owner := w.Name
	if s.madeRole {
		owner = s.name
	}
	s.madeDB = true
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+ident(s.name)+" OWNER "+ident(owner)).ReadAll(); err != nil {
		return fmt.Errorf("cannot create a scratch database: %s", pgMessage(err))
	}
	return s.login(ctx)
}

// makeRole creates the rehearsal's role: no attribute, no membership, one
// connection, a random password whose SCRAM verifier alone is sent (so no
// server log holds the password), a login that expires soon after the
// rehearsal, and time limits it cannot lift beyond what the session can.
func (s *scratch) makeRole(ctx context.Context) error {
	salt := make([]byte, 16)
	pw := make([]byte, 24)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(pw)
	s.password = hex.EncodeToString(pw)
	verifier, err := scramVerifier(s.password, salt)
	if err != nil {
		return err
	}
	s.madeRole = true
	create := fmt.Sprintf("CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 1 PASSWORD %s VALID UNTIL %s",
		ident(s.name), literal(verifier), literal(s.who.Until))
	if _, err := s.admin.Exec(ctx, create).ReadAll(); err != nil {
		return fmt.Errorf("cannot create the rehearsal's role: %s", pgMessage(err))
	}
	var set []string
	for k, v := range s.r.limits() {
		set = append(set, fmt.Sprintf("ALTER ROLE %s SET %s = %s", ident(s.name), k, literal(v)))
	}
	if !s.who.Super {
		// CREATE DATABASE … OWNER needs the creator to belong to the owner.
		set = append(set, "GRANT "+ident(s.name)+" TO CURRENT_USER")
	}
	if _, err := s.admin.Exec(ctx, strings.Join(set, "; ")).ReadAll(); err != nil {
		return fmt.Errorf("cannot set the rehearsal role's limits: %s", pgMessage(err))
	}
	// Only a superuser may set it, and only a superuser lift it.
	_, err = s.admin.Exec(ctx, fmt.Sprintf("ALTER ROLE %s SET temp_file_limit = %s", ident(s.name), literal(s.r.tempFileLimit()))).ReadAll()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.notes = append(s.notes, "its temporary files were not capped (temp_file_limit: "+pgMessage(err)+")")
	}
	return nil
}

// login opens the rehearsing session on the admin's host and port: as the
// rehearsal's role with its own password, or as the admin when no role
// was made; the time limits are set on the session either way. It then
// checks that the session has no power it should not.
func (s *scratch) login(ctx context.Context) error {
	c := s.cfg.Copy()
	c.Database = s.name
	c.RuntimeParams = map[string]string{"application_name": "opsdeck-rehearsal", "standard_conforming_strings": "on"}
	if s.madeRole {
		c.User, c.Password = s.name, s.password
	} else {
		for k, v := range s.r.limits() {
			c.RuntimeParams[k] = v
		}
	}
	conn, err := pgconn.ConnectConfig(ctx, c)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("the rehearsal's role %s could not log in to the scratch server (pg_hba.conf must let a password login of roles named opsdeck_rehearsal_* through from this host): %s",
			c.User, pgMessage(err))
	}
	s.conn = conn
	p, err := readPowers(ctx, conn, 0)
	if err != nil {
		return fmt.Errorf("the rehearsal's session: %s", pgMessage(err))
	}
	if p.Name != c.User || (s.madeRole && (p.lent() != "" || p.CreateDB)) {
		return fmt.Errorf("the rehearsal's session runs as %s with %s: not rehearsed with those powers", p.Name, cmpOrText(p.lent(), "CREATEDB"))
	}
	return nil
}

// limits are the rehearsing session's time limits, as settings.
func (r Rehearsal) limits() map[string]string {
	ms := func(d time.Duration) string { return fmt.Sprint(d.Milliseconds()) }
	limit := r.deadline()
	return map[string]string{"statement_timeout": ms(limit), "lock_timeout": ms(r.lockTimeout()),
		"idle_in_transaction_session_timeout": ms(limit)}
}

// adminIn is the admin's session in the scratch database, opened when
// first needed.
func (s *scratch) adminInScratch(ctx context.Context) (*pgconn.PgConn, error) {
	if s.adminIn != nil {
		return s.adminIn, nil
	}
	c := s.cfg.Copy()
	c.Database = s.name
	conn, err := pgconn.ConnectConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	s.adminIn = conn
	_, err = conn.Exec(ctx, "SELECT pg_catalog.set_config('search_path', '', false)").ReadAll()
	return conn, err
}

// close ends the sessions and drops the database and the role, on a
// context of its own; it says what it could not drop, "" when nothing is
// left on the server.
func (s *scratch) close() string {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	for _, c := range []*pgconn.PgConn{s.conn, s.adminIn} {
		if c != nil {
			c.Close(ctx)
		}
	}
	if !s.madeDB && !s.madeRole {
		if s.admin != nil {
			s.admin.Close(ctx)
		}
		return ""
	}
	admin := s.admin
	if admin == nil || admin.IsClosed() {
		var err error
		if admin, err = pgconn.ConnectConfig(ctx, s.cfg); err != nil {
			return s.leftBehind(pgMessage(err))
		}
	}
	defer admin.Close(ctx)
	var problems []string
	if s.madeDB {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(s.name)+" WITH (FORCE)").ReadAll(); err != nil {
			problems = append(problems, pgMessage(err))
		}
	}
	if s.madeRole && len(problems) == 0 {
		if _, err := admin.Exec(ctx, "DROP ROLE IF EXISTS "+ident(s.name)).ReadAll(); err != nil {
			problems = append(problems, pgMessage(err))
		}
	}
	if len(problems) > 0 {
		return s.leftBehind(strings.Join(problems, "; "))
	}
	return ""
}

// leftBehind says what a failed clean-up left on the server, and how to
// remove it.
func (s *scratch) leftBehind(why string) string {
	var drop []string
	if s.madeDB {
		drop = append(drop, "DROP DATABASE IF EXISTS "+ident(s.name)+" WITH (FORCE)")
	}
	if s.madeRole {
		drop = append(drop, "DROP ROLE IF EXISTS "+ident(s.name))
	}
	return fmt.Sprintf("the rehearsal could not remove what it made on the scratch server (%s): run %s", why, strings.Join(drop, "; "))
}

// scramVerifier is the SCRAM-SHA-256 verifier PostgreSQL stores for
// password: sent in its place, it is stored as it is.
func scramVerifier(password string, salt []byte) (string, error) {
	const iterations = 4096
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(msg string) []byte {
		h := hmac.New(sha256.New, salted)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac("Client Key"))
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(stored[:]), b64(mac("Server Key"))), nil
}

func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func cmpOrText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
