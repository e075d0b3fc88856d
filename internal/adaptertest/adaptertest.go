// Package adaptertest holds the fixtures the framework adapters' tests
// share: the secrets, signed results and deliveries, and handlers
// configured the same way, so that each adapter is tested against
// identical inputs.
package adaptertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The secrets and ids of the fixtures.
const (
	Secret        = "sk_test_adapter"
	WebhookSecret = "whsec_adapter"
	Order         = "order_adapter_1"
	Payment       = "payt_adapter_1"
)

// Quiet is a logger that discards everything.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// SuccessJSON is the SDK's payment.success payload for orderID, signed
// with Secret, as the checkout page posts it.
func SuccessJSON(orderID string) string {
	b, err := json.Marshal(glomotest.SignedSuccess(orderID, Payment, Secret))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// NewFulfilment returns a Fulfilment running hook over a fresh
// MemoryStore, logging nothing.
func NewFulfilment(t testing.TB, hook glomo.FulfilFunc) *glomo.Fulfilment {
	t.Helper()
	f, err := glomo.NewFulfilment(hook, glomo.FulfilmentOptions{Logger: Quiet})
	require.NoError(t, err)
	return f
}

// NopFulfilment returns a Fulfilment whose hook does nothing.
func NopFulfilment(t testing.TB) *glomo.Fulfilment {
	t.Helper()
	return NewFulfilment(t, func(context.Context, glomo.PaidOrder) error { return nil })
}

// Fulfilled is a fulfilment hook that records the orders it fulfils.
type Fulfilled struct {
	mu     sync.Mutex
	orders []glomo.PaidOrder
	// Fail, when set, is returned by the run with that index (from 0).
	Fail map[int]error
}

// Hook records o and returns the error Fail holds for this run.
func (f *Fulfilled) Hook(_ context.Context, o glomo.PaidOrder) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.orders)
	// What the proof said; the claim is the store's business, not the tests'.
	f.orders = append(f.orders, glomo.PaidOrder{OrderID: o.OrderID, PaymentID: o.PaymentID, Proof: o.Proof})
	return f.Fail[n]
}

// Orders returns the orders Hook was called for, in order.
func (f *Fulfilled) Orders() []glomo.PaidOrder {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]glomo.PaidOrder(nil), f.orders...)
}

// NewResultHandler returns a ResultHandler that verifies with Secret and
// expects Order, with a no-op Fulfilment and onResult (nil for the default
// rendering).
func NewResultHandler(t testing.TB, onResult func(http.ResponseWriter, *http.Request, glomo.Payment)) *glomo.ResultHandler {
	t.Helper()
	return NewResultHandlerFor(t, NopFulfilment(t), onResult)
}

// NewResultHandlerFor is NewResultHandler fulfilling through f.
func NewResultHandlerFor(t testing.TB, f *glomo.Fulfilment, onResult func(http.ResponseWriter, *http.Request, glomo.Payment)) *glomo.ResultHandler {
	t.Helper()
	h, err := glomo.NewResultHandler(glomo.ResultHandlerOptions{
		Secrets:       []string{Secret},
		ExpectedOrder: func(*http.Request) (string, error) { return Order, nil },
		Fulfilment:    f,
		OnResult:      onResult,
		Logger:        Quiet,
	})
	require.NoError(t, err)
	return h
}

// NewWebhookHandler returns a webhook.Handler that verifies with
// WebhookSecret, fulfils paid orders through f (a no-op Fulfilment when
// nil), passes every other event to handle and logs nothing.
func NewWebhookHandler(t testing.TB, f *glomo.Fulfilment, handle func(context.Context, webhook.Event) error) *webhook.Handler {
	t.Helper()
	if f == nil {
		f = NopFulfilment(t)
	}
	h, err := webhook.NewHandler(webhook.Options{
		Secrets:    []webhook.Secret{WebhookSecret},
		Fulfilment: f,
		Handle:     handle,
		Logger:     Quiet,
	})
	require.NoError(t, err)
	return h
}

// Post builds a POST request to target with a body of contentType.
func Post(target, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	return r
}

// EventRequest builds a delivery to target, signed with WebhookSecret, of
// a payment/in_progress event for the payment id: an event that proves
// nothing paid, so that it goes to the handler's Handle.
func EventRequest(target, id string) *http.Request {
	return glomotest.NewWebhookRequest(target, "payment", "in_progress",
		map[string]string{"id": id, "status": "in_progress"}, WebhookSecret)
}

// PaidRequest builds a delivery to target, signed with WebhookSecret, of a
// payment/success event naming orderID: a proof of payment, which goes to
// the handler's Fulfilment.
func PaidRequest(target, orderID, paymentID string) *http.Request {
	return glomotest.NewWebhookRequest(target, "payment", "success",
		map[string]string{"id": paymentID, "order_id": orderID, "status": "success"}, WebhookSecret)
}

