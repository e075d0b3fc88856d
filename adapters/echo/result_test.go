package glomoecho_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	glomoecho "github.com/glomokit/glomo/adapters/echo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	secret        = "sk_test_adapter"
	webhookSecret = "whsec_adapter"
	order         = "order_echo_1"
	payment       = "payt_echo_1"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func successJSON(orderID string) string {
	b, _ := json.Marshal(glomotest.SignedSuccess(orderID, payment, secret))
	return string(b)
}

func newResultHandler(t *testing.T, onResult func(http.ResponseWriter, *http.Request, glomo.Payment)) *glomo.ResultHandler {
	t.Helper()
	h, err := glomo.NewResultHandler(glomo.ResultHandlerOptions{
		Secrets:       []string{secret},
		ExpectedOrder: func(*http.Request) (string, error) { return order, nil },
		OnResult:      onResult,
		Logger:        quiet,
	})
	require.NoError(t, err)
	return h
}

func post(target, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	return r
}

var resultMethods = []string{http.MethodGet, http.MethodPost}

func TestResultDefaultRendering(t *testing.T) {
	e := newEcho()
	e.Match(resultMethods, "/payment-result", glomoecho.Result(newResultHandler(t, nil)))

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, post("/payment-result", "application/json", successJSON(order)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"outcome":"success","orderId":"order_echo_1","paymentId":"payt_echo_1","status":"success","source":"post"}`, rec.Body.String())

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, glomotest.CallbackURL("/payment-result", order, payment, "success", secret), nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "Payment received")
}

func TestResultOnResultRendersWithEcho(t *testing.T) {
	var outer glomo.Outcome
	e := newEcho(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			if p, ok := glomoecho.Payment(c); ok {
				outer = p.Outcome
			}
			return err
		}
	})
	h := newResultHandler(t, glomoecho.OnResult(func(c echo.Context, p glomo.Payment) error {
		fromCtx, ok := glomoecho.Payment(c)
		require.True(t, ok)
		assert.Equal(t, p, fromCtx)
		fromReq, ok := glomo.PaymentFromContext(c.Request().Context())
		require.True(t, ok)
		assert.Equal(t, p, fromReq)
		return c.JSON(http.StatusOK, map[string]any{"order": p.OrderID, "outcome": p.Outcome})
	}))
	e.POST("/payment-result", glomoecho.Result(h))

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, post("/payment-result", "application/json", successJSON(order)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"order":"order_echo_1","outcome":"success"}`, rec.Body.String())
	assert.Equal(t, glomo.OutcomeSuccess, outer)
}

func TestResultOnResultErrorGoesToEcho(t *testing.T) {
	h := newResultHandler(t, glomoecho.OnResult(func(echo.Context, glomo.Payment) error {
		return echo.NewHTTPError(http.StatusTeapot, "template broke")
	}))
	e := newEcho()
	e.GET("/payment-result", glomoecho.Result(h))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, glomotest.CallbackURL("/payment-result", order, payment, "failed", secret), nil))
	assert.Equal(t, http.StatusTeapot, rec.Code)
	assert.JSONEq(t, `{"message":"template broke"}`, rec.Body.String())
}

