package testservers

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Readiness and shutdown bounds of a PostgreSQL server.
const (
	postgresStartTimeout = 30 * time.Second
	postgresStopTimeout  = 30 * time.Second
)

// FindPostgres returns the directory holding initdb and postgres: the one
// on PATH, else Debian's /usr/lib/postgresql/VERSION/bin, newest version
// first. The error is a *MissingBinaryError when there is none.
func FindPostgres() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if isFile(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, dir := range dirs {
		if isFile(filepath.Join(dir, "initdb")) && isFile(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", &MissingBinaryError{Binary: "initdb and postgres", Where: "on PATH or in /usr/lib/postgresql/*/bin", Package: "postgresql"}
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir()
}

// versionOf returns the major version of /usr/lib/postgresql/VERSION/bin.
func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// PostgresOptions configures NewPostgres and StartPostgres.
type PostgresOptions struct {
	// Settings are more "name=value" settings, added after the defaults
	// of a fast, non-durable test server (fsync, synchronous_commit and
	// full_page_writes off), which they may override.
	Settings []string
}

// Postgres is a PostgreSQL server in a temporary data directory,
// listening on a loopback port with trust authentication for the
// superuser postgres. When the tests run as root it runs as the system
// user postgres, since PostgreSQL refuses to run as root. Its methods are
// safe for concurrent use.
type Postgres struct {
	// Dir is the data directory, which also holds the Unix socket.
	Dir string
	// Port is the loopback port it listens on, kept across restarts.
	Port int

	bin      string
	root     string // Dir's parent, holding the log too
	log      string
	settings []string
	cred     *credential

	mu   sync.Mutex
	proc *process
}

// StartPostgres makes a data directory and starts a server on it; see
// NewPostgres and Start.
func StartPostgres(opts PostgresOptions) (*Postgres, error) {
	p, err := NewPostgres(opts)
	if err != nil {
		return nil, err
	}
	if err := p.Start(); err != nil {
		p.Remove()
		return nil, err
	}
	return p, nil
}

// NewPostgres makes a data directory with initdb and picks a free port;
// Start starts the server. The error is a *MissingBinaryError when the
// binaries are not installed.
func NewPostgres(opts PostgresOptions) (*Postgres, error) {
	bin, err := FindPostgres()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "glomo-postgres-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{
		Dir: filepath.Join(root, "data"), bin: bin, root: root, log: filepath.Join(root, "postgres.log"),
		settings: append([]string(nil), opts.Settings...), cred: cred,
	}
	if err := cred.own(root); err != nil {
		p.Remove()
		return nil, err
	}
	if p.Port, err = FreePort(); err != nil {
		p.Remove()
		return nil, err
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", p.Dir, "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--no-sync")
	cred.apply(initdb)
	if out, err := initdb.CombinedOutput(); err != nil {
		p.Remove()
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return p, nil
}

// URL returns a connection URL for database on the server, over TCP.
func (p *Postgres) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=2", p.Port, database)
}

// Start runs the server, again after a Stop on the same port and data
// directory, and waits up to 30 seconds until it accepts connections
// (after a crash, until its recovery is over). It does nothing while the
// server runs.
func (p *Postgres) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil && !p.proc.hasExited() {
		return nil
	}
	args := []string{"-D", p.Dir, "-p", strconv.Itoa(p.Port), "-k", p.Dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"}
	for _, s := range p.settings {
		args = append(args, "-c", s)
	}
	log, err := os.OpenFile(p.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(p.bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = log, log
	p.cred.apply(cmd)
	proc, err := startProcess(cmd)
	if err != nil {
		return err
	}
	p.proc = proc
	if err := waitUntil(proc, postgresStartTimeout, 50*time.Millisecond, p.probe, p.Log); err != nil {
		_ = proc.stop(syscall.SIGQUIT, postgresStopTimeout)
		return err
	}
	return nil
}

// probe opens a connection with the protocol's startup message: the
// server asks for authentication once it accepts connections, and
// answers an error while it starts or recovers.
func (p *Postgres) probe() error {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)), time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	params := "user\x00postgres\x00database\x00postgres\x00\x00"
	msg := binary.BigEndian.AppendUint32(nil, uint32(8+len(params)))
	msg = binary.BigEndian.AppendUint32(msg, 3<<16) // protocol 3.0
	msg = append(msg, params...)
	if _, err := conn.Write(msg); err != nil {
		return err
	}
	rd := bufio.NewReader(conn)
	var head [5]byte
	if _, err := io.ReadFull(rd, head[:]); err != nil {
		return err
	}
	switch head[0] {
	case 'R':
		_, _ = conn.Write([]byte{'X', 0, 0, 0, 4}) // Terminate
		return nil
	case 'E':
		n := int(binary.BigEndian.Uint32(head[1:])) - 4
		body := make([]byte, max(0, min(n, 4096)))
		_, _ = io.ReadFull(rd, body)
		return fmt.Errorf("the server refused a connection: %s", errorMessage(body))
	default:
		return fmt.Errorf("unexpected first message %q", head[0])
	}
}

// errorMessage returns the M field of an ErrorResponse's body.
func errorMessage(body []byte) string {
	for _, f := range strings.Split(string(body), "\x00") {
		if strings.HasPrefix(f, "M") {
			return f[1:]
		}
	}
	return "(no message)"
}

// Stop sends sig to the postmaster (os.Interrupt: fast shutdown,
// syscall.SIGQUIT: immediate shutdown, as in a crash) and waits up to 30
// seconds for it to exit, then kills it and returns an error. It does
// nothing when the server is not running.
func (p *Postgres) Stop(sig os.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return nil
	}
	err := p.proc.stop(sig, postgresStopTimeout)
	p.proc = nil
	return err
}

// Close shuts the server down and removes its directory.
func (p *Postgres) Close() {
	_ = p.Stop(os.Interrupt)
	p.Remove()
}

// Remove deletes the data directory and the log; the server must be
// stopped.
func (p *Postgres) Remove() { os.RemoveAll(p.root) }

// Log returns the end of the server's output.
func (p *Postgres) Log() string { return strings.TrimSpace(tail(p.log)) }

// credential is the user the server runs as when the tests run as root;
// nil otherwise.
type credential struct {
	uid, gid uint32
}

func serverCredential() (*credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the system user postgres (which Debian's postgresql package creates): %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &credential{uid: uint32(uid), gid: uint32(gid)}, nil
}

// own hands dir to the server's user, who must also be able to reach it.
func (c *credential) own(dir string) error {
	if c == nil {
		return nil
	}
	if err := os.Chown(dir, int(c.uid), int(c.gid)); err != nil {
		return err
	}
	for d := filepath.Dir(dir); d != "/" && d != "."; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return errors.New("the user postgres cannot reach " + dir + ": " + d + " is not searchable by others")
		}
	}
	return nil
}
