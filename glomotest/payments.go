package glomotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/glomokit/glomo"
)

// Errors returned by Pay and SettleBankTransfer.
var (
	ErrUnknownOrder   = errors.New("glomotest: unknown order")
	ErrUnknownPayment = errors.New("glomotest: unknown payment")
	// ErrOrderNotPayable means the order is paid or has a bank transfer
	// under review.
	ErrOrderNotPayable = errors.New("glomotest: order is not payable")
	// ErrNotSettleable means the payment is not a bank transfer in progress.
	ErrNotSettleable = errors.New("glomotest: payment is not a bank transfer in progress")
	// ErrInvalidOutcome means the Outcome is the zero value or malformed.
	ErrInvalidOutcome = errors.New("glomotest: invalid outcome")
)

// SDK event names, as passed to GlomoCheckoutApi.on.
const (
	EventSuccess               = "payment.success"
	EventFailure               = "payment.failure"
	EventBankTransferSubmitted = "payment.bank_transfer_submitted"
)

// errorMessages maps the payment error codes the simulator knows to the
// message it reports with them. Other codes get a generic message.
var errorMessages = map[string]string{
	"PAYMENT_DECLINED":           "Payment declined by the issuer",
	"INSUFFICIENT_BALANCE":       "Insufficient balance",
	"INVALID_CARD":               "Card not eligible for international payments",
	"INVALID_CARD_NUMBER":        "Invalid card number",
	"CARD_EXPIRED":               "Card expired",
	"INVALID_CARD_CVV":           "Invalid card CVV",
	"INVALID_CARD_EXPIRY_DATE":   "Invalid card expiry date",
	"CARD_NOT_SUPPORTED_ON_3DS":  "Card not supported on 3-D Secure",
	"BANK_TRANSFER_NOT_RECEIVED": "The bank transfer was not received",
}

type outcomeKind int

const (
	outcomeNone outcomeKind = iota
	outcomeSuccess
	outcomeFailure
	outcomeBankTransfer
)

// Outcome is what the simulated buyer does in the payment popup. Make one
// with Success, Failure or BankTransfer.
type Outcome struct {
	kind      outcomeKind
	errorCode string
	sender    string
	reference string
}

// Success is a card payment that succeeds.
func Success() Outcome { return Outcome{kind: outcomeSuccess} }

// Failure is a card payment that fails with the given error code, such as
// "PAYMENT_DECLINED" or "INSUFFICIENT_BALANCE"; "" means PAYMENT_DECLINED.
func Failure(code string) Outcome {
	if code == "" {
		code = "PAYMENT_DECLINED"
	}
	return Outcome{kind: outcomeFailure, errorCode: code}
}

// BankTransfer is a bank transfer the buyer says they sent. The payment
// stays in progress until SettleBankTransfer.
func BankTransfer(senderAccountNumber, transactionReference string) Outcome {
	return Outcome{kind: outcomeBankTransfer, sender: senderAccountNumber, reference: transactionReference}
}

// PaymentError is the error object of a failed payment.
type PaymentError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// CheckoutResult is what the checkout reports in the browser after the
// buyer acts: the SDK event and its payload. MarshalJSON encodes exactly
// the payload the SDK passes to the event's handlers.
type CheckoutResult struct {
	// Event is EventSuccess, EventFailure or EventBankTransferSubmitted.
	Event   string
	OrderID string
	// PaymentID is set for every result, but the SDK's bank transfer
	// payload does not carry it (as with Glomo); tests use it to settle.
	PaymentID string
	// Status is "success", "failed" or (bank transfer) "in_progress".
	Status string
	// Signature is glomo.Sign(OrderID, PaymentID, Status, secret key) for a
	// success; empty otherwise, as the SDK's failure event carries none.
	Signature            string
	Error                *PaymentError
	SenderAccountNumber  string
	TransactionReference string

	// callbackSignature signs the callbackUrl redirect, which (unlike the
	// failure event) is signed for failures too.
	callbackSignature string
	// callbackWithoutPaymentID is Options.CallbackWithoutPaymentID of the
	// server that made the result.
	callbackWithoutPaymentID bool
}

// MarshalJSON encodes the SDK event payload (camelCase keys).
func (c CheckoutResult) MarshalJSON() ([]byte, error) {
	switch c.Event {
	case EventSuccess:
		return json.Marshal(map[string]any{
			"orderId": c.OrderID, "paymentId": c.PaymentID, "status": c.Status, "signature": c.Signature,
		})
	case EventFailure:
		return json.Marshal(map[string]any{
			"orderId": c.OrderID, "paymentId": c.PaymentID, "status": c.Status, "error": c.Error,
		})
	case EventBankTransferSubmitted:
		return json.Marshal(map[string]any{
			"orderId": c.OrderID, "senderAccountNumber": c.SenderAccountNumber,
			"transactionReference": c.TransactionReference,
		})
	}
	return nil, fmt.Errorf("glomotest: CheckoutResult has unknown event %q", c.Event)
}

// callbackQuery returns the query the SDK appends to callbackUrl, or nil
// when the result does not redirect (bank transfers).
func (c CheckoutResult) callbackQuery() url.Values {
	if c.Event != EventSuccess && c.Event != EventFailure {
		return nil
	}
	q := url.Values{
		"status":    {c.Status},
		"orderId":   {c.OrderID},
		"paymentId": {c.PaymentID},
		"signature": {c.callbackSignature},
	}
	if c.callbackWithoutPaymentID {
		q.Del("paymentId")
	}
	return q
}

