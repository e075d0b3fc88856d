package glomopg_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	glomopg "github.com/glomokit/glomo/stores/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shop is a merchant's database: orders, shipments, and the claims
// table of its store, each of the test's own.
type shop struct {
	t         *testing.T
	pool      *pgxpool.Pool
	store     *glomopg.Store
	claims    string
	orders    string
	shipments string
}

func newShop(t *testing.T) *shop {
	pool := newPool(t, requirePostgres(t))
	store, claims := newStore(t, pool, time.Hour)
	s := &shop{t: t, pool: pool, store: store, claims: claims,
		orders: randomName(t, "orders_"), shipments: randomName(t, "shipments_")}
	_, err := pool.Exec(context.Background(), `CREATE TABLE `+s.orders+` (id text PRIMARY KEY, status text NOT NULL, paid_by text);
CREATE TABLE `+s.shipments+` (order_id text NOT NULL, replica text NOT NULL)`)
	require.NoError(t, err)
	return s
}

// addOrder inserts an unpaid order and returns its id.
func (s *shop) addOrder() string {
	id := randomName(s.t, "order_")
	_, err := s.pool.Exec(context.Background(), `INSERT INTO `+s.orders+` (id, status) VALUES ($1, 'created')`, id)
	require.NoError(s.t, err)
	return id
}

// ship is the merchant's fulfilment as replica: record a shipment and mark
// the order paid, through tx.
func (s *shop) ship(ctx context.Context, tx pgx.Tx, orderID, replica string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO `+s.shipments+` (order_id, replica) VALUES ($1, $2)`, orderID, replica); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE `+s.orders+` SET status = 'paid', paid_by = $2 WHERE id = $1`, orderID, replica)
	return err
}

// state returns the committed status of the order, who paid it, and who
// shipped it.
func (s *shop) state(orderID string) (status, paidBy string, shippedBy []string) {
	ctx := context.Background()
	var by *string
	require.NoError(s.t, s.pool.QueryRow(ctx, `SELECT status, paid_by FROM `+s.orders+` WHERE id = $1`, orderID).Scan(&status, &by))
	if by != nil {
		paidBy = *by
	}
	rows, err := s.pool.Query(ctx, `SELECT replica FROM `+s.shipments+` WHERE order_id = $1`, orderID)
	require.NoError(s.t, err)
	shippedBy, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(s.t, err)
	return status, paidBy, shippedBy
}

// expire ends the lease of key's claim now, as if it had run out.
func (s *shop) expire(key string) {
	tag, err := s.pool.Exec(context.Background(),
		`UPDATE `+s.claims+` SET expires_at = clock_timestamp() - interval '1 millisecond' WHERE key = $1 AND NOT done`, key)
	require.NoError(s.t, err)
	require.Equal(s.t, int64(1), tag.RowsAffected(), "a live claim to expire")
}

