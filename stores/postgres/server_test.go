package glomopg_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The tests run against real PostgreSQL servers that TestMain and the
// restart test start from the installed binaries, in temporary data
// directories, listening on loopback only.

// e2eEnv makes missing PostgreSQL binaries a failure instead of a skip.
const e2eEnv = "GLOMO_E2E"

// testDatabase is the database TestMain creates on the shared server.
const testDatabase = "glomopg_test"

var (
	// sharedURL connects to testDatabase on the shared server; empty when
	// there is none, and then unavailable says why.
	sharedURL   string
	unavailable string
	// brokenSetup is set when the binaries exist but the server could not
	// be started: always a failure.
	brokenSetup bool
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	bin, err := findBinaries()
	if err != nil {
		unavailable = err.Error()
		return m.Run()
	}
	srv, err := newServer(bin, nil)
	if err == nil {
		err = srv.start()
	}
	if err == nil {
		err = createDatabase(srv.url("postgres"), testDatabase)
	}
	if err != nil {
		unavailable, brokenSetup = "starting the test server: "+err.Error(), true
		if srv != nil {
			srv.remove()
		}
		return m.Run()
	}
	sharedURL = srv.url(testDatabase)
	code := m.Run()
	if err := srv.stop(os.Interrupt); err != nil {
		fmt.Fprintln(os.Stderr, "glomopg tests: stopping the test server:", err)
	}
	srv.remove()
	return code
}

// requirePostgres returns the URL of the shared test database, or skips
// the test when PostgreSQL is not installed. Under GLOMO_E2E=1, and when
// the server is installed but would not start, it fails instead.
func requirePostgres(tb testing.TB) string {
	tb.Helper()
	if sharedURL != "" {
		return sharedURL
	}
	if brokenSetup || os.Getenv(e2eEnv) == "1" {
		tb.Fatalf("PostgreSQL is needed: %s", unavailable)
	}
	tb.Skipf("PostgreSQL is not installed (%s); install it with `apt-get install postgresql`, or set %s=1 to make this a failure", unavailable, e2eEnv)
	return ""
}

// binaries is where initdb and postgres are.
type binaries string

// findBinaries looks for initdb and postgres on PATH, then in Debian's
// /usr/lib/postgresql/VERSION/bin, newest version first.
func findBinaries() (binaries, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return binaries(dir), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		_, errInit := os.Stat(filepath.Join(dir, "initdb"))
		_, errServer := os.Stat(filepath.Join(dir, "postgres"))
		if errInit == nil && errServer == nil {
			return binaries(dir), nil
		}
	}
	return "", errors.New("no initdb and postgres on PATH or in /usr/lib/postgresql/*/bin")
}

func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

// pgServer is one PostgreSQL server in a temporary data directory.
type pgServer struct {
	bin   binaries
	dir   string // data directory, also holding the Unix socket
	log   string // the server's output
	port  int
	extra []string // more -c settings
	cred  *credential

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// newServer makes a data directory with initdb. extra are settings
// ("name=value") added to the defaults of fast, non-durable test servers.
func newServer(bin binaries, extra []string) (*pgServer, error) {
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "glomopg-data-")
	if err != nil {
		return nil, err
	}
	logFile, err := os.CreateTemp("", "glomopg-log-")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logFile.Close()
	s := &pgServer{bin: bin, dir: dir, log: logFile.Name(), extra: extra, cred: cred}
	if err := cred.own(dir); err != nil {
		s.remove()
		return nil, err
	}
	if s.port, err = freePort(); err != nil {
		s.remove()
		return nil, err
	}
	initdb := exec.Command(filepath.Join(string(bin), "initdb"), "-D", dir, "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--no-sync")
	cred.apply(initdb)
	if out, err := initdb.CombinedOutput(); err != nil {
		s.remove()
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return s, nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs the server and waits until it accepts connections.
func (s *pgServer) start() error {
	args := []string{"-D", s.dir, "-p", strconv.Itoa(s.port), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"}
	for _, e := range s.extra {
		args = append(args, "-c", e)
	}
	log, err := os.OpenFile(s.log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(string(s.bin), "postgres"), args...)
	cmd.Stdout, cmd.Stderr = log, log
	s.cred.apply(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	return s.waitReady(exited)
}

// waitReady connects until a connection works, for at most 30 seconds.
func (s *pgServer) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.url("postgres"))
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("the server exited: %s", s.tail())
		default:
		}
		if time.Now().After(deadline) || attempt > 600 {
			return fmt.Errorf("the server did not accept connections within 30s: %w\n%s", err, s.tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends sig to the postmaster (os.Interrupt: fast shutdown,
// syscall.SIGQUIT: immediate shutdown, os.Kill) and waits for it to exit.
func (s *pgServer) stop(sig os.Signal) error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return err
	}
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return errors.New("the server did not stop within 30s and was killed")
	}
}

// remove deletes the data directory and the log.
func (s *pgServer) remove() {
	os.RemoveAll(s.dir)
	os.Remove(s.log)
}

// url returns a connection URL for database on the server, over TCP.
func (s *pgServer) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=2", s.port, database)
}

// tail returns the end of the server's output.
func (s *pgServer) tail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func createDatabase(url, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

// credential is the user the server runs as when the tests run as root,
// which PostgreSQL refuses to be; nil otherwise.
type credential struct {
	uid, gid uint32
}

func serverCredential() (*credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, the server needs the system user postgres: %w", err)
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
			return fmt.Errorf("the user postgres cannot reach %s: %s is not searchable by others", dir, d)
		}
	}
	return nil
}

// randomName returns prefix and 12 random hex digits: a table or key
// name no other test uses.
func randomName(tb testing.TB, prefix string) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// newPool returns a pool on url closed when the test ends.
func newPool(tb testing.TB, url string, configure ...func(*pgxpool.Config)) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MaxConns = 16
	for _, f := range configure {
		f(cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// recordingTracer remembers the SQL of every statement run through a
// pool, and counts statements and transactions.
type recordingTracer struct {
	mu    sync.Mutex
	sql   []string
	stmts int
	txns  int
}

func (r *recordingTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sql = append(r.sql, data.SQL)
	r.stmts++
	// A statement outside a transaction block is a transaction of its
	// own; BEGIN starts one.
	if conn.PgConn().TxStatus() == 'I' {
		r.txns++
	}
	return ctx
}

func (r *recordingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *recordingTracer) counts() (stmts, txns int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stmts, r.txns
}

func (r *recordingTracer) statements() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sql...)
}

func (r *recordingTracer) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sql, r.stmts, r.txns = nil, 0, 0
}

// trimSQL shortens a statement for a failure message.
func trimSQL(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
