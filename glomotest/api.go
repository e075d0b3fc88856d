package glomotest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Order statuses the simulator uses.
const (
	OrderActive      = "active"       // created, or a payment failed: payable
	OrderUnderReview = "under_review" // a bank transfer awaits settlement
	OrderPaid        = "paid"         // a payment succeeded
)

// Payment statuses the simulator uses.
const (
	PaymentInProgress = "in_progress" // a bank transfer awaits settlement
	PaymentSuccess    = "success"
	PaymentFailed     = "failed"
)

// Product is the optional product description of an order.
type Product struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// Order is an order as the API returns it. Amount is in minor units.
type Order struct {
	ID              string          `json:"id"`
	Status          string          `json:"status"`
	CustomerID      string          `json:"customer_id"`
	Amount          int64           `json:"amount"`
	Currency        string          `json:"currency"`
	RequestID       string          `json:"request_id,omitempty"`
	PurposeCode     string          `json:"purpose_code,omitempty"`
	PaymentMethods  []string        `json:"payment_methods,omitempty"`
	ReferenceNumber string          `json:"reference_number,omitempty"`
	Product         *Product        `json:"product,omitempty"`
	Notes           json.RawMessage `json:"notes,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

// Payment is a payment as the API returns it. Amount is in minor units.
type Payment struct {
	ID                   string    `json:"id"`
	PayinID              string    `json:"payin_id"`
	OrderID              string    `json:"order_id"`
	Status               string    `json:"status"`
	ErrorCode            string    `json:"error_code,omitempty"`
	ErrorMessage         string    `json:"error_message,omitempty"`
	Amount               int64     `json:"amount"`
	Currency             string    `json:"currency"`
	CustomerID           string    `json:"customer_id"`
	PaymentMethod        string    `json:"payment_method"` // "card" or "bank_transfer"
	SenderAccountNumber  string    `json:"sender_account_number,omitempty"`
	TransactionReference string    `json:"transaction_reference,omitempty"`
	FundsAvailable       bool      `json:"funds_available"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

func (o *Order) clone() Order {
	c := *o
	c.PaymentMethods = append([]string(nil), o.PaymentMethods...)
	if o.Product != nil {
		p := *o.Product
		c.Product = &p
	}
	c.Notes = append(json.RawMessage(nil), o.Notes...)
	return c
}

// Order returns a snapshot of the order with the given id.
func (s *Server) Order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	return o.clone(), true
}

// Payment returns a snapshot of the payment with the given id.
func (s *Server) Payment(id string) (Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return Payment{}, false
	}
	return *p, true
}

// Orders returns snapshots of all orders, oldest first.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orderSeq))
	for _, id := range s.orderSeq {
		out = append(out, s.orders[id].clone())
	}
	return out
}

// createOrderRequest is the body of POST /api/v1/orders. Amount is raw so
// that the simulator can reject non-integers ("10", 10.5) as Glomo does.
type createOrderRequest struct {
	CustomerID      *string         `json:"customer_id"`
	Amount          json.RawMessage `json:"amount"`
	Currency        *string         `json:"currency"`
	RequestID       string          `json:"request_id"`
	PurposeCode     string          `json:"purpose_code"`
	PaymentMethods  []string        `json:"payment_methods"`
	ReferenceNumber string          `json:"reference_number"`
	Product         *Product        `json:"product"`
	Notes           json.RawMessage `json:"notes"`
}

const maxBody = 1 << 20

// CreateOrder creates an order directly, without HTTP, as POST
// /api/v1/orders would; the map holds the JSON request fields. It is a
// shortcut for tests whose subject is not the merchant's API client.
func (s *Server) CreateOrder(fields map[string]any) (Order, error) {
	body, err := json.Marshal(fields)
	if err != nil {
		return Order{}, err
	}
	o, _, err := s.createOrder(body)
	return o, err
}

