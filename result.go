package glomo

import "context"

// Outcome classifies a payment result as far as the server can trust it.
type Outcome int

const (
	// OutcomeUnknown is the zero value; no handler reports it.
	OutcomeUnknown Outcome = iota
	// OutcomeSuccess is a success the server has verified: a valid signature
	// over the order id the server created, or a server-side confirmation.
	OutcomeSuccess
	// OutcomeFailure is a failure the server has verified (a signed redirect
	// with status "failed", or a server-side confirmation).
	OutcomeFailure
	// OutcomeFailureHint is the SDK's unsigned payment.failure event. It
	// proves nothing: show it to the buyer, never record it as final.
	OutcomeFailureHint
	// OutcomeBankTransferSubmitted is the SDK's payment.bank_transfer_submitted
	// event: the buyer says money was sent. It stays pending until a webhook
	// (or a server-side look-up) confirms it.
	OutcomeBankTransferSubmitted
	// OutcomePending means the result could not be verified from the browser
	// (no payment id or no signature) and a server-side look-up, if any, did
	// not report a final state yet. Wait for the webhook.
	OutcomePending
)

// String returns the outcome's name, as used in JSON responses.
func (o Outcome) String() string {
	switch o {
	case OutcomeSuccess:
		return "success"
	case OutcomeFailure:
		return "failure"
	case OutcomeFailureHint:
		return "failure_hint"
	case OutcomeBankTransferSubmitted:
		return "bank_transfer_submitted"
	case OutcomePending:
		return "pending"
	default:
		return "unknown"
	}
}

// Final reports whether the outcome is verified and terminal, so that the
// merchant may fulfil (success) or release (failure) the order.
func (o Outcome) Final() bool { return o == OutcomeSuccess || o == OutcomeFailure }

// Confirmation is what a server-side look-up (the Orders or Payments API)
// says about an order whose browser result could not be verified.
type Confirmation struct {
	// Outcome is OutcomeSuccess, OutcomeFailure or OutcomePending.
	Outcome Outcome
	// PaymentID is the payment that settled the order, when known.
	PaymentID string
	// Status is Glomo's own status word, such as "paid" or "in_progress".
	Status string
}

// ConfirmFunc looks an order up server-side. paymentID is set only when a
// signed result named it, and so belongs to orderID; otherwise it is empty
// and the answer must come from the order itself. The glomoapi package
// provides an implementation.
type ConfirmFunc func(ctx context.Context, orderID, paymentID string) (Confirmation, error)