// CallbackURL returns the URL the SDK sends the browser to for this result
// when the checkout was opened with callbackUrl base: base with the
// redirect's status, orderId, paymentId (left out under
// Options.CallbackWithoutPaymentID) and signature added, other parameters
// of base kept. It returns "" for a bank transfer, which does not
// redirect, and panics if base is not a URL, a bug in the test.
func (c CheckoutResult) CallbackURL(base string) string {
	q := c.callbackQuery()
	if q == nil {
		return ""
	}
	return withQuery("CheckoutResult.CallbackURL", base, q)
}

// Pay drives a payment on an active order without a browser, exactly as
// the buttons in the payment popup do, and returns what the SDK would
// report. State changes and webhooks:
//
//   - Success(): payment "success", order "paid"; webhooks payment/success
//     then orders/paid.
//   - Failure(code): payment "failed" with error_code; the order stays
//     "active" so the buyer may retry; webhook payment/failed.
//   - BankTransfer(...): payment "in_progress", order "under_review";
//     webhooks payment/in_progress then orders/under_review. Call
//     SettleBankTransfer to finish it.
//
// Paying an order that is paid or under review returns ErrOrderNotPayable.
func (s *Server) Pay(orderID string, outcome Outcome) (CheckoutResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return CheckoutResult{}, ErrUnknownOrder
	}
	if o.Status != OrderActive {
		return CheckoutResult{}, fmt.Errorf("%w (status %s)", ErrOrderNotPayable, o.Status)
	}
	now := time.Now().UTC()
	p := &Payment{
		ID:            newID("payt_"),
		PayinID:       newID("payin_"),
		OrderID:       o.ID,
		Amount:        o.Amount,
		Currency:      o.Currency,
		CustomerID:    o.CustomerID,
		PaymentMethod: "card",
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	res := CheckoutResult{OrderID: o.ID, PaymentID: p.ID}
	var events []webhookEvent
	switch outcome.kind {
	case outcomeSuccess:
		p.Status = PaymentSuccess
		p.FundsAvailable = true
		o.Status, o.UpdatedAt = OrderPaid, now
		res.Event = EventSuccess
		events = []webhookEvent{paymentEvent(p), orderEvent(o)}
	case outcomeFailure:
		if !validCode(outcome.errorCode) {
			return CheckoutResult{}, fmt.Errorf("%w: error code %q", ErrInvalidOutcome, outcome.errorCode)
		}
		p.Status = PaymentFailed
		p.ErrorCode = outcome.errorCode
		p.ErrorMessage = errorMessage(outcome.errorCode)
		res.Event = EventFailure
		res.Error = &PaymentError{Code: p.ErrorCode, Message: p.ErrorMessage}
		events = []webhookEvent{paymentEvent(p)}
	case outcomeBankTransfer:
		if outcome.sender == "" || outcome.reference == "" {
			return CheckoutResult{}, fmt.Errorf("%w: a bank transfer needs a sender account number and a transaction reference", ErrInvalidOutcome)
		}
		p.Status = PaymentInProgress
		p.PaymentMethod = "bank_transfer"
		p.SenderAccountNumber = outcome.sender
		p.TransactionReference = outcome.reference
		o.Status, o.UpdatedAt = OrderUnderReview, now
		res.Event = EventBankTransferSubmitted
		res.SenderAccountNumber = outcome.sender
		res.TransactionReference = outcome.reference
		events = []webhookEvent{paymentEvent(p), orderEvent(o)}
	default:
		return CheckoutResult{}, ErrInvalidOutcome
	}
	res.Status = p.Status
	if p.Status == PaymentSuccess {
		res.Signature = glomo.Sign(o.ID, p.ID, p.Status, s.opts.SecretKey)
	}
	res.callbackSignature = glomo.Sign(o.ID, p.ID, p.Status, s.opts.SecretKey)
	res.callbackWithoutPaymentID = s.opts.CallbackWithoutPaymentID
	s.payments[p.ID] = p
	s.enqueueLocked(events)
	s.notifyLocked()
	return res, nil
}

// SettleBankTransfer finishes a bank transfer that Pay (or the popup) left
// in progress. received true: payment "success", order "paid", webhooks
// payment/success then orders/paid. received false: payment "failed" with
// error_code BANK_TRANSFER_NOT_RECEIVED, order back to "active", webhook
// payment/failed.
func (s *Server) SettleBankTransfer(paymentID string, received bool) (Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[paymentID]
	if !ok {
		return Payment{}, ErrUnknownPayment
	}
	if p.Status != PaymentInProgress || p.PaymentMethod != "bank_transfer" {
		return Payment{}, ErrNotSettleable
	}
	o := s.orders[p.OrderID]
	now := time.Now().UTC()
	p.UpdatedAt, o.UpdatedAt = now, now
	var events []webhookEvent
	if received {
		p.Status, p.FundsAvailable = PaymentSuccess, true
		o.Status = OrderPaid
		events = []webhookEvent{paymentEvent(p), orderEvent(o)}
	} else {
		p.Status = PaymentFailed
		p.ErrorCode = "BANK_TRANSFER_NOT_RECEIVED"
		p.ErrorMessage = errorMessage(p.ErrorCode)
		o.Status = OrderActive
		events = []webhookEvent{paymentEvent(p)}
	}
	s.enqueueLocked(events)
	s.notifyLocked()
	return *p, nil
}

func errorMessage(code string) string {
	if m, ok := errorMessages[code]; ok {
		return m
	}
	return "Payment failed"
}

// validCode accepts error codes shaped like Glomo's: A-Z, 0-9 and _.
func validCode(code string) bool {
	if code == "" || len(code) > 64 {
		return false
	}
	for _, c := range code {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
