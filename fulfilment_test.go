package glomo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func noHook(context.Context, glomo.PaidOrder) error { return nil }

func TestNewFulfilmentRefusesBadConfiguration(t *testing.T) {
	tests := []struct {
		name string
		hook glomo.FulfilFunc
		opts glomo.FulfilmentOptions
	}{
		{"no hook", nil, glomo.FulfilmentOptions{}},
		{"negative timeout", noHook, glomo.FulfilmentOptions{Timeout: -time.Second}},
		{"negative lease", noHook, glomo.FulfilmentOptions{Lease: -time.Second}},
		{"lease shorter than the timeout", noHook, glomo.FulfilmentOptions{Timeout: time.Minute, Lease: 30 * time.Second}},
		{"lease without the store's grace", noHook, glomo.FulfilmentOptions{Timeout: time.Minute, Lease: time.Minute + time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := glomo.NewFulfilment(tt.hook, tt.opts)
			assert.Error(t, err)
			assert.Nil(t, f)
			assert.Panics(t, func() { glomo.MustNewFulfilment(tt.hook, tt.opts) })
		})
	}
	_, err := glomo.NewFulfilment(noHook, glomo.FulfilmentOptions{Timeout: 2 * time.Minute})
	assert.NoError(t, err, "a long timeout gets a lease to match")
	_, err = glomo.NewFulfilment(noHook, glomo.FulfilmentOptions{Timeout: time.Minute, Lease: time.Minute + 5*time.Second})
	assert.NoError(t, err)
}

func TestFulfilRunsOncePerOrder(t *testing.T) {
	var got []glomo.PaidOrder
	f := fulfilWith(t, func(_ context.Context, o glomo.PaidOrder) error {
		got = append(got, o)
		return nil
	})
	ctx := context.Background()
	ran, err := f.Fulfil(ctx, glomo.PaidOrder{OrderID: "order_1", PaymentID: "payt_1", Proof: glomo.ProofWebhook})
	require.NoError(t, err)
	assert.Equal(t, glomo.Ran, ran)
	for _, proof := range []glomo.Proof{glomo.ProofRedirect, glomo.ProofPost, glomo.ProofConfirmation, glomo.ProofWebhook} {
		ran, err = f.Fulfil(ctx, glomo.PaidOrder{OrderID: "order_1", Proof: proof})
		require.NoError(t, err)
		assert.Equal(t, glomo.AlreadyRan, ran, proof.String())
	}
	ran, err = f.Fulfil(ctx, glomo.PaidOrder{OrderID: "order_2", Proof: glomo.ProofPost})
	require.NoError(t, err)
	assert.Equal(t, glomo.Ran, ran, "another order is fulfilled on its own")

	require.Len(t, got, 2)
	assert.Equal(t, "order_1", got[0].OrderID)
	assert.Equal(t, "payt_1", got[0].PaymentID)
	assert.Equal(t, glomo.ProofWebhook, got[0].Proof)
	assert.Equal(t, glomo.StoreKey("order", "order_1"), got[0].Key)
	assert.NotEmpty(t, got[0].Token)
	assert.NotEqual(t, got[0].Token, got[1].Token)

	_, err = f.Fulfil(ctx, glomo.PaidOrder{})
	assert.Error(t, err, "an order id is required")
}

func TestFulfilFailureReleasesTheClaim(t *testing.T) {
	var runs atomic.Int32
	fail := errors.New("warehouse down")
	f := fulfilWith(t, func(context.Context, glomo.PaidOrder) error {
		if runs.Add(1) == 1 {
			return fail
		}
		return nil
	})
	o := glomo.PaidOrder{OrderID: "order_1", Proof: glomo.ProofRedirect}
	_, err := f.Fulfil(context.Background(), o)
	assert.ErrorIs(t, err, fail)
	assert.NotErrorIs(t, err, glomo.ErrStore, "a hook's failure is not the store's")
	ran, err := f.Fulfil(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, glomo.Ran, ran, "the next proof runs the hook again")
	assert.Equal(t, int32(2), runs.Load())
}

