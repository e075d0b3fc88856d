package glomo

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Entity types Glomo sends in a webhook's entity_type. Other values exist
// (payment_link, refund, payout, subscription, ...) and more may appear; a
// handler must acknowledge the ones it does not know.
const (
	EntityPayment     = "payment"
	EntityOrders      = "orders" // plural, as Glomo sends it
	EntityWebhookTest = "webhook_test"
)

// EventTest is the event_type of the dashboard's "send test webhook" button
// (with entity_type webhook_test).
const EventTest = "test"

var (
	// ErrWebhookMalformedEvent means a verified body is not a webhook event:
	// not JSON, not an object, or without string entity_type and event_type.
	ErrWebhookMalformedEvent = errors.New("glomo: malformed webhook event")
	// ErrWebhookEntityType means a typed accessor such as Payment was called
	// on an event of another entity type.
	ErrWebhookEntityType = errors.New("glomo: webhook event has another entity type")
)

// WebhookEvent is a verified webhook delivery:
// {"entity_type": ..., "event_type": ..., "data": {...}}.
//
// Data is a snapshot of the entity from when the event fired; it and Raw
// are kept as bytes so nothing Glomo adds later is lost. Use Payment or
// Order to decode the common entities, or json.Unmarshal Data yourself.
type WebhookEvent struct {
	// EntityType is "payment", "orders", "refund", ... (see EntityPayment).
	EntityType string
	// EventType is what happened, such as "success" or "paid".
	EventType string
	// Data is the raw JSON of the "data" member (nil when absent).
	Data json.RawMessage
	// Raw is the whole body exactly as signed.
	Raw []byte

	// id and status come from data, decoded once by ParseWebhookEvent,
	// which also builds key, DedupKey's answer, with id inside it.
	id, status, key string
	parsed          bool
}

// ID returns data.id (such as "payt_..." or "order_..."), or "" when the
// event's data has no string id.
func (e WebhookEvent) ID() string {
	if !e.parsed {
		e.decodeIdentity()
	}
	return e.id
}

// Status returns data.status, or "" when absent. For order-independent
// processing compare it with IsTerminalStatus before applying it.
func (e WebhookEvent) Status() string {
	if !e.parsed {
		e.decodeIdentity()
	}
	return e.status
}

// decodeIdentity serves events built by hand rather than parsed.
func (e *WebhookEvent) decodeIdentity() {
	var d struct {
		ID     any `json:"id"`
		Status any `json:"status"`
	}
	_ = json.Unmarshal(e.Data, &d)
	e.id, _ = d.ID.(string)
	e.status, _ = d.Status.(string)
}

// DedupKey identifies a delivery for deduplication. Glomo's events carry no
// event id, so the key is entity_type|data.id|event_type|data.status; the
// status is part of it because one entity emits several events of a type
// over its life. DedupKey returns "" when data has no id (such as the
// dashboard's test event): such events cannot be deduplicated.
func (e WebhookEvent) DedupKey() string {
	id := e.ID()
	if id == "" {
		return ""
	}
	if e.keyCurrent() {
		return e.key
	}
	return e.EntityType + "|" + id + "|" + e.EventType + "|" + e.Status()
}

// setKey builds the dedupe key of a parsed event. An id still in the body
// (rawID) is copied into the key only, and e.id becomes that part of it:
// one allocation for both.
func (e *WebhookEvent) setKey(rawID []byte) {
	switch {
	case len(rawID) > 0:
		e.key = e.EntityType + "|" + string(rawID) + "|" + e.EventType + "|" + e.status
		start := len(e.EntityType) + 1
		e.id = e.key[start : start+len(rawID)]
	case e.id != "":
		e.key = e.EntityType + "|" + e.id + "|" + e.EventType + "|" + e.status
	}
}

// keyCurrent reports whether key still matches the event: id and status
// cannot change after parsing, but EntityType and EventType can.
func (e WebhookEvent) keyCurrent() bool {
	k, ent, ev := e.key, e.EntityType, e.EventType
	if k == "" || len(k) != len(ent)+len(e.id)+len(ev)+len(e.status)+3 {
		return false
	}
	at := len(ent) + 1 + len(e.id) + 1
	return k[:len(ent)] == ent && k[at:at+len(ev)] == ev
}

// WebhookPayment is the payment object of a webhook with entity_type
// "payment". Amounts are in minor units of their currency.
type WebhookPayment struct {
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

// WebhookOrder is the order object of a webhook with entity_type "orders".
type WebhookOrder struct {
	ID              string `json:"id"`     // "order_..."
	Status          string `json:"status"` // active, paid, failed, action_required, cancelled, under_review, expired
	Amount          int64  `json:"amount"`
	Currency        string `json:"currency"`
	CustomerID      string `json:"customer_id,omitempty"`
	ReferenceNumber string `json:"reference_number,omitempty"`
	CreatedAt       string `json:"created_at,omitempty"`
}

// Payment decodes Data as a payment. It fails with ErrWebhookEntityType
// unless EntityType is "payment".
func (e WebhookEvent) Payment() (WebhookPayment, error) {
	var p WebhookPayment
	if e.EntityType != EntityPayment {
		return p, fmt.Errorf("%w: %q is not %q", ErrWebhookEntityType, e.EntityType, EntityPayment)
	}
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return WebhookPayment{}, fmt.Errorf("%w: payment data: %v", ErrWebhookMalformedEvent, err)
	}
	return p, nil
}

