package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/glomokit/glomo/internal/testservers"
	glomopg "github.com/glomokit/glomo/stores/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// The servers every test shares: one redis-server and one PostgreSQL,
// which also holds the fulfilments the replicas record.
var (
	sharedRedis    *testservers.Redis
	sharedPostgres *testservers.Postgres
	// unavailable says why a server is missing.
	unavailable error
)

func TestMain(m *testing.M) {
	// A replica is this binary run again: it must not run the tests.
	if os.Getenv(replicaEnv) == "1" {
		os.Exit(runReplica())
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	redis.SetLogger(quietLogger{})
	r, err := testservers.StartRedis(testservers.RedisOptions{})
	if err != nil {
		unavailable = err
		return m.Run()
	}
	defer r.Close()
	// Three replicas with pools of replicaConns, the test's own pools and
	// the benchmark's: more than the default 100.
	p, err := testservers.StartPostgres(testservers.PostgresOptions{Settings: []string{"max_connections=200"}})
	if err != nil {
		unavailable = err
		return m.Run()
	}
	defer p.Close()
	sharedRedis, sharedPostgres = r, p
	return m.Run()
}

// requireServers skips or fails tb when the shared servers are missing.
func requireServers(tb testing.TB) {
	tb.Helper()
	if sharedRedis == nil || sharedPostgres == nil {
		testservers.Require(tb, unavailable)
	}
}

// Stores the replicas can share.
const (
	storeRedis    = "redis"
	storePostgres = "postgres"
)

// environment is what the replicas of one test share: a database of its
// own on the shared PostgreSQL (the fulfilments, the processed events and,
// for the PostgreSQL store, the claims), and a key prefix of its own on a
// Redis server.
type environment struct {
	store       string
	databaseURL string
	redisAddr   string
	prefix      string
	// db and rdb are the test's own connections, for counting.
	db  *pgxpool.Pool
	rdb *redis.Client
}

// schema is the merchant's side of the test: what the fulfilment hook and
// the event handler record. No unique constraint: a second fulfilment of
// an order must show up in the count, not fail.
const schema = `
CREATE TABLE fulfilments (
	id bigserial PRIMARY KEY,
	order_id text NOT NULL,
	replica text NOT NULL,
	proof text NOT NULL
);
CREATE TABLE events (
	id bigserial PRIMARY KEY,
	event_key text NOT NULL,
	replica text NOT NULL
);`

// newEnvironment makes a fresh database and prefix for store, with the
// Redis server at redisAddr (the shared one when empty).
func newEnvironment(tb testing.TB, store, redisAddr string) *environment {
	tb.Helper()
	requireServers(tb)
	if redisAddr == "" {
		redisAddr = sharedRedis.Addr()
	}
	name := "e2e_" + randomHex(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, sharedPostgres.URL("postgres"))
	require.NoError(tb, err)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	require.NoError(tb, admin.Close(ctx))
	require.NoError(tb, err)

	e := &environment{store: store, databaseURL: sharedPostgres.URL(name), redisAddr: redisAddr, prefix: name + ":"}
	e.db, err = pgxpool.New(ctx, e.databaseURL)
	require.NoError(tb, err)
	tb.Cleanup(e.db.Close)
	_, err = e.db.Exec(ctx, schema)
	require.NoError(tb, err)
	if store == storePostgres {
		s, err := glomopg.New(e.db, glomopg.Options{})
		require.NoError(tb, err)
		require.NoError(tb, s.Migrate(ctx))
	}
	e.rdb = redis.NewClient(&redis.Options{Addr: redisAddr, ContextTimeoutEnabled: true})
	tb.Cleanup(func() { e.rdb.Close() })
	return e
}

// fulfilmentCounts returns how many times each order was fulfilled, and
// by which replicas.
func (e *environment) fulfilmentCounts(tb testing.TB) (counts map[string]int, replicas map[string][]string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := e.db.Query(ctx, `SELECT order_id, count(*), array_agg(replica ORDER BY id) FROM fulfilments GROUP BY order_id`)
	require.NoError(tb, err)
	defer rows.Close()
	counts, replicas = map[string]int{}, map[string][]string{}
	for rows.Next() {
		var order string
		var n int
		var by []string
		require.NoError(tb, rows.Scan(&order, &n, &by))
		counts[order], replicas[order] = n, by
	}
	require.NoError(tb, rows.Err())
	return counts, replicas
}

// heldClaims counts the orders whose claim is live in the store: held by
// a run that has not finished.
func (e *environment) heldClaims(tb testing.TB, orders []string) int {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	keys := make([]string, len(orders))
	for i, o := range orders {
		keys[i] = orderKey(o)
	}
	if e.store == storePostgres {
		var n int
		err := e.db.QueryRow(ctx, `SELECT count(*) FROM glomo_claims WHERE key = ANY($1) AND NOT done AND expires_at > now()`, keys).Scan(&n)
		require.NoError(tb, err)
		return n
	}
	n := 0
	for _, k := range keys {
		v, err := e.rdb.Get(ctx, e.prefix+k).Result()
		if err == nil && len(v) > 2 && v[:2] == "c:" {
			n++
		}
	}
	return n
}

func randomHex(tb testing.TB) string {
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(tb, err)
	return hex.EncodeToString(b[:])
}

// quietLogger drops go-redis's log lines: the store-failure test makes
// many dial failures on purpose.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...interface{}) {}
