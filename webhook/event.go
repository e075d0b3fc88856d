package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Entity types Glomo sends in a webhook's entity_type. Others exist
// (payment_link, refund, payout, subscription, ...) and more may appear; a
// handler must acknowledge the ones it does not know.
const (
	EntityPayment     = "payment"
	EntityOrders      = "orders" // plural, as Glomo sends it
	EntityBalance     = "balance"
	EntityWebhookTest = "webhook_test"
)

// Event types that prove an order paid: payment/success (when the payment
// names its order) and orders/paid.
const (
	EventPaymentSuccess = "success"
	EventOrderPaid      = "paid"
)

var (
	// ErrMalformedEvent means a verified body is not a webhook event: not
	// one JSON object with non-empty string entity_type and event_type.
	ErrMalformedEvent = errors.New("webhook: malformed event")
	// ErrEntityType means a typed accessor such as Payment was called on an
	// event of another entity type.
	ErrEntityType = errors.New("webhook: event has another entity type")
)

// Event is a verified webhook delivery:
// {"entity_type": ..., "event_type": ..., "data": {...}}.
//
// Data is a snapshot of the entity from when the event fired; it and Raw
// are kept as bytes, so nothing Glomo adds later is lost. Payment and
// Order decode the common entities; json.Unmarshal Data for the others.
type Event struct {
	// EntityType is "payment", "orders", "refund", ... (see EntityPayment).
	EntityType string `json:"entity_type"`
	// EventType is what happened, such as "success" or "paid".
	EventType string `json:"event_type"`
	// Data is the raw JSON of the "data" member (nil when absent).
	Data json.RawMessage `json:"data"`
	// Raw is the whole body exactly as signed.
	Raw []byte `json:"-"`

	// parsed is data's identity, decoded by Parse; nil for an event
	// built by hand.
	parsed *identity
}

// identity is what deduplication and fulfilment read from data. A value
// of another JSON type than string leaves its field empty.
type identity struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	OrderID   string `json:"order_id"`
	PaymentID string `json:"payment_id"`
	Timestamp any    `json:"timestamp"`
}

// identity returns what Parse decoded, or decodes Data for an event built
// by hand.
func (e Event) identity() identity {
	if e.parsed != nil {
		return *e.parsed
	}
	return decodeIdentity(e.Data)
}

func decodeIdentity(data []byte) identity {
	var d identity
	// Data that is not an object, or members of other types, leave the
	// identity empty; the event still reaches Handle.
	_ = json.Unmarshal(data, &d)
	return d
}

// dataMember decodes the data member once, keeping its bytes and its
// identity.
type dataMember struct {
	raw json.RawMessage
	id  identity
}

func (d *dataMember) UnmarshalJSON(b []byte) error {
	d.raw = append(json.RawMessage(nil), b...)
	d.id = decodeIdentity(b)
	return nil
}

// ID returns data.id, such as "payt_..." or "order_...", or "" when data
// has no string id.
func (e Event) ID() string { return e.identity().ID }

// Status returns data.status, or "" when absent.
func (e Event) Status() string { return e.identity().Status }

// DedupKey identifies an event for deduplication. Glomo's events carry no
// event id, so the key is entity_type|data.id|event_type|data.status; the
// status is part of it because one entity emits several events of a type
// over its life. Balance events, which have no id, are keyed on
// data.payment_id and data.timestamp. DedupKey returns "" for an event
// that has neither, which cannot be deduplicated.
func (e Event) DedupKey() string {
	d := e.identity()
	if e.EntityType == EntityBalance {
		if d.PaymentID == "" || d.Timestamp == nil {
			return ""
		}
		return e.EntityType + "|" + d.PaymentID + "|" + e.EventType + "|" + fmt.Sprint(d.Timestamp)
	}
	if d.ID == "" {
		return ""
	}
	return e.EntityType + "|" + d.ID + "|" + e.EventType + "|" + d.Status
}

// PaidOrder returns the order this event proves paid and the payment that
// paid it: a payment/success event whose payment names its order_id, or an
// orders/paid event. ok is false for every other event.
func (e Event) PaidOrder() (orderID, paymentID string, ok bool) {
	d := e.identity()
	switch {
	case e.EntityType == EntityPayment && e.EventType == EventPaymentSuccess:
		orderID, paymentID = d.OrderID, d.ID
	case (e.EntityType == EntityOrders || e.EntityType == "order") && e.EventType == EventOrderPaid:
		orderID, paymentID = d.ID, d.PaymentID
	}
	return orderID, paymentID, orderID != ""
}

