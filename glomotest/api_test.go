package glomotest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// call makes one API request and decodes the JSON answer.
func call(t *testing.T, s *Server, method, path, key, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func newTestServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

func TestCreateOrderHappyPath(t *testing.T) {
	s := newTestServer(t, Options{})
	status, o := call(t, s, "POST", "/api/v1/orders", DefaultSecretKey, `{
		"customer_id": "cus_1", "amount": 1050, "currency": "usd", "request_id": "req-1",
		"purpose_code": "P0103", "payment_methods": ["card"], "reference_number": "INV-7",
		"product": {"name": "Course", "description": "Go"}, "notes": {"k": "v"}}`)
	require.Equal(t, http.StatusOK, status, o)
	id, _ := o["id"].(string)
	assert.True(t, strings.HasPrefix(id, "order_"), id)
	assert.Len(t, id, len("order_")+14)
	assert.Equal(t, "active", o["status"])
	assert.EqualValues(t, 1050, o["amount"])
	assert.Equal(t, "USD", o["currency"])
	assert.Equal(t, "cus_1", o["customer_id"])
	assert.Equal(t, "req-1", o["request_id"])
	assert.Equal(t, "P0103", o["purpose_code"])
	assert.Equal(t, "INV-7", o["reference_number"])
	assert.Equal(t, map[string]any{"name": "Course", "description": "Go"}, o["product"])
	assert.Equal(t, map[string]any{"k": "v"}, o["notes"])
	assert.NotEmpty(t, o["created_at"])

	status, got := call(t, s, "GET", "/api/v1/orders/"+id, DefaultSecretKey, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, o, got)

	snap, ok := s.Order(id)
	require.True(t, ok)
	assert.Equal(t, int64(1050), snap.Amount)
	assert.Len(t, s.Orders(), 1)
}

func TestAPIErrors(t *testing.T) {
	s := newTestServer(t, Options{SecretKey: "sk_custom"})
	valid := `{"customer_id":"c","amount":100,"currency":"INR"}`
	status, _ := call(t, s, "POST", "/api/v1/orders", "sk_custom", `{"customer_id":"c","amount":100,"currency":"INR","request_id":"dup"}`)
	require.Equal(t, http.StatusOK, status)

	tests := []struct {
		name, method, path, key, body string
		status                        int
		message                       string
	}{
		{"no key", "POST", "/api/v1/orders", "", valid, 401, "missing or invalid secret key"},
		{"wrong key", "POST", "/api/v1/orders", "sk_other", valid, 401, "missing or invalid secret key"},
		{"public key is not a secret key", "GET", "/api/v1/orders/order_x", DefaultPublicKey, "", 401, "missing or invalid secret key"},
		{"fraction amount", "POST", "/api/v1/orders", "sk_custom", `{"customer_id":"c","amount":10.5,"currency":"INR"}`, 400, "amount must be an integer in minor units"},
		{"string amount", "POST", "/api/v1/orders", "sk_custom", `{"customer_id":"c","amount":"10","currency":"INR"}`, 400, "amount must be an integer in minor units"},
		{"exponent amount", "POST", "/api/v1/orders", "sk_custom", `{"customer_id":"c","amount":1e3,"currency":"INR"}`, 400, "amount must be an integer in minor units"},
		{"zero amount", "POST", "/api/v1/orders", "sk_custom", `{"customer_id":"c","amount":0,"currency":"INR"}`, 400, "amount must be greater than zero"},
		{"missing amount", "POST", "/api/v1/orders", "sk_custom", `{"customer_id":"c","currency":"INR"}`, 400, "amount is required"},
		{"missing currency", "POST", "/api/v1/orders", "sk_custom", `{"customer_id":"c","amount":100}`, 400, "currency is required"},
		{"bad currency", "POST", "/api/v1/orders", "sk_custom", `{"customer_id":"c","amount":100,"currency":"dollars"}`, 400, "currency must be a three-letter ISO 4217 code"},
		{"missing customer", "POST", "/api/v1/orders", "sk_custom", `{"amount":100,"currency":"INR"}`, 400, "customer_id is required"},
		{"repeated request_id", "POST", "/api/v1/orders", "sk_custom", `{"customer_id":"c","amount":100,"currency":"INR","request_id":"dup"}`, 400, "request_id has already been used"},
		{"unknown order", "GET", "/api/v1/orders/order_nope", "sk_custom", "", 404, "order not found"},
		{"unknown payment", "GET", "/api/v1/payment/payt_nope", "sk_custom", "", 404, "payment not found"},
		{"unknown endpoint", "GET", "/api/v1/refunds", "sk_custom", "", 404, "no such API endpoint in the simulator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, s, tt.method, tt.path, tt.key, tt.body)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, map[string]any{"error": http.StatusText(tt.status), "message": tt.message}, body)
		})
	}

	for name, malformed := range map[string]string{
		"truncated":             `{"amount":`,
		"not an object":         `[]`,
		"data after the object": valid + ` {}`,
		"a stray byte after it": valid + `x`,
	} {
		t.Run("malformed JSON, "+name, func(t *testing.T) {
			status, body := call(t, s, "POST", "/api/v1/orders", "sk_custom", malformed)
			assert.Equal(t, 400, status)
			assert.Equal(t, "Bad Request", body["error"])
			assert.Contains(t, body["message"], "invalid JSON body")
		})
	}
	t.Run("white space after the object", func(t *testing.T) {
		status, _ := call(t, s, "POST", "/api/v1/orders", "sk_custom", valid+"\n\t ")
		assert.Equal(t, 200, status)
	})
	assert.Len(t, s.Orders(), 2, "only the first and the last request create an order")
}

