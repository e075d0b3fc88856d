package glomoapi

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzResponse answers each call with an arbitrary status from 200 to 599
// (200 plus the fuzzed number modulo 400; the seeds name the status) and
// an arbitrary body, and checks how the client reads it: a 2xx is the
// object encoding/json decodes when that object has the id asked for, and
// ErrResponse otherwise; anything else is an *APIError with the status and
// text fields that are one bounded line each. Nothing panics.
func FuzzResponse(f *testing.F) {
	for _, s := range []struct {
		call   uint8
		status uint16
		body   string
	}{
		{0, 200, `{"id":"order_1","status":"paid","amount":5,"currency":"USD"}`},
		{1, 200, `{"id":"payt_1","status":"success","funds_available":{"a":[1]},"order_id":"order_1"}`},
		{2, 201, `{"id":"order_new","status":"active","notes":{"k":"v"}}`},
		{0, 200, `{"id":"order_2"}`},
		{1, 200, `null`},
		{2, 200, `{"id":""}`},
		{0, 200, `<html>ok</html>`},
		{0, 200, `{"id":"order_1","amount":"5"}`},
		{0, 400, `{"error":"Bad Request","message":"request_id already used","code":"DUPLICATE"}`},
		{1, 404, `{"error":{"a":1},"message":"line\nbreak\u0000","code":12}`},
		{2, 502, `<html>bad gateway</html>`},
		{0, 299, `{"id":"order_1","status":"paid"}`},
		{0, 300, `{"id":"order_1","status":"paid"}`},
		{0, 304, ``},
		{0, 429, `{"error":"` + string(bytes.Repeat([]byte("é"), 400)) + `"}`},
	} {
		f.Add(s.call, s.status-200, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, call uint8, status uint16, body []byte) {
		code := 200 + int(status)%400
		c := newAnsweringClient(t, code, body)
		ctx := context.Background()
		var err error

		// got is what the call returned, want what encoding/json makes of
		// the body, and ok whether that names the object asked for.
		var got, want any
		var ok bool
		switch call % 3 {
		case 0:
			var o Order
			ok = json.Unmarshal(body, &o) == nil && o.ID == "order_1"
			want = &o
			got, err = c.GetOrder(ctx, "order_1")
		case 1:
			var p Payment
			ok = json.Unmarshal(body, &p) == nil && p.ID == "payt_1"
			want = &p
			got, err = c.GetPayment(ctx, "payt_1")
		default:
			var o Order
			ok = json.Unmarshal(body, &o) == nil && o.ID != ""
			want = &o
			got, err = c.CreateOrder(ctx, CreateOrderRequest{CustomerID: "cust_1", Amount: 1, Currency: "USD"})
		}

		if code >= 300 {
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, code, ae.StatusCode)
			assert.NotEmpty(t, ae.Code)
			for _, field := range []string{ae.Code, ae.Message, ae.Detail} {
				assert.LessOrEqual(t, len(field), MaxErrorFieldBytes)
				assert.True(t, utf8.ValidString(field), "%q", field)
				breaksLine := func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }
				assert.Equal(t, -1, strings.IndexFunc(field, breaksLine), "%q", field)
			}
			if !bytes.Contains(body, []byte(testKey)) {
				assert.NotContains(t, err.Error(), testKey)
			}
			return
		}
		if !ok {
			require.ErrorIs(t, err, ErrResponse)
			return
		}
		require.NoError(t, err)
		assert.Equal(t, want, got)
	})
}