// waitForLockWaiter waits until a session of the database waits for a
// lock.
func (s *shop) waitForLockWaiter() {
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		var n int
		require.NoError(s.t, s.pool.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`).Scan(&n))
		if n > 0 {
			return
		}
		require.True(s.t, time.Now().Before(deadline) && i < 1000, "no session waits for a lock")
		time.Sleep(10 * time.Millisecond)
	}
}

// claimState returns the state Claim finds key in.
func (s *shop) claimState(key string) glomo.ClaimState {
	c, err := s.store.Claim(context.Background(), key, time.Minute)
	require.NoError(s.t, err)
	if c.State == glomo.ClaimAcquired {
		require.NoError(s.t, s.store.Release(context.Background(), key, c.Token))
	}
	return c.State
}

// syncBuffer is a log destination for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fulfilment returns a Fulfilment running hook transactionally, logging
// to log.
func (s *shop) fulfilment(hook glomopg.TxHook, log *syncBuffer) *glomo.Fulfilment {
	if log == nil {
		log = &syncBuffer{}
	}
	f, err := glomo.NewFulfilment(s.store.Transactional(hook), glomo.FulfilmentOptions{
		Store:  s.store,
		Logger: slog.New(slog.NewTextHandler(log, nil)),
	})
	require.NoError(s.t, err)
	return f
}

func TestTransactionalCommitsTogether(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	id := s.addOrder()
	var log syncBuffer
	var seen glomo.PaidOrder
	f := s.fulfilment(func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
		seen = o
		return s.ship(ctx, tx, o.OrderID, "a")
	}, &log)

	r, err := f.Fulfil(ctx, glomo.PaidOrder{OrderID: id, Proof: glomo.ProofWebhook})
	require.NoError(t, err)
	assert.Equal(t, glomo.Ran, r)
	status, paidBy, shipped := s.state(id)
	assert.Equal(t, "paid", status)
	assert.Equal(t, "a", paidBy)
	assert.Equal(t, []string{"a"}, shipped)
	key := glomo.StoreKey("order", id)
	assert.Equal(t, key, seen.Key)
	assert.NotEmpty(t, seen.Token)
	assert.Equal(t, glomo.ClaimDone, s.claimState(key))
	assert.Empty(t, log.String(), "the Fulfilment's own Done after the commit succeeded")

	r, err = f.Fulfil(ctx, glomo.PaidOrder{OrderID: id, Proof: glomo.ProofRedirect})
	require.NoError(t, err)
	assert.Equal(t, glomo.AlreadyRan, r)
	_, _, shipped = s.state(id)
	assert.Len(t, shipped, 1)
}

func TestTransactionalHookErrorRollsBack(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	id := s.addOrder()
	failure := errors.New("the warehouse said no")
	for _, tc := range []struct {
		name string
		hook glomopg.TxHook
		is   error
	}{
		{"hook error", func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
			if err := s.ship(ctx, tx, o.OrderID, "a"); err != nil {
				return err
			}
			return failure
		}, failure},
		{"swallowed SQL error", func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
			if err := s.ship(ctx, tx, o.OrderID, "a"); err != nil {
				return err
			}
			_, _ = tx.Exec(ctx, "SELECT no_such_function()")
			return nil // the aborted transaction cannot be marked done
		}, glomo.ErrStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.fulfilment(tc.hook, nil).Fulfil(ctx, glomo.PaidOrder{OrderID: id})
			assert.ErrorIs(t, err, tc.is)
			status, paidBy, shipped := s.state(id)
			assert.Equal(t, "created", status, "the order is unchanged")
			assert.Empty(t, paidBy)
			assert.Empty(t, shipped)
			assert.Equal(t, glomo.ClaimAcquired, s.claimState(glomo.StoreKey("order", id)), "the Fulfilment released the claim")
		})
	}
	t.Run("panic", func(t *testing.T) {
		f := s.fulfilment(func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
			if err := s.ship(ctx, tx, o.OrderID, "a"); err != nil {
				return err
			}
			panic("hook bug")
		}, nil)
		assert.Panics(t, func() { _, _ = f.Fulfil(ctx, glomo.PaidOrder{OrderID: id}) })
		status, _, shipped := s.state(id)
		assert.Equal(t, "created", status)
		assert.Empty(t, shipped)
		assert.Equal(t, glomo.ClaimAcquired, s.claimState(glomo.StoreKey("order", id)))
	})
	// The order can still be fulfilled.
	r, err := s.fulfilment(func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
		return s.ship(ctx, tx, o.OrderID, "b")
	}, nil).Fulfil(ctx, glomo.PaidOrder{OrderID: id})
	require.NoError(t, err)
	assert.Equal(t, glomo.Ran, r)
	_, paidBy, shipped := s.state(id)
	assert.Equal(t, "b", paidBy)
	assert.Equal(t, []string{"b"}, shipped)
}

// errNeverReleased is a blocked hook's answer when the test never let it
// go on.
var errNeverReleased = errors.New("the blocked hook was never released")

// blockedRun is a Fulfil running on another goroutine whose hook waits
// for release after its writes.
type blockedRun struct {
	inHook  chan int32 // the hook's backend pid, once its writes are made
	release chan struct{}
	result  chan error
}

func startBlocked(t *testing.T, s *shop, id, replica string, beforeWrites bool) *blockedRun {
	b := &blockedRun{inHook: make(chan int32, 1), release: make(chan struct{}), result: make(chan error, 1)}
	f := s.fulfilment(func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
		var pid int32
		if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			return err
		}
		if !beforeWrites {
			if err := s.ship(ctx, tx, o.OrderID, replica); err != nil {
				return err
			}
		}
		b.inHook <- pid
		select {
		case <-b.release:
		case <-time.After(15 * time.Second):
			return errNeverReleased
		}
		if beforeWrites {
			return s.ship(ctx, tx, o.OrderID, replica)
		}
		return nil
	}, nil)
	go func() {
		_, err := f.Fulfil(context.Background(), glomo.PaidOrder{OrderID: id})
		b.result <- err
	}()
	return b
}

func (b *blockedRun) waitInHook(t *testing.T) int32 {
	select {
	case pid := <-b.inHook:
		return pid
	case <-time.After(10 * time.Second):
		t.Fatal("the hook did not start")
		return 0
	}
}

func (b *blockedRun) finish(t *testing.T) error {
	close(b.release)
	select {
	case err := <-b.result:
		require.NotErrorIs(t, err, errNeverReleased)
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("the blocked fulfilment did not return")
		return nil
	}
}

func TestTransactionalLapsedClaimCannotCommit(t *testing.T) {
	for _, tc := range []struct {
		name         string
		beforeWrites bool
	}{
		{"writes made before the takeover", false},
		{"writes made after the takeover", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			id := s.addOrder()
			key := glomo.StoreKey("order", id)
			old := startBlocked(t, s, id, "old", tc.beforeWrites)
			old.waitInHook(t)
			s.expire(key)

			newResult := make(chan error, 1)
			go func() {
				r, err := s.fulfilment(func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
					return s.ship(ctx, tx, o.OrderID, "new")
				}, nil).Fulfil(context.Background(), glomo.PaidOrder{OrderID: id})
				if err == nil && r != glomo.Ran {
					err = errors.New("the new owner did not run: " + r.String())
				}
				newResult <- err
			}()
			waitNew := func() {
				select {
				case err := <-newResult:
					require.NoError(t, err, "the new owner ran and committed")
				case <-time.After(10 * time.Second):
					t.Fatal("the new owner did not finish")
				}
			}
			var err error
			if tc.beforeWrites {
				// Nothing of the old run's locks the order: the new
				// owner commits first, then the old run wakes up.
				waitNew()
				err = old.finish(t)
			} else {
				// The old run's uncommitted write locks the order row,
				// so the new owner waits for the old run's transaction,
				// which fails to mark the claim and rolls back.
				s.waitForLockWaiter()
				err = old.finish(t)
				waitNew()
			}
			assert.ErrorIs(t, err, glomo.ErrClaimLost, "the lapsed run cannot commit")
			assert.ErrorIs(t, err, glomo.ErrStore)
			status, paidBy, shipped := s.state(id)
			assert.Equal(t, "paid", status)
			assert.Equal(t, "new", paidBy, "the lapsed run's write was rolled back")
			assert.Equal(t, []string{"new"}, shipped)
			assert.Equal(t, glomo.ClaimDone, s.claimState(key))
		})
	}
}

func TestTransactionalCrashMidTransaction(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	id := s.addOrder()
	key := glomo.StoreKey("order", id)
	crashed := startBlocked(t, s, id, "crashed", false)
	pid := crashed.waitInHook(t)

	var terminated bool
	require.NoError(t, s.pool.QueryRow(ctx, "SELECT pg_terminate_backend($1, 10000)", pid).Scan(&terminated))
	require.True(t, terminated)
	status, _, shipped := s.state(id)
	assert.Equal(t, "created", status, "nothing of the crashed run is committed")
	assert.Empty(t, shipped)
	assert.Equal(t, glomo.ClaimInProgress, s.claimState(key), "the crashed run's claim holds until its lease ends")

	s.expire(key)
	var runs atomic.Int32
	f := s.fulfilment(func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
		runs.Add(1)
		return s.ship(ctx, tx, o.OrderID, "survivor")
	}, nil)
	for i := 0; i < 3; i++ {
		r, err := f.Fulfil(ctx, glomo.PaidOrder{OrderID: id})
		require.NoError(t, err)
		if i == 0 {
			assert.Equal(t, glomo.Ran, r)
		} else {
			assert.Equal(t, glomo.AlreadyRan, r)
		}
	}
	assert.Equal(t, int32(1), runs.Load())

	// The crashed run's process wakes up: its transaction is gone.
	err := crashed.finish(t)
	assert.ErrorIs(t, err, glomo.ErrStore)
	status, paidBy, shipped := s.state(id)
	assert.Equal(t, "paid", status)
	assert.Equal(t, "survivor", paidBy)
	assert.Equal(t, []string{"survivor"}, shipped, "the order was fulfilled exactly once")
}

func TestTransactionalManyGoroutinesRunOnce(t *testing.T) {
	s := newShop(t)
	id := s.addOrder()
	var runs atomic.Int32
	f := s.fulfilment(func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
		runs.Add(1)
		time.Sleep(20 * time.Millisecond) // keep the claim held while others arrive
		return s.ship(ctx, tx, o.OrderID, "a")
	}, nil)
	const callers = 24
	results := make(chan glomo.RunResult, callers)
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.Fulfil(context.Background(), glomo.PaidOrder{OrderID: id, Proof: glomo.ProofWebhook})
			if assert.NoError(t, err) {
				results <- r
			}
		}()
	}
	wg.Wait()
	close(results)
	count := map[glomo.RunResult]int{}
	for r := range results {
		count[r]++
	}
	assert.Equal(t, 1, count[glomo.Ran])
	assert.Equal(t, callers-1, count[glomo.Running]+count[glomo.AlreadyRan])
	assert.Equal(t, int32(1), runs.Load(), "the hook ran once")
	_, _, shipped := s.state(id)
	assert.Len(t, shipped, 1)
}

func TestTransactionalStoreFailure(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	id := s.addOrder()
	key := glomo.StoreKey("order", id)
	c, err := s.store.Claim(ctx, key, time.Minute)
	require.NoError(t, err)
	hook := s.store.Transactional(func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error {
		return s.ship(ctx, tx, o.OrderID, "a")
	})

	t.Run("claim not held", func(t *testing.T) {
		err := hook(ctx, glomo.PaidOrder{OrderID: id, Key: key, Token: "someone-else"})
		assert.ErrorIs(t, err, glomo.ErrClaimLost)
		assert.ErrorIs(t, err, glomo.ErrStore)
		status, _, _ := s.state(id)
		assert.Equal(t, "created", status)
	})
	t.Run("no claim", func(t *testing.T) {
		err := hook(ctx, glomo.PaidOrder{OrderID: id})
		assert.Error(t, err)
	})
	t.Run("nil hook", func(t *testing.T) {
		assert.Nil(t, s.store.Transactional(nil))
		_, err := glomo.NewFulfilment(s.store.Transactional(nil), glomo.FulfilmentOptions{Store: s.store})
		assert.Error(t, err)
	})
	t.Run("closed pool", func(t *testing.T) {
		pool := newPool(t, requirePostgres(t))
		store, err := glomopg.New(pool, glomopg.Options{Table: s.claims})
		require.NoError(t, err)
		pool.Close()
		hook := store.Transactional(func(context.Context, pgx.Tx, glomo.PaidOrder) error {
			t.Error("the hook ran without a transaction")
			return nil
		})
		err = hook(ctx, glomo.PaidOrder{OrderID: id, Key: key, Token: c.Token})
		assert.ErrorIs(t, err, glomo.ErrStore)
		assert.NotContains(t, err.Error(), c.Token)
		f, err := glomo.NewFulfilment(hook, glomo.FulfilmentOptions{Store: store})
		require.NoError(t, err)
		_, err = f.Fulfil(ctx, glomo.PaidOrder{OrderID: id})
		assert.ErrorIs(t, err, glomo.ErrStore)
	})
	require.NoError(t, hook(ctx, glomo.PaidOrder{OrderID: id, Key: key, Token: c.Token}), "the owner still completes it")
	require.NoError(t, s.store.Done(ctx, key, c.Token))
}