func TestOnResultOutsideResult(t *testing.T) {
	called := false
	h := newResultHandler(t, glomoecho.OnResult(func(echo.Context, glomo.Payment) error { called = true; return nil }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, post("/", "application/json", successJSON(order)))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.False(t, called)
}

func TestPaymentWithoutResult(t *testing.T) {
	e := newEcho()
	c := e.NewContext(nil, httptest.NewRecorder())
	_, ok := glomoecho.Payment(c)
	assert.False(t, ok)
	c.SetRequest(httptest.NewRequest(http.MethodGet, "/", nil))
	_, ok = glomoecho.Payment(c)
	assert.False(t, ok)
}

// TestResultClientErrors checks that bad input comes back as an
// *echo.HTTPError carrying glomo's error body, which echo's default error
// handler sends as JSON, and never as a 5xx.
func TestResultClientErrors(t *testing.T) {
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string
	}{
		{"wrong order", post("/r", "application/json", successJSON("order_other")), http.StatusBadRequest, glomo.CodeOrderMismatch},
		{"bad signature", post("/r", "application/json", `{"orderId":"order_echo_1","paymentId":"p","status":"success","signature":"`+strings.Repeat("0", 64)+`"}`), http.StatusBadRequest, glomo.CodeSignatureMismatch},
		{"malformed signature", post("/r", "application/json", `{"orderId":"order_echo_1","paymentId":"p","status":"success","signature":"zz"}`), http.StatusBadRequest, glomo.CodeMalformedSignature},
		{"malformed JSON", post("/r", "application/json", `{"orderId":`), http.StatusBadRequest, glomo.CodeMalformedJSON},
		{"not JSON", post("/r", "text/plain", `hello`), http.StatusUnsupportedMediaType, glomo.CodeUnsupportedMediaType},
		{"too large", post("/r", "application/json", `{"orderId":"`+strings.Repeat("a", glomo.DefaultMaxBodyBytes)+`"}`), http.StatusRequestEntityTooLarge, glomo.CodeBodyTooLarge},
		{"redirect without status", httptest.NewRequest(http.MethodGet, "/r?orderId=order_echo_1", nil), http.StatusBadRequest, glomo.CodeMissingParameter},
		{"repeated parameter", httptest.NewRequest(http.MethodGet, "/r?orderId=a&orderId=b&status=success", nil), http.StatusBadRequest, glomo.CodeRepeatedParameter},
		{"bad query", httptest.NewRequest(http.MethodGet, "/r?orderId=%zz", nil), http.StatusBadRequest, glomo.CodeMalformedQuery},
		{"method", httptest.NewRequest(http.MethodDelete, "/r", nil), http.StatusMethodNotAllowed, glomo.CodeMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var returned error
			e := newEcho(func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error { returned = next(c); return returned }
			})
			e.Any("/r", glomoecho.Result(newResultHandler(t, nil)))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, tt.req)

			var he *echo.HTTPError
			require.True(t, errors.As(returned, &he), "an *echo.HTTPError, got %v", returned)
			assert.Equal(t, tt.wantStatus, he.Code)
			assert.Equal(t, tt.wantCode, he.Message.(glomo.ErrorBody).Code)

			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Contains(t, rec.Header().Get("Content-Type"), "application/json")
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			var body glomo.ErrorBody
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
			assert.Equal(t, tt.wantCode, body.Code)
			assert.NotEmpty(t, body.Message)
		})
	}
}

func TestResultServerFailureIsGeneric(t *testing.T) {
	h, err := glomo.NewResultHandler(glomo.ResultHandlerOptions{
		Secrets:       []string{secret},
		ExpectedOrder: func(*http.Request) (string, error) { return "", io.ErrUnexpectedEOF },
		Logger:        quiet,
	})
	require.NoError(t, err)
	e := newEcho()
	e.POST("/r", glomoecho.Result(h))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, post("/r", "application/json", successJSON(order)))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.JSONEq(t, `{"error":"internal_error","message":"the payment result could not be processed; try again later"}`, rec.Body.String())
}

func TestWebhook(t *testing.T) {
	var got []glomo.WebhookEvent
	wh, err := glomo.NewWebhookHandler(glomo.WebhookOptions{
		Secrets: []glomo.WebhookSecret{webhookSecret},
		Handle: func(_ context.Context, e glomo.WebhookEvent) error {
			got = append(got, e)
			return nil
		},
		Logger: quiet,
	})
	require.NoError(t, err)
	e := newEcho()
	e.POST("/webhooks/glomo", glomoecho.Webhook(wh))

	data := map[string]string{"id": payment, "status": "success"}
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantBody   string
	}{
		{"verified", glomotest.NewWebhookRequest("/webhooks/glomo", "payment", "success", data, webhookSecret), http.StatusOK, `{"status":"processed"}`},
		{"duplicate", glomotest.NewWebhookRequest("/webhooks/glomo", "payment", "success", data, webhookSecret), http.StatusOK, `{"status":"duplicate"}`},
		{"wrong secret", glomotest.NewWebhookRequest("/webhooks/glomo", "payment", "success", data, "whsec_other"), http.StatusUnauthorized, `{"error":"signature_mismatch","message":"the signature does not match the body"}`},
		{"not an event", glomotest.NewRawWebhookRequest("/webhooks/glomo", []byte(`[1]`), webhookSecret), http.StatusBadRequest, `{"error":"malformed_event","message":"the body is not a Glomo webhook event"}`},
		{"unsigned", post("/webhooks/glomo", "application/json", `{}`), http.StatusUnauthorized, `{"error":"signature_missing","message":"the X-Glomopay-Signature header is missing"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, tt.req)
			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.JSONEq(t, tt.wantBody, rec.Body.String())
		})
	}
	require.Len(t, got, 1)
	assert.Equal(t, payment, got[0].ID())
}

func TestHandlersPanicWithoutCore(t *testing.T) {
	assert.Panics(t, func() { glomoecho.Result(nil) })
	assert.Panics(t, func() { glomoecho.Webhook(nil) })
}
