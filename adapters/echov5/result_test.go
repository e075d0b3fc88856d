package glomoechov5_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	glomoechov5 "github.com/glomokit/glomo/adapters/echov5"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/internal/adaptertest"
	"github.com/glomokit/glomo/webhook"
	"github.com/labstack/echo/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var resultMethods = []string{http.MethodGet, http.MethodPost}

func TestResultDefaultRendering(t *testing.T) {
	e := newEcho()
	e.Match(resultMethods, "/payment-result", glomoechov5.Result(adaptertest.NewResultHandler(t, nil)))

	rec := serve(e, adaptertest.Post("/payment-result", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"outcome":"success","orderId":"order_adapter_1","paymentId":"payt_adapter_1","status":"success","source":"post"}`, rec.Body.String())

	rec = serve(e, httptest.NewRequest(http.MethodGet, glomotest.CallbackURL("/payment-result", adaptertest.Order, adaptertest.Payment, "success", adaptertest.Secret), nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "Payment received")
	assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))
}

func TestResultOnResultRendersWithEcho(t *testing.T) {
	var outer glomo.Outcome
	e := newEcho(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			err := next(c)
			if p, ok := glomoechov5.Payment(c); ok {
				outer = p.Outcome
			}
			return err
		}
	})
	h := adaptertest.NewResultHandler(t, glomoechov5.OnResult(func(c *echo.Context, p glomo.Payment) error {
		fromCtx, ok := glomoechov5.Payment(c)
		require.True(t, ok)
		assert.Equal(t, p, fromCtx)
		fromReq, ok := glomo.PaymentFromContext(c.Request().Context())
		require.True(t, ok)
		assert.Equal(t, p, fromReq)
		assert.Equal(t, "/payment-result", c.Path(), "the request's own context")
		return c.JSON(http.StatusOK, map[string]any{"order": p.OrderID, "outcome": p.Outcome})
	}))
	e.POST("/payment-result", glomoechov5.Result(h))

	rec := serve(e, adaptertest.Post("/payment-result", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"order":"order_adapter_1","outcome":"success"}`, rec.Body.String())
	assert.Equal(t, glomo.OutcomeSuccess, outer)
}

func TestResultOnResultErrorGoesToEcho(t *testing.T) {
	h := adaptertest.NewResultHandler(t, glomoechov5.OnResult(func(*echo.Context, glomo.Payment) error {
		return echo.NewHTTPError(http.StatusTeapot, "template broke")
	}))
	e := newEcho()
	e.GET("/payment-result", glomoechov5.Result(h))
	rec := serve(e, httptest.NewRequest(http.MethodGet, glomotest.CallbackURL("/payment-result", adaptertest.Order, adaptertest.Payment, "failed", adaptertest.Secret), nil))
	assert.Equal(t, http.StatusTeapot, rec.Code)
	assert.JSONEq(t, `{"message":"template broke"}`, rec.Body.String())
}

