package glomotest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, s *Server, path string) (*http.Response, string) {
	t.Helper()
	resp, err := s.Client().Get(s.URL() + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestSDKAsset(t *testing.T) {
	s := newTestServer(t, Options{})
	resp, body := get(t, s, "/index.js")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/javascript; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, resp.Header.Get("Content-Security-Policy"))
	assert.Empty(t, resp.Header.Get("Cross-Origin-Opener-Policy"))
	for _, want := range []string{
		"export class GlomoCheckoutApi",
		"root.dataset.glomoSdk = 'loaded'",
		"root.dataset.glomoApi = 'ok'",
		"root.dataset.glomoFrame = 'loaded'",
		"'severed'",
		"SEVERED_WITHIN_MS",
		"code: 'POPUP_BLOCKED'",
		"checkout.closed",
		"e.origin !== payOrigin",
		"'https://api.glomopay.com'",
		"'https://checkout.glomopay.com'",
		"/sdk/v1/checkout/",
		"/checkout/frame?",
		"/checkout/pay?",
		"location.assign(",
	} {
		assert.Contains(t, body, want)
	}
}

func TestCheckoutPages(t *testing.T) {
	s := newTestServer(t, Options{})
	tests := []struct {
		path  string
		wants []string
	}{
		{"/checkout/frame?order=o&publicKey=k&origin=http://shop.test", []string{
			`id="glomo-frame-cancel"`, "type: 'glomo-frame'", "tell('ready')",
		}},
		{"/checkout/pay?order=o&publicKey=k&origin=http://shop.test", []string{
			`id="glomo-pay-success"`, `id="glomo-pay-fail"`, `id="glomo-error-code"`,
			`id="glomo-pay-bank-transfer"`, `id="glomo-sender-account"`, `id="glomo-transaction-reference"`,
			"window.opener.postMessage(", "type: 'glomo-result'", "window.close()",
			"root.dataset.glomoOpener = window.opener ? 'present' : 'none'",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, s, tt.path)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
			assert.Empty(t, resp.Header.Get("Content-Security-Policy"))
			assert.Empty(t, resp.Header.Get("Cross-Origin-Opener-Policy"))
			for _, want := range tt.wants {
				assert.Contains(t, body, want)
			}
		})
	}
	// The popup reports only through its opener: no other channel back.
	_, pay := get(t, s, "/checkout/pay")
	assert.NotContains(t, pay, "BroadcastChannel")
	assert.NotContains(t, pay, "localStorage")
	assert.NotContains(t, pay, "window.parent")
}

func TestCheckoutSummary(t *testing.T) {
	s := newTestServer(t, Options{})
	o := newOrder(t, s)
	tests := []struct {
		name, path string
		status     int
		message    string
	}{
		{"ok", "/sdk/v1/checkout/" + o.ID + "?publicKey=" + DefaultPublicKey, 200, ""},
		{"wrong public key", "/sdk/v1/checkout/" + o.ID + "?publicKey=live_x", 401, "invalid public key"},
		{"secret key is not a public key", "/sdk/v1/checkout/" + o.ID + "?publicKey=" + DefaultSecretKey, 401, "invalid public key"},
		{"unknown order", "/sdk/v1/checkout/order_nope?publicKey=" + DefaultPublicKey, 404, "order not found"},
		{"page data ok", "/checkout/summary/" + o.ID + "?publicKey=" + DefaultPublicKey, 200, ""},
		{"page data wrong key", "/checkout/summary/" + o.ID + "?publicKey=x", 401, "invalid public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, s, tt.path)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(body), &m))
			if tt.status == 200 {
				assert.Equal(t, map[string]any{
					"orderId": o.ID, "status": "active", "amount": 2500.0, "currency": "USD", "mode": "test",
				}, m)
			} else {
				assert.Equal(t, map[string]any{"error": http.StatusText(tt.status), "message": tt.message}, m)
			}
		})
	}

	req, _ := http.NewRequest(http.MethodOptions, s.URL()+"/sdk/v1/checkout/"+o.ID, nil)
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
}

func postPay(t *testing.T, s *Server, body string) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().Post(s.URL()+"/checkout/pay", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return resp.StatusCode, m
}

