package glomopg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/glomokit/glomo"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TxHook is a fulfilment hook that makes its writes through tx, the
// transaction in which Transactional also marks the order's claim done.
// It must neither commit nor roll back tx; it may use savepoints
// (tx.Begin).
type TxHook func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error

// rollbackTimeout bounds the rollback of a failed fulfilment, which runs
// even when the fulfilment's own context has ended.
const rollbackTimeout = 5 * time.Second

// Transactional returns a fulfilment hook for [glomo.NewFulfilment] that
// runs hook in a transaction of the store's pool and, in that same
// transaction, marks the claim the fulfilment runs under (o.Key, o.Token)
// done, then commits. The merchant's writes and the done mark thus commit
// together or not at all: a crash at any point leaves either nothing or
// everything, and a run whose lease lapsed and was taken over cannot
// commit its writes. The Fulfilment must use this Store, since the claim
// is marked in its table; after the commit the hook tells it so
// (PaidOrder.MarkedDone), and the fulfilment costs the claim and this one
// transaction.
//
// The returned hook answers:
//   - hook's own error, after rolling back, unchanged;
//   - an error matching glomo.ErrStore and glomo.ErrClaimLost, after
//     rolling back, if the claim is no longer held by o.Token (its lease
//     ended, or another run took it over);
//   - an error matching glomo.ErrStore if the transaction could not be
//     begun, marked or committed. A commit whose connection was lost
//     before the answer arrived is the one outcome that cannot be known:
//     the error says so, and the merchant's reconciliation settles it.
//
// A nil hook returns a nil FulfilFunc, which NewFulfilment refuses.
func (s *Store) Transactional(hook func(ctx context.Context, tx pgx.Tx, o glomo.PaidOrder) error) glomo.FulfilFunc {
	if hook == nil {
		return nil
	}
	return func(ctx context.Context, o glomo.PaidOrder) error {
		return s.fulfil(ctx, hook, o)
	}
}

func (s *Store) fulfil(ctx context.Context, hook TxHook, o glomo.PaidOrder) error {
	if o.Key == "" || o.Token == "" {
		return errors.New("glomopg: a Transactional hook needs the claim's key and token: run it through glomo.Fulfilment")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%w: glomopg: beginning the fulfilment of order %s: %w", glomo.ErrStore, o.OrderID, err)
	}
	committed := false
	defer func() {
		// Also on a panic in hook, so that the connection goes back to
		// the pool clean.
		if !committed {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			_ = tx.Rollback(rctx)
		}
	}()
	if err := hook(ctx, tx, o); err != nil {
		return err
	}
	// Why no Claim can take the key over between this UPDATE and the
	// COMMIT, even if the lease ends in between: the UPDATE locks the
	// claim's row until the transaction ends. A Claim that finds the
	// lease lapsed must lock the row to take it over (ON CONFLICT DO
	// UPDATE), so it waits for this transaction, and then re-evaluates
	// its condition against the committed row: done, with a fresh expiry,
	// so it does not take it. If this transaction rolls back instead, the
	// Claim sees the lapsed lease and takes the key, as it should.
	// Conversely, if another Claim took the key over before this UPDATE,
	// the token no longer matches and nothing of the hook's is committed.
	ok, err := s.markDone(ctx, tx, o.Key, o.Token)
	if err != nil {
		return fmt.Errorf("%w: glomopg: marking order %s done in %s: %w", glomo.ErrStore, o.OrderID, s.table, err)
	}
	if !ok {
		return fmt.Errorf("%w: glomopg: order %s rolled back, its claim in %s lapsed: %w", glomo.ErrStore, o.OrderID, s.table, glomo.ErrClaimLost)
	}
	err = tx.Commit(ctx)
	// The transaction is over whatever Commit answered: never roll back.
	committed = true
	if err == nil {
		o.MarkedDone()
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) || errors.Is(err, pgx.ErrTxCommitRollback) {
		return fmt.Errorf("%w: glomopg: the server rolled back the fulfilment of order %s at commit: %w", glomo.ErrStore, o.OrderID, err)
	}
	return fmt.Errorf("%w: glomopg: committing the fulfilment of order %s failed and whether it committed is unknown; reconcile the order: %w", glomo.ErrStore, o.OrderID, err)
}
