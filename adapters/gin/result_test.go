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
	"github.com/glomokit/glomo/webhook"
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
		Fulfilment:    adaptertest.NopFulfilment(t),
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

// TestResultExemptCOOPThroughResponder checks that a plain OnResult, which
// gets the adapter's writer rather than c.Writer, still finds the header
// middleware behind it.
func TestResultExemptCOOPThroughResponder(t *testing.T) {
	var found bool
	h := adaptertest.NewResultHandler(t, func(w http.ResponseWriter, _ *http.Request, _ glomo.Payment) {
		found = glomo.ExemptCOOP(w)
		w.Header().Set(headerCOOP, "same-origin")
		w.WriteHeader(http.StatusOK)
	})
	r := gin.New()
	r.Use(glomogin.Headers())
	r.POST("/r", glomogin.Result(h))
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
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
			var aborted bool
			r := gin.New()
			r.Use(func(c *gin.Context) { c.Next(); aborted = c.IsAborted() })
			r.POST("/webhooks/glomo", glomogin.Webhook(wh))
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, tt.Request)
			assert.Equal(t, tt.WantStatus, rec.Code)
			assert.JSONEq(t, tt.WantBody, rec.Body.String())
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.Equal(t, tt.WantStatus >= 400, aborted, "refusals go through AbortWithStatusJSON")
		})
	}
	require.Len(t, got, 1)
	assert.Equal(t, adaptertest.Payment, got[0].ID())
}

func TestWebhookRefusesOtherMethods(t *testing.T) {
	r := gin.New()
	r.Any("/w", glomogin.Webhook(adaptertest.NewWebhookHandler(t, nil, nil)))
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/w", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
	assert.JSONEq(t, `{"error":"method_not_allowed","message":"webhooks must be POSTed"}`, rec.Body.String())
}

func TestOnWebhook(t *testing.T) {
	var (
		handled     adaptertest.FailFirst
		hadDeadline bool
		seenAfter   []string
	)
	wh := adaptertest.NewWebhookHandler(t, nil, glomogin.OnWebhook(func(c *gin.Context, e webhook.Event) error {
		_, hadDeadline = c.Request.Context().Deadline()
		assert.Equal(t, "/webhooks/glomo", c.FullPath(), "the delivery's own context")
		got, ok := glomogin.Event(c)
		require.True(t, ok)
		assert.Equal(t, e.DedupKey(), got.DedupKey())
		return handled.Handle(e)
	}))
	r := gin.New()
	r.POST("/webhooks/glomo", glomogin.Webhook(wh), func(c *gin.Context) {
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
		func(called func()) func(context.Context, webhook.Event) error {
			return glomogin.OnWebhook(func(*gin.Context, webhook.Event) error { called(); return nil })
		},
		func(wh *webhook.Handler) http.Handler {
			r := gin.New()
			r.POST("/w", gin.WrapH(wh))
			return r
		})
}

func TestEventWithoutWebhook(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	_, ok := glomogin.Event(c)
	assert.False(t, ok)
}

func TestResultAndWebhookShareFulfilment(t *testing.T) {
	adaptertest.CheckSharedFulfilment(t, func(results *glomo.ResultHandler, webhooks *webhook.Handler) http.Handler {
		r := gin.New()
		r.POST("/result", glomogin.Result(results))
		r.POST("/webhook", glomogin.Webhook(webhooks))
		return r
	})
}

func TestConstructorsPanicWithoutHandler(t *testing.T) {
	assert.Panics(t, func() { glomogin.Result(nil) })
	assert.Panics(t, func() { glomogin.Webhook(nil) })
}
