package glomoecho_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	glomoecho "github.com/glomokit/glomo/adapters/echo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/internal/adaptertest"
	"github.com/glomokit/glomo/webhook"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var resultMethods = []string{http.MethodGet, http.MethodPost}

func TestResultDefaultRendering(t *testing.T) {
	e := newEcho()
	e.Match(resultMethods, "/payment-result", glomoecho.Result(adaptertest.NewResultHandler(t, nil)))

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, adaptertest.Post("/payment-result", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"outcome":"success","orderId":"order_adapter_1","paymentId":"payt_adapter_1","status":"success","source":"post"}`, rec.Body.String())

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, glomotest.CallbackURL("/payment-result", adaptertest.Order, adaptertest.Payment, "success", adaptertest.Secret), nil))
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
	h := adaptertest.NewResultHandler(t, glomoecho.OnResult(func(c echo.Context, p glomo.Payment) error {
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
	e.ServeHTTP(rec, adaptertest.Post("/payment-result", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"order":"order_adapter_1","outcome":"success"}`, rec.Body.String())
	assert.Equal(t, glomo.OutcomeSuccess, outer)
}

func TestResultOnResultErrorGoesToEcho(t *testing.T) {
	h := adaptertest.NewResultHandler(t, glomoecho.OnResult(func(echo.Context, glomo.Payment) error {
		return echo.NewHTTPError(http.StatusTeapot, "template broke")
	}))
	e := newEcho()
	e.GET("/payment-result", glomoecho.Result(h))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, glomotest.CallbackURL("/payment-result", adaptertest.Order, adaptertest.Payment, "failed", adaptertest.Secret), nil))
	assert.Equal(t, http.StatusTeapot, rec.Code)
	assert.JSONEq(t, `{"message":"template broke"}`, rec.Body.String())
}

func TestOnResultOutsideResult(t *testing.T) {
	called := false
	h := adaptertest.NewResultHandler(t, glomoecho.OnResult(func(echo.Context, glomo.Payment) error { called = true; return nil }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, adaptertest.Post("/", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
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
		{"wrong order", adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON("order_other")), http.StatusBadRequest, glomo.CodeOrderMismatch},
		{"bad signature", adaptertest.Post("/r", "application/json", `{"orderId":"order_adapter_1","paymentId":"p","status":"success","signature":"`+strings.Repeat("0", 64)+`"}`), http.StatusBadRequest, glomo.CodeSignatureMismatch},
		{"malformed signature", adaptertest.Post("/r", "application/json", `{"orderId":"order_adapter_1","paymentId":"p","status":"success","signature":"zz"}`), http.StatusBadRequest, glomo.CodeMalformedSignature},
		{"malformed JSON", adaptertest.Post("/r", "application/json", `{"orderId":`), http.StatusBadRequest, glomo.CodeMalformedJSON},
		{"not JSON", adaptertest.Post("/r", "text/plain", `hello`), http.StatusUnsupportedMediaType, glomo.CodeUnsupportedMediaType},
		{"too large", adaptertest.Post("/r", "application/json", `{"orderId":"`+strings.Repeat("a", glomo.DefaultMaxBodyBytes)+`"}`), http.StatusRequestEntityTooLarge, glomo.CodeBodyTooLarge},
		{"redirect without status", httptest.NewRequest(http.MethodGet, "/r?orderId=order_adapter_1", nil), http.StatusBadRequest, glomo.CodeMissingParameter},
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
			e.Any("/r", glomoecho.Result(adaptertest.NewResultHandler(t, nil)))
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
		Secrets:       []string{adaptertest.Secret},
		ExpectedOrder: func(*http.Request) (string, error) { return "", io.ErrUnexpectedEOF },
		Fulfilment:    adaptertest.NopFulfilment(t),
		Logger:        adaptertest.Quiet,
	})
	require.NoError(t, err)
	e := newEcho()
	e.POST("/r", glomoecho.Result(h))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.JSONEq(t, `{"error":"internal_error","message":"the payment result could not be processed; try again later"}`, rec.Body.String())
}

// TestResultExemptCOOPThroughResponder checks that a plain OnResult, which
// gets the adapter's writer rather than c.Response(), still finds the
// header middleware behind it.
func TestResultExemptCOOPThroughResponder(t *testing.T) {
	var found bool
	h := adaptertest.NewResultHandler(t, func(w http.ResponseWriter, _ *http.Request, _ glomo.Payment) {
		found = glomo.ExemptCOOP(w)
		w.Header().Set(headerCOOP, "same-origin")
		w.WriteHeader(http.StatusOK)
	})
	e := newEcho(glomoecho.Headers())
	e.POST("/r", glomoecho.Result(h))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.True(t, found)
	assert.Equal(t, "same-origin", rec.Result().Header.Get(headerCOOP))
}

