package glomoredis

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// The tests run against a real redis-server: TestMain starts one that
// most tests share, and the tests that stop a server start their own.
var (
	shared *redisServer
	// noRedis says why there is no shared server; missingBinary, that the
	// reason is a missing redis-server, which skips rather than fails.
	noRedis       error
	missingBinary bool
)

const installHint = "install Debian's redis-server package (apt-get install redis-server)"

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	// The tests that stop servers would fill the output with the pool's
	// dial failures, which the tests check themselves.
	redis.SetLogger(quietLogger{})
	if _, err := exec.LookPath("redis-server"); err != nil {
		noRedis, missingBinary = fmt.Errorf("redis-server is not on PATH: %s", installHint), true
		if !e2e() {
			fmt.Fprintf(os.Stderr, "glomoredis: skipping the tests that need Redis: %v\n", noRedis)
			// Examples cannot skip themselves.
			if f := flag.Lookup("test.skip"); f != nil && f.Value.String() == "" {
				_ = f.Value.Set("^Example")
			}
		}
		return m.Run()
	}
	srv, err := startRedisServer()
	if err != nil {
		noRedis = err
		return m.Run()
	}
	shared = srv
	defer srv.close()
	// The Example reads the server's address as an application would.
	os.Setenv("REDIS_ADDR", srv.addr())
	return m.Run()
}

// e2e reports whether the environment demands the end-to-end tests run.
func e2e() bool { return os.Getenv("GLOMO_E2E") == "1" }

// requireRedis skips or fails t when there is no redis-server to test
// against: it skips when the binary is missing, unless GLOMO_E2E=1, and
// fails when a server could not be started.
func requireRedis(t testing.TB) {
	t.Helper()
	if noRedis == nil {
		return
	}
	if missingBinary && !e2e() {
		t.Skip(noRedis.Error())
	}
	t.Fatalf("no Redis server to test against: %v", noRedis)
}

// redisServer is a redis-server process on a loopback port, in a
// directory of its own, which can be stopped and started again on the
// same port.
type redisServer struct {
	dir    string
	port   int
	conf   string // a configuration file to start with, for Sentinel
	extra  []string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startRedisServer starts a redis-server without persistence unless
// extra arguments ask for it.
func startRedisServer(extra ...string) (*redisServer, error) {
	return startRedisServerConf("", extra...)
}

// startRedisServerConf starts a redis-server whose configuration file,
// when conf is not empty, holds conf (in the server's directory, which
// Sentinel rewrites).
func startRedisServerConf(conf string, extra ...string) (*redisServer, error) {
	dir, err := os.MkdirTemp("", "glomoredis-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &redisServer{dir: dir, port: port, extra: extra}
	if conf != "" {
		s.conf = filepath.Join(dir, "redis.conf")
		if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// startPrivateServer starts a server for t alone, stopped when t ends.
func startPrivateServer(t testing.TB, extra ...string) *redisServer {
	t.Helper()
	requireRedis(t)
	s, err := startRedisServer(extra...)
	require.NoError(t, err)
	t.Cleanup(s.close)
	return s
}

// freePort returns a loopback port nothing listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *redisServer) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// start runs redis-server and waits until it answers PING.
func (s *redisServer) start() error {
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--loglevel", "warning",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	}
	if s.conf != "" {
		args = append([]string{s.conf}, args...)
	}
	cmd := exec.Command("redis-server", append(args, s.extra...)...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited

	client := redis.NewClient(&redis.Options{Addr: s.addr(), DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer client.Close()
	deadline := time.Now().Add(5 * time.Second)
	for attempt := 0; attempt < 500 && time.Now().Before(deadline); attempt++ {
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited at start: %s", s.log())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := client.Ping(ctx).Err()
		cancel()
		// A server asking for a password answers too.
		var rerr redis.Error
		if err == nil || errors.As(err, &rerr) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.stop(syscall.SIGKILL)
	return fmt.Errorf("redis-server did not answer PING on %s within 5s: %s", s.addr(), s.log())
}

// stop sends sig to the server and waits until it has exited, killing it
// after five seconds.
func (s *redisServer) stop(sig syscall.Signal) {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// close stops the server and removes its directory.
func (s *redisServer) close() {
	s.stop(syscall.SIGKILL)
	os.RemoveAll(s.dir)
}

// log returns the end of the server's log, for a failure message.
func (s *redisServer) log() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	if err != nil {
		return "(no log)"
	}
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// newClient returns a client of addr that applies contexts' deadlines to
// commands in flight, closed when t ends.
func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	client := redis.NewClient(&redis.Options{
		Addr:                  addr,
		ContextTimeoutEnabled: true,
		DialTimeout:           time.Second,
		// One dial per attempt: the tests that stop servers need calls
		// to fail in milliseconds, not after go-redis's dial retries.
		DialerRetries:      1,
		DialerRetryTimeout: 10 * time.Millisecond,
		MinRetryBackoff:    time.Millisecond,
		MaxRetryBackoff:    10 * time.Millisecond,
	})
	t.Cleanup(func() { client.Close() })
	return client
}

// sharedClient returns a client of the shared server.
func sharedClient(t testing.TB) *redis.Client {
	t.Helper()
	requireRedis(t)
	return newClient(t, shared.addr())
}

// uniquePrefix returns a key prefix no other test uses.
func uniquePrefix(t testing.TB, name string) string {
	t.Helper()
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return "test-" + name + "-" + hex.EncodeToString(b[:]) + ":"
}

// newTestStore returns a Store on the shared server with a prefix of its
// own.
func newTestStore(t testing.TB, opts Options) (*Store, *redis.Client) {
	t.Helper()
	client := sharedClient(t)
	if opts.Prefix == "" {
		opts.Prefix = uniquePrefix(t, "store")
	}
	s, err := New(client, opts)
	require.NoError(t, err)
	return s, client
}

// quietLogger drops go-redis's log lines.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...interface{}) {}

// commandCounter is a go-redis hook counting the commands sent, which
// are the round trips when nothing is pipelined.
type commandCounter struct{ n *atomic.Int64 }

func (c commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}
