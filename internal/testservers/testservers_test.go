package testservers

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redisCommand sends one inline command and returns the first reply line.
func redisCommand(addr, cmd string) (string, error) {
	lines, err := redisReply(addr, cmd, 1)
	if err != nil {
		return "", err
	}
	return lines[0], nil
}

// redisReply sends one inline command and returns the first n reply lines.
func redisReply(addr, cmd string, n int) ([]string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte(cmd + "\r\n")); err != nil {
		return nil, err
	}
	rd := bufio.NewReader(conn)
	lines := make([]string, 0, n)
	for range n {
		line, err := rd.ReadString('\n')
		if err != nil {
			return nil, err
		}
		lines = append(lines, strings.TrimSpace(line))
	}
	return lines, nil
}

func TestRedisStopAndRestart(t *testing.T) {
	r, err := StartRedis(RedisOptions{})
	Require(t, err)
	t.Cleanup(r.Close)
	addr := r.Addr()
	assert.True(t, strings.HasPrefix(addr, "127.0.0.1:"), addr)

	reply, err := redisCommand(addr, "SET k v")
	require.NoError(t, err)
	assert.Equal(t, "+OK", reply)

	for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		require.NoError(t, r.Stop(sig))
		_, err = redisCommand(addr, "PING")
		require.Error(t, err, "the server answers after Stop(%v)", sig)
		require.NoError(t, r.Stop(sig), "stopping a stopped server does nothing")

		require.NoError(t, r.Start())
		assert.Equal(t, addr, r.Addr(), "the port is kept")
		reply, err = redisCommand(addr, "GET k")
		require.NoError(t, err)
		assert.Equal(t, "$-1", reply, "a server without persistence forgets")
		require.NoError(t, r.Start(), "starting a running server does nothing")
	}

	r.Close()
	_, err = os.Stat(r.Dir)
	assert.True(t, os.IsNotExist(err), "Close removes the directory")
}

func TestRedisPersistenceAndConfig(t *testing.T) {
	r, err := StartRedis(RedisOptions{Config: "maxclients 77\n", Args: []string{"--appendonly", "yes", "--appendfsync", "always"}})
	Require(t, err)
	t.Cleanup(r.Close)
	lines, err := redisReply(r.Addr(), "CONFIG GET maxclients", 5)
	require.NoError(t, err)
	assert.Equal(t, "77", lines[4], "the configuration file applies")
	_, err = redisCommand(r.Addr(), "SET kept yes")
	require.NoError(t, err)
	require.NoError(t, r.Stop(syscall.SIGKILL))
	require.NoError(t, r.Start())
	reply, err := redisCommand(r.Addr(), "EXISTS kept")
	require.NoError(t, err)
	assert.Equal(t, ":1", reply, "the append-only file survives a crash")
}

func TestRedisThatWillNotStart(t *testing.T) {
	_, err := FindRedis()
	Require(t, err)
	_, err = StartRedis(RedisOptions{Args: []string{"--no-such-option", "x"}})
	require.Error(t, err)
	assert.False(t, IsMissingBinary(err), "a server that will not start is not a missing binary: %v", err)
	assert.Contains(t, err.Error(), "exited at start")
}

func TestPostgresStopAndRestart(t *testing.T) {
	p, err := StartPostgres(PostgresOptions{Settings: []string{"max_connections=20"}})
	Require(t, err)
	t.Cleanup(p.Close)
	assert.Contains(t, p.URL("db"), "@127.0.0.1:")
	require.NoError(t, p.probe())
	port := p.Port

	// Fast shutdown, then immediate shutdown, which makes the next start
	// recover from the WAL.
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGQUIT} {
		require.NoError(t, p.Stop(sig))
		require.Error(t, p.probe(), "the server answers after Stop(%v)", sig)
		require.NoError(t, p.Start())
		assert.Equal(t, port, p.Port)
		require.NoError(t, p.probe())
	}
	assert.NotEmpty(t, p.Log())

	p.Close()
	_, err = os.Stat(p.Dir)
	assert.True(t, os.IsNotExist(err), "Close removes the data directory")
}

func TestPostgresThatWillNotStart(t *testing.T) {
	_, err := FindPostgres()
	Require(t, err)
	_, err = StartPostgres(PostgresOptions{Settings: []string{"no_such_setting=1"}})
	require.Error(t, err)
	assert.False(t, IsMissingBinary(err))
	assert.Contains(t, err.Error(), "no_such_setting")
}

func TestMissingBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := FindRedis()
	require.True(t, IsMissingBinary(err))
	assert.Contains(t, err.Error(), "apt-get install redis-server")
	_, err = StartRedis(RedisOptions{})
	assert.True(t, IsMissingBinary(err))

	if _, err := FindPostgres(); err != nil {
		assert.Contains(t, err.Error(), "apt-get install postgresql")
	}
	assert.Contains(t, (&MissingBinaryError{Binary: "initdb", Where: "on PATH", Package: "postgresql"}).Error(), "apt-get install postgresql")
}

// recorder is a testing.TB that records Skipf and Fatalf instead of
// acting on them; both end the goroutine, as the real ones do.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runRequire runs Require on a recorder in a goroutine of its own and
// reports whether it returned, was skipped or failed.
func runRequire(t *testing.T, err error) (returned bool, rec *recorder) {
	rec = &recorder{TB: t}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		Require(rec, err)
		returned = true
	}()
	wg.Wait()
	return returned, rec
}

func TestRequire(t *testing.T) {
	missing := &MissingBinaryError{Binary: "redis-server", Where: "on PATH", Package: "redis-server"}
	broken := errors.New("redis-server exited at start")
	for _, tc := range []struct {
		name                  string
		e2e                   string
		err                   error
		returns, skips, fails bool
	}{
		{name: "available", err: nil, returns: true},
		{name: "available under e2e", e2e: "1", err: nil, returns: true},
		{name: "missing", err: missing, skips: true},
		{name: "missing, wrapped", err: errors.Join(errors.New("context"), missing), skips: true},
		{name: "missing under e2e", e2e: "1", err: missing, fails: true},
		{name: "missing, e2e not 1", e2e: "0", err: missing, skips: true},
		{name: "broken", err: broken, fails: true},
		{name: "broken under e2e", e2e: "1", err: broken, fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(E2EEnv, tc.e2e)
			returned, rec := runRequire(t, tc.err)
			assert.Equal(t, tc.returns, returned, "returned")
			assert.Equal(t, tc.skips, rec.skipped != "", "skipped")
			assert.Equal(t, tc.fails, rec.failed != "", "failed")
			if tc.err != nil {
				assert.Contains(t, rec.skipped+rec.failed, tc.err.Error(), "the message says why")
			}
			if tc.skips {
				assert.Contains(t, rec.skipped, "apt-get install redis-server")
				assert.Contains(t, rec.skipped, E2EEnv+"=1")
			}
		})
	}
}
