package glomotest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCallbackWithoutPaymentID checks the redirect a result leads to, by
// CheckoutResult.CallbackURL and by the popup's answer to the SDK, with
// and without Options.CallbackWithoutPaymentID.
func TestCallbackWithoutPaymentID(t *testing.T) {
	tests := []struct {
		name          string
		opts          Options
		outcome       Outcome
		wantPaymentID bool
	}{
		{"default, success", Options{}, Success(), true},
		{"default, failure", Options{}, Failure("CARD_EXPIRED"), true},
		{"without payment id, success", Options{CallbackWithoutPaymentID: true}, Success(), false},
		{"without payment id, failure", Options{CallbackWithoutPaymentID: true}, Failure("CARD_EXPIRED"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, tt.opts)
			res, err := s.Pay(newOrder(t, s).ID, tt.outcome)
			require.NoError(t, err)

			u, err := url.Parse(res.CallbackURL("https://shop.example/result?lang=en"))
			require.NoError(t, err)
			assert.Equal(t, "shop.example", u.Host)
			assert.Equal(t, "/result", u.Path)
			q := u.Query()
			assert.Equal(t, "en", q.Get("lang"), "the base's own parameters are kept")
			assert.Equal(t, res.Status, q.Get("status"))
			assert.Equal(t, res.OrderID, q.Get("orderId"))
			assert.Equal(t, glomo.Sign(res.OrderID, res.PaymentID, res.Status, s.SecretKey()), q.Get("signature"),
				"signed over the payment id, sent or not")
			assert.Equal(t, tt.wantPaymentID, q.Has("paymentId"))
			if tt.wantPaymentID {
				assert.Equal(t, res.PaymentID, q.Get("paymentId"))
			}

			// The popup tells the SDK the same redirect.
			status, m := postPay(t, s, `{"orderId":"`+newOrder(t, s).ID+`","publicKey":"`+DefaultPublicKey+`","outcome":"success"}`)
			require.Equal(t, http.StatusOK, status, m)
			callback, ok := m["callback"].(map[string]any)
			require.True(t, ok, m)
			assert.Equal(t, tt.wantPaymentID, callback["paymentId"] != nil)
			assert.NotEmpty(t, callback["signature"])
		})
	}
}

func TestCallbackURLOfABankTransfer(t *testing.T) {
	s := newTestServer(t, Options{})
	res, err := s.Pay(newOrder(t, s).ID, BankTransfer("000123", "UTR9"))
	require.NoError(t, err)
	assert.Empty(t, res.CallbackURL("https://shop.example/result"), "a bank transfer does not redirect")
	paid, err := s.Pay(newOrder(t, s).ID, Success())
	require.NoError(t, err)
	assert.Panics(t, func() { paid.CallbackURL("http://[::1") }, "a broken base is a bug in the test")
}

// TestPaymentWithoutOrderID checks GET /api/v1/payment/{id} with and
// without Options.PaymentWithoutOrderID, and that only the API's answer
// changes.
func TestPaymentWithoutOrderID(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		wantOrderID bool
	}{
		{"default", Options{}, true},
		{"without order id", Options{PaymentWithoutOrderID: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, tt.opts)
			o := newOrder(t, s)
			res, err := s.Pay(o.ID, Success())
			require.NoError(t, err)

			status, p := call(t, s, http.MethodGet, "/api/v1/payment/"+res.PaymentID, DefaultSecretKey, "")
			require.Equal(t, http.StatusOK, status, p)
			assert.Equal(t, res.PaymentID, p["id"])
			assert.Equal(t, PaymentSuccess, p["status"])
			assert.NotEmpty(t, p["payin_id"])
			assert.EqualValues(t, o.Amount, p["amount"])
			_, has := p["order_id"]
			assert.Equal(t, tt.wantOrderID, has)
			if tt.wantOrderID {
				assert.Equal(t, o.ID, p["order_id"])
			}

			snapshot, ok := s.Payment(res.PaymentID)
			require.True(t, ok)
			assert.Equal(t, o.ID, snapshot.OrderID, "the simulator itself still knows the order")
		})
	}
}
