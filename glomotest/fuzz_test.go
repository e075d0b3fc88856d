package glomotest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzRequests sends arbitrary bodies to the simulator's two endpoints
// that parse JSON, POST /api/v1/orders and the popup's POST /checkout/pay,
// and checks that it keeps Glomo's contract: 200 or a 4xx with a flat
// {"error", "message"} body, never a 5xx; a created order holds a
// positive integer amount from the body, a three-letter currency and a
// customer; a refused request changes nothing. In /checkout/pay bodies,
// ORDER and KEY stand for an open order's id and the public key, so that
// the fuzzer reaches the payment itself.
func FuzzRequests(f *testing.F) {
	for _, s := range []struct {
		endpoint uint8
		body     string
	}{
		{0, `{"customer_id":"cust_1","amount":1999,"currency":"usd"}`},
		{0, `{"customer_id":"cust_1","amount":5,"currency":"EUR","request_id":"r","notes":{"k":"v"},"product":{"name":"Mug"}}`},
		{0, `{"customer_id":" ","amount":"10","currency":"US"}`},
		{0, `{"customer_id":"c","amount":1e3,"currency":"USD","notes":null}`},
		{0, `{"customer_id":"c","amount":-1,"currency":"USD"} trailing`},
		{0, `[]`},
		{1, `{"orderId":"ORDER","publicKey":"KEY","outcome":"success"}`},
		{1, `{"orderId":"ORDER","publicKey":"KEY","outcome":"failure","errorCode":"PAYMENT_DECLINED"}`},
		{1, `{"orderId":"ORDER","publicKey":"KEY","outcome":"bank_transfer","senderAccountNumber":"1","transactionReference":"t"}`},
		{1, `{"orderId":"order_none","publicKey":"KEY","outcome":"success"}`},
		{1, `{"orderId":"ORDER","publicKey":"pk_wrong","outcome":"success"}`},
		{1, `{"orderId":"ORDER","publicKey":"KEY","outcome":"refund"}`},
	} {
		f.Add(s.endpoint, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, endpoint uint8, body []byte) {
		s := newServer(Options{})
		defer s.cancel()
		open, err := s.CreateOrder(map[string]any{"customer_id": "cust_1", "amount": 100, "currency": "USD"})
		require.NoError(t, err)

		path := "/api/v1/orders"
		if endpoint%2 == 1 {
			path = "/checkout/pay"
			body = bytes.ReplaceAll(body, []byte("ORDER"), []byte(open.ID))
			body = bytes.ReplaceAll(body, []byte("KEY"), []byte(s.opts.PublicKey))
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.opts.SecretKey)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.handler().ServeHTTP(w, req)

		require.Contains(t, []int{200, 400, 401, 404}, w.Code, "body %q", w.Body)
		var answer map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &answer), "the answer is one JSON object")
		s.mu.Lock()
		orders, payments := len(s.orders), len(s.payments)
		s.mu.Unlock()
		if w.Code != http.StatusOK {
			var e errorBody
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e))
			assert.Equal(t, http.StatusText(w.Code), e.Error)
			assert.NotEmpty(t, e.Message)
			assert.Len(t, answer, 2, "a flat error body has error and message only")
			assert.Equal(t, []int{1, 0}, []int{orders, payments}, "a refused request changes nothing")
			o, _ := s.Order(open.ID)
			assert.Equal(t, OrderActive, o.Status)
			return
		}

		if path == "/checkout/pay" {
			assert.Equal(t, []int{1, 1}, []int{orders, payments}, "one payment")
			for _, p := range s.payments {
				assert.Equal(t, open.ID, p.OrderID)
			}
			return
		}
		require.Equal(t, 2, orders)
		var got Order
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
		stored, ok := s.Order(got.ID)
		require.True(t, ok, "the answered order is stored")
		assert.Equal(t, stored.Amount, got.Amount)
		assert.NotEmpty(t, strings.TrimSpace(got.CustomerID))
		assert.Regexp(t, `^[A-Z]{3}$`, got.Currency)
		// The amount is the body's, written as a plain positive integer.
		var sent struct{ Amount json.RawMessage }
		require.NoError(t, json.NewDecoder(bytes.NewReader(body)).Decode(&sent))
		n, err := strconv.ParseInt(string(sent.Amount), 10, 64)
		require.NoError(t, err, "amount %s", sent.Amount)
		assert.Positive(t, n)
		assert.Equal(t, n, got.Amount)
	})
}
