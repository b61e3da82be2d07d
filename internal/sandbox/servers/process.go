package servers

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Short reports whether the tests run with -short: the unit tests alone,
// in seconds, without any server. It reads the test binary's flag, so
// that this package need not import package testing.
func Short() bool {
	f := flag.Lookup("test.short")
	return f != nil && f.Value.String() == "true"
}

// ErrShortRun is what every Start and Build function returns in a -short
// run, before it looks for a binary: the unit tests alone start no server
// and build none.
var ErrShortRun = errors.New("servers: a -short run starts no server and builds none (make test runs them)")

// refuseShort is the first step of every Start and Build function, and of
// every process start (so that no path around them starts one either).
func refuseShort() error {
	if Short() {
		return ErrShortRun
	}
	return nil
}

// MissingBinaryError says which binary is missing and which Debian package has it.
type MissingBinaryError struct {
	Binary, Package string
}

func (e *MissingBinaryError) Error() string {
	return fmt.Sprintf("%s not found: install the Debian package %s (scripts/deps.sh installs it: sudo apt-get install %s)", e.Binary, e.Package, e.Package)
}

// LookPath finds a server binary, with an actionable error naming its package.
// PostgreSQL's server binaries also live outside PATH on Debian, in
// /usr/lib/postgresql/<version>/bin; the newest version there wins.
func LookPath(bin, pkg string) (string, error) {
	if p, err := exec.LookPath(bin); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		if p := filepath.Join(dir, bin); isExecutable(p) {
			return p, nil
		}
	}
	if pkg == "postgresql" {
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
		for _, d := range dirs {
			if p := filepath.Join(d, bin); isExecutable(p) {
				return p, nil
			}
		}
	}
	return "", &MissingBinaryError{Binary: bin, Package: pkg}
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is one child server. Its output goes to a log file in its directory,
// whose tail is quoted when the server fails to start.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // exit status, valid once done is closed
}

// serviceUser is the OS user servers run as. PostgreSQL refuses to run as root,
// so as root we run everything as the "postgres" user Debian's package creates.
type serviceUser struct {
	uid, gid uint32
	name     string
}

func (u *serviceUser) attr() *syscall.SysProcAttr {
	// Pdeathsig: if opsdeck or the test binary dies, the servers die with it.
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if u != nil {
		a.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid}
	}
	return a
}

// chown hands a path to the service user (no-op when not running as root).
func (u *serviceUser) chown(paths ...string) error {
	if u == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(u.uid), int(u.gid)); err != nil {
			return err
		}
	}
	return nil
}

// lookupServiceUser returns nil when not root (servers run as the current user).
func lookupServiceUser() (*serviceUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, servers must run as the \"postgres\" user, which does not exist: install the Debian package postgresql (scripts/deps.sh)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &serviceUser{uid: uint32(uid), gid: uint32(gid), name: u.Username}, nil
}

// prepare finds a server's binary and the user to run it as, and makes its
// directory: what every Start function does first.
func prepare(bin, pkg, dirPrefix string) (path string, su *serviceUser, dir string, err error) {
	if path, err = LookPath(bin, pkg); err != nil {
		return "", nil, "", err
	}
	if su, err = lookupServiceUser(); err != nil {
		return "", nil, "", err
	}
	if dir, err = makeDir(dirPrefix, su); err != nil {
		return "", nil, "", err
	}
	return path, su, dir, nil
}

// makeDir creates a private temporary directory the service user can use.
// 0o711 on the root lets the service user reach its own subdirectories.
func makeDir(prefix string, su *serviceUser) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return "", err
	}
	return dir, su.chown(dir)
}

func startProcess(name, dir string, su *serviceUser, bin string, args ...string) (*process, error) {
	return startProcessAs(name, dir, su, nil, bin, args...)
}

// startProcessEnv starts a process as the current user with env added.
func startProcessEnv(name, dir string, env []string, bin string, args ...string) (*process, error) {
	return startProcessAs(name, dir, nil, env, bin, args...)
}

