package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
// Data is a snapshot of the entity from when the event fired. Raw keeps
// the body as signed, so nothing Glomo adds later is lost: Payment and
// Order decode the common entities from it, and Data returns the data
// member's JSON for the others.
type Event struct {
	// EntityType is "payment", "orders", "refund", ... (see EntityPayment).
	EntityType string `json:"entity_type"`
	// EventType is what happened, such as "success" or "paid".
	EventType string `json:"event_type"`
	// Raw is the whole body exactly as signed. An Event built by hand
	// needs it for everything but the two types.
	Raw []byte `json:"-"`

	// parsed is data's identity, decoded by Parse in the same pass as the
	// types; nil for an event built by hand.
	parsed *identity
}

// identity is what deduplication and fulfilment read from data. As
// encoding/json reads it, a member of another JSON type than string is
// skipped, leaving the field as an earlier member of the same name set it,
// or empty.
type identity struct {
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	OrderID   string          `json:"order_id"`
	PaymentID string          `json:"payment_id"`
	Timestamp json.RawMessage `json:"timestamp"`
}

// wire is a body as Parse decodes it: one pass for the types and data's
// identity.
type wire struct {
	EntityType string   `json:"entity_type"`
	EventType  string   `json:"event_type"`
	Data       identity `json:"data"`
}

// identity returns what Parse decoded, or decodes Raw for an event built
// by hand.
func (e Event) identity() identity {
	if e.parsed != nil {
		return *e.parsed
	}
	var w wire
	// Data that is not an object, or members of other types, leave the
	// identity empty; the event still reaches Handle.
	_ = json.Unmarshal(e.Raw, &w)
	return w.Data
}

// Data returns the JSON of the event's data member, decoding Raw; nil when
// there is none (or it is null).
func (e Event) Data() json.RawMessage {
	var w struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(e.Raw, &w) != nil || string(w.Data) == "null" {
		return nil
	}
	return w.Data
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
		if d.PaymentID == "" || len(d.Timestamp) == 0 || string(d.Timestamp) == "null" {
			return ""
		}
		// The timestamp's JSON text as sent: a number keeps every digit.
		return e.EntityType + "|" + d.PaymentID + "|" + e.EventType + "|" + string(d.Timestamp)
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

// Payment decodes data as a payment. It fails with ErrEntityType unless
// EntityType is "payment".
func (e Event) Payment() (Payment, error) {
	if e.EntityType != EntityPayment {
		return Payment{}, fmt.Errorf("%w: %q is not %q", ErrEntityType, e.EntityType, EntityPayment)
	}
	var w struct {
		Data *Payment `json:"data"`
	}
	if err := json.Unmarshal(e.Raw, &w); err != nil || w.Data == nil {
		return Payment{}, fmt.Errorf("%w: payment data: %v", ErrMalformedEvent, describe(err))
	}
	return *w.Data, nil
}

// Order decodes data as an order. It fails with ErrEntityType unless
// EntityType is "orders" (or "order", in case Glomo ever sends the
// singular).
func (e Event) Order() (Order, error) {
	if e.EntityType != EntityOrders && e.EntityType != "order" {
		return Order{}, fmt.Errorf("%w: %q is not %q", ErrEntityType, e.EntityType, EntityOrders)
	}
	var w struct {
		Data *Order `json:"data"`
	}
	if err := json.Unmarshal(e.Raw, &w); err != nil || w.Data == nil {
		return Order{}, fmt.Errorf("%w: order data: %v", ErrMalformedEvent, describe(err))
	}
	return *w.Data, nil
}

// describe says what is wrong with a body's data without quoting it.
func describe(err error) string {
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return "missing or null"
	case errors.As(err, &typeErr):
		return typeErr.Field + " is not a " + typeErr.Type.String()
	default:
		return "not JSON"
	}
}

// Parse decodes a verified webhook body with encoding/json, in one pass
// that also reads data's id, status, order_id, payment_id and timestamp.
// Call it only after Verify succeeded: parsing unauthenticated input is
// what the signature is there to prevent. The body must be one JSON object
// with non-empty string entity_type and event_type; data may be anything.
// Errors match ErrMalformedEvent and never quote the body.
func Parse(body []byte) (Event, error) {
	var w wire
	if err := json.Unmarshal(body, &w); err != nil {
		// encoding/json decodes what it can and reports the first value of
		// the wrong type. A data member of an unexpected shape leaves its
		// identity empty (the event is Glomo's all the same); anything
		// else is not an event.
		var typeErr *json.UnmarshalTypeError
		switch {
		case !errors.As(err, &typeErr):
			return Event{}, fmt.Errorf("%w: not JSON", ErrMalformedEvent)
		case typeErr.Field == "":
			return Event{}, fmt.Errorf("%w: not one JSON object", ErrMalformedEvent)
		case typeErr.Field != "data" && !strings.HasPrefix(typeErr.Field, "data."):
			return Event{}, fmt.Errorf("%w: %s is not a string", ErrMalformedEvent, typeErr.Field)
		}
	}
	if w.EntityType == "" || w.EventType == "" {
		return Event{}, fmt.Errorf("%w: missing entity_type or event_type", ErrMalformedEvent)
	}
	return Event{EntityType: w.EntityType, EventType: w.EventType, Raw: body, parsed: &w.Data}, nil
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
