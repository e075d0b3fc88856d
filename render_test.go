package glomo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResultHandlerDefaultJSON(t *testing.T) {
	h := newHandler(t)
	body, _ := json.Marshal(glomotest.SignedSuccess(testOrder, testPayment, testSecret))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, jsonReq(string(body)))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.JSONEq(t, `{"outcome":"success","orderId":"`+testOrder+`","paymentId":"`+testPayment+`","status":"success","source":"post"}`, rec.Body.String())
	assertNoLeak(t, rec.Body.String(), "body")
}

func TestResultHandlerDefaultPage(t *testing.T) {
	tests := []struct {
		name, query, want string
	}{
		{"success", okQuery().Encode(), "Payment received"},
		{"failure", "status=failed&orderId=" + testOrder + "&paymentId=" + testPayment + "&signature=" + sig(testOrder, testPayment, "failed", testSecret), "Payment failed"},
		{"pending", "status=success&orderId=" + testOrder, "Payment processing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			newHandler(t).ServeHTTP(rec, getReq(tc.query))
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"), "the URL holds the signature")
			assert.Contains(t, rec.Body.String(), tc.want)
			assertNoLeak(t, rec.Body.String(), "page")
		})
	}
}

func TestResultHandlerRedirectURL(t *testing.T) {
	h := newHandler(t, func(o *glomo.ResultHandlerOptions) { o.RedirectURL = "/orders/done?lang=en" })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, getReq(okQuery().Encode()))
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, "/orders/done?lang=en&outcome=success", rec.Header().Get("Location"))
	assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))

	// Posts still get JSON: the page's script is waiting for it.
	rec = httptest.NewRecorder()
	body, _ := json.Marshal(glomotest.SignedSuccess(testOrder, testPayment, testSecret))
	h.ServeHTTP(rec, jsonReq(string(body)))
	assert.Equal(t, http.StatusOK, rec.Code)
}

func TestResultHandlerExpectedOrderErrorIsGeneric500(t *testing.T) {
	h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.ExpectedOrder = func(*http.Request) (string, error) { return "", errors.New("db: timeout") }
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, getReq(okQuery().Encode()))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "db:")
}

// TestResultHandlerLogsNoSecrets runs every path that logs, with hooks whose
// errors echo the secret and the signature, and checks the captured log.
func TestResultHandlerLogsNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	leaky := errors.New("upstream said: Bearer " + testSecret + " old " + oldSecret + " sig " + testSig)

	confirmFails := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.Logger = logger
		o.Confirm = func(context.Context, string, string) (glomo.Confirmation, error) { return glomo.Confirmation{}, leaky }
	})
	fulfilFails := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.Logger = logger
		o.Fulfilment = fulfilWith(t, func(context.Context, glomo.PaidOrder) error { return leaky })
	})
	orderFails := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.Logger = logger
		o.ExpectedOrder = func(*http.Request) (string, error) { return "", leaky }
	})
	success, _ := json.Marshal(glomotest.SignedSuccess(testOrder, testPayment, testSecret))
	for _, c := range []struct {
		h   http.Handler
		req *http.Request
	}{
		{confirmFails, getReq("status=success&orderId=" + testOrder + "&signature=" + testSig)},
		{fulfilFails, getReq(okQuery().Encode())},
		{fulfilFails, jsonReq(string(success))},
		{orderFails, getReq(okQuery().Encode())},
		{newHandler(t, func(o *glomo.ResultHandlerOptions) { o.Logger = logger }), getReq(with(okQuery(), "signature", sig(testOrder, testPayment, "success", "wrong")))},
	} {
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, c.req)
		assertNoLeak(t, rec.Body.String(), "body")
	}
	log := buf.String()
	require.Contains(t, log, "server-side confirmation failed")
	require.Contains(t, log, "fulfilment failed")
	require.Contains(t, log, "[redacted]")
	require.Contains(t, log, "signature_mismatch")
	assertNoLeak(t, log, "log")
}
