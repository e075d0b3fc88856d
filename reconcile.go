package glomo

import (
	"context"
	"fmt"
)

// Reconciled is what Reconcile found and did for one order.
type Reconciled struct {
	// OrderID is the order looked up.
	OrderID string
	// Outcome is the look-up's answer: OutcomeSuccess (paid),
	// OutcomeFailure, or OutcomePending. Zero when Err is a failed look-up.
	Outcome Outcome
	// Fulfilled says what the fulfilment did for a paid order: Ran (this
	// reconciliation fulfilled it), AlreadyRan or Running. Zero otherwise.
	Fulfilled RunResult
	// Err is the look-up's or the fulfilment's error; the other orders
	// are reconciled all the same.
	Err error
}

// Reconcile looks each order up server-side through confirm (such as
// glomoapi.Client.Confirm) and fulfils the paid ones through f, once, as
// if their proof had just arrived (ProofConfirmation). It is the safety
// net for webhooks that never arrive: Glomo has no replay, so an event
// whose every retry failed (an endpoint down for days) is gone.
//
// Run it periodically for the orders still unpaid some minutes after the
// buyer reached the checkout, on one replica or on all: the Store makes a
// second reconciliation of a fulfilled order, on any replica, an
// AlreadyRan. Orders are looked up one after another; ctx bounds the
// whole run. Each order's result is reported in the order given, failed
// look-ups included.
func (f *Fulfilment) Reconcile(ctx context.Context, orderIDs []string, confirm ConfirmFunc) []Reconciled {
	out := make([]Reconciled, 0, len(orderIDs))
	for _, id := range orderIDs {
		r := Reconciled{OrderID: id}
		if err := ctx.Err(); err != nil {
			r.Err = err
			out = append(out, r)
			continue
		}
		c, err := confirm(ctx, id, "")
		if err != nil {
			r.Err = fmt.Errorf("glomo: looking up order %s: %w", id, err)
			out = append(out, r)
			continue
		}
		r.Outcome = c.Outcome
		if c.Outcome == OutcomeSuccess {
			r.Fulfilled, r.Err = f.Fulfil(ctx, PaidOrder{OrderID: id, PaymentID: c.PaymentID, Proof: ProofConfirmation})
		}
		out = append(out, r)
	}
	return out
}
