package glomotest_test

import (
	"net/url"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignedSuccess(t *testing.T) {
	p := glomotest.SignedSuccess("order_679a16457aP6K", "payment_679a16457aP6K", "your_secret_key")
	assert.Equal(t, map[string]string{
		"orderId":   "order_679a16457aP6K",
		"paymentId": "payment_679a16457aP6K",
		"status":    "success",
		// Computed with openssl, independently of glomo.Sign.
		"signature": "e1b643322f39bd51dcd5b9634f2496d6ea06ba23735be67d6ccc616fe30ffbea",
	}, p)
	require.NoError(t, glomo.Verify(p["orderId"], p["paymentId"], p["status"], p["signature"], "your_secret_key"))
}

func TestCallbackURL(t *testing.T) {
	tests := []struct {
		name, base, status string
		wantPath           string
		keep               url.Values
	}{
		{"plain base", "https://shop.example/payment-result", "success", "/payment-result", nil},
		{"base with query kept", "https://shop.example/r?cart=42&lang=en", "failed", "/r", url.Values{"cart": {"42"}, "lang": {"en"}}},
		{"relative base", "/payment-result", "success", "/payment-result", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := glomotest.CallbackURL(tc.base, "order_1", "payt_1", tc.status, "sk_test")
			u, err := url.Parse(raw)
			require.NoError(t, err)
			assert.Equal(t, tc.wantPath, u.Path)
			q := u.Query()
			assert.Equal(t, tc.status, q.Get("status"))
			assert.Equal(t, "order_1", q.Get("orderId"))
			assert.Equal(t, "payt_1", q.Get("paymentId"))
			require.NoError(t, glomo.Verify("order_1", "payt_1", tc.status, q.Get("signature"), "sk_test"))
			require.ErrorIs(t, glomo.Verify("order_1", "payt_1", tc.status, q.Get("signature"), "other"), glomo.ErrSignatureMismatch)
			for k, v := range tc.keep {
				assert.Equal(t, v, q[k], "parameter %s of base", k)
			}
		})
	}
}

func TestCallbackURLPanicsOnBadBase(t *testing.T) {
	assert.Panics(t, func() { glomotest.CallbackURL("http://[::1", "o", "p", "success", "s") })
}