// Order decodes Data as an order. It fails with ErrWebhookEntityType unless
// EntityType is "orders" (or "order", in case Glomo ever sends the singular).
func (e WebhookEvent) Order() (WebhookOrder, error) {
	var o WebhookOrder
	if e.EntityType != EntityOrders && e.EntityType != "order" {
		return o, fmt.Errorf("%w: %q is not %q", ErrWebhookEntityType, e.EntityType, EntityOrders)
	}
	if err := json.Unmarshal(e.Data, &o); err != nil {
		return WebhookOrder{}, fmt.Errorf("%w: order data: %v", ErrWebhookMalformedEvent, err)
	}
	return o, nil
}

// IsTerminalStatus reports whether status is final for entityType: a
// payment that is "success" or "failed", an order that is "paid",
// "expired", "cancelled" or "failed". It returns false for other entity
// types, whose life cycles this package does not model.
//
// Glomo delivers events at least once and in any order, so a late
// "in_progress" can arrive after "success". Store the status you have and
// never let a non-terminal status overwrite a terminal one; see
// ShouldApplyStatus.
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
// stored one: always, unless the stored status is terminal. Use it so that
// duplicated or reordered deliveries cannot move an entity backwards.
func ShouldApplyStatus(entityType, stored, incoming string) bool {
	return stored == "" || !IsTerminalStatus(entityType, stored)
}

// ParseWebhookEvent parses a verified webhook body. Call it only after
// VerifyWebhook succeeded: parsing unauthenticated input is what the
// signature is there to prevent.
//
// The whole body must be one JSON object with string entity_type and
// event_type members; data, when present, is kept raw. The parser checks the
// structure of every value but, for speed on large bodies, does not
// re-validate the contents of strings it does not decode (the signature
// already proves Glomo wrote them); Payment and Order decode data with
// encoding/json and report anything it rejects. Errors match
// ErrWebhookMalformedEvent and never quote the body.
func ParseWebhookEvent(body []byte) (WebhookEvent, error) {
	e := WebhookEvent{Raw: body, parsed: true}
	s := jsonScanner{b: body}
	var haveEntity, haveEvent bool
	var rawID []byte // a plain data.id, still in the body
	s.ws()
	err := s.openObject(0)
	for first := true; err == nil; first = false {
		var key []byte
		var more bool
		if key, more, err = s.nextMember(first); err != nil || !more {
			break
		}
		switch string(key) {
		case "entity_type":
			e.EntityType, err = s.stringValue()
			haveEntity = err == nil
		case "event_type":
			e.EventType, err = s.stringValue()
			haveEvent = err == nil
		case "data":
			start := s.i
			e.id, e.status, rawID = "", "", nil
			if s.peek() == '{' {
				rawID, err = s.dataMembers(&e)
			} else {
				err = s.skipValue(1)
			}
			e.Data = json.RawMessage(body[start:s.i])
		default:
			err = s.skipValue(1)
		}
	}
	if err == nil {
		s.ws()
		if s.i != len(s.b) {
			err = s.errorf("data after the event object")
		}
	}
	if err == nil && (!haveEntity || e.EntityType == "") {
		err = errors.New("missing entity_type")
	}
	if err == nil && (!haveEvent || e.EventType == "") {
		err = errors.New("missing event_type")
	}
	if err != nil {
		return WebhookEvent{}, fmt.Errorf("%w: %v", ErrWebhookMalformedEvent, err)
	}
	e.setKey(rawID)
	return e, nil
}

// dataMembers walks the data object at s.i, decoding its status and its
// id when they are strings and checking the structure of the rest. A
// plain id is returned as rawID, a slice of the body, for setKey; any
// other string id is decoded into e.id.
func (s *jsonScanner) dataMembers(e *WebhookEvent) (rawID []byte, err error) {
	if err := s.openObject(1); err != nil {
		return nil, err
	}
	for first := true; ; first = false {
		k, more, err := s.nextMember(first)
		if err != nil || !more {
			return rawID, err
		}
		// A repeated member replaces the earlier one, as in encoding/json,
		// even when the later value is not a string.
		switch {
		case string(k) == "id":
			rawID, e.id = nil, ""
			if s.peek() != '"' {
				err = s.skipValue(2)
				break
			}
			var tok []byte
			var plain bool
			if tok, plain, err = s.skipString(true); err == nil {
				if plain {
					rawID = tok[1 : len(tok)-1]
				} else {
					e.id, err = s.decodeString(tok)
				}
			}
		case string(k) == "status":
			e.status = ""
			if s.peek() != '"' {
				err = s.skipValue(2)
				break
			}
			e.status, err = s.stringValue()
		default:
			err = s.skipValue(2)
		}
		if err != nil {
			return nil, err
		}
	}
}
