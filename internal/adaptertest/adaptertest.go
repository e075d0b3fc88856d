// Package adaptertest holds the fixtures the framework adapters' tests
// share: the secrets, a signed result and a result handler configured the
// same way, so that each adapter is tested against identical inputs.
package adaptertest

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
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
