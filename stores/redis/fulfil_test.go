package glomoredis

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFulfilmentRunsOnce sends many concurrent proofs of one order to
// fulfilments of two replicas (stores with their own clients sharing a
// prefix): the hook runs exactly once.
func TestFulfilmentRunsOnce(t *testing.T) {
	prefix := uniquePrefix(t, "fulfil")
	var runs atomic.Int64
	hook := func(ctx context.Context, o glomo.PaidOrder) error {
		runs.Add(1)
		time.Sleep(50 * time.Millisecond)
		return nil
	}
	var replicas []*glomo.Fulfilment
	for i := 0; i < 2; i++ {
		s, _ := newTestStore(t, Options{Prefix: prefix})
		f, err := glomo.NewFulfilment(hook, glomo.FulfilmentOptions{Store: s})
		require.NoError(t, err)
		replicas = append(replicas, f)
	}

	const proofs = 64
	start := make(chan struct{})
	results := make(chan glomo.RunResult, proofs)
	var wg sync.WaitGroup
	for i := 0; i < proofs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := replicas[i%len(replicas)].Fulfil(context.Background(), glomo.PaidOrder{OrderID: "order_once", Proof: glomo.ProofWebhook})
			if assert.NoError(t, err) {
				results <- r
			}
		}()
	}
	close(start)
	wg.Wait()
	close(results)
	counts := map[glomo.RunResult]int{}
	for r := range results {
		counts[r]++
	}
	assert.Equal(t, int64(1), runs.Load(), "the hook ran once")
	assert.Equal(t, 1, counts[glomo.Ran])
	assert.Equal(t, proofs-1, counts[glomo.Running]+counts[glomo.AlreadyRan])

	r, err := replicas[1].Fulfil(context.Background(), glomo.PaidOrder{OrderID: "order_once"})
	require.NoError(t, err)
	assert.Equal(t, glomo.AlreadyRan, r)
}

// TestFulfilmentFailedHookRunsAgain checks that a failed hook releases the
// order for the next proof.
func TestFulfilmentFailedHookRunsAgain(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	var runs atomic.Int64
	errFirst := errors.New("warehouse offline")
	f, err := glomo.NewFulfilment(func(ctx context.Context, o glomo.PaidOrder) error {
		if runs.Add(1) == 1 {
			return errFirst
		}
		return nil
	}, glomo.FulfilmentOptions{Store: s})
	require.NoError(t, err)
	ctx := context.Background()
	for _, tc := range []struct {
		want    glomo.RunResult
		wantErr error
	}{
		{0, errFirst},
		{glomo.Ran, nil},
		{glomo.AlreadyRan, nil},
	} {
		r, err := f.Fulfil(ctx, glomo.PaidOrder{OrderID: "order_retry"})
		if tc.wantErr != nil {
			assert.ErrorIs(t, err, tc.wantErr)
			assert.NotErrorIs(t, err, glomo.ErrStore)
		} else {
			assert.NoError(t, err)
		}
		assert.Equal(t, tc.want, r)
	}
	assert.Equal(t, int64(2), runs.Load())
}

// TestFulfilmentStoreFailure points a store at a port nothing listens on
// and at a stopped server: the fulfilment fails with ErrStore and the
// hook does not run.
func TestFulfilmentStoreFailure(t *testing.T) {
	stopped := startPrivateServer(t)
	stoppedClient := newClient(t, stopped.Addr())
	require.NoError(t, stoppedClient.Ping(context.Background()).Err())
	stopped.Close()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	nowhere := l.Addr().String()
	require.NoError(t, l.Close())
	nowhereClient := redis.NewClient(&redis.Options{Addr: nowhere, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer nowhereClient.Close()

	for name, client := range map[string]redis.UniversalClient{"nothing listening": nowhereClient, "server stopped": stoppedClient} {
		t.Run(name, func(t *testing.T) {
			s, err := New(client, Options{})
			require.NoError(t, err)
			var runs atomic.Int64
			f, err := glomo.NewFulfilment(func(context.Context, glomo.PaidOrder) error {
				runs.Add(1)
				return nil
			}, glomo.FulfilmentOptions{Store: s})
			require.NoError(t, err)
			r, err := f.Fulfil(context.Background(), glomo.PaidOrder{OrderID: "order_unreachable"})
			assert.ErrorIs(t, err, glomo.ErrStore)
			assert.ErrorContains(t, err, "glomoredis: claim")
			assert.Zero(t, r)
			assert.Zero(t, runs.Load(), "the hook does not run without a claim")
		})
	}
}