func (s *Server) handleCreateOrder(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	o, status, err := s.createOrder(body)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
		return nil, fmt.Errorf("cannot read the request body (at most %d bytes)", maxBody)
	}
	return buf.Bytes(), nil
}

// createOrder validates a POST /api/v1/orders body like Glomo and stores
// the order. On error it also returns the HTTP status to answer with.
func (s *Server) createOrder(body []byte) (Order, int, error) {
	var req createOrderRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return Order{}, http.StatusBadRequest, fmt.Errorf("invalid JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Order{}, http.StatusBadRequest, errors.New("invalid JSON body: data after the object")
	}
	if req.CustomerID == nil || strings.TrimSpace(*req.CustomerID) == "" {
		return Order{}, http.StatusBadRequest, fmt.Errorf("customer_id is required")
	}
	amount, err := parseAmount(req.Amount)
	if err != nil {
		return Order{}, http.StatusBadRequest, err
	}
	if req.Currency == nil || *req.Currency == "" {
		return Order{}, http.StatusBadRequest, fmt.Errorf("currency is required")
	}
	currency := strings.ToUpper(*req.Currency)
	if !isCurrencyCode(currency) {
		return Order{}, http.StatusBadRequest, fmt.Errorf("currency must be a three-letter ISO 4217 code")
	}
	notes := req.Notes
	if string(notes) == "null" {
		notes = nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if req.RequestID != "" {
		if _, dup := s.requestIDs[req.RequestID]; dup {
			return Order{}, http.StatusBadRequest, fmt.Errorf("request_id has already been used")
		}
	}
	now := time.Now().UTC()
	o := &Order{
		ID:              newID("order_"),
		Status:          OrderActive,
		CustomerID:      *req.CustomerID,
		Amount:          amount,
		Currency:        currency,
		RequestID:       req.RequestID,
		PurposeCode:     req.PurposeCode,
		PaymentMethods:  req.PaymentMethods,
		ReferenceNumber: req.ReferenceNumber,
		Product:         req.Product,
		Notes:           notes,
		CreatedAt:       now,
		UpdatedAt:       now,
	}
	s.orders[o.ID] = o
	s.orderSeq = append(s.orderSeq, o.ID)
	if req.RequestID != "" {
		s.requestIDs[req.RequestID] = o.ID
	}
	s.notifyLocked()
	return o.clone(), 0, nil
}

// parseAmount accepts a positive JSON integer and nothing else: not a
// string ("10"), not a fraction (10.5), not an exponent (1e3).
func parseAmount(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, fmt.Errorf("amount is required")
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount must be an integer in minor units")
	}
	if n <= 0 {
		return 0, fmt.Errorf("amount must be greater than zero")
	}
	return n, nil
}

func isCurrencyCode(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

func (s *Server) handleGetOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := s.Order(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "order not found")
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleGetPayment(w http.ResponseWriter, r *http.Request) {
	p, ok := s.Payment(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "payment not found")
		return
	}
	if s.opts.PaymentWithoutOrderID {
		writeJSON(w, http.StatusOK, paymentWithoutOrderID{Payment: p})
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// paymentWithoutOrderID encodes a Payment without its order_id: its own
// order_id field is less deeply nested than the embedded Payment's, so
// encoding/json uses it instead, and omitempty leaves the nil out.
type paymentWithoutOrderID struct {
	Payment
	OrderID *struct{} `json:"order_id,omitempty"`
}

// requireKey answers 401 unless the request carries the secret key as a
// bearer token.
func (s *Server) requireKey(h http.HandlerFunc) http.HandlerFunc {
	want := []byte("Bearer " + s.opts.SecretKey)
	return func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			writeError(w, http.StatusUnauthorized, "missing or invalid secret key")
			return
		}
		h(w, r)
	}
}

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newID returns prefix followed by 14 random alphanumeric characters.
func newID(prefix string) string {
	var b [14]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("glomotest: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + string(b[:])
}