func TestOnResultOutsideResult(t *testing.T) {
	called := false
	h := adaptertest.NewResultHandler(t, glomoechov5.OnResult(func(*echo.Context, glomo.Payment) error { called = true; return nil }))
	e := newEcho()
	e.POST("/r", echo.WrapHandler(h))
	for name, mounted := range map[string]http.Handler{"net/http": h, "echo.WrapHandler": e} {
		t.Run(name, func(t *testing.T) {
			rec := serve(mounted, adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.False(t, called)
		})
	}
}

func TestPaymentWithoutResult(t *testing.T) {
	c := newEcho().NewContext(nil, httptest.NewRecorder())
	_, ok := glomoechov5.Payment(c)
	assert.False(t, ok)
	c.SetRequest(httptest.NewRequest(http.MethodGet, "/", nil))
	_, ok = glomoechov5.Payment(c)
	assert.False(t, ok)
}

// storeDown is a glomo.Store whose every call fails.
type storeDown struct{}

func (storeDown) Claim(context.Context, string, time.Duration) (glomo.Claim, error) {
	return glomo.Claim{}, errors.New("connection refused")
}
func (storeDown) Release(context.Context, string, string) error {
	return errors.New("connection refused")
}
func (storeDown) Done(context.Context, string, string) error { return errors.New("connection refused") }

// errorCase is a request glomo's handler answers with an error, built
// afresh for each server that answers it.
type errorCase struct {
	name       string
	req        func() *http.Request
	wantStatus int
	wantCode   string
}

// checkErrorCase serves tt through the core handler mounted plainly and
// through the adapter's echo handler, and checks that echo answers as
// net/http does, through echo's error handler: the handler returns an
// *glomoechov5.Error carrying the status and body.
func checkErrorCase(t *testing.T, tt errorCase, core http.Handler, adapted echo.HandlerFunc) {
	t.Helper()
	plain := serve(core, tt.req())
	require.Equal(t, tt.wantStatus, plain.Code, "net/http: %s", plain.Body.String())

	var returned error
	e := newEcho(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error { returned = next(c); return returned }
	})
	e.Any("/r", adapted)
	rec := serve(e, tt.req())

	var ge *glomoechov5.Error
	require.True(t, errors.As(returned, &ge), "a *glomoechov5.Error, got %v", returned)
	assert.Equal(t, tt.wantStatus, ge.Status)
	assert.Equal(t, tt.wantCode, ge.Body.Code)
	assert.Equal(t, tt.wantStatus, echo.StatusCode(returned))
	var he *echo.HTTPError
	require.True(t, errors.As(returned, &he), "echo's own error is behind it")
	assert.Equal(t, tt.wantStatus, he.Code)
	assert.Equal(t, ge.Body.Message, he.Message)

	assert.Equal(t, plain.Code, rec.Code, "the same status as net/http")
	assert.JSONEq(t, plain.Body.String(), rec.Body.String(), "the same body as net/http")
	for _, h := range []string{"Content-Type", "Cache-Control", "X-Content-Type-Options", "Allow"} {
		assert.Equal(t, plain.Header().Get(h), rec.Header().Get(h), h)
	}
	var body glomo.ErrorBody
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
	assert.Equal(t, tt.wantCode, body.Code)
	assert.NotEmpty(t, body.Message)
}

