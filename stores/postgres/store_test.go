package glomopg_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	glomopg "github.com/glomokit/glomo/stores/postgres"
	"github.com/glomokit/glomo/storetest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTable returns a table name of the test's own.
func newTable(tb testing.TB) string {
	return randomName(tb, "claims_")
}

// newStore returns a migrated store in a table of its own.
func newStore(tb testing.TB, pool *pgxpool.Pool, retention time.Duration) (*glomopg.Store, string) {
	tb.Helper()
	table := newTable(tb)
	s, err := glomopg.New(pool, glomopg.Options{Table: table, Retention: retention})
	require.NoError(tb, err)
	require.NoError(tb, s.Migrate(context.Background()))
	return s, table
}

func TestStoreContract(t *testing.T) {
	pool := newPool(t, requirePostgres(t))
	storetest.Run(t, func(t *testing.T, retention time.Duration) glomo.Store {
		s, _ := newStore(t, pool, retention)
		return s
	})
}

func TestLeaseExpiryAndTakeover(t *testing.T) {
	pool := newPool(t, requirePostgres(t))
	s, _ := newStore(t, pool, time.Hour)
	ctx := context.Background()
	const lease = 300 * time.Millisecond
	key := randomName(t, "order:")

	first, err := s.Claim(ctx, key, lease)
	require.NoError(t, err)
	require.Equal(t, glomo.ClaimAcquired, first.State)
	c, err := s.Claim(ctx, key, lease)
	require.NoError(t, err)
	assert.Equal(t, glomo.ClaimInProgress, c.State, "a live lease holds the key")

	time.Sleep(lease + 100*time.Millisecond)
	second, err := s.Claim(ctx, key, time.Minute)
	require.NoError(t, err)
	require.Equal(t, glomo.ClaimAcquired, second.State, "a lapsed lease is taken over")
	assert.NotEqual(t, first.Token, second.Token)

	other, err := s.Claim(ctx, randomName(t, "order:"), time.Minute)
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"lapsed token", first.Token},
		{"another claim's token", other.Token},
		{"made-up token", "not-a-token"},
		{"empty token", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorIs(t, s.Release(ctx, key, tc.token), glomo.ErrClaimLost)
			assert.ErrorIs(t, s.Done(ctx, key, tc.token), glomo.ErrClaimLost)
			c, err := s.Claim(ctx, key, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, glomo.ClaimInProgress, c.State, "the new owner's claim is intact")
		})
	}
	require.NoError(t, s.Done(ctx, key, second.Token))
	require.NoError(t, s.Done(ctx, key, second.Token), "Done is idempotent for the completing token")
	assert.ErrorIs(t, s.Release(ctx, key, second.Token), glomo.ErrClaimLost, "a done mark is never released")
}

func TestRetention(t *testing.T) {
	pool := newPool(t, requirePostgres(t))
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		retention time.Duration
		want      time.Duration
	}{
		{"default", 0, glomo.DefaultRetention},
		{"short", 400 * time.Millisecond, 400 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, table := newStore(t, pool, tc.retention)
			key := randomName(t, "order:")
			c, err := s.Claim(ctx, key, time.Minute)
			require.NoError(t, err)
			require.NoError(t, s.Done(ctx, key, c.Token))

			var left time.Duration
			require.NoError(t, pool.QueryRow(ctx,
				`SELECT (extract(epoch FROM expires_at - clock_timestamp()) * 1e6)::bigint FROM `+table+` WHERE key = $1`, key).
				Scan(&left))
			left *= time.Microsecond
			assert.InDelta(t, tc.want.Seconds(), left.Seconds(), 0.25, "the done mark lasts the retention")

			c, err = s.Claim(ctx, key, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, glomo.ClaimDone, c.State)
			if tc.want > time.Second {
				return
			}
			time.Sleep(tc.want + 100*time.Millisecond)
			c, err = s.Claim(ctx, key, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, glomo.ClaimAcquired, c.State, "the done mark ended with its retention")
		})
	}
}