func TestFulfilPanicReleasesTheClaim(t *testing.T) {
	var runs atomic.Int32
	f := fulfilWith(t, func(context.Context, glomo.PaidOrder) error {
		if runs.Add(1) == 1 {
			panic("hook bug")
		}
		return nil
	})
	o := glomo.PaidOrder{OrderID: "order_1", Proof: glomo.ProofPost}
	assert.PanicsWithValue(t, "hook bug", func() { _, _ = f.Fulfil(context.Background(), o) })
	ran, err := f.Fulfil(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, glomo.Ran, ran, "the panic did not lock the order out for a lease")
}

func TestFulfilWhileAnotherRuns(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	f := fulfilWith(t, func(context.Context, glomo.PaidOrder) error {
		close(started)
		<-release
		return nil
	})
	o := glomo.PaidOrder{OrderID: "order_1", Proof: glomo.ProofWebhook}
	done := make(chan glomo.RunResult)
	go func() {
		ran, _ := f.Fulfil(context.Background(), o)
		done <- ran
	}()
	<-started
	ran, err := f.Fulfil(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, glomo.Running, ran)
	close(release)
	assert.Equal(t, glomo.Ran, <-done)
}

func TestFulfilContext(t *testing.T) {
	type key struct{}
	var deadline time.Time
	var hasDeadline bool
	var err, value any
	f := fulfilWith(t, func(ctx context.Context, _ glomo.PaidOrder) error {
		deadline, hasDeadline = ctx.Deadline()
		err, value = ctx.Err(), ctx.Value(key{})
		return nil
	}, glomo.FulfilmentOptions{Timeout: 7 * time.Second})
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	cancel() // the buyer closed the tab
	start := time.Now()
	_, ferr := f.Fulfil(ctx, glomo.PaidOrder{OrderID: "order_1", Proof: glomo.ProofRedirect})
	require.NoError(t, ferr)
	assert.Nil(t, err, "the request's cancellation does not reach the hook")
	assert.Equal(t, "v", value, "the request's values do")
	require.True(t, hasDeadline)
	assert.WithinDuration(t, start.Add(7*time.Second), deadline, time.Second)
}

// storeFailing fails the calls named in fail, and otherwise is a MemoryStore.
type storeFailing struct {
	*glomo.MemoryStore
	claim, release, done bool
}

var errStoreDown = errors.New("store down")

func (s storeFailing) Claim(ctx context.Context, key string, lease time.Duration) (glomo.Claim, error) {
	if s.claim {
		return glomo.Claim{}, errStoreDown
	}
	return s.MemoryStore.Claim(ctx, key, lease)
}

func (s storeFailing) Release(ctx context.Context, key, token string) error {
	if s.release {
		return errStoreDown
	}
	return s.MemoryStore.Release(ctx, key, token)
}

func (s storeFailing) Done(ctx context.Context, key, token string) error {
	if s.done {
		return errStoreDown
	}
	return s.MemoryStore.Done(ctx, key, token)
}

