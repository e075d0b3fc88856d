package glomogin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/glomokit/glomo"
	glomogin "github.com/glomokit/glomo/adapters/gin"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/internal/adaptertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResultDefaultRendering(t *testing.T) {
	r := gin.New()
	r.Any("/payment-result", glomogin.Result(adaptertest.NewResultHandler(t, nil)))

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, adaptertest.Post("/payment-result", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"outcome":"success","orderId":"order_adapter_1","paymentId":"payt_adapter_1","status":"success","source":"post"}`, rec.Body.String())

	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, glomotest.CallbackURL("/payment-result", adaptertest.Order, adaptertest.Payment, "success", adaptertest.Secret), nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "Payment received")
}

func TestResultOnResultRendersWithGin(t *testing.T) {
	var outer atomic.Value
	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		if p, ok := glomogin.Payment(c); ok {
			outer.Store(p.Outcome)
		}
	})
	h := adaptertest.NewResultHandler(t, glomogin.OnResult(func(c *gin.Context, p glomo.Payment) {
		fromCtx, ok := glomogin.Payment(c)
		require.True(t, ok)
		assert.Equal(t, p, fromCtx)
		fromReq, ok := glomo.PaymentFromContext(c.Request.Context())
		require.True(t, ok)
		assert.Equal(t, p, fromReq)
		c.JSON(http.StatusOK, gin.H{"order": p.OrderID, "outcome": p.Outcome})
	}))
	r.POST("/payment-result", glomogin.Result(h))

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, adaptertest.Post("/payment-result", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"order":"order_adapter_1","outcome":"success"}`, rec.Body.String())
	assert.Equal(t, glomo.OutcomeSuccess, outer.Load())
}

func TestResultOnResultCallsNext(t *testing.T) {
	h := adaptertest.NewResultHandler(t, glomogin.OnResult(func(c *gin.Context, _ glomo.Payment) { c.Next() }))
	r := gin.New()
	r.GET("/payment-result", glomogin.Result(h), func(c *gin.Context) {
		p, _ := glomogin.Payment(c)
		c.String(http.StatusOK, "thanks: %s", p.Outcome)
	})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, glomotest.CallbackURL("/payment-result", adaptertest.Order, adaptertest.Payment, "failed", adaptertest.Secret), nil))
	assert.Equal(t, "thanks: failure", rec.Body.String())
}

func TestOnResultOutsideResult(t *testing.T) {
	called := false
	h := adaptertest.NewResultHandler(t, glomogin.OnResult(func(*gin.Context, glomo.Payment) { called = true }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, adaptertest.Post("/", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.False(t, called)
}

func TestPaymentWithoutResult(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	_, ok := glomogin.Payment(c)
	assert.False(t, ok)
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	_, ok = glomogin.Payment(c)
	assert.False(t, ok)
}

// TestResultClientErrors checks that bad input is answered through
// c.AbortWithStatusJSON with glomo's error body, and never with a 5xx.
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
			var aborted, reached bool
			r := gin.New()
			r.Use(func(c *gin.Context) { c.Next(); aborted = c.IsAborted() })
			r.Any("/r", glomogin.Result(adaptertest.NewResultHandler(t, nil)), func(*gin.Context) { reached = true })
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, tt.req)

			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			var body glomo.ErrorBody
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
			assert.Equal(t, tt.wantCode, body.Code)
			assert.NotEmpty(t, body.Message)
			assert.True(t, aborted, "AbortWithStatusJSON stops the chain")
			assert.False(t, reached)
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
	r := gin.New()
	r.POST("/r", glomogin.Result(h))
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
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
	r := gin.New()
	r.POST("/webhooks/glomo", mustWebhook(t, wh))

	for _, tt := range adaptertest.WebhookCases("/webhooks/glomo") {
		t.Run(tt.Name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, tt.Request)
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
		seenAfter   []string
	)
	wh, err := glomo.NewWebhookHandler(glomo.WebhookOptions{
		Secrets: []glomo.WebhookSecret{adaptertest.WebhookSecret},
		Handle: glomogin.OnWebhook(func(c *gin.Context, e glomo.WebhookEvent) error {
			_, hadDeadline = c.Request.Context().Deadline()
			got, ok := glomogin.Event(c)
			require.True(t, ok)
			assert.Equal(t, e.DedupKey(), got.DedupKey())
			return handled.Handle(e)
		}),
		Logger: adaptertest.Quiet,
	})
	require.NoError(t, err)
	r := gin.New()
	r.POST("/webhooks/glomo", mustWebhook(t, wh), func(c *gin.Context) {
		_, deadline := c.Request.Context().Deadline()
		assert.False(t, deadline, "the handlers after Webhook get the request back")
		if e, ok := glomogin.Event(c); ok {
			seenAfter = append(seenAfter, e.ID())
		}
	})

	adaptertest.CheckRetriedDelivery(t, r, "/webhooks/glomo")
	require.Len(t, handled.Events, 2)
	assert.Equal(t, "payt_on", handled.Events[1].ID())
	assert.True(t, hadDeadline, "handle's request carries Handle's deadline")
	assert.Equal(t, []string{"payt_on"}, seenAfter, "only the processed delivery leaves its event in c")
}

func TestOnWebhookOutsideWebhook(t *testing.T) {
	adaptertest.CheckOnWebhookOutsideWebhook(t,
		func(called func()) func(context.Context, glomo.WebhookEvent) error {
			return glomogin.OnWebhook(func(*gin.Context, glomo.WebhookEvent) error { called(); return nil })
		},
		func(wh *glomo.WebhookHandler) http.Handler {
			r := gin.New()
			r.POST("/w", gin.WrapH(wh))
			return r
		})
}

func TestWebhookRefusesAsync(t *testing.T) {
	adaptertest.CheckWebhookRefusesAsync(t, func(wh *glomo.WebhookHandler) (http.Handler, error) {
		h, err := glomogin.Webhook(wh)
		if err != nil {
			return nil, err
		}
		r := gin.New()
		r.POST("/w", h)
		return r, nil
	}, glomogin.ErrAsyncWebhook)
}

func TestResultPanicsWithoutCore(t *testing.T) {
	assert.Panics(t, func() { glomogin.Result(nil) })
}

// mustWebhook is glomogin.Webhook for a handler the test knows is valid.
func mustWebhook(t testing.TB, wh *glomo.WebhookHandler) gin.HandlerFunc {
	t.Helper()
	h, err := glomogin.Webhook(wh)
	require.NoError(t, err)
	return h
}
