package glomotest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSettleEndpoint(t *testing.T) {
	for _, tt := range []struct {
		body        string
		wantPayment string
		wantOrder   string
		wantEvents  []string
	}{
		{`{"received": true}`, PaymentSuccess, OrderPaid, []string{"payment/success", "orders/paid"}},
		{`{"received": false}`, PaymentFailed, OrderActive, []string{"payment/failed"}},
	} {
		t.Run(tt.body, func(t *testing.T) {
			var hooks atomic.Int32
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hooks.Add(1) }))
			t.Cleanup(receiver.Close)
			s := newTestServer(t, Options{WebhookURL: receiver.URL})
			o := newOrder(t, s)
			res, err := s.Pay(o.ID, BankTransfer("0001", "UTR1"))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, s.WaitIdle(ctx))
			before := len(s.Deliveries())

			status, body := call(t, s, "POST", PathSettleBankTransfer+res.PaymentID, DefaultSecretKey, tt.body)
			require.Equal(t, http.StatusOK, status, body)
			assert.Equal(t, tt.wantPayment, body["status"])
			assert.Equal(t, res.PaymentID, body["id"])
			got, _ := s.Order(o.ID)
			assert.Equal(t, tt.wantOrder, got.Status)

			require.NoError(t, s.WaitIdle(ctx))
			var events []string
			for _, d := range s.Deliveries()[before:] {
				events = append(events, d.EntityType+"/"+d.EventType)
			}
			assert.Equal(t, tt.wantEvents, events, "settling sends the webhooks")

			status, _ = call(t, s, "POST", PathSettleBankTransfer+res.PaymentID, DefaultSecretKey, tt.body)
			assert.Equal(t, http.StatusConflict, status, "a settled transfer does not settle again")
		})
	}
}

func TestSettleEndpointRefusals(t *testing.T) {
	s := newTestServer(t, Options{})
	o := newOrder(t, s)
	transfer, err := s.Pay(o.ID, BankTransfer("0001", "UTR1"))
	require.NoError(t, err)
	card := newOrder(t, s)
	declined, err := s.Pay(card.ID, Failure("PAYMENT_DECLINED"))
	require.NoError(t, err)
	path := PathSettleBankTransfer + transfer.PaymentID

	tests := []struct {
		name        string
		path, key   string
		contentType string
		body        string
		want        int
	}{
		{"no secret key", path, "", "application/json", `{"received": true}`, http.StatusUnauthorized},
		{"the public key", path, DefaultPublicKey, "application/json", `{"received": true}`, http.StatusUnauthorized},
		{"a form post", path, DefaultSecretKey, "application/x-www-form-urlencoded", "received=true", http.StatusUnsupportedMediaType},
		{"no received", path, DefaultSecretKey, "application/json", `{}`, http.StatusBadRequest},
		{"received as a string", path, DefaultSecretKey, "application/json", `{"received": "yes"}`, http.StatusBadRequest},
		{"unknown field", path, DefaultSecretKey, "application/json", `{"received": true, "amount": 1}`, http.StatusBadRequest},
		{"two objects", path, DefaultSecretKey, "application/json", `{"received": true}{}`, http.StatusBadRequest},
		{"huge body", path, DefaultSecretKey, "application/json", `{"received": true, "x": "` + strings.Repeat("a", 2<<20) + `"}`, http.StatusBadRequest},
		{"unknown payment", PathSettleBankTransfer + "payt_nope", DefaultSecretKey, "application/json", `{"received": true}`, http.StatusNotFound},
		{"a card payment", PathSettleBankTransfer + declined.PaymentID, DefaultSecretKey, "application/json", `{"received": true}`, http.StatusConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, s.URL()+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			if tt.key != "" {
				req.Header.Set("Authorization", "Bearer "+tt.key)
			}
			req.Header.Set("Content-Type", tt.contentType)
			resp, err := s.Client().Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.want, resp.StatusCode)
		})
	}
	p, _ := s.Payment(transfer.PaymentID)
	assert.Equal(t, PaymentInProgress, p.Status, "no refused request settled the transfer")

	resp, err := s.Client().Get(s.URL() + path)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "settling takes a POST")
}
