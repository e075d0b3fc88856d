package glomopg_test

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	glomopg "github.com/glomokit/glomo/stores/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// timedStore records how long each Claim takes.
type timedStore struct {
	glomo.Store
	mu     sync.Mutex
	claims []time.Duration
}

func (s *timedStore) Claim(ctx context.Context, key string, lease time.Duration) (glomo.Claim, error) {
	start := time.Now()
	c, err := s.Store.Claim(ctx, key, lease)
	d := time.Since(start)
	s.mu.Lock()
	s.claims = append(s.claims, d)
	s.mu.Unlock()
	return c, err
}

// report adds the p99 claim latency and the statements and transactions
// per operation to b's results.
func (s *timedStore) report(b *testing.B, tracer *recordingTracer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.claims) > 0 {
		sort.Slice(s.claims, func(i, j int) bool { return s.claims[i] < s.claims[j] })
		p99 := s.claims[(len(s.claims)*99)/100]
		b.ReportMetric(float64(p99.Microseconds()), "p99-claim-µs")
	}
	stmts, txns := tracer.counts()
	b.ReportMetric(float64(stmts)/float64(b.N), "stmts/op")
	b.ReportMetric(float64(txns)/float64(b.N), "txns/op")
}

func benchShop(b *testing.B) (*pgxpool.Pool, *recordingTracer, *glomopg.Store, *timedStore, string) {
	tracer := &recordingTracer{}
	pool := newPool(b, requirePostgres(b), func(c *pgxpool.Config) { c.ConnConfig.Tracer = tracer })
	store, _ := newStore(b, pool, time.Hour)
	orders := randomName(b, "orders_")
	if _, err := pool.Exec(context.Background(), `CREATE TABLE `+orders+` (id text PRIMARY KEY, status text NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return pool, tracer, store, &timedStore{Store: store}, orders
}

// BenchmarkFulfil is one fulfilment with a plain store: Claim, a hook
// that does nothing, Done.
func BenchmarkFulfil(b *testing.B) {
	_, tracer, _, timed, _ := benchShop(b)
	f, err := glomo.NewFulfilment(func(context.Context, glomo.PaidOrder) error { return nil }, glomo.FulfilmentOptions{Store: timed})
	if err != nil {
		b.Fatal(err)
	}
	prefix := randomName(b, "bench_")
	ctx := context.Background()
	tracer.reset()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r, err := f.Fulfil(ctx, glomo.PaidOrder{OrderID: prefix + strconv.Itoa(i)}); err != nil || r != glomo.Ran {
			b.Fatal(r, err)
		}
	}
	b.StopTimer()
	timed.report(b, tracer)
}

// BenchmarkFulfilTransactional is one transactional fulfilment: Claim,
// BEGIN, the merchant's UPDATE of the order, the done mark, COMMIT, and
// the Fulfilment's Done.
func BenchmarkFulfilTransactional(b *testing.B) {
	pool, tracer, store, timed, orders := benchShop(b)
	prefix := randomName(b, "bench_")
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO `+orders+` SELECT $1 || g, 'created' FROM generate_series(0, $2::int - 1) g`, prefix, b.N); err != nil {
		b.Fatal(err)
	}
	f, err := glomo.NewFulfilment(store.Transactional(func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
		_, err := tx.Exec(ctx, `UPDATE `+orders+` SET status = 'paid' WHERE id = $1`, o.OrderID)
		return err
	}), glomo.FulfilmentOptions{Store: timed})
	if err != nil {
		b.Fatal(err)
	}
	tracer.reset()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r, err := f.Fulfil(ctx, glomo.PaidOrder{OrderID: prefix + strconv.Itoa(i)}); err != nil || r != glomo.Ran {
			b.Fatal(r, err)
		}
	}
	b.StopTimer()
	timed.report(b, tracer)
}

// BenchmarkDistinctEventsParallel processes distinct webhook events once
// each from parallel goroutines, as a busy replica does.
func BenchmarkDistinctEventsParallel(b *testing.B) {
	_, tracer, _, timed, _ := benchShop(b)
	f, err := glomo.NewFulfilment(func(context.Context, glomo.PaidOrder) error { return nil }, glomo.FulfilmentOptions{Store: timed})
	if err != nil {
		b.Fatal(err)
	}
	prefix := randomName(b, "event_")
	var next atomic.Int64
	work := func(context.Context) error { return nil }
	tracer.reset()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			key := glomo.StoreKey("event", prefix+strconv.FormatInt(next.Add(1), 10))
			if r, err := f.Once(ctx, key, work); err != nil || r != glomo.Ran {
				b.Error(r, err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	timed.report(b, tracer)
}
