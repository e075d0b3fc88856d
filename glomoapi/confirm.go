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
// orderID. The order decides (paid is OutcomeSuccess; failed, cancelled
// and expired are OutcomeFailure; anything else pending) unless the
// payment paymentID names orderID as its order: then the payment decides
// (success is OutcomeSuccess, failed is OutcomeFailure, anything else
// pending) and is the confirmation's PaymentID.
//
// orderID must be the id the merchant's server created, never one from the
// browser. A payment that names another order fails with
// ErrPaymentOrderMismatch. A payment that names no order (the API does not
// document that payments carry one) proves nothing about orderID, so
// Confirm reads the order instead and reports no PaymentID: a payment id
// from the browser can never make an unpaid order look paid.
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
		if p.OrderID == orderID {
			return paymentConfirmation(p), nil
		}
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

// paymentConfirmation is what a payment of the order says.
func paymentConfirmation(p *Payment) glomo.Confirmation {
	conf := glomo.Confirmation{Outcome: glomo.OutcomePending, PaymentID: p.ID, Status: p.Status}
	switch p.Status {
	case PaymentSuccess:
		conf.Outcome = glomo.OutcomeSuccess
	case PaymentFailed:
		conf.Outcome = glomo.OutcomeFailure
	}
	return conf
}
