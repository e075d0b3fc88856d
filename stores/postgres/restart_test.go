package glomopg_test

import (
	"context"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/internal/testservers"
	glomopg "github.com/glomokit/glomo/stores/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// callResult is one store call made while the server went away.
type callResult struct {
	start time.Time
	state glomo.ClaimState
	err   error
}

func TestServerStoppedAndRestarted(t *testing.T) {
	requirePostgres(t)
	// Committed work must survive an immediate shutdown, which skips the
	// checkpoint: commits wait for their WAL to reach the kernel.
	srv, err := testservers.StartPostgres(testservers.PostgresOptions{Settings: []string{"synchronous_commit=on"}})
	require.NoError(t, err)
	t.Cleanup(srv.Close)

	pool := newPool(t, srv.URL("postgres"), func(c *pgxpool.Config) {
		c.ConnConfig.ConnectTimeout = time.Second
	})
	store, err := glomopg.New(pool, glomopg.Options{})
	require.NoError(t, err)
	require.NoError(t, store.Migrate(context.Background()))

	call := func(timeout time.Duration, f func(ctx context.Context) error) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return f(ctx)
	}
	var doneBefore []string
	for _, tc := range []struct {
		name string
		sig  os.Signal
	}{
		{"fast shutdown", os.Interrupt},
		{"immediate shutdown", syscall.SIGQUIT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 5; i++ {
				key := randomName(t, "order:")
				c, err := store.Claim(context.Background(), key, time.Minute)
				require.NoError(t, err)
				require.NoError(t, store.Done(context.Background(), key, c.Token))
				doneBefore = append(doneBefore, key)
			}

			// Claimers keep calling while the server stops.
			var (
				mu      sync.Mutex
				results []callResult
				wg      sync.WaitGroup
			)
			halt := make(chan struct{})
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 10_000; i++ {
						select {
						case <-halt:
							return
						default:
						}
						r := callResult{start: time.Now()}
						key := randomName(t, "order:")
						var c glomo.Claim
						r.err = call(time.Second, func(ctx context.Context) (err error) {
							c, err = store.Claim(ctx, key, time.Minute)
							return err
						})
						r.state = c.State
						if r.err == nil && c.State == glomo.ClaimAcquired {
							_ = call(time.Second, func(ctx context.Context) error { return store.Done(ctx, key, c.Token) })
						}
						mu.Lock()
						results = append(results, r)
						mu.Unlock()
						if r.err != nil {
							time.Sleep(10 * time.Millisecond)
						}
					}
				}()
			}
			time.Sleep(200 * time.Millisecond)
			require.NoError(t, srv.Stop(tc.sig))
			stopped := time.Now()

			// With the server gone every call fails, and no claim is made.
			f, err := glomo.NewFulfilment(store.Transactional(func(context.Context, pgx.Tx, glomo.PaidOrder) error {
				t.Error("a hook ran while the server was down")
				return nil
			}), glomo.FulfilmentOptions{Store: store})
			require.NoError(t, err)
			for i := 0; i < 5; i++ {
				var c glomo.Claim
				err := call(2*time.Second, func(ctx context.Context) (err error) {
					c, err = store.Claim(ctx, randomName(t, "order:"), time.Minute)
					return err
				})
				assert.Error(t, err)
				assert.NotEqual(t, glomo.ClaimAcquired, c.State)
				assert.Error(t, call(2*time.Second, func(ctx context.Context) error { return store.Done(ctx, doneBefore[0], "x") }))
				assert.Error(t, call(2*time.Second, func(ctx context.Context) error { return store.Release(ctx, doneBefore[0], "x") }))
				_, err = f.Fulfil(context.Background(), glomo.PaidOrder{OrderID: randomName(t, "order_")})
				assert.ErrorIs(t, err, glomo.ErrStore)
			}
			time.Sleep(100 * time.Millisecond)
			close(halt)
			wg.Wait()
			mu.Lock()
			var before, after int
			for _, r := range results {
				if r.start.Before(stopped) {
					before++
					continue
				}
				after++
				assert.Error(t, r.err, "a call made while the server was down")
				assert.NotEqual(t, glomo.ClaimAcquired, r.state)
			}
			mu.Unlock()
			assert.Positive(t, before, "calls ran before the stop")
			assert.Positive(t, after, "calls ran while the server was down")

			// Back on the same port and data directory, calls succeed
			// again once the pool has replaced its dead connections.
			require.NoError(t, srv.Start())
			deadline := time.Now().Add(10 * time.Second)
			for i := 0; ; i++ {
				err := call(time.Second, func(ctx context.Context) error {
					_, err := store.Claim(ctx, randomName(t, "probe:"), time.Minute)
					return err
				})
				if err == nil {
					break
				}
				require.True(t, time.Now().Before(deadline) && i < 100, "the store did not recover: %v", err)
				time.Sleep(50 * time.Millisecond)
			}
			for i := 0; i < 10; i++ {
				key := randomName(t, "order:")
				c, err := store.Claim(context.Background(), key, time.Minute)
				require.NoError(t, err)
				require.Equal(t, glomo.ClaimAcquired, c.State)
				require.NoError(t, store.Done(context.Background(), key, c.Token))
			}
			for _, key := range doneBefore {
				c, err := store.Claim(context.Background(), key, time.Minute)
				require.NoError(t, err)
				assert.Equal(t, glomo.ClaimDone, c.State, "a done mark made before the stop survived it")
			}
		})
	}
}