// WebhookCase is a delivery to a webhook endpoint and the answer expected.
type WebhookCase struct {
	Name       string
	Request    *http.Request
	WantStatus int
	WantBody   string
}

// WebhookCases are, in order, a verified delivery of EventRequest(path,
// Payment), its duplicate, the dashboard's test event, and refusals of a
// wrong secret, a malformed signature, a body that is not an event and an
// unsigned body, all posted to path. Only the first reaches Handle.
func WebhookCases(path string) []WebhookCase {
	data := map[string]string{"id": Payment, "status": "in_progress"}
	malformed := EventRequest(path, Payment)
	malformed.Header.Set(webhook.SignatureHeader, "zz")
	return []WebhookCase{
		{"verified", EventRequest(path, Payment), http.StatusOK, `{"status":"processed"}`},
		{"duplicate", EventRequest(path, Payment), http.StatusOK, `{"status":"duplicate"}`},
		{"test event", glomotest.NewWebhookRequest(path, webhook.EntityWebhookTest, "test", nil, WebhookSecret), http.StatusOK, `{"status":"test"}`},
		{"wrong secret", glomotest.NewWebhookRequest(path, "payment", "in_progress", data, "whsec_other"), http.StatusUnauthorized,
			`{"error":"signature_mismatch","message":"the signature does not match the body"}`},
		{"malformed signature", malformed, http.StatusBadRequest,
			`{"error":"malformed_signature","message":"the X-Glomopay-Signature header must be one 64-digit hex HMAC-SHA256"}`},
		{"not an event", glomotest.NewRawWebhookRequest(path, []byte(`[1]`), WebhookSecret), http.StatusBadRequest,
			`{"error":"malformed_event","message":"the body is not a Glomo webhook event"}`},
		{"unsigned", Post(path, "application/json", `{}`), http.StatusUnauthorized,
			`{"error":"missing_signature","message":"the X-Glomopay-Signature header is missing"}`},
	}
}

// ClaimAll is a glomo.Store that lets every claim through, so a benchmark
// that repeats one delivery runs the whole path each time.
type ClaimAll struct{}

var _ glomo.Store = ClaimAll{}

// Claim always acquires, with the token "bench".
func (ClaimAll) Claim(context.Context, string, time.Duration) (glomo.Claim, error) {
	return glomo.Claim{State: glomo.ClaimAcquired, Token: "bench"}, nil
}

// Release succeeds.
func (ClaimAll) Release(context.Context, string, string) error { return nil }

// Done succeeds.
func (ClaimAll) Done(context.Context, string, string) error { return nil }

// NewBenchWebhookHandler returns a webhook.Handler for benchmarks: it
// verifies with WebhookSecret, passes every delivery that proves nothing
// paid to handle (its Fulfilment's store is ClaimAll) and logs nothing.
func NewBenchWebhookHandler(b testing.TB, handle func(context.Context, webhook.Event) error) *webhook.Handler {
	b.Helper()
	f, err := glomo.NewFulfilment(func(context.Context, glomo.PaidOrder) error { return nil },
		glomo.FulfilmentOptions{Store: ClaimAll{}, Logger: Quiet})
	require.NoError(b, err)
	return NewWebhookHandler(b, f, handle)
}

// ResultRequests returns a function building, on each call, the signed
// payment.success post of SuccessJSON(Order) to target.
func ResultRequests(target string) func() *http.Request {
	body := SuccessJSON(Order)
	return func() *http.Request { return Post(target, "application/json", body) }
}

// WebhookRequests returns a function building, on each call, the same
// delivery EventRequest(target, Payment). The body is signed once, so a
// benchmark does not time the signing.
func WebhookRequests(target string) func() *http.Request {
	signed := EventRequest(target, Payment)
	body, err := io.ReadAll(signed.Body)
	if err != nil {
		panic(err)
	}
	header := signed.Header
	return func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		r.Header = header.Clone()
		return r
	}
}

// Bench serves b.N requests built by next through h.
func Bench(b *testing.B, h http.Handler, next func() *http.Request) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.ServeHTTP(httptest.NewRecorder(), next())
	}
}

// serve answers req through h.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// CheckRetriedDelivery posts EventRequest(path, "payt_on") to h three
// times. h's Handle must fail the first time only: the answers must be 500
// with glomo's internal_error body, then 200 processed (Glomo's retry),
// then 200 duplicate.
func CheckRetriedDelivery(t *testing.T, h http.Handler, path string) {
	t.Helper()
	failed := serve(h, EventRequest(path, "payt_on"))
	assert.Equal(t, http.StatusInternalServerError, failed.Code)
	assert.JSONEq(t, `{"error":"internal_error","message":"the event could not be processed; it will be retried"}`, failed.Body.String())
	retried := serve(h, EventRequest(path, "payt_on"))
	assert.Equal(t, http.StatusOK, retried.Code)
	assert.JSONEq(t, `{"status":"processed"}`, retried.Body.String(), "the retry is processed")
	again := serve(h, EventRequest(path, "payt_on"))
	assert.Equal(t, http.StatusOK, again.Code)
	assert.JSONEq(t, `{"status":"duplicate"}`, again.Body.String(), "a duplicate is acknowledged")
}

