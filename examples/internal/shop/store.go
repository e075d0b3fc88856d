package shop

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/webhook"
)

// Order states, as the shop sees them. They follow Glomo's order and
// payment states but only move forward: a paid order never goes back.
const (
	StatusAwaitingPayment  = "awaiting_payment"  // created, or a card payment failed: payable
	StatusAwaitingTransfer = "awaiting_transfer" // the buyer says a bank transfer was sent
	StatusPaid             = "paid"              // verified and fulfilled
)

// Order is the shop's record of one purchase.
type Order struct {
	// ID is Glomo's order id, as CreateOrder returned it.
	ID string
	// Product is what was bought.
	Product Product
	// Status is one of the Status* constants.
	Status string
	// PaymentID is the payment that settled (or last tried to settle) the order.
	PaymentID string
	// LastError is the error code of the last failed attempt, such as
	// "PAYMENT_DECLINED": from a verified webhook when one said so
	// (LastErrorVerified), else from the buyer's browser (a hint, or
	// "PAYMENT_FAILED" for a signed failure that names no code).
	LastError string
	// LastErrorVerified says that a verified webhook reported LastError
	// and Status for PaymentID: the buyer's browser, unsigned or without an
	// error code, no longer changes them for that payment.
	LastErrorVerified bool
	// BrowserOutcome is how the glomo.ResultHandler classified the last
	// result the buyer's browser brought back ("success", "failure_hint",
	// "bank_transfer_submitted", ...). Empty until one arrives.
	BrowserOutcome string
	// FulfilledBy says which proof fulfilled the order: "redirect",
	// "post", "confirmation" or "webhook". Empty while unpaid.
	FulfilledBy string
	// Fulfilments counts the runs of the shop's fulfilment hook for the
	// order (shipments). The library promises exactly one per paid order;
	// the shop does not deduplicate, so a second run would show here.
	Fulfilments int
	// Webhooks lists the verified webhook events the shop's Handle
	// processed for this order, as "entity/event" (for example
	// "payment/failed"), in arrival order. The proofs of payment
	// (payment/success, orders/paid) go to the fulfilment hook instead.
	Webhooks []string
	// CreatedAt is when the shop created the order.
	CreatedAt time.Time
}

// DefaultMaxOrders bounds an OrderStore made with a size below 1.
const DefaultMaxOrders = 10000

// OrderStore keeps the shop's orders and the buyers' sessions in memory,
// bounded: when full, the oldest order and its session are dropped. It is
// safe for concurrent use. A real shop keeps these in its database.
type OrderStore struct {
	mu       sync.Mutex
	max      int
	orders   map[string]*Order
	order    []string          // order ids, oldest first
	sessions map[string]string // session id -> its current order id
	owners   map[string]string // order id -> session id
}

// NewOrderStore returns an empty store holding at most max orders
// (DefaultMaxOrders when max < 1).
func NewOrderStore(max int) *OrderStore {
	if max < 1 {
		max = DefaultMaxOrders
	}
	return &OrderStore{
		max:      max,
		orders:   make(map[string]*Order),
		sessions: make(map[string]string),
		owners:   make(map[string]string),
	}
}

// Add records o as the current order of the session.
func (s *OrderStore) Add(session string, o Order) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orders[o.ID]; !ok {
		for len(s.order) >= s.max {
			s.dropOldestLocked()
		}
		s.order = append(s.order, o.ID)
	}
	if o.Status == "" {
		o.Status = StatusAwaitingPayment
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = time.Now()
	}
	s.orders[o.ID] = &o
	s.sessions[session] = o.ID
	s.owners[o.ID] = session
}

func (s *OrderStore) dropOldestLocked() {
	id := s.order[0]
	s.order = s.order[1:]
	delete(s.orders, id)
	if sess := s.owners[id]; s.sessions[sess] == id {
		delete(s.sessions, sess)
	}
	delete(s.owners, id)
}

// Get returns a copy of the order with the given id.
func (s *OrderStore) Get(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	c := *o
	c.Webhooks = append([]string(nil), o.Webhooks...)
	return c, true
}

// Current returns the id of the order the session is paying for.
func (s *OrderStore) Current(session string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.sessions[session]
	return id, ok
}

// Owns reports whether the order belongs to the session.
func (s *OrderStore) Owns(session, orderID string) bool {
	if session == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owners[orderID] == session
}

// Fulfil marks the order paid and ships it (a run of the fulfilment
// hook). Unknown orders are ignored.
func (s *OrderStore) Fulfil(orderID, paymentID, by string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return
	}
	o.Status = StatusPaid
	if paymentID != "" {
		o.PaymentID = paymentID
	}
	o.LastError = ""
	if o.FulfilledBy == "" {
		o.FulfilledBy = by
	}
	o.Fulfilments++
}

// RecordResult records a payment result the buyer's browser brought back,
// as the glomo.ResultHandler classified it. A success was already
// fulfilled by the handler's Fulfil hook; a failure leaves the order
// payable; a bank transfer the buyer submitted awaits the webhook. A paid
// order never changes status. What a verified webhook said about the same
// payment is never overwritten by the browser: not by an unsigned hint,
// and not by a signed failure, which carries no error code. A result for
// another payment (a new attempt, or a bank transfer submitted after a
// failure) is recorded.
func (s *OrderStore) RecordResult(p glomo.Payment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[p.OrderID]
	if !ok {
		return
	}
	o.BrowserOutcome = p.Outcome.String()
	if o.Status == StatusPaid {
		return
	}
	if o.LastErrorVerified && (p.PaymentID == o.PaymentID ||
		(p.PaymentID == "" && p.Outcome != glomo.OutcomeBankTransferSubmitted)) {
		// The webhook already said how this payment went. (A bank
		// transfer's payload never names its payment, and a failed
		// payment does not become a transfer: that is a new attempt.)
		return
	}
	switch p.Outcome {
	case glomo.OutcomeFailure, glomo.OutcomeFailureHint:
		o.Status = StatusAwaitingPayment
		o.LastError = p.ErrorCode
		if o.LastError == "" {
			o.LastError = "PAYMENT_FAILED"
		}
		o.LastErrorVerified = false
	case glomo.OutcomeBankTransferSubmitted:
		o.Status = StatusAwaitingTransfer
		o.LastErrorVerified = false
	}
	if p.PaymentID != "" {
		o.PaymentID = p.PaymentID
	}
}

// RecordWebhook notes a processed webhook event for the order and moves
// the order along without ever undoing a payment: a failed payment leaves
// it payable with errorCode as its last error, a payment in progress (a
// bank transfer) makes it await the transfer. paymentID, when not empty,
// is the payment the event is about. It reports whether the order exists.
func (s *OrderStore) RecordWebhook(orderID, paymentID, errorCode, entity, event string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return false
	}
	o.Webhooks = append(o.Webhooks, entity+"/"+event)
	if paymentID != "" && (o.Status != StatusPaid || o.PaymentID == "") {
		o.PaymentID = paymentID
	}
	if o.Status == StatusPaid {
		return true
	}
	switch {
	case event == "in_progress" || event == "under_review":
		o.Status = StatusAwaitingTransfer
		if entity == webhook.EntityPayment {
			o.LastError, o.LastErrorVerified = "", true
		}
	case entity == webhook.EntityPayment && event == "failed":
		o.Status = StatusAwaitingPayment
		o.LastError = errorCode
		if o.LastError == "" {
			o.LastError = "PAYMENT_FAILED"
		}
		o.LastErrorVerified = true
	}
	return true
}

// newSessionID returns a random session id (128 bits, base64url).
func newSessionID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("shop: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