// TestResultErrors checks that bad input, and a failure of the hook or
// the store, come back as an *glomoechov5.Error that echo's default error
// handler answers with the status and body of glomo's net/http handler;
// bad input never gets a 5xx.
func TestResultErrors(t *testing.T) {
	post := func(body string) func() *http.Request {
		return func() *http.Request { return adaptertest.Post("/r", "application/json", body) }
	}
	get := func(target string) func() *http.Request {
		return func() *http.Request { return httptest.NewRequest(http.MethodGet, target, nil) }
	}
	tests := []errorCase{
		{"wrong order", post(adaptertest.SuccessJSON("order_other")), http.StatusBadRequest, glomo.CodeOrderMismatch},
		{"bad signature", post(`{"orderId":"order_adapter_1","paymentId":"p","status":"success","signature":"` + strings.Repeat("0", 64) + `"}`), http.StatusBadRequest, glomo.CodeSignatureMismatch},
		{"malformed signature", post(`{"orderId":"order_adapter_1","paymentId":"p","status":"success","signature":"zz"}`), http.StatusBadRequest, glomo.CodeMalformedSignature},
		{"malformed JSON", post(`{"orderId":`), http.StatusBadRequest, glomo.CodeMalformedJSON},
		{"not JSON", func() *http.Request { return adaptertest.Post("/r", "text/plain", `hello`) }, http.StatusUnsupportedMediaType, glomo.CodeUnsupportedMediaType},
		{"too large", post(`{"orderId":"` + strings.Repeat("a", glomo.DefaultMaxBodyBytes) + `"}`), http.StatusRequestEntityTooLarge, glomo.CodeBodyTooLarge},
		{"redirect without status", get("/r?orderId=order_adapter_1"), http.StatusBadRequest, glomo.CodeMissingParameter},
		{"repeated parameter", get("/r?orderId=a&orderId=b&status=success"), http.StatusBadRequest, glomo.CodeRepeatedParameter},
		{"bad query", get("/r?orderId=%zz"), http.StatusBadRequest, glomo.CodeMalformedQuery},
		{"method", func() *http.Request { return httptest.NewRequest(http.MethodDelete, "/r", nil) }, http.StatusMethodNotAllowed, glomo.CodeMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := adaptertest.NewResultHandler(t, nil)
			checkErrorCase(t, tt, h, glomoechov5.Result(h))
		})
	}

	failures := []struct {
		errorCase
		opts glomo.ResultHandlerOptions
	}{
		{errorCase{"ExpectedOrder fails", post(adaptertest.SuccessJSON(adaptertest.Order)), http.StatusInternalServerError, glomo.CodeInternalError},
			glomo.ResultHandlerOptions{ExpectedOrder: func(*http.Request) (string, error) { return "", io.ErrUnexpectedEOF }}},
		{errorCase{"fulfilment hook fails", post(adaptertest.SuccessJSON(adaptertest.Order)), http.StatusInternalServerError, glomo.CodeInternalError},
			glomo.ResultHandlerOptions{Fulfilment: adaptertest.NewFulfilment(t, func(context.Context, glomo.PaidOrder) error { return errors.New("warehouse down") })}},
		{errorCase{"store fails", post(adaptertest.SuccessJSON(adaptertest.Order)), http.StatusServiceUnavailable, glomo.CodeStoreUnavailable},
			glomo.ResultHandlerOptions{Fulfilment: mustFulfilment(t, glomo.FulfilmentOptions{Store: storeDown{}, Logger: adaptertest.Quiet})}},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Secrets = []string{adaptertest.Secret}
			opts.Logger = adaptertest.Quiet
			if opts.ExpectedOrder == nil {
				opts.ExpectedOrder = func(*http.Request) (string, error) { return adaptertest.Order, nil }
			}
			if opts.Fulfilment == nil {
				opts.Fulfilment = adaptertest.NopFulfilment(t)
			}
			h, err := glomo.NewResultHandler(opts)
			require.NoError(t, err)
			checkErrorCase(t, tt.errorCase, h, glomoechov5.Result(h))
		})
	}
}

// mustFulfilment is a Fulfilment with a no-op hook and opts.
func mustFulfilment(t *testing.T, opts glomo.FulfilmentOptions) *glomo.Fulfilment {
	t.Helper()
	f, err := glomo.NewFulfilment(func(context.Context, glomo.PaidOrder) error { return nil }, opts)
	require.NoError(t, err)
	return f
}

// TestErrorsThroughACustomErrorHandler checks what a site's own error
// handler can read from the errors Result returns: glomo's body through
// *glomoechov5.Error, or echo's own *echo.HTTPError.
func TestErrorsThroughACustomErrorHandler(t *testing.T) {
	tests := []struct {
		name     string
		handle   echo.HTTPErrorHandler
		wantBody string
	}{
		{"reads glomo's body", func(c *echo.Context, err error) {
			var ge *glomoechov5.Error
			if errors.As(err, &ge) {
				_ = c.String(ge.Status, "refused: "+ge.Body.Code)
			}
		}, "refused: order_mismatch"},
		{"knows only echo's HTTPError", func(c *echo.Context, err error) {
			var he *echo.HTTPError
			if errors.As(err, &he) {
				_ = c.String(he.Code, he.Message)
			}
		}, "the result is for a different order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEcho(glomoechov5.Headers())
			e.HTTPErrorHandler = tt.handle
			e.POST("/r", glomoechov5.Result(adaptertest.NewResultHandler(t, nil)))
			rec := serve(e, adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON("order_other")))
			assert.Equal(t, http.StatusBadRequest, rec.Code)
			assert.Equal(t, tt.wantBody, rec.Body.String())
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), "glomo's headers are set before the error is returned")
			assert.Equal(t, glomo.COOPAllowPopups, rec.Header().Get(headerCOOP), "the error page is fixed too")
		})
	}
}

