package glomo_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
)

// FuzzVerify checks that Verify never panics and never accepts a signature
// other than the one Sign computes (up to hex case) for the same fields.
func FuzzVerify(f *testing.F) {
	f.Add("order_679a16457aP6K", "payment_679a16457aP6K", "success", "e1b643322f39bd51dcd5b9634f2496d6ea06ba23735be67d6ccc616fe30ffbea", 0, byte(1))
	f.Add("o", "p", "failed", "", 5, byte(0x80))
	f.Add("a|b", "c", "success", strings.Repeat("A", 64), 63, byte('0'))
	const secret = "your_secret_key"
	f.Fuzz(func(t *testing.T, order, payment, status, signature string, pos int, flip byte) {
		err := glomo.Verify(order, payment, status, signature, secret)
		valid := glomo.Sign(order, payment, status, secret)
		if err == nil && !strings.EqualFold(signature, valid) {
			t.Fatalf("accepted a signature that Sign does not produce")
		}
		if err != nil && err.Error() != "" && len(signature) >= 8 && strings.Contains(err.Error(), signature) {
			t.Fatalf("error contains the signature")
		}
		// Mutate the valid signature at one position: it must be refused.
		if order == "" || payment == "" || status == "" || strings.ContainsRune(order+payment+status, '|') || flip == 0 {
			return
		}
		b := []byte(valid)
		if pos < 0 {
			pos = -pos
		}
		i := pos % len(b)
		b[i] ^= flip
		if strings.EqualFold(string(b), valid) {
			return // flipping only the case of a hex letter is no change
		}
		if glomo.Verify(order, payment, status, string(b), secret) == nil {
			t.Fatalf("accepted a mutated signature")
		}
	})
}

// serveFuzz runs one request against a handler expecting testOrder and
// fails on a panic, a 5xx, a 4xx without an ErrorBody, a leaked secret, or a
// verified outcome whose input signature (read by sigOf) does not verify.
func serveFuzz(t *testing.T, req *http.Request, sigOf func() string) {
	t.Helper()
	var got *glomo.Payment
	h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.OnResult = func(w http.ResponseWriter, r *http.Request, p glomo.Payment) {
			got = &p
			w.WriteHeader(http.StatusOK)
		}
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("status %d for client input: %s", rec.Code, rec.Body.String())
	}
	for _, s := range []string{testSecret, oldSecret} {
		if strings.Contains(rec.Body.String(), s) {
			t.Fatalf("response contains a secret")
		}
	}
	if rec.Code >= 400 {
		var eb glomo.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Code == "" {
			t.Fatalf("status %d without an ErrorBody: %q", rec.Code, rec.Body.String())
		}
		return
	}
	if got == nil {
		t.Fatalf("status %d without a result", rec.Code)
	}
	if got.OrderID != expectedOrder {
		t.Fatalf("result for order %q, not the expected one", got.OrderID)
	}
	if got.Outcome.Final() {
		// No Confirm hook is set, so a final outcome must rest on a signature.
		if err := glomo.Verify(expectedOrder, got.PaymentID, got.Status, sigOf(), testSecret, oldSecret); err != nil {
			t.Fatalf("outcome %v without a valid signature: %v", got.Outcome, err)
		}
	}
}

func FuzzResultHandlerQuery(f *testing.F) {
	f.Add(okQuery().Encode())
	f.Add("status=success&orderId=" + testOrder + "&payment_id=" + testPayment + "&signature=" + strings.ToUpper(testSig))
	f.Add("status=failed&orderId=" + testOrder + "&paymentId=" + testPayment + "&signature=" + glomo.Sign(testOrder, testPayment, "failed", oldSecret))
	f.Add("status=failed&orderId=" + testOrder)
	f.Add("status=%zz&orderId=;")
	f.Add("status=a&status=b")
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/r", nil)
		req.URL.RawQuery = query
		serveFuzz(t, req, func() string {
			v, _ := url.ParseQuery(query)
			return v.Get("signature")
		})
	})
}

func FuzzResultHandlerJSON(f *testing.F) {
	success, _ := json.Marshal(glomotest.SignedSuccess(testOrder, testPayment, testSecret))
	f.Add(string(success))
	f.Add(`{"order_id":"` + testOrder + `","payment_id":"` + testPayment + `","status":"success","signature":"` + testSig + `","event":"payment.success"}`)
	f.Add(`{"orderId":"` + testOrder + `","paymentId":"p","status":"failed","error":{"code":"INVALID_CARD","message":"m"}}`)
	f.Add(`{"orderId":"` + testOrder + `","senderAccountNumber":"1","transactionReference":"r"}`)
	f.Add(`{"orderId":"` + testOrder + `","orderId":"x"}`)
	f.Add(`{"a":[{"b":null}],"orderId":1e999}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, body string) {
		serveFuzz(t, jsonReq(body), func() string {
			var m map[string]any
			_ = json.Unmarshal([]byte(body), &m)
			s, _ := m["signature"].(string)
			return s
		})
	})
}

func FuzzResultHandlerForm(f *testing.F) {
	f.Add("orderId=" + testOrder + "&paymentId=" + testPayment + "&status=success&signature=" + testSig)
	f.Add("event=payment.failure&order_id=" + testOrder + "&error_code=X&error_message=y")
	f.Add("order_id=" + testOrder + "&sender_account_number=1&transaction_reference=2")
	f.Add("orderId=%zz")
	f.Add("orderId=a&order_id=a")
	f.Fuzz(func(t *testing.T, body string) {
		serveFuzz(t, formReq(body), func() string {
			v, _ := url.ParseQuery(body)
			return v.Get("signature")
		})
	})
}
