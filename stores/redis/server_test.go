package glomoredis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo/internal/testservers"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// The tests run against a real redis-server: TestMain starts one that
// most tests share, and the tests that stop a server start their own.
var (
	shared *testservers.Redis
	// noRedis says why there is no shared server.
	noRedis error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	// The tests that stop servers would fill the output with the pool's
	// dial failures, which the tests check themselves.
	redis.SetLogger(quietLogger{})
	srv, err := testservers.StartRedis(testservers.RedisOptions{})
	if err == nil {
		err = ping(srv.Addr())
		if err != nil {
			srv.Close()
		}
	}
	if err != nil {
		noRedis = err
		if testservers.IsMissingBinary(err) && !testservers.E2E() {
			fmt.Fprintf(os.Stderr, "glomoredis: skipping the tests that need Redis: %v\n", err)
			// Examples cannot skip themselves.
			if f := flag.Lookup("test.skip"); f != nil && f.Value.String() == "" {
				_ = f.Value.Set("^Example")
			}
		}
		return m.Run()
	}
	shared = srv
	defer srv.Close()
	// The Example reads the server's address as an application would.
	os.Setenv("REDIS_ADDR", srv.Addr())
	return m.Run()
}

// ping checks that go-redis reaches the server at addr.
func ping(addr string) error {
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1})
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("PING through go-redis: %w", err)
	}
	return nil
}

// requireRedis skips or fails t when there is no redis-server to test
// against: it skips when the binary is missing, unless GLOMO_E2E=1, and
// fails when a server could not be started.
func requireRedis(t testing.TB) {
	t.Helper()
	testservers.Require(t, noRedis)
}

// startPrivateServer starts a server for t alone, stopped when t ends.
// args are more redis-server arguments.
func startPrivateServer(t testing.TB, args ...string) *testservers.Redis {
	t.Helper()
	requireRedis(t)
	s, err := testservers.StartRedis(testservers.RedisOptions{Args: args})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
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
	return newClient(t, shared.Addr())
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