func startProcessAs(name, dir string, su *serviceUser, env []string, bin string, args ...string) (*process, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = su.attr()
	cmd.Env = append(append(os.Environ(), "LC_ALL=C"), env...)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// logTail returns the last lines of the server's log, for error messages.
func (p *process) logTail() string {
	data, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 12 {
		lines = lines[len(lines)-12:]
	}
	return strings.Join(lines, "\n")
}

// addrInUse tells a lost port race (retry on another port) from a real failure.
func (p *process) addrInUse() bool {
	data, _ := os.ReadFile(p.logPath)
	return bytes.Contains(data, []byte("already in use"))
}

// stop sends sig, waits up to grace, then kills the whole process group.
func (p *process) stop(sig syscall.Signal, grace time.Duration) error {
	if p == nil || p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	return fmt.Errorf("%s did not stop within %s and was killed", p.name, grace)
}

// waitReady polls ready until it succeeds, the process dies or ctx ends.
func waitReady(ctx context.Context, p *process, ready func(context.Context) error) error {
	var last error
	for {
		if p.exited() {
			return fmt.Errorf("%s exited while starting: %v\n%s", p.name, p.err, p.logTail())
		}
		attempt, cancel := context.WithTimeout(ctx, time.Second)
		last = ready(attempt)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %v (last: %v)\n%s", p.name, ctx.Err(), last, p.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// launch starts a server and waits until ready answers. A server that could
// not bind its port (a parallel test took it) is errPortTaken, to retry.
func launch(ctx context.Context, name, dir string, su *serviceUser, ready func(context.Context) error, bin string, args ...string) (*process, error) {
	proc, err := startProcess(name, dir, su, bin, args...)
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, proc, ready); err != nil {
		proc.stop(syscall.SIGKILL, time.Second)
		if proc.addrInUse() {
			return nil, errPortTaken
		}
		return nil, err
	}
	return proc, nil
}

// errPortTaken marks a start that lost a race for its port.
var errPortTaken = errors.New("port taken")

// withPortRetry runs start with fresh ports until one is not stolen by a
// parallel test between FreePort and the server's bind.
func withPortRetry[T any](start func(port int) (T, error)) (T, error) {
	var zero T
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		var port int
		if port, err = FreePort(); err != nil {
			return zero, err
		}
		var v T
		v, err = start(port)
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, errPortTaken) {
			return zero, err
		}
	}
	return zero, err
}

// server is what every throwaway server shares: a directory removed on Stop
// and a process stopped with a signal, then killed.
type server struct {
	Dir  string
	proc *process
	// stopSignal asks for a clean shutdown (SIGINT is PostgreSQL's "fast" mode).
	stopSignal syscall.Signal
	// killSignal ends it at once (default SIGKILL; PostgreSQL's SIGQUIT is
	// its immediate shutdown, which takes the backends down with it).
	killSignal syscall.Signal
	// relaunch starts the process again on port, and port is where the
	// server's Port field lives (for Kill and Restart).
	relaunch func(ctx context.Context, port int) (*process, error)
	port     *int
}

// Kill ends the server abruptly, as a crash or an OOM kill does, keeping its
// data directory for Restart.
func (s *server) Kill() error {
	sig := s.killSignal
	if sig == 0 {
		sig = syscall.SIGKILL
	}
	return s.proc.stop(sig, 10*time.Second)
}

// Restart starts a killed server again on its data, on the same port when it
// is still free (else on another: read the port again).
func (s *server) Restart(ctx context.Context) error {
	if s.relaunch == nil {
		return errors.New("servers: this server cannot be restarted")
	}
	proc, err := s.relaunch(ctx, *s.port)
	if errors.Is(err, errPortTaken) {
		proc, err = withPortRetry(func(port int) (*process, error) { return s.relaunch(ctx, port) })
	}
	if err != nil {
		return err
	}
	s.proc = proc
	return nil
}

// start launches the server on a free port (relaunch, retried when a
// parallel test takes the port first); on failure its directory is
// removed.
func (s *server) start(ctx context.Context) error {
	proc, err := withPortRetry(func(port int) (*process, error) { return s.relaunch(ctx, port) })
	if err != nil {
		os.RemoveAll(s.Dir)
		return err
	}
	s.proc = proc
	return nil
}

// Pid is the server's process id.
func (s *server) Pid() int { return s.proc.cmd.Process.Pid }

// stop shuts the server down and removes its directory.
func (s *server) stop() error {
	err := s.proc.stop(s.stopSignal, 10*time.Second)
	if rmErr := os.RemoveAll(s.Dir); err == nil {
		err = rmErr
	}
	return err
}

// answers is a readiness check of an HTTP server: a GET of u is answered,
// with a status ok says is enough.
func answers(ctx context.Context, u string, ok func(code int) bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if !ok(resp.StatusCode) {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	return nil
}

// isOK is a status of 200.
func isOK(code int) bool { return code == http.StatusOK }