func TestError(t *testing.T) {
	err := &glomoechov5.Error{Status: http.StatusBadRequest, Body: glomo.ErrorBody{Code: glomo.CodeOrderMismatch, Message: "the result is for a different order"}}
	assert.Equal(t, "glomoechov5: 400 order_mismatch: the result is for a different order", err.Error())
	assert.Equal(t, http.StatusBadRequest, echo.StatusCode(err))
	b, jerr := json.Marshal(err)
	require.NoError(t, jerr)
	assert.JSONEq(t, `{"error":"order_mismatch","message":"the result is for a different order"}`, string(b))
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
	e := newEcho(glomoechov5.Headers())
	e.POST("/r", glomoechov5.Result(h))
	rec := serve(e, adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
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
			e := newEcho()
			e.POST("/webhooks/glomo", glomoechov5.Webhook(wh), func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c *echo.Context) error { returned = next(c); return returned }
			})
			rec := serve(e, tt.Request)
			assert.Equal(t, tt.WantStatus, rec.Code)
			assert.JSONEq(t, tt.WantBody, rec.Body.String())
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			var ge *glomoechov5.Error
			assert.Equal(t, tt.WantStatus >= 400, errors.As(returned, &ge), "refusals go through echo's error handler")
		})
	}
	require.Len(t, got, 1)
	assert.Equal(t, adaptertest.Payment, got[0].ID())
}