func TestMigrate(t *testing.T) {
	tracer := &recordingTracer{}
	pool := newPool(t, requirePostgres(t), func(c *pgxpool.Config) { c.ConnConfig.Tracer = tracer })
	ctx := context.Background()
	table := newTable(t)
	s, err := glomopg.New(pool, glomopg.Options{Table: table})
	require.NoError(t, err)
	want, err := glomopg.MigrationSQL(table)
	require.NoError(t, err)

	for run := 1; run <= 2; run++ {
		tracer.reset()
		require.NoError(t, s.Migrate(ctx), "run %d", run)
		found := 0
		for _, sql := range tracer.statements() {
			switch {
			case sql == want:
				found++
			case sql == "begin" || sql == "commit" || strings.Contains(sql, "pg_advisory_xact_lock"):
			default:
				t.Errorf("Migrate ran %q besides MigrationSQL and its lock", trimSQL(sql))
			}
		}
		assert.Equal(t, 1, found, "run %d applied MigrationSQL exactly once", run)
	}

	var columns []string
	rows, err := pool.Query(ctx, `SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns
WHERE table_name = $1 ORDER BY ordinal_position`, table)
	require.NoError(t, err)
	for rows.Next() {
		var c string
		require.NoError(t, rows.Scan(&c))
		columns = append(columns, c)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"key text NO", "token text NO", "done boolean NO", "expires_at timestamp with time zone NO"}, columns)
	var indexes int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE tablename = $1`, table).Scan(&indexes))
	assert.Equal(t, 2, indexes, "the primary key and the expiry index")
}

func TestMigrateConcurrently(t *testing.T) {
	pool := newPool(t, requirePostgres(t))
	s, err := glomopg.New(pool, glomopg.Options{Table: newTable(t)})
	require.NoError(t, err)
	errs := make(chan error, 6)
	for i := 0; i < cap(errs); i++ {
		go func() { errs <- s.Migrate(context.Background()) }()
	}
	for i := 0; i < cap(errs); i++ {
		assert.NoError(t, <-errs, "replicas migrating at once take turns")
	}
}

func TestMigrationSQL(t *testing.T) {
	sql, err := glomopg.MigrationSQL("")
	require.NoError(t, err)
	assert.Contains(t, sql, `CREATE TABLE IF NOT EXISTS "glomo_claims"`)
	assert.Contains(t, sql, `CREATE INDEX IF NOT EXISTS "glomo_claims_expires_at_idx" ON "glomo_claims" (expires_at)`)
	sql, err = glomopg.MigrationSQL("shop.claims")
	require.NoError(t, err)
	assert.Contains(t, sql, `CREATE TABLE IF NOT EXISTS "shop"."claims"`)
	assert.Contains(t, sql, `"claims_expires_at_idx" ON "shop"."claims"`)
	_, err = glomopg.MigrationSQL("x; DROP TABLE y")
	assert.Error(t, err)
}

func TestSchemaQualifiedTable(t *testing.T) {
	pool := newPool(t, requirePostgres(t))
	ctx := context.Background()
	schema := randomName(t, "shop_")
	_, err := pool.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	s, err := glomopg.New(pool, glomopg.Options{Table: schema + ".glomo_claims"})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	key := randomName(t, "order:")
	c, err := s.Claim(ctx, key, time.Minute)
	require.NoError(t, err)
	require.Equal(t, glomo.ClaimAcquired, c.State)
	require.NoError(t, s.Done(ctx, key, c.Token))
	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM "+schema+".glomo_claims WHERE done").Scan(&n))
	assert.Equal(t, 1, n)
}

// unusedPool is a pool that never connects: enough for New's checks.
func unusedPool(t *testing.T) *pgxpool.Pool {
	cfg, err := pgxpool.ParseConfig("postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	require.NoError(t, err)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func TestNewRefusesBadOptions(t *testing.T) {
	pool := unusedPool(t)
	for _, tc := range []struct {
		name  string
		table string
	}{
		{"injection", "x; DROP TABLE y"},
		{"double quote", `glomo"claims`},
		{"quoted", `"glomo_claims"`},
		{"single quote", "glomo'claims"},
		{"space", "glomo claims"},
		{"upper case", "Glomo_Claims"},
		{"leading digit", "1claims"},
		{"hyphen", "glomo-claims"},
		{"three parts", "a.b.c"},
		{"empty schema", ".claims"},
		{"empty table", "shop."},
		{"only a dot", "."},
		{"too long", strings.Repeat("a", glomopg.MaxTableBytes+1)},
		{"schema too long", strings.Repeat("s", glomopg.MaxSchemaBytes+1) + ".claims"},
		{"non-ASCII", "claimé"},
		{"NUL", "claims\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := glomopg.New(pool, glomopg.Options{Table: tc.table})
			assert.Error(t, err)
			_, err = glomopg.MigrationSQL(tc.table)
			assert.Error(t, err)
		})
	}
	t.Run("nil pool", func(t *testing.T) {
		_, err := glomopg.New(nil, glomopg.Options{})
		assert.Error(t, err)
	})
	t.Run("negative retention", func(t *testing.T) {
		_, err := glomopg.New(pool, glomopg.Options{Retention: -time.Second})
		assert.Error(t, err)
	})
	for _, table := range []string{"", "glomo_claims", "_x1", "shop.glomo_claims", strings.Repeat("a", glomopg.MaxTableBytes),
		strings.Repeat("s", glomopg.MaxSchemaBytes) + "." + strings.Repeat("t", glomopg.MaxTableBytes)} {
		_, err := glomopg.New(pool, glomopg.Options{Table: table})
		assert.NoError(t, err, "table %q", table)
	}
}

