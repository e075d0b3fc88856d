package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkReplicas posts b.N distinct webhook events, payment/in_progress
// with distinct data.id (events that are not payments, so each runs Handle
// once through Fulfilment.Once: claim, Handle, done mark), concurrently
// over keep-alive connections to three replicas round-robin. Handle
// records each event in the store's own server (a Redis hash, or a row of
// the PostgreSQL events table), and after the run every event must have
// been processed exactly once. It reports the events processed per second
// and the 99th percentile latency of a whole delivery.
func BenchmarkReplicas(b *testing.B) {
	for _, tc := range []struct{ name, store string }{
		{"Redis", storeRedis},
		{"PostgreSQL", storePostgres},
	} {
		b.Run(tc.name, func(b *testing.B) {
			env := newEnvironment(b, tc.store, "")
			rs := []*replica{startReplica(b, env, "A", ""), startReplica(b, env, "B", ""), startReplica(b, env, "C", "")}
			benchmarkReplicas(b, env, rs)
		})
	}
}

// benchConcurrency is the deliveries in flight.
const benchConcurrency = 32

func benchmarkReplicas(b *testing.B, env *environment, rs []*replica) {
	run := randomHex(b)
	events := make([]proof, b.N)
	for i := range events {
		events[i] = signedEvent("payment", "in_progress", map[string]any{
			"id": fmt.Sprintf("payt_bench_%s_%d", run, i), "status": "in_progress"})
	}
	client := newClient()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = benchConcurrency
	warmUp(b, client, rs)
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var failures atomic.Int32
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range benchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				status, body, err := events[i].send(client, rs[i%len(rs)].url)
				latencies[i] = time.Since(t0)
				if (err != nil || status != http.StatusOK) && failures.Add(1) <= 5 {
					b.Errorf("event %d: %d %s %v", i, status, body, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	require.Zero(b, failures.Load())

	processed := env.processedEvents(b, run)
	require.Len(b, processed, b.N, "every event was processed")
	for key, n := range processed {
		require.Equal(b, 1, n, "event %s processed %d times", key, n)
	}
	slices.Sort(latencies)
	p99 := latencies[min(len(latencies)-1, len(latencies)*99/100)]
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(p99)/float64(time.Millisecond), "p99-ms")
}

// warmUp sends each replica as many concurrent events as the benchmark
// keeps in flight, so that the measured run finds the replicas' pools and
// the client's connections open.
func warmUp(b *testing.B, client *http.Client, rs []*replica) {
	run := randomHex(b)
	var wg sync.WaitGroup
	for i := range benchConcurrency * len(rs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := signedEvent("payment", "in_progress", map[string]any{"id": fmt.Sprintf("payt_warm_%s_%d", run, i), "status": "in_progress"})
			status, body, err := p.send(client, rs[i%len(rs)].url)
			if err != nil || status != http.StatusOK {
				b.Errorf("warming up: %d %s %v", status, body, err)
			}
		}()
	}
	wg.Wait()
}

// processedEvents returns how many times Handle processed each event of
// the run, by dedup key.
func (e *environment) processedEvents(tb testing.TB, run string) map[string]int {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	counts := map[string]int{}
	like := "payment|payt_bench_" + run + "_"
	if e.store == storeRedis {
		all, err := e.rdb.HGetAll(ctx, e.prefix+"events").Result()
		require.NoError(tb, err)
		for k, v := range all {
			if len(k) >= len(like) && k[:len(like)] == like {
				var n int
				_, err := fmt.Sscan(v, &n)
				require.NoError(tb, err)
				counts[k] = n
			}
		}
		return counts
	}
	rows, err := e.db.Query(ctx, `SELECT event_key, count(*) FROM events WHERE starts_with(event_key, $1) GROUP BY event_key`, like)
	require.NoError(tb, err)
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		require.NoError(tb, rows.Scan(&k, &n))
		counts[k] = n
	}
	require.NoError(tb, rows.Err())
	return counts
}
