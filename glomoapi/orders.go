package glomoapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// CreateOrderRequest is the body of POST /orders. Amounts are in minor
// units of Currency (cents for USD).
type CreateOrderRequest struct {
	CustomerID string `json:"customer_id"` // required
	Amount     int64  `json:"amount"`      // required, > 0
	Currency   string `json:"currency"`    // required, such as "USD"
	// RequestID is Glomo's idempotency key: a second request with the
	// same RequestID is rejected with a 400, so a retry cannot create a
	// second order. That 400 does not return the first order, and Glomo
	// documents no way to tell it from a validation 400; see the package
	// documentation for how to retry. Generate it once per order of yours
	// and store it with that order before calling.
	RequestID       string            `json:"request_id,omitempty"`
	PurposeCode     string            `json:"purpose_code,omitempty"`
	PaymentMethods  []string          `json:"payment_methods,omitempty"`
	ReferenceNumber string            `json:"reference_number,omitempty"`
	Product         *Product          `json:"product,omitempty"`
	Notes           map[string]string `json:"notes,omitempty"`
}

// Product describes what an order sells.
type Product struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Order statuses.
const (
	OrderActive         = "active"
	OrderPaid           = "paid"
	OrderFailed         = "failed"
	OrderActionRequired = "action_required"
	OrderCancelled      = "cancelled"
	OrderUnderReview    = "under_review"
	OrderExpired        = "expired"
)

// Order is an order as the API returns it.
type Order struct {
	ID              string            `json:"id"` // "order_..."
	Status          string            `json:"status"`
	CustomerID      string            `json:"customer_id,omitempty"`
	Amount          int64             `json:"amount"`
	Currency        string            `json:"currency"`
	RequestID       string            `json:"request_id,omitempty"`
	PurposeCode     string            `json:"purpose_code,omitempty"`
	PaymentMethods  []string          `json:"payment_methods,omitempty"`
	ReferenceNumber string            `json:"reference_number,omitempty"`
	Product         *Product          `json:"product,omitempty"`
	Notes           map[string]string `json:"notes,omitempty"`
	CreatedAt       string            `json:"created_at,omitempty"`
}

// Payment statuses.
const (
	PaymentInProgress     = "in_progress"
	PaymentSuccess        = "success"
	PaymentFailed         = "failed"
	PaymentActionRequired = "action_required"
	PaymentUnderReview    = "under_review"
)

// Payment is a payment as GET /payment/{id} returns it.
type Payment struct {
	ID               string `json:"id"`       // "payt_..."
	PayinID          string `json:"payin_id"` // the pay-in behind it
	OrderID          string `json:"order_id,omitempty"`
	Status           string `json:"status"`
	ComplianceStatus string `json:"compliance_status,omitempty"`
	// FundsAvailable is kept as Glomo sends it (its type is not
	// documented); it is empty when absent.
	FundsAvailable   RawValue `json:"funds_available,omitempty"`
	ErrorCode        string   `json:"error_code,omitempty"`
	ErrorMessage     string   `json:"error_message,omitempty"`
	Amount           int64    `json:"amount"`
	Currency         string   `json:"currency"`
	SettlementAmount int64    `json:"settlement_amount,omitempty"`
	SettlementCcy    string   `json:"settlement_currency,omitempty"`
	CreatedAt        string   `json:"created_at,omitempty"`
}

// RawValue holds a JSON value whose type the API does not document.
type RawValue []byte

// UnmarshalJSON keeps the raw bytes.
func (r *RawValue) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

// MarshalJSON writes the raw bytes back, or null when empty.
func (r RawValue) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// CreateOrder creates an order (POST /orders). It is never retried; see
// the package documentation. A 2xx response without an order id (such as
// null or {}) is an error matching ErrResponse, never an empty Order.
func (c *Client) CreateOrder(ctx context.Context, req CreateOrderRequest) (*Order, error) {
	var missing []string
	if strings.TrimSpace(req.CustomerID) == "" {
		missing = append(missing, "customer_id")
	}
	if req.Amount <= 0 {
		missing = append(missing, "amount")
	}
	if strings.TrimSpace(req.Currency) == "" {
		missing = append(missing, "currency")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: CreateOrder needs %s", ErrInvalidRequest, strings.Join(missing, ", "))
	}
	var o Order
	if err := c.do(ctx, http.MethodPost, "/orders", req, &o); err != nil {
		return nil, err
	}
	if err := checkID(http.MethodPost, "/orders", "order", o.ID, ""); err != nil {
		return nil, err
	}
	return &o, nil
}

// GetOrder fetches an order (GET /orders/{id}). A 2xx response whose order
// id is missing or is not id is an error matching ErrResponse.
func (c *Client) GetOrder(ctx context.Context, id string) (*Order, error) {
	p, err := idPath("/orders/", id)
	if err != nil {
		return nil, err
	}
	var o Order
	if err := c.do(ctx, http.MethodGet, p, nil, &o); err != nil {
		return nil, err
	}
	if err := checkID(http.MethodGet, p, "order", o.ID, id); err != nil {
		return nil, err
	}
	return &o, nil
}

// GetPayment fetches a payment (GET /payment/{id}, singular as Glomo names
// it). A 2xx response whose payment id is missing or is not id is an error
// matching ErrResponse.
func (c *Client) GetPayment(ctx context.Context, id string) (*Payment, error) {
	p, err := idPath("/payment/", id)
	if err != nil {
		return nil, err
	}
	var pay Payment
	if err := c.do(ctx, http.MethodGet, p, nil, &pay); err != nil {
		return nil, err
	}
	if err := checkID(http.MethodGet, p, "payment", pay.ID, id); err != nil {
		return nil, err
	}
	return &pay, nil
}

// checkID refuses a decoded 2xx object without an id, or, when want is
// set, with another id than want: an empty object or a proxy's answer
// about something else must not pass for the object asked for.
func checkID(method, path, what, got, want string) error {
	switch {
	case got == "":
		return fmt.Errorf("%w: %s %s: 2xx response without %s id", ErrResponse, method, path, what)
	case want != "" && got != want:
		return fmt.Errorf("%w: %s %s: 2xx response for another %s", ErrResponse, method, path, what)
	}
	return nil
}
