package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	glomopg "github.com/glomokit/glomo/stores/postgres"
	glomoredis "github.com/glomokit/glomo/stores/redis"
	"github.com/glomokit/glomo/webhook"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// A replica learns its configuration from these environment variables.
const (
	replicaEnv      = "GLOMO_E2E_REPLICA"  // "1": run as a replica
	replicaNameEnv  = "GLOMO_E2E_NAME"     // its name, recorded with each fulfilment
	replicaStoreEnv = "GLOMO_E2E_STORE"    // storeRedis or storePostgres
	replicaDBEnv    = "GLOMO_E2E_DATABASE" // the PostgreSQL URL of the environment
	replicaRedisEnv = "GLOMO_E2E_REDIS"    // the Redis address
	replicaPrefEnv  = "GLOMO_E2E_PREFIX"   // the Redis store's key prefix
	replicaHoldEnv  = "GLOMO_E2E_HOLD"     // orders whose id contains it block in the hook
)

// The secrets Glomo signs with, and the replicas' fulfilment bounds: a
// short lease, so that a killed replica's claims lapse within the test.
const (
	apiSecret     = "sk_test_e2e"
	webhookSecret = "whsec_e2e"
	fulfilTimeout = 2 * time.Second
	fulfilLease   = 7 * time.Second
	// replicaConns bounds each replica's PostgreSQL pool; a held
	// Transactional hook keeps one connection.
	replicaConns = 24
	// holdLimit bounds how long a held hook waits for the kill.
	holdLimit = time.Minute
)

// Paths a replica serves.
const (
	resultPath  = "/glomo/result"
	webhookPath = "/glomo/webhook"
)

// orderHeader carries the order the buyer's session expects, which a
// real server takes from its session store.
const orderHeader = "X-Test-Order"

// runReplica is the replica process: it serves a ResultHandler and a
// webhook Handler that share one Fulfilment on the environment's store,
// prints "listening ADDR", then "holding ORDER" for each order whose hook
// it holds, and exits when its stdin closes or on SIGTERM.
func runReplica() int {
	if err := serveReplica(); err != nil {
		fmt.Fprintln(os.Stderr, "replica:", err)
		return 1
	}
	return 0
}

