package glomoredis

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
)

// BenchmarkClaimDone claims and completes distinct keys one after the
// other, as a fulfilment does, reporting round trips per fulfilment and
// the 99th percentile of Claim's latency.
func BenchmarkClaimDone(b *testing.B) {
	s, client := newTestStore(b, Options{})
	var commands atomic.Int64
	client.AddHook(commandCounter{&commands})
	ctx := context.Background()
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = glomo.StoreKey("order", fmt.Sprintf("bench-%d", i))
	}
	warm, err := s.Claim(ctx, "order:warm-up", time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Done(ctx, "order:warm-up", warm.Token); err != nil {
		b.Fatal(err)
	}
	claimTimes := make([]time.Duration, b.N)
	commands.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		c, err := s.Claim(ctx, keys[i], time.Minute)
		claimTimes[i] = time.Since(start)
		if err != nil || c.State != glomo.ClaimAcquired {
			b.Fatalf("claim: %v, %v", c.State, err)
		}
		if err := s.Done(ctx, keys[i], c.Token); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sort.Slice(claimTimes, func(i, j int) bool { return claimTimes[i] < claimTimes[j] })
	b.ReportMetric(float64(commands.Load())/float64(b.N), "round-trips/op")
	b.ReportMetric(float64(claimTimes[b.N*99/100].Nanoseconds())/1e3, "p99-claim-µs")
}

// BenchmarkEventsParallel processes distinct webhook events once each
// from parallel goroutines through a Fulfilment, reporting events per
// second.
func BenchmarkEventsParallel(b *testing.B) {
	s, _ := newTestStore(b, Options{})
	f, err := glomo.NewFulfilment(func(context.Context, glomo.PaidOrder) error { return nil }, glomo.FulfilmentOptions{Store: s})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	work := func(context.Context) error { return nil }
	// Replicas wait on the network, not the CPU: several goroutines a core.
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			key := glomo.StoreKey("event", fmt.Sprintf("evt_%d", next.Add(1)))
			r, err := f.Once(ctx, key, work)
			if err != nil || r != glomo.Ran {
				b.Errorf("once: %v, %v", r, err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
