// Package adaptertest holds the fixtures the framework adapters' tests
// share: the secrets, a signed result and a result handler configured the
// same way, so that each adapter is tested against identical inputs.
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
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
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

// NewResultHandler returns a ResultHandler that verifies with Secret and
// expects Order, with onResult (nil for the default rendering).
func NewResultHandler(t testing.TB, onResult func(http.ResponseWriter, *http.Request, glomo.Payment)) *glomo.ResultHandler {
	t.Helper()
	h, err := glomo.NewResultHandler(glomo.ResultHandlerOptions{
		Secrets:       []string{Secret},
		ExpectedOrder: func(*http.Request) (string, error) { return Order, nil },
		OnResult:      onResult,
		Logger:        Quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Post builds a POST request to target with a body of contentType.
func Post(target, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	return r
}

// WebhookCase is a delivery to a webhook endpoint and the answer expected.
type WebhookCase struct {
	Name       string
	Request    *http.Request
	WantStatus int
	WantBody   string
}

// WebhookCases are, in order, a verified delivery of a payment event signed
// with WebhookSecret, its duplicate, and refusals of a wrong secret, a body
// that is not an event and an unsigned body, all posted to path.
func WebhookCases(path string) []WebhookCase {
	data := map[string]string{"id": Payment, "status": "success"}
	return []WebhookCase{
		{"verified", glomotest.NewWebhookRequest(path, "payment", "success", data, WebhookSecret), http.StatusOK, `{"status":"processed"}`},
		{"duplicate", glomotest.NewWebhookRequest(path, "payment", "success", data, WebhookSecret), http.StatusOK, `{"status":"duplicate"}`},
		{"wrong secret", glomotest.NewWebhookRequest(path, "payment", "success", data, "whsec_other"), http.StatusUnauthorized, `{"error":"signature_mismatch","message":"the signature does not match the body"}`},
		{"not an event", glomotest.NewRawWebhookRequest(path, []byte(`[1]`), WebhookSecret), http.StatusBadRequest, `{"error":"malformed_event","message":"the body is not a Glomo webhook event"}`},
		{"unsigned", Post(path, "application/json", `{}`), http.StatusUnauthorized, `{"error":"signature_missing","message":"the X-Glomopay-Signature header is missing"}`},
	}
}

// ClaimAll is a glomo.EventStore that lets every delivery through, so a
// benchmark that repeats one delivery runs the whole path each time.
type ClaimAll struct{}

// Claim always acquires.
func (ClaimAll) Claim(context.Context, string, time.Duration) (glomo.Claim, error) {
	return glomo.ClaimAcquired, nil
}

// Release does nothing.
func (ClaimAll) Release(context.Context, string) error { return nil }

// Done does nothing.
func (ClaimAll) Done(context.Context, string) error { return nil }

// NewBenchWebhookHandler returns a WebhookHandler for benchmarks: it
// verifies with WebhookSecret, passes every delivery to handle (its store
// is ClaimAll) and logs nothing.
func NewBenchWebhookHandler(b testing.TB, handle func(context.Context, glomo.WebhookEvent) error) *glomo.WebhookHandler {
	b.Helper()
	h, err := glomo.NewWebhookHandler(glomo.WebhookOptions{
		Secrets: []glomo.WebhookSecret{WebhookSecret},
		Handle:  handle, Store: ClaimAll{}, Logger: Quiet,
	})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// ResultRequests returns a function building, on each call, the signed
// payment.success post of SuccessJSON(Order) to target.
func ResultRequests(target string) func() *http.Request {
	body := SuccessJSON(Order)
	return func() *http.Request { return Post(target, "application/json", body) }
}

// WebhookRequests returns a function building, on each call, the same
// delivery of a payment event signed with WebhookSecret to target. The
// body is signed once, so a benchmark does not time the signing.
func WebhookRequests(target string) func() *http.Request {
	signed := glomotest.NewWebhookRequest(target, "payment", "success",
		map[string]string{"id": Payment, "status": "success"}, WebhookSecret)
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

// CheckRetriedDelivery posts one signed payment event (id "payt_on") to
// path on h three times. h's Handle must fail the first time only: the
// answers must be 500 with glomo's internal_error body, then 200 (Glomo's
// retry is processed), then 200 (a duplicate, acknowledged).
func CheckRetriedDelivery(t *testing.T, h http.Handler, path string) {
	t.Helper()
	deliver := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, glomotest.NewWebhookRequest(path, "payment", "success",
			map[string]string{"id": "payt_on", "status": "success"}, WebhookSecret))
		return rec
	}
	failed := deliver()
	assert.Equal(t, http.StatusInternalServerError, failed.Code)
	assert.JSONEq(t, `{"error":"internal_error","message":"the webhook could not be processed; it will be retried"}`, failed.Body.String())
	assert.Equal(t, http.StatusOK, deliver().Code, "the retry is processed")
	assert.Equal(t, http.StatusOK, deliver().Code, "a duplicate is acknowledged")
}

// CheckOnWebhookOutsideWebhook checks that an adapter's OnWebhook never
// runs its function where the framework context is missing. newHandle
// returns the adapter's OnWebhook over a function that calls called.
// mountPlain serves the core handler without the adapter (gin.WrapH,
// echo.WrapHandler): a delivery must get 500 (Handle failed, so Glomo
// retries) and the function must not run.
func CheckOnWebhookOutsideWebhook(t *testing.T, newHandle func(called func()) func(context.Context, glomo.WebhookEvent) error,
	mountPlain func(*glomo.WebhookHandler) http.Handler) {
	t.Helper()
	var calls atomic.Int32
	wh, err := glomo.NewWebhookHandler(glomo.WebhookOptions{
		Secrets: []glomo.WebhookSecret{WebhookSecret},
		Handle:  newHandle(func() { calls.Add(1) }),
		Logger:  Quiet,
	})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	mountPlain(wh).ServeHTTP(rec, glomotest.NewWebhookRequest("/w", "payment", "success",
		map[string]string{"id": "payt_x", "status": "success"}, WebhookSecret))
	assert.Equal(t, http.StatusInternalServerError, rec.Code, "an unprocessed event is not acknowledged")
	assert.Zero(t, calls.Load(), "OnWebhook must never run without a live framework context")
}

// CheckWebhookRefusesAsync checks an adapter's Webhook constructor, which
// newAdapter calls and, when it returns no error, mounts on a router
// serving POST /w. A synchronous handler is served (a delivery gets 200);
// a nil handler is an error; an Async handler is an error matching
// errAsync, because the adapter's context would be gone when the queued
// Handle runs, after the 202.
func CheckWebhookRefusesAsync(t *testing.T, newAdapter func(*glomo.WebhookHandler) (http.Handler, error), errAsync error) {
	t.Helper()
	newHandler := func(t *testing.T, async bool) *glomo.WebhookHandler {
		wh, err := glomo.NewWebhookHandler(glomo.WebhookOptions{
			Secrets: []glomo.WebhookSecret{WebhookSecret},
			Handle:  func(context.Context, glomo.WebhookEvent) error { return nil },
			Async:   async,
			Logger:  Quiet,
		})
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, wh.Shutdown(context.Background())) })
		return wh
	}
	t.Run("synchronous", func(t *testing.T) {
		h, err := newAdapter(newHandler(t, false))
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, glomotest.NewWebhookRequest("/w", "payment", "success",
			map[string]string{"id": "payt_sync", "status": "success"}, WebhookSecret))
		assert.Equal(t, http.StatusOK, rec.Code)
	})
	t.Run("async", func(t *testing.T) {
		h, err := newAdapter(newHandler(t, true))
		require.ErrorIs(t, err, errAsync)
		assert.Nil(t, h)
	})
	t.Run("nil", func(t *testing.T) {
		h, err := newAdapter(nil)
		require.Error(t, err)
		assert.Nil(t, h)
	})
}

// FailFirst records the webhook events it is given and fails on the first,
// as a Handle whose database was down once.
type FailFirst struct {
	Events []glomo.WebhookEvent
}

// Handle records e and returns an error the first time.
func (f *FailFirst) Handle(e glomo.WebhookEvent) error {
	f.Events = append(f.Events, e)
	if len(f.Events) == 1 {
		return errors.New("database down")
	}
	return nil
}