func TestWebhook(t *testing.T) {
	var got []webhook.Event
	wh := adaptertest.NewWebhookHandler(t, nil, func(_ context.Context, e webhook.Event) error {
		got = append(got, e)
		return nil
	})
	for _, tt := range adaptertest.WebhookCases("/webhooks/glomo") {
		t.Run(tt.Name, func(t *testing.T) {
			var returned error
			e := newEcho(func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error { returned = next(c); return returned }
			})
			e.POST("/webhooks/glomo", glomoecho.Webhook(wh))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, tt.Request)
			assert.Equal(t, tt.WantStatus, rec.Code)
			assert.JSONEq(t, tt.WantBody, rec.Body.String())
			if tt.WantStatus < 400 {
				assert.NoError(t, returned)
				return
			}
			var he *echo.HTTPError
			require.True(t, errors.As(returned, &he), "an *echo.HTTPError, got %v", returned)
			assert.Equal(t, tt.WantStatus, he.Code)
		})
	}
	require.Len(t, got, 1)
	assert.Equal(t, adaptertest.Payment, got[0].ID())
}

func TestWebhookRefusesOtherMethods(t *testing.T) {
	e := newEcho()
	e.Any("/w", glomoecho.Webhook(adaptertest.NewWebhookHandler(t, nil, nil)))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/w", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
	assert.JSONEq(t, `{"error":"method_not_allowed","message":"webhooks must be POSTed"}`, rec.Body.String())
}

func TestOnWebhook(t *testing.T) {
	var (
		handled     adaptertest.FailFirst
		hadDeadline bool
		seenAround  []string
	)
	wh := adaptertest.NewWebhookHandler(t, nil, glomoecho.OnWebhook(func(c echo.Context, e webhook.Event) error {
		_, hadDeadline = c.Request().Context().Deadline()
		assert.Equal(t, "/webhooks/glomo", c.Path(), "the delivery's own context")
		got, ok := glomoecho.Event(c)
		require.True(t, ok)
		assert.Equal(t, e.DedupKey(), got.DedupKey())
		return handled.Handle(e)
	}))
	e := newEcho()
	e.POST("/webhooks/glomo", glomoecho.Webhook(wh), func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			_, deadline := c.Request().Context().Deadline()
			assert.False(t, deadline, "the middleware around Webhook gets the request back")
			if ev, ok := glomoecho.Event(c); ok && err == nil {
				seenAround = append(seenAround, ev.ID())
			}
			return err
		}
	})

	adaptertest.CheckRetriedDelivery(t, e, "/webhooks/glomo")
	require.Len(t, handled.Events, 2)
	assert.Equal(t, "payt_on", handled.Events[1].ID())
	assert.True(t, hadDeadline, "handle's request carries Handle's deadline")
	assert.Equal(t, []string{"payt_on"}, seenAround, "only the processed delivery leaves its event in c")
}

func TestOnWebhookOutsideWebhook(t *testing.T) {
	adaptertest.CheckOnWebhookOutsideWebhook(t,
		func(called func()) func(context.Context, webhook.Event) error {
			return glomoecho.OnWebhook(func(echo.Context, webhook.Event) error { called(); return nil })
		},
		func(wh *webhook.Handler) http.Handler {
			e := newEcho()
			e.POST("/w", echo.WrapHandler(wh))
			return e
		})
}

func TestEventWithoutWebhook(t *testing.T) {
	c := newEcho().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	_, ok := glomoecho.Event(c)
	assert.False(t, ok)
}

func TestResultAndWebhookShareFulfilment(t *testing.T) {
	adaptertest.CheckSharedFulfilment(t, func(results *glomo.ResultHandler, webhooks *webhook.Handler) http.Handler {
		e := newEcho()
		e.POST("/result", glomoecho.Result(results))
		e.POST("/webhook", glomoecho.Webhook(webhooks))
		return e
	})
}

func TestConstructorsPanicWithoutHandler(t *testing.T) {
	assert.Panics(t, func() { glomoecho.Result(nil) })
	assert.Panics(t, func() { glomoecho.Webhook(nil) })
}