func TestFulfilStoreFailures(t *testing.T) {
	hookErr := errors.New("hook failed")
	tests := []struct {
		name      string
		store     storeFailing
		hookFails bool
		wantRan   glomo.RunResult
		wantStore bool // the error matches ErrStore
		wantHook  bool // the error matches the hook's
		wantRuns  int32
		wantLog   string
	}{
		{name: "claim fails: no run", store: storeFailing{claim: true}, wantStore: true},
		{name: "release fails after the hook failed", store: storeFailing{release: true}, hookFails: true, wantHook: true, wantRuns: 1},
		{name: "done fails after the hook ran", store: storeFailing{done: true}, wantRan: glomo.Ran, wantRuns: 1, wantLog: "could not be marked done"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			var runs atomic.Int32
			tt.store.MemoryStore = glomo.NewMemoryStore(0, 0)
			f := fulfilWith(t, func(context.Context, glomo.PaidOrder) error {
				runs.Add(1)
				if tt.hookFails {
					return hookErr
				}
				return nil
			}, glomo.FulfilmentOptions{Store: tt.store, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			ran, err := f.Fulfil(context.Background(), glomo.PaidOrder{OrderID: "order_1", Proof: glomo.ProofPost})
			assert.Equal(t, tt.wantRan, ran)
			assert.Equal(t, tt.wantStore, errors.Is(err, glomo.ErrStore), "%v", err)
			assert.Equal(t, tt.wantHook, errors.Is(err, hookErr), "%v", err)
			assert.Equal(t, tt.wantRuns, runs.Load())
			if tt.wantLog != "" {
				assert.Contains(t, logs.String(), tt.wantLog)
			}
		})
	}
}

func TestOnce(t *testing.T) {
	f := fulfilWith(t, noHook)
	var runs int
	work := func(context.Context) error { runs++; return nil }
	ctx := context.Background()
	key := glomo.StoreKey("event", "payment|payt_1|in_progress|in_progress")
	ran, err := f.Once(ctx, key, work)
	require.NoError(t, err)
	assert.Equal(t, glomo.Ran, ran)
	ran, err = f.Once(ctx, key, work)
	require.NoError(t, err)
	assert.Equal(t, glomo.AlreadyRan, ran)
	assert.Equal(t, 1, runs)

	for i := 0; i < 2; i++ {
		ran, err = f.Once(ctx, "", work)
		require.NoError(t, err)
		assert.Equal(t, glomo.Ran, ran)
	}
	assert.Equal(t, 3, runs, "work without a key runs every time")
	_, err = f.Once(ctx, "", func(context.Context) error { return io.ErrUnexpectedEOF })
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestStoreKey(t *testing.T) {
	assert.Equal(t, "order:order_1", glomo.StoreKey("order", "order_1"))
	long := strings.Repeat("x", glomo.MaxKeyBytes)
	k := glomo.StoreKey("order", long)
	assert.LessOrEqual(t, len(k), glomo.MaxKeyBytes)
	assert.True(t, strings.HasPrefix(k, "order:sha256:"))
	assert.NotEqual(t, k, glomo.StoreKey("order", long+"y"), "long ids stay distinct")
	edge := strings.Repeat("x", glomo.MaxKeyBytes-len("order:"))
	assert.Equal(t, "order:"+edge, glomo.StoreKey("order", edge), "an id that fits is kept")
}

func TestRunResultAndProofStrings(t *testing.T) {
	assert.Equal(t, []string{"ran", "already_ran", "running", "unknown"},
		[]string{glomo.Ran.String(), glomo.AlreadyRan.String(), glomo.Running.String(), glomo.RunResult(0).String()})
	assert.Equal(t, []string{"redirect", "post", "confirmation", "webhook", "unknown"},
		[]string{glomo.ProofRedirect.String(), glomo.ProofPost.String(), glomo.ProofConfirmation.String(), glomo.ProofWebhook.String(), glomo.Proof(0).String()})
	assert.Equal(t, []string{"acquired", "in_progress", "done", "unknown"},
		[]string{glomo.ClaimAcquired.String(), glomo.ClaimInProgress.String(), glomo.ClaimDone.String(), glomo.ClaimState(0).String()})
}

// doneCounter counts the Done calls of a MemoryStore.
type doneCounter struct {
	*glomo.MemoryStore
	dones atomic.Int32
}

func (s *doneCounter) Done(ctx context.Context, key, token string) error {
	s.dones.Add(1)
	return s.MemoryStore.Done(ctx, key, token)
}

// A hook that marked its claim done itself (in its own transaction) says
// so, and the Fulfilment does not call the store's Done again.
func TestFulfilMarkedDone(t *testing.T) {
	for _, marks := range []bool{false, true} {
		t.Run(fmt.Sprint("marks=", marks), func(t *testing.T) {
			store := &doneCounter{MemoryStore: glomo.NewMemoryStore(0, 0)}
			f := fulfilWith(t, func(ctx context.Context, o glomo.PaidOrder) error {
				if marks {
					require.NoError(t, store.MemoryStore.Done(ctx, o.Key, o.Token)) // as in the hook's transaction
					o.MarkedDone()
				}
				return nil
			}, glomo.FulfilmentOptions{Store: store})
			ran, err := f.Fulfil(context.Background(), glomo.PaidOrder{OrderID: "order_1", Proof: glomo.ProofWebhook})
			require.NoError(t, err)
			assert.Equal(t, glomo.Ran, ran)
			want := int32(1)
			if marks {
				want = 0
			}
			assert.Equal(t, want, store.dones.Load())
			again, err := f.Fulfil(context.Background(), glomo.PaidOrder{OrderID: "order_1", Proof: glomo.ProofPost})
			require.NoError(t, err)
			assert.Equal(t, glomo.AlreadyRan, again, "done either way")
		})
	}
	glomo.PaidOrder{}.MarkedDone() // outside Fulfil it does nothing
}