func serveReplica() error {
	name, hold := os.Getenv(replicaNameEnv), os.Getenv(replicaHoldEnv)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	redis.SetLogger(quietLogger{})
	var out sync.Mutex
	announce := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	held := func(order string) bool { return hold != "" && strings.Contains(order, hold) }
	// block stands for a hook that hangs (a slow carrier's API) until the
	// process is killed.
	block := func(order string) error {
		announce("holding %s", order)
		time.Sleep(holdLimit)
		return errors.New("the held hook was not killed")
	}

	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(os.Getenv(replicaDBEnv))
	if err != nil {
		return err
	}
	cfg.MaxConns = replicaConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	const record = `INSERT INTO fulfilments (order_id, replica, proof) VALUES ($1, $2, $3)`

	var (
		store  glomo.Store
		hook   glomo.FulfilFunc
		handle func(context.Context, webhook.Event) error
	)
	switch os.Getenv(replicaStoreEnv) {
	case storeRedis:
		client := redis.NewClient(&redis.Options{
			Addr:                  os.Getenv(replicaRedisEnv),
			ContextTimeoutEnabled: true,
			DialTimeout:           time.Second,
			DialerRetries:         1,
			MaxRetries:            1,
		})
		defer client.Close()
		s, err := glomoredis.New(client, glomoredis.Options{Prefix: os.Getenv(replicaPrefEnv)})
		if err != nil {
			return err
		}
		store = s
		// With the Redis store, the hook's write and the done mark are
		// separate: a run killed after its INSERT and before Done would
		// be fulfilled again once its lease lapses. The held hook
		// therefore blocks before it writes.
		hook = func(ctx context.Context, o glomo.PaidOrder) error {
			if held(o.OrderID) {
				return block(o.OrderID)
			}
			_, err := pool.Exec(ctx, record, o.OrderID, name, o.Proof.String())
			return err
		}
		handle = func(ctx context.Context, e webhook.Event) error {
			return client.HIncrBy(ctx, os.Getenv(replicaPrefEnv)+"events", e.DedupKey(), 1).Err()
		}
	case storePostgres:
		s, err := glomopg.New(pool, glomopg.Options{})
		if err != nil {
			return err
		}
		store = s
		// With Transactional, the INSERT and the done mark commit
		// together: the held hook blocks after its INSERT, in the middle
		// of the transaction, and the kill must leave nothing of it.
		hook = s.Transactional(func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
			if _, err := tx.Exec(ctx, record, o.OrderID, name, o.Proof.String()); err != nil {
				return err
			}
			if held(o.OrderID) {
				return block(o.OrderID)
			}
			return nil
		})
		handle = func(ctx context.Context, e webhook.Event) error {
			_, err := pool.Exec(ctx, `INSERT INTO events (event_key, replica) VALUES ($1, $2)`, e.DedupKey(), name)
			return err
		}
	default:
		return fmt.Errorf("%s must be %q or %q", replicaStoreEnv, storeRedis, storePostgres)
	}

	f, err := glomo.NewFulfilment(hook, glomo.FulfilmentOptions{Store: store, Timeout: fulfilTimeout, Lease: fulfilLease, Logger: log})
	if err != nil {
		return err
	}
	results, err := glomo.NewResultHandler(glomo.ResultHandlerOptions{
		Secrets:       []string{apiSecret},
		ExpectedOrder: func(r *http.Request) (string, error) { return r.Header.Get(orderHeader), nil },
		Fulfilment:    f,
		Logger:        log,
	})
	if err != nil {
		return err
	}
	webhooks, err := webhook.NewHandler(webhook.Options{
		Secrets:    []webhook.Secret{webhookSecret},
		Fulfilment: f,
		Handle:     handle,
		Logger:     log,
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(resultPath, results)
	mux.Handle(webhookPath, webhooks)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	announce("listening %s", l.Addr())

	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	select {
	case <-stdinClosed:
	case <-term:
	case err := <-served:
		return err
	}
	shutdownCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// replica is the test's handle on a replica process.
type replica struct {
	name string
	url  string
	cmd  *exec.Cmd
	// stdin's closing tells the replica to exit.
	stdin io.WriteCloser
	// lines are what it printed after "listening".
	lines  chan string
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
	log    string
	killed bool
}

// startReplica starts a replica of e; its hook blocks for orders whose id
// contains hold, unless hold is empty. The replica is stopped when tb
// ends, and must then exit cleanly (a data race makes it exit 66).
func startReplica(tb testing.TB, e *environment, name, hold string) *replica {
	tb.Helper()
	r := &replica{name: name, lines: make(chan string, 1024), exited: make(chan struct{}),
		log: filepath.Join(tb.TempDir(), name+".log")}
	logFile, err := os.Create(r.log)
	require.NoError(tb, err)
	defer logFile.Close()
	r.cmd = exec.Command(os.Args[0], "-test.run=^$")
	r.cmd.Env = append(os.Environ(),
		replicaEnv+"=1",
		replicaNameEnv+"="+name,
		replicaStoreEnv+"="+e.store,
		replicaDBEnv+"="+e.databaseURL,
		replicaRedisEnv+"="+e.redisAddr,
		replicaPrefEnv+"="+e.prefix,
		replicaHoldEnv+"="+hold,
	)
	r.cmd.Stderr = logFile
	r.stdin, err = r.cmd.StdinPipe()
	require.NoError(tb, err)
	stdout, err := r.cmd.StdoutPipe()
	require.NoError(tb, err)
	require.NoError(tb, r.cmd.Start())
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if addr, ok := strings.CutPrefix(line, "listening "); ok {
				listening <- addr
				continue
			}
			select {
			case r.lines <- line:
			default: // more than the test reads; it counts what it needs
			}
		}
		// Wait only after the last read of stdout.
		r.err = r.cmd.Wait()
		close(r.exited)
	}()
	tb.Cleanup(func() { r.stop(tb) })
	select {
	case addr := <-listening:
		r.url = "http://" + addr
	case <-r.exited:
		tb.Fatalf("replica %s exited at start: %v\n%s", name, r.err, r.logTail())
	case <-time.After(30 * time.Second):
		tb.Fatalf("replica %s did not listen within 30s\n%s", name, r.logTail())
	}
	return r
}

// kill ends the replica with SIGKILL, as a crash would, and waits for it.
func (r *replica) kill(tb testing.TB) {
	tb.Helper()
	r.killed = true
	require.NoError(tb, r.cmd.Process.Kill())
	select {
	case <-r.exited:
	case <-time.After(10 * time.Second):
		tb.Fatalf("replica %s did not die within 10s of SIGKILL", r.name)
	}
}

// stop closes the replica's stdin and waits up to ten seconds for a
// clean exit, then kills it.
func (r *replica) stop(tb testing.TB) {
	_ = r.stdin.Close()
	select {
	case <-r.exited:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
		tb.Errorf("replica %s did not exit within 10s of its stdin closing\n%s", r.name, r.logTail())
		return
	}
	if !r.killed && r.err != nil {
		tb.Errorf("replica %s exited with %v\n%s", r.name, r.err, r.logTail())
	}
}

// waitHolding waits until the replica printed that it holds each of
// orders, for at most timeout.
func (r *replica) waitHolding(tb testing.TB, orders []string, timeout time.Duration) {
	tb.Helper()
	want := map[string]bool{}
	for _, o := range orders {
		want[o] = true
	}
	deadline := time.After(timeout)
	for len(want) > 0 {
		select {
		case line := <-r.lines:
			if o, ok := strings.CutPrefix(line, "holding "); ok {
				delete(want, o)
			}
		case <-r.exited:
			tb.Fatalf("replica %s exited while the test waited for its hooks: %v\n%s", r.name, r.err, r.logTail())
		case <-deadline:
			tb.Fatalf("replica %s did not hold %d orders within %v\n%s", r.name, len(want), timeout, r.logTail())
		}
	}
}

// logTail returns the end of the replica's stderr.
func (r *replica) logTail() string {
	b, _ := os.ReadFile(r.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// orderKey is the store key of an order's fulfilment.
func orderKey(order string) string { return glomo.StoreKey("order", order) }