func TestClaimRefusesTinyLease(t *testing.T) {
	s, err := glomopg.New(unusedPool(t), glomopg.Options{})
	require.NoError(t, err)
	for _, lease := range []time.Duration{0, -time.Second, time.Nanosecond} {
		_, err := s.Claim(context.Background(), "order:x", lease)
		assert.Error(t, err, "lease %v", lease)
	}
}

func TestPurge(t *testing.T) {
	pool := newPool(t, requirePostgres(t))
	ctx := context.Background()
	s, table := newStore(t, pool, 200*time.Millisecond)
	claim := func(key string, lease time.Duration) glomo.Claim {
		c, err := s.Claim(ctx, key, lease)
		require.NoError(t, err)
		require.Equal(t, glomo.ClaimAcquired, c.State)
		return c
	}
	doneKey, lapsedKey, liveKey := randomName(t, "a:"), randomName(t, "b:"), randomName(t, "c:")
	require.NoError(t, s.Done(ctx, doneKey, claim(doneKey, time.Minute).Token))
	claim(lapsedKey, 100*time.Millisecond)
	claim(liveKey, time.Minute)
	time.Sleep(300 * time.Millisecond)

	n, err := s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n, "the ended done mark and the lapsed claim")
	var left []string
	rows, err := pool.Query(ctx, "SELECT key FROM "+table)
	require.NoError(t, err)
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		left = append(left, k)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{liveKey}, left)
	n, err = s.Purge(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestClosedPoolIsAStoreError(t *testing.T) {
	pool := newPool(t, requirePostgres(t))
	ctx := context.Background()
	s, _ := newStore(t, pool, time.Hour)
	key := randomName(t, "order:")
	c, err := s.Claim(ctx, key, time.Minute)
	require.NoError(t, err)
	pool.Close()

	claimed, err := s.Claim(ctx, key, time.Minute)
	assert.Error(t, err)
	assert.NotEqual(t, glomo.ClaimAcquired, claimed.State)
	for name, err := range map[string]error{"Release": s.Release(ctx, key, c.Token), "Done": s.Done(ctx, key, c.Token)} {
		require.Error(t, err, name)
		assert.NotErrorIs(t, err, glomo.ErrClaimLost, "%s: a failure is not an answer", name)
		assert.NotContains(t, err.Error(), c.Token, "%s: errors never hold a token", name)
	}
	_, err = s.Purge(ctx)
	assert.Error(t, err)

	f, err := glomo.NewFulfilment(func(context.Context, glomo.PaidOrder) error {
		t.Error("the hook ran without a claim")
		return nil
	}, glomo.FulfilmentOptions{Store: s})
	require.NoError(t, err)
	_, err = f.Fulfil(ctx, glomo.PaidOrder{OrderID: "order_1"})
	assert.ErrorIs(t, err, glomo.ErrStore)
}
