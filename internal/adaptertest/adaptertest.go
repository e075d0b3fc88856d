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
