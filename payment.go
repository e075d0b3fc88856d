package glomo

import (
	"context"
	"encoding"
	"fmt"
)

// Source says how a payment result reached the server.
type Source int

const (
	// SourceRedirect is the callbackUrl redirect: a GET with the result in
	// the query string.
	SourceRedirect Source = iota + 1
	// SourcePost is the checkout page posting an SDK event's payload
	// (payment.success, payment.failure or payment.bank_transfer_submitted).
	SourcePost
)

// String returns "redirect" or "post".
func (s Source) String() string {
	switch s {
	case SourceRedirect:
		return "redirect"
	case SourcePost:
		return "post"
	default:
		return "unknown"
	}
}

// MarshalText encodes the source as its String form, so JSON shows a word.
func (s Source) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes the words MarshalText writes; "unknown" is the
// zero Source. Any other word is an error.
func (s *Source) UnmarshalText(text []byte) error {
	for _, v := range []Source{0, SourceRedirect, SourcePost} {
		if string(text) == v.String() {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("glomo: unknown source %q", text)
}

// MarshalText encodes the outcome as its String form, so JSON shows a word
// such as "success" rather than a number.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText decodes the words MarshalText writes, so that a client
// can decode the handler's answers into a Payment. Any other word is an
// error.
func (o *Outcome) UnmarshalText(text []byte) error {
	for v := OutcomeUnknown; v <= OutcomePending; v++ {
		if string(text) == v.String() {
			*o = v
			return nil
		}
	}
	return fmt.Errorf("glomo: unknown outcome %q", text)
}

// Payment is a classified payment result, as the [ResultHandler] hands it
// to the merchant's code. Only Outcome says what may be trusted: the other
// fields are what the browser (or the server-side look-up) reported.
type Payment struct {
	// Outcome is the classification; only OutcomeSuccess and
	// OutcomeFailure are verified and final (see [Outcome.Final]).
	Outcome Outcome `json:"outcome"`
	// OrderID is always the order id the merchant's server expected (from
	// ResultHandlerOptions.ExpectedOrder), never the browser's copy.
	OrderID string `json:"orderId"`
	// PaymentID is the payment id. A server-side look-up's id, when it
	// reported one, replaces any other. Otherwise: the signed id of a
	// signed result; empty for a result confirmed server-side from an
	// unsigned one (the browser's id proves nothing); what the browser
	// sent for one still pending. Empty for bank transfers.
	PaymentID string `json:"paymentId,omitempty"`
	// Status is Glomo's status word: the signed status for a verified
	// result, the look-up's status for a confirmed one, otherwise what the
	// browser sent.
	Status string `json:"status,omitempty"`
	// Source says whether the result came by redirect or by post.
	Source Source `json:"source"`
	// ErrorCode and ErrorMessage are the payment.failure event's error, such
	// as "PAYMENT_DECLINED". Unverified: show them, do not act on them.
	ErrorCode    string `json:"errorCode,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	// SenderAccountNumber and TransactionReference are what the buyer typed
	// for a bank transfer (OutcomeBankTransferSubmitted).
	SenderAccountNumber  string `json:"senderAccountNumber,omitempty"`
	TransactionReference string `json:"transactionReference,omitempty"`
	// ConfirmedServerSide is true when the outcome comes from the Confirm
	// hook (a server-side look-up) rather than from a signature.
	ConfirmedServerSide bool `json:"confirmedServerSide,omitempty"`
	// Duplicate is true for a verified success whose fulfilment another
	// proof (the redirect, the post, a reload, a webhook) had already
	// claimed or completed, so the hook did not run for this request.
	Duplicate bool `json:"duplicate,omitempty"`
}

// Outcome and Source render as words in JSON and in slog's JSON output,
// and decode from them.
var (
	_ encoding.TextMarshaler   = Outcome(0)
	_ encoding.TextMarshaler   = Source(0)
	_ encoding.TextUnmarshaler = (*Outcome)(nil)
	_ encoding.TextUnmarshaler = (*Source)(nil)
)

type paymentKey struct{}

// PaymentFromContext returns the Payment the [ResultHandler] stored in the
// request context before calling OnResult (or the merchant's handler), and
// whether there was one.
func PaymentFromContext(ctx context.Context) (Payment, bool) {
	p, ok := ctx.Value(paymentKey{}).(Payment)
	return p, ok
}

// withPayment returns a copy of ctx carrying p.
func withPayment(ctx context.Context, p Payment) context.Context {
	return context.WithValue(ctx, paymentKey{}, p)
}