// TestWebhookErrors checks refusals and failures against the core handler
// mounted plainly: the same statuses and bodies, through echo's error
// handler.
func TestWebhookErrors(t *testing.T) {
	event := func() *http.Request { return adaptertest.EventRequest("/r", "payt_err") }
	tests := []struct {
		errorCase
		fulfilment *glomo.Fulfilment
		handle     func(context.Context, webhook.Event) error
	}{
		{errorCase: errorCase{"method", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/r", nil) }, http.StatusMethodNotAllowed, glomo.CodeMethodNotAllowed}},
		{errorCase: errorCase{"not JSON", func() *http.Request {
			r := adaptertest.EventRequest("/r", "payt_err")
			r.Header.Set("Content-Type", "text/plain")
			return r
		}, http.StatusUnsupportedMediaType, glomo.CodeUnsupportedMediaType}},
		{errorCase: errorCase{"unsigned", func() *http.Request { return adaptertest.Post("/r", "application/json", `{}`) }, http.StatusUnauthorized, glomo.CodeMissingSignature}},
		{errorCase: errorCase{"wrong secret", func() *http.Request {
			return glomotest.NewWebhookRequest("/r", "payment", "in_progress", map[string]string{"id": "p"}, "whsec_other")
		}, http.StatusUnauthorized, glomo.CodeSignatureMismatch}},
		{errorCase: errorCase{"too large", func() *http.Request {
			r := adaptertest.EventRequest("/r", "payt_err")
			r.Body = io.NopCloser(strings.NewReader(strings.Repeat("a", webhook.DefaultMaxBodyBytes+1)))
			r.ContentLength = -1
			return r
		}, http.StatusRequestEntityTooLarge, glomo.CodeBodyTooLarge}},
		{errorCase: errorCase{"Handle fails", event, http.StatusInternalServerError, glomo.CodeInternalError},
			handle: func(context.Context, webhook.Event) error { return errors.New("database down") }},
		{errorCase: errorCase{"store fails", event, http.StatusServiceUnavailable, glomo.CodeStoreUnavailable},
			fulfilment: mustFulfilment(t, glomo.FulfilmentOptions{Store: storeDown{}, Logger: adaptertest.Quiet}),
			handle:     func(context.Context, webhook.Event) error { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := adaptertest.NewWebhookHandler(t, tt.fulfilment, tt.handle)
			checkErrorCase(t, tt.errorCase, h, glomoechov5.Webhook(h))
		})
	}
}

func TestOnWebhook(t *testing.T) {
	var (
		handled     adaptertest.FailFirst
		hadDeadline bool
		seenAround  []string
	)
	wh := adaptertest.NewWebhookHandler(t, nil, glomoechov5.OnWebhook(func(c *echo.Context, e webhook.Event) error {
		_, hadDeadline = c.Request().Context().Deadline()
		assert.Equal(t, "/webhooks/glomo", c.Path(), "the delivery's own context")
		got, ok := glomoechov5.Event(c)
		require.True(t, ok)
		assert.Equal(t, e.DedupKey(), got.DedupKey())
		return handled.Handle(e)
	}))
	e := newEcho()
	e.POST("/webhooks/glomo", glomoechov5.Webhook(wh), func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			err := next(c)
			_, deadline := c.Request().Context().Deadline()
			assert.False(t, deadline, "the middleware around Webhook gets the request back")
			if ev, ok := glomoechov5.Event(c); ok && err == nil {
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
			return glomoechov5.OnWebhook(func(*echo.Context, webhook.Event) error { called(); return nil })
		},
		func(wh *webhook.Handler) http.Handler {
			e := newEcho()
			e.POST("/w", echo.WrapHandler(wh))
			return e
		})
}

func TestEventWithoutWebhook(t *testing.T) {
	_, ok := glomoechov5.Event(newEcho().NewContext(nil, httptest.NewRecorder()))
	assert.False(t, ok)
}

// TestResultAndWebhookShareFulfilment runs a signed result and then the
// paid webhook for the same order (and a retried one for another) through
// echo: the fulfilment hook runs once per order.
func TestResultAndWebhookShareFulfilment(t *testing.T) {
	adaptertest.CheckSharedFulfilment(t, func(results *glomo.ResultHandler, webhooks *webhook.Handler) http.Handler {
		e := newEcho(glomoechov5.Headers())
		e.POST("/result", glomoechov5.Result(results))
		e.POST("/webhook", glomoechov5.Webhook(webhooks))
		return e
	})
}

// TestConcurrentDeliveries runs deliveries in parallel through one echo,
// whose contexts are pooled: each Handle sees its own delivery's context.
func TestConcurrentDeliveries(t *testing.T) {
	var mismatched atomic.Int32
	wh := adaptertest.NewWebhookHandler(t, nil, glomoechov5.OnWebhook(func(c *echo.Context, e webhook.Event) error {
		if c.Request().Header.Get("X-Delivery") != e.ID() {
			mismatched.Add(1)
		}
		return nil
	}))
	e := newEcho()
	e.POST("/w", glomoechov5.Webhook(wh))
	srv := httptest.NewServer(e)
	defer srv.Close()
	done := make(chan struct{})
	for i := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range 10 {
				id := "payt_" + string(rune('a'+i)) + string(rune('a'+j))
				req := adaptertest.EventRequest(srv.URL+"/w", id)
				req.RequestURI = ""
				req.Header.Set("X-Delivery", id)
				res, err := srv.Client().Do(req)
				if assert.NoError(t, err) {
					assert.Equal(t, http.StatusOK, res.StatusCode)
					res.Body.Close()
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	assert.Zero(t, mismatched.Load())
}

func TestConstructorsPanicWithoutHandler(t *testing.T) {
	assert.Panics(t, func() { glomoechov5.Result(nil) })
	assert.Panics(t, func() { glomoechov5.Webhook(nil) })
}
