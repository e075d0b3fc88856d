package glomoredis

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerStoppedAndRestarted stops a private server while replicas
// claim and complete orders, checks that no call reports success while it
// is down, starts it again on the same port and checks the store recovers.
func TestServerStoppedAndRestarted(t *testing.T) {
	srv := startPrivateServer(t)
	client := newClient(t, srv.Addr())
	s, err := New(client, Options{})
	require.NoError(t, err)

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx := context.Background()
			doneBefore := fmt.Sprintf("order:done-before-%d", sig)
			c := mustClaim(t, s, doneBefore, time.Minute, glomo.ClaimAcquired)
			require.NoError(t, s.Done(ctx, doneBefore, c.Token))
			heldKey := fmt.Sprintf("order:held-before-%d", sig)
			heldBefore := mustClaim(t, s, heldKey, time.Minute, glomo.ClaimAcquired)

			w := startWorkers(s, fmt.Sprintf("order:w%d", sig))
			time.Sleep(150 * time.Millisecond)
			require.NoError(t, srv.Stop(sig))
			w.down.Store(true)
			time.Sleep(300 * time.Millisecond)

			for name, call := range map[string]func() error{
				"Claim": func() error {
					c, err := s.Claim(ctx, "order:while-down", time.Minute)
					assert.Zero(t, c)
					return err
				},
				"Release": func() error { return s.Release(ctx, heldKey, heldBefore.Token) },
				"Done":    func() error { return s.Done(ctx, heldKey, heldBefore.Token) },
			} {
				err := call()
				assert.Error(t, err, "%s while the server is down", name)
				assert.NotErrorIs(t, err, glomo.ErrClaimLost, "%s cannot know the claim is lost", name)
			}
			w.stop()
			assert.Positive(t, w.succeededUp.Load(), "calls succeeded before the stop")
			assert.Positive(t, w.failedDown.Load(), "calls were made while the server was down")
			assert.Empty(t, w.violations(), "calls that succeeded while the server was down")

			require.NoError(t, srv.Start())
			first := waitForStore(t, s, fmt.Sprintf("order:after-%d", sig))
			require.NoError(t, s.Done(ctx, fmt.Sprintf("order:after-%d", sig), first.Token))
			// Without persistence the restarted server forgot everything:
			// the done order can be claimed again, and the old claim is lost.
			mustClaim(t, s, doneBefore, time.Minute, glomo.ClaimAcquired)
			assert.ErrorIs(t, s.Done(ctx, heldKey, heldBefore.Token), glomo.ErrClaimLost)
		})
	}
}

// TestPersistenceKeepsMarks restarts a server that writes every change
// to its append-only file: claims and done marks survive a SIGKILL.
func TestPersistenceKeepsMarks(t *testing.T) {
	srv := startPrivateServer(t, "--appendonly", "yes", "--appendfsync", "always")
	client := newClient(t, srv.Addr())
	s, err := New(client, Options{})
	require.NoError(t, err)
	ctx := context.Background()
	done := mustClaim(t, s, "order:persisted-done", time.Minute, glomo.ClaimAcquired)
	require.NoError(t, s.Done(ctx, "order:persisted-done", done.Token))
	held := mustClaim(t, s, "order:persisted-held", time.Minute, glomo.ClaimAcquired)

	require.NoError(t, srv.Stop(syscall.SIGKILL))
	require.NoError(t, srv.Start())
	waitForStore(t, s, "order:persisted-probe")
	mustClaim(t, s, "order:persisted-done", time.Minute, glomo.ClaimDone)
	mustClaim(t, s, "order:persisted-held", time.Minute, glomo.ClaimInProgress)
	require.NoError(t, s.Done(ctx, "order:persisted-held", held.Token), "the owner completes its claim after the restart")
}

// waitForStore claims key until the store answers, for at most five
// seconds: the client's pool needs a moment to dial the restarted server.
func waitForStore(t *testing.T, s *Store, key string) glomo.Claim {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for attempt := 0; ; attempt++ {
		c, err := s.Claim(context.Background(), key, time.Minute)
		if err == nil {
			require.Equal(t, glomo.ClaimAcquired, c.State)
			return c
		}
		require.True(t, time.Now().Before(deadline) && attempt < 500, "the store did not recover within 5s: %v", err)
		time.Sleep(10 * time.Millisecond)
	}
}

// workers claim and complete distinct orders until stopped, recording
// any call that began after the server was down and did not fail.
type workers struct {
	down        atomic.Bool
	succeededUp atomic.Int64
	failedDown  atomic.Int64
	quit        chan struct{}
	wg          sync.WaitGroup
	mu          sync.Mutex
	wrong       []string
}

func startWorkers(s *Store, prefix string) *workers {
	const count, callsEach = 4, 5000
	w := &workers{quit: make(chan struct{})}
	for i := 0; i < count; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for n := 0; n < callsEach; n++ {
				select {
				case <-w.quit:
					return
				case <-time.After(time.Millisecond):
				}
				w.fulfil(s, fmt.Sprintf("%s-%d-%d", prefix, i, n))
			}
		}()
	}
	return w
}

// fulfil claims key and, when acquired, marks it done, as a fulfilment
// with a hook that does nothing would.
func (w *workers) fulfil(s *Store, key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	down := w.down.Load()
	c, err := s.Claim(ctx, key, time.Minute)
	w.record(down, "Claim", err, c.State)
	if err != nil || c.State != glomo.ClaimAcquired {
		return
	}
	down = w.down.Load()
	w.record(down, "Done", s.Done(ctx, key, c.Token), 0)
}

func (w *workers) record(down bool, op string, err error, state glomo.ClaimState) {
	switch {
	case err == nil && down:
		w.mu.Lock()
		w.wrong = append(w.wrong, fmt.Sprintf("%s returned no error (state %v)", op, state))
		w.mu.Unlock()
	case err == nil:
		w.succeededUp.Add(1)
	case down:
		w.failedDown.Add(1)
	}
}

func (w *workers) stop() {
	close(w.quit)
	w.wg.Wait()
}

func (w *workers) violations() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.wrong
}