// CheckOnWebhookOutsideWebhook checks that an adapter's OnWebhook never
// runs its function where the framework context is missing. newHandle
// returns the adapter's OnWebhook over a function that calls called.
// mountPlain serves the webhook handler on POST /w without the adapter
// (gin.WrapH, echo.WrapHandler): a delivery must get 500 (Handle failed,
// so Glomo retries) and the function must not run.
func CheckOnWebhookOutsideWebhook(t *testing.T, newHandle func(called func()) func(context.Context, webhook.Event) error,
	mountPlain func(*webhook.Handler) http.Handler) {
	t.Helper()
	var calls atomic.Int32
	wh := NewWebhookHandler(t, nil, newHandle(func() { calls.Add(1) }))
	rec := serve(mountPlain(wh), EventRequest("/w", "payt_x"))
	assert.Equal(t, http.StatusInternalServerError, rec.Code, "an unprocessed event is not acknowledged")
	assert.Zero(t, calls.Load(), "OnWebhook must never run without a live framework context")
}

// CheckSharedFulfilment checks that an adapter's result and webhook
// handlers share one Fulfilment. serve mounts the result handler for POST
// /result and the webhook handler for POST /webhook through the adapter.
// A signed result fulfils Order; the webhook proving the same order paid
// is then a duplicate; a webhook for another order runs the hook itself,
// and after a failure of the hook runs it again on Glomo's retry. The
// hook runs once per order, and paid events never reach Handle.
func CheckSharedFulfilment(t *testing.T, serveBoth func(*glomo.ResultHandler, *webhook.Handler) http.Handler) {
	t.Helper()
	const other, otherPayment = "order_adapter_2", "payt_adapter_2"
	fulfilled := &Fulfilled{Fail: map[int]error{1: errors.New("warehouse down")}}
	f := NewFulfilment(t, fulfilled.Hook)
	var handled atomic.Int32
	h := serveBoth(NewResultHandlerFor(t, f, nil),
		NewWebhookHandler(t, f, func(context.Context, webhook.Event) error { handled.Add(1); return nil }))

	success := `{"outcome":"success","orderId":"order_adapter_1","paymentId":"payt_adapter_1","status":"success","source":"post"}`
	steps := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantBody   string
	}{
		{"signed result", Post("/result", "application/json", SuccessJSON(Order)), http.StatusOK, success},
		{"webhook for the same order", PaidRequest("/webhook", Order, Payment), http.StatusOK, `{"status":"duplicate"}`},
		{"webhook for another order, hook fails", PaidRequest("/webhook", other, otherPayment), http.StatusInternalServerError,
			`{"error":"internal_error","message":"the event could not be processed; it will be retried"}`},
		{"its retry", PaidRequest("/webhook", other, otherPayment), http.StatusOK, `{"status":"processed"}`},
		{"its duplicate", PaidRequest("/webhook", other, otherPayment), http.StatusOK, `{"status":"duplicate"}`},
		{"result reloaded", Post("/result", "application/json", SuccessJSON(Order)), http.StatusOK,
			strings.TrimSuffix(success, "}") + `,"duplicate":true}`},
	}
	for _, s := range steps {
		rec := serve(h, s.req)
		assert.Equal(t, s.wantStatus, rec.Code, s.name)
		assert.JSONEq(t, s.wantBody, rec.Body.String(), s.name)
	}
	assert.Equal(t, []glomo.PaidOrder{
		{OrderID: Order, PaymentID: Payment, Proof: glomo.ProofPost},
		{OrderID: other, PaymentID: otherPayment, Proof: glomo.ProofWebhook},
		{OrderID: other, PaymentID: otherPayment, Proof: glomo.ProofWebhook},
	}, fulfilled.Orders(), "one successful run per order; the failed one was retried")
	assert.Zero(t, handled.Load(), "paid events go to the Fulfilment, not Handle")
}

// FailFirst records the webhook events it is given and fails on the first,
// as a Handle whose database was down once.
type FailFirst struct {
	mu     sync.Mutex
	Events []webhook.Event
}

// Handle records e and returns an error the first time.
func (f *FailFirst) Handle(e webhook.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Events = append(f.Events, e)
	if len(f.Events) == 1 {
		return errors.New("database down")
	}
	return nil
}
