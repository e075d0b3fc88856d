package glomopg_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glomokit/glomo/internal/testservers"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The tests run against real PostgreSQL servers that TestMain and the
// restart test start from the installed binaries (internal/testservers),
// in temporary data directories, listening on loopback only.

// testDatabase is the database TestMain creates on the shared server.
const testDatabase = "glomopg_test"

var (
	// sharedURL connects to testDatabase on the shared server; empty when
	// there is none, and then unavailable says why.
	sharedURL   string
	unavailable error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	srv, err := testservers.StartPostgres(testservers.PostgresOptions{})
	if err != nil {
		unavailable = err
		return m.Run()
	}
	if err := createDatabase(srv.URL("postgres"), testDatabase); err != nil {
		unavailable = fmt.Errorf("creating the test database: %w", err)
		srv.Close()
		return m.Run()
	}
	sharedURL = srv.URL(testDatabase)
	code := m.Run()
	if err := srv.Stop(os.Interrupt); err != nil {
		fmt.Fprintln(os.Stderr, "glomopg tests: stopping the test server:", err)
	}
	srv.Remove()
	return code
}

// requirePostgres returns the URL of the shared test database, or skips
// the test when PostgreSQL is not installed. Under GLOMO_E2E=1, and when
// the server is installed but would not start, it fails instead.
func requirePostgres(tb testing.TB) string {
	tb.Helper()
	if sharedURL == "" {
		testservers.Require(tb, unavailable)
	}
	return sharedURL
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
