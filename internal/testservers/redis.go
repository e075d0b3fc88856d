package testservers

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Readiness and shutdown bounds of a redis-server.
const (
	redisStartTimeout = 5 * time.Second
	redisStopTimeout  = 5 * time.Second
)

// FindRedis returns the path of redis-server on PATH, or a
// *MissingBinaryError.
func FindRedis() (string, error) {
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return "", &MissingBinaryError{Binary: "redis-server", Where: "on PATH", Package: "redis-server"}
	}
	return p, nil
}

// RedisOptions configures StartRedis.
type RedisOptions struct {
	// Config, when not empty, is written to redis.conf in the server's
	// directory and given to the server first (Sentinel rewrites it).
	Config string
	// Args are more command-line arguments, such as "--sentinel" or
	// "--appendonly", "yes". By default the server persists nothing.
	Args []string
}

// Redis is a redis-server on a loopback port, in a directory of its own.
// Its methods are safe for concurrent use.
type Redis struct {
	// Dir is the server's working directory, holding its log.
	Dir string
	// Port is the loopback port it listens on, kept across restarts.
	Port int

	bin  string
	conf string
	args []string

	mu   sync.Mutex
	proc *process
}

// StartRedis starts a redis-server and waits until it answers PING. The
// error is a *MissingBinaryError when redis-server is not installed.
func StartRedis(opts RedisOptions) (*Redis, error) {
	bin, err := FindRedis()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "glomo-redis-")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r := &Redis{Dir: dir, Port: port, bin: bin, args: append([]string(nil), opts.Args...)}
	if opts.Config != "" {
		r.conf = filepath.Join(dir, "redis.conf")
		if err := os.WriteFile(r.conf, []byte(opts.Config), 0o600); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := r.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

// Addr returns the server's host:port.
func (r *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Port)) }

// Start starts the server again, on the same port and directory, after a
// Stop, and waits until it answers PING; it does nothing while the server
// runs.
func (r *Redis) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil && !r.proc.hasExited() {
		return nil
	}
	args := []string{
		"--port", strconv.Itoa(r.Port),
		"--bind", "127.0.0.1",
		"--dir", r.Dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--loglevel", "warning",
		"--logfile", filepath.Join(r.Dir, "redis.log"),
	}
	if r.conf != "" {
		args = append([]string{r.conf}, args...)
	}
	p, err := startProcess(exec.Command(r.bin, append(args, r.args...)...))
	if err != nil {
		return err
	}
	r.proc = p
	if err := waitUntil(p, redisStartTimeout, 10*time.Millisecond, r.ping, r.Log); err != nil {
		_ = p.stop(syscall.SIGKILL, redisStopTimeout)
		return err
	}
	return nil
}

// ping sends PING and accepts any answer but a loading error: a server
// that asks for a password answers too.
func (r *Redis) ping() error {
	conn, err := net.DialTimeout("tcp", r.Addr(), 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(line, "-LOADING"):
		return errors.New("redis-server is loading its data")
	case strings.HasPrefix(line, "+"), strings.HasPrefix(line, "-"):
		return nil
	default:
		return fmt.Errorf("unexpected answer to PING: %q", strings.TrimSpace(line))
	}
}

// Stop sends sig (syscall.SIGTERM to shut down, syscall.SIGKILL to crash)
// and waits up to five seconds for the server to exit, then kills it and
// returns an error. It does nothing when the server is not running.
func (r *Redis) Stop(sig os.Signal) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc == nil {
		return nil
	}
	err := r.proc.stop(sig, redisStopTimeout)
	r.proc = nil
	return err
}

// Close kills the server and removes its directory.
func (r *Redis) Close() {
	_ = r.Stop(syscall.SIGKILL)
	os.RemoveAll(r.Dir)
}

// Log returns the end of the server's log.
func (r *Redis) Log() string {
	return strings.TrimSpace(tail(filepath.Join(r.Dir, "redis.log")))
}