func TestPopupPay(t *testing.T) {
	s := newTestServer(t, Options{SecretKey: "sk_popup"})
	o := newOrder(t, s)

	status, m := postPay(t, s, `{"orderId":"`+o.ID+`","publicKey":"`+DefaultPublicKey+`","outcome":"failure","errorCode":"INSUFFICIENT_BALANCE"}`)
	require.Equal(t, http.StatusOK, status, m)
	assert.Equal(t, EventFailure, m["event"])
	payload := m["payload"].(map[string]any)
	payID := payload["paymentId"].(string)
	assert.NotContains(t, payload, "signature")
	assert.Equal(t, map[string]any{
		"status": "failed", "orderId": o.ID, "paymentId": payID,
		"signature": checkoutSig(o.ID, payID, "failed", "sk_popup"),
	}, m["callback"], "the callbackUrl redirect is signed, failures too")

	status, m = postPay(t, s, `{"orderId":"`+o.ID+`","publicKey":"`+DefaultPublicKey+`","outcome":"success"}`)
	require.Equal(t, http.StatusOK, status, m)
	assert.Equal(t, EventSuccess, m["event"])
	payload = m["payload"].(map[string]any)
	payID = payload["paymentId"].(string)
	sig := checkoutSig(o.ID, payID, "success", "sk_popup")
	assert.Equal(t, sig, payload["signature"])
	assert.Equal(t, map[string]any{"status": "success", "orderId": o.ID, "paymentId": payID, "signature": sig}, m["callback"])
	got, _ := s.Order(o.ID)
	assert.Equal(t, OrderPaid, got.Status)

	o2 := newOrder(t, s)
	status, m = postPay(t, s, `{"orderId":"`+o2.ID+`","publicKey":"`+DefaultPublicKey+`","outcome":"bank_transfer","senderAccountNumber":"99","transactionReference":"R"}`)
	require.Equal(t, http.StatusOK, status, m)
	assert.Equal(t, EventBankTransferSubmitted, m["event"])
	assert.NotContains(t, m, "callback", "a bank transfer does not redirect")

	errs := []struct {
		name, body string
		status     int
	}{
		{"wrong public key", `{"orderId":"` + o2.ID + `","publicKey":"nope","outcome":"success"}`, 401},
		{"unknown order", `{"orderId":"order_nope","publicKey":"` + DefaultPublicKey + `","outcome":"success"}`, 404},
		{"paid order", `{"orderId":"` + o.ID + `","publicKey":"` + DefaultPublicKey + `","outcome":"success"}`, 400},
		{"bad outcome", `{"orderId":"` + o2.ID + `","publicKey":"` + DefaultPublicKey + `","outcome":"refund"}`, 400},
		{"malformed", `{`, 400},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			status, m := postPay(t, s, tt.body)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, http.StatusText(tt.status), m["error"])
			assert.NotEmpty(t, m["message"])
		})
	}
}

func TestRequestLog(t *testing.T) {
	s := newTestServer(t, Options{})
	o := newOrder(t, s)
	get(t, s, "/index.js")
	get(t, s, "/checkout/frame?order="+o.ID)
	get(t, s, "/sdk/v1/checkout/"+o.ID+"?publicKey="+DefaultPublicKey)
	get(t, s, "/checkout/pay?order="+o.ID)
	get(t, s, "/checkout/summary/"+o.ID+"?publicKey="+DefaultPublicKey)
	postPay(t, s, `{"orderId":"`+o.ID+`","publicKey":"`+DefaultPublicKey+`","outcome":"success"}`)
	call(t, s, "GET", "/api/v1/orders/"+o.ID, DefaultSecretKey, "")

	var kinds []RequestKind
	for _, r := range s.Requests() {
		kinds = append(kinds, r.Kind)
		assert.Equal(t, strings.TrimPrefix(s.URL(), "http://"), r.Host)
	}
	assert.Equal(t, []RequestKind{KindScript, KindFrame, KindConnect, KindPopup, KindPageData, KindPay, KindAPI}, kinds)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r, err := s.WaitForRequest(ctx, KindPopup)
	require.NoError(t, err)
	assert.Equal(t, "/checkout/pay", r.Path)

	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	_, err = s.WaitForRequest(short, KindOther)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}