// Payment is the payment object of a webhook with entity_type "payment".
// Amounts are in minor units of their currency.
type Payment struct {
	ID               string `json:"id"`       // "payt_..."
	PayinID          string `json:"payin_id"` // the pay-in behind the payment
	OrderID          string `json:"order_id,omitempty"`
	Status           string `json:"status"` // in_progress, success, failed, action_required, under_review
	Amount           int64  `json:"amount"`
	Currency         string `json:"currency"`
	ComplianceStatus string `json:"compliance_status,omitempty"`
	ErrorCode        string `json:"error_code,omitempty"` // such as PAYMENT_DECLINED
	ErrorMessage     string `json:"error_message,omitempty"`
	CreatedAt        string `json:"created_at,omitempty"`
}

// Order is the order object of a webhook with entity_type "orders".
type Order struct {
	ID              string `json:"id"`     // "order_..."
	Status          string `json:"status"` // active, paid, failed, action_required, cancelled, under_review, expired
	Amount          int64  `json:"amount"`
	Currency        string `json:"currency"`
	CustomerID      string `json:"customer_id,omitempty"`
	ReferenceNumber string `json:"reference_number,omitempty"`
	CreatedAt       string `json:"created_at,omitempty"`
}

// Payment decodes Data as a payment. It fails with ErrEntityType unless
// EntityType is "payment".
func (e Event) Payment() (Payment, error) {
	var p Payment
	if e.EntityType != EntityPayment {
		return p, fmt.Errorf("%w: %q is not %q", ErrEntityType, e.EntityType, EntityPayment)
	}
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return Payment{}, fmt.Errorf("%w: payment data: %v", ErrMalformedEvent, err)
	}
	return p, nil
}

// Order decodes Data as an order. It fails with ErrEntityType unless
// EntityType is "orders" (or "order", in case Glomo ever sends the
// singular).
func (e Event) Order() (Order, error) {
	var o Order
	if e.EntityType != EntityOrders && e.EntityType != "order" {
		return o, fmt.Errorf("%w: %q is not %q", ErrEntityType, e.EntityType, EntityOrders)
	}
	if err := json.Unmarshal(e.Data, &o); err != nil {
		return Order{}, fmt.Errorf("%w: order data: %v", ErrMalformedEvent, err)
	}
	return o, nil
}

// Parse decodes a verified webhook body with encoding/json. Call it only
// after Verify succeeded: parsing unauthenticated input is what the
// signature is there to prevent. The body must be one JSON object with
// non-empty string entity_type and event_type; errors match
// ErrMalformedEvent and never quote the body.
func Parse(body []byte) (Event, error) {
	var w struct {
		EntityType string     `json:"entity_type"`
		EventType  string     `json:"event_type"`
		Data       dataMember `json:"data"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return Event{}, fmt.Errorf("%w: %s is not a %s", ErrMalformedEvent, typeErr.Field, typeErr.Type)
		}
		return Event{}, fmt.Errorf("%w: not one JSON object", ErrMalformedEvent)
	}
	if w.EntityType == "" || w.EventType == "" {
		return Event{}, fmt.Errorf("%w: missing entity_type or event_type", ErrMalformedEvent)
	}
	e := Event{EntityType: w.EntityType, EventType: w.EventType, Data: w.Data.raw, Raw: body, parsed: &w.Data.id}
	if string(e.Data) == "null" {
		e.Data = nil
	}
	return e, nil
}

// IsTerminalStatus reports whether status is final for entityType: a
// payment that is "success" or "failed", an order that is "paid",
// "expired", "cancelled" or "failed". It returns false for other entity
// types, whose life cycles this package does not model.
//
// Glomo delivers events at least once and in any order, so a late
// "in_progress" can arrive after "success": see ShouldApplyStatus.
func IsTerminalStatus(entityType, status string) bool {
	switch entityType {
	case EntityPayment:
		return status == "success" || status == "failed"
	case EntityOrders, "order":
		switch status {
		case "paid", "expired", "cancelled", "failed":
			return true
		}
	}
	return false
}

// ShouldApplyStatus reports whether an incoming status may replace the
// stored one: always, unless the stored status is terminal. Use it so
// that duplicated or reordered deliveries cannot move an entity backwards.
func ShouldApplyStatus(entityType, stored, incoming string) bool {
	return stored == "" || !IsTerminalStatus(entityType, stored)
}
