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

func TestWebhook(t *testing.T) {
	var got []glomo.WebhookEvent
	wh, err := glomo.NewWebhookHandler(glomo.WebhookOptions{
		Secrets: []glomo.WebhookSecret{adaptertest.WebhookSecret},
		Handle: func(_ context.Context, e glomo.WebhookEvent) error {
			got = append(got, e)
			return nil
		},
		Logger: adaptertest.Quiet,
	})
	require.NoError(t, err)
	e := newEcho()
	e.POST("/webhooks/glomo", mustWebhook(t, wh))

	for _, tt := range adaptertest.WebhookCases("/webhooks/glomo") {
		t.Run(tt.Name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, tt.Request)
			assert.Equal(t, tt.WantStatus, rec.Code)
			assert.JSONEq(t, tt.WantBody, rec.Body.String())
		})
	}
	require.Len(t, got, 1)
	assert.Equal(t, adaptertest.Payment, got[0].ID())
}

func TestOnWebhook(t *testing.T) {
	var (
		handled     adaptertest.FailFirst
		hadDeadline bool
		seenAround  []string
	)
	wh, err := glomo.NewWebhookHandler(glomo.WebhookOptions{
		Secrets: []glomo.WebhookSecret{adaptertest.WebhookSecret},
		Handle: glomoecho.OnWebhook(func(c echo.Context, e glomo.WebhookEvent) error {
			_, hadDeadline = c.Request().Context().Deadline()
			got, ok := glomoecho.Event(c)
			require.True(t, ok)
			assert.Equal(t, e.DedupKey(), got.DedupKey())
			return handled.Handle(e)
		}),
		Logger: adaptertest.Quiet,
	})
	require.NoError(t, err)
	e := newEcho()
	e.POST("/webhooks/glomo", mustWebhook(t, wh), func(next echo.HandlerFunc) echo.HandlerFunc {
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
		func(called func()) func(context.Context, glomo.WebhookEvent) error {
			return glomoecho.OnWebhook(func(echo.Context, glomo.WebhookEvent) error { called(); return nil })
		},
		func(wh *glomo.WebhookHandler) http.Handler {
			e := newEcho()
			e.POST("/w", echo.WrapHandler(wh))
			return e
		})
}

func TestWebhookRefusesAsync(t *testing.T) {
	adaptertest.CheckWebhookRefusesAsync(t, func(wh *glomo.WebhookHandler) (http.Handler, error) {
		h, err := glomoecho.Webhook(wh)
		if err != nil {
			return nil, err
		}
		e := newEcho()
		e.POST("/w", h)
		return e, nil
	}, glomoecho.ErrAsyncWebhook)
}

func TestResultPanicsWithoutCore(t *testing.T) {
	assert.Panics(t, func() { glomoecho.Result(nil) })
}

// mustWebhook is glomoecho.Webhook for a handler the test knows is valid.
func mustWebhook(t testing.TB, wh *glomo.WebhookHandler) echo.HandlerFunc {
	t.Helper()
	h, err := glomoecho.Webhook(wh)
	require.NoError(t, err)
	return h
}
