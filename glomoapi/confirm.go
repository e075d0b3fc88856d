package glomoapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/glomokit/glomo"
)

// ErrPaymentOrderMismatch means the payment Confirm looked up belongs to
// another order than the one the merchant's server created: the browser
// sent a payment id that is not this order's.
var ErrPaymentOrderMismatch = errors.New("glomoapi: payment belongs to another order")

var _ glomo.ConfirmFunc = (*Client)(nil).Confirm

// Confirm implements glomo.ConfirmFunc: it asks the API what happened to
// orderID. With a paymentID it reads the payment (success is
// OutcomeSuccess, failed is OutcomeFailure, anything else pending);
// without one it reads the order (paid is OutcomeSuccess; failed,
// cancelled and expired are OutcomeFailure; anything else pending).
//
// orderID must be the id the merchant's server created, never one from the
// browser. When the payment object names its order, Confirm checks it is
// orderID and fails with ErrPaymentOrderMismatch otherwise. Payments that
// do not carry an order id (the API does not document that they do) cannot
// be cross-checked; for those, the signature check before Confirm or a
// GetOrder is what ties the payment to the order.
func (c *Client) Confirm(ctx context.Context, orderID, paymentID string) (glomo.Confirmation, error) {
	if orderID == "" {
		return glomo.Confirmation{}, fmt.Errorf("%w: Confirm needs an order id", ErrInvalidRequest)
	}
	if paymentID != "" {
		p, err := c.GetPayment(ctx, paymentID)
		if err != nil {
			return glomo.Confirmation{}, err
		}
		if p.OrderID != "" && p.OrderID != orderID {
			return glomo.Confirmation{}, ErrPaymentOrderMismatch
		}
		if p.ID == "" {
			p.ID = paymentID
		}
		conf := glomo.Confirmation{Outcome: glomo.OutcomePending, PaymentID: p.ID, Status: p.Status}
		switch p.Status {
		case PaymentSuccess:
			conf.Outcome = glomo.OutcomeSuccess
		case PaymentFailed:
			conf.Outcome = glomo.OutcomeFailure
		}
		return conf, nil
	}
	o, err := c.GetOrder(ctx, orderID)
	if err != nil {
		return glomo.Confirmation{}, err
	}
	conf := glomo.Confirmation{Outcome: glomo.OutcomePending, Status: o.Status}
	switch o.Status {
	case OrderPaid:
		conf.Outcome = glomo.OutcomeSuccess
	case OrderFailed, OrderCancelled, OrderExpired:
		conf.Outcome = glomo.OutcomeFailure
	}
	return conf, nil
}