func TestCreateOrderDirect(t *testing.T) {
	s := newTestServer(t, Options{})
	o, err := s.CreateOrder(map[string]any{"customer_id": "c", "amount": 500, "currency": "EUR"})
	require.NoError(t, err)
	assert.Equal(t, OrderActive, o.Status)
	_, err = s.CreateOrder(map[string]any{"customer_id": "c", "amount": 5.5, "currency": "EUR"})
	assert.ErrorContains(t, err, "amount must be an integer")
}

func TestServerURLs(t *testing.T) {
	s := newTestServer(t, Options{})
	assert.True(t, strings.HasPrefix(s.URL(), "http://127.0.0.1:"), s.URL())
	assert.Equal(t, s.URL()+"/api/v1", s.APIBaseURL())
	assert.Equal(t, s.URL()+"/index.js", s.SDKURL())
	assert.Equal(t, DefaultSecretKey, s.SecretKey())
	assert.Equal(t, DefaultPublicKey, s.PublicKey())
	assert.Equal(t, DefaultWebhookSecret, s.WebhookSecret())

	tls := NewTLSServer(Options{})
	defer tls.Close()
	assert.True(t, strings.HasPrefix(tls.URL(), "https://127.0.0.1:"), tls.URL())
	resp, err := tls.Client().Get(tls.SDKURL())
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	tls.Close() // idempotent
}

// TestCurrencyCodes checks the currencies an order may have: three letters
// of either case, stored in upper case; the bytes next to A-Z are refused.
func TestCurrencyCodes(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, tt := range []struct{ currency, want string }{
		{"ZAR", "ZAR"}, {"aud", "AUD"}, {"Usd", "USD"},
		{"U5D", ""}, {"@AD", ""}, {"[AD", ""}, {"ZA`", ""}, {"ZA{", ""},
		{"US", ""}, {"USDT", ""}, {"ÀUD", ""},
	} {
		t.Run(tt.currency, func(t *testing.T) {
			status, body := call(t, s, "POST", "/api/v1/orders", s.SecretKey(),
				`{"customer_id":"c","amount":100,"currency":"`+tt.currency+`"}`)
			if tt.want == "" {
				assert.Equal(t, http.StatusBadRequest, status)
				assert.Equal(t, "currency must be a three-letter ISO 4217 code", body["message"])
				return
			}
			require.Equal(t, http.StatusOK, status, body)
			assert.Equal(t, tt.want, body["currency"])
		})
	}
}
