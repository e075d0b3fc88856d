package glomo_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errorCatcher is a ResponseWriter that renders errors itself, as a
// framework adapter's does.
type errorCatcher struct {
	*httptest.ResponseRecorder
	status int
	body   glomo.ErrorBody
}

func (c *errorCatcher) RespondError(status int, body glomo.ErrorBody) {
	c.status, c.body = status, body
}

func TestErrorResponderGetsClientErrors(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	result := newHandler(t)
	webhooks, err := webhook.NewHandler(webhook.Options{
		Secrets:    []webhook.Secret{"whsec_1"},
		Fulfilment: fulfilWith(t, func(context.Context, glomo.PaidOrder) error { return nil }),
		Logger:     quiet,
	})
	require.NoError(t, err)

	tests := []struct {
		name       string
		handler    http.Handler
		req        *http.Request
		wantStatus int
		wantCode   string
		wantAllow  string
	}{
		{"result mismatch", result, jsonReq(`{"orderId":"` + otherOrder + `","paymentId":"p","status":"success","signature":"` + testSig + `"}`),
			http.StatusBadRequest, glomo.CodeOrderMismatch, ""},
		{"result method", result, httptest.NewRequest(http.MethodPut, resultPath, nil),
			http.StatusMethodNotAllowed, glomo.CodeMethodNotAllowed, "GET, POST"},
		{"webhook signature", webhooks, glomotest.NewWebhookRequest("/hook", "payment", "success", map[string]string{"id": "p"}, "whsec_wrong"),
			http.StatusUnauthorized, glomo.CodeSignatureMismatch, ""},
		{"webhook method", webhooks, httptest.NewRequest(http.MethodGet, "/hook", nil),
			http.StatusMethodNotAllowed, glomo.CodeMethodNotAllowed, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &errorCatcher{ResponseRecorder: httptest.NewRecorder()}
			tt.handler.ServeHTTP(w, tt.req)
			assert.Equal(t, tt.wantStatus, w.status)
			assert.Equal(t, tt.wantCode, w.body.Code)
			assert.NotEmpty(t, w.body.Message)
			assert.Empty(t, w.Body.String(), "the responder writes the body, not the handler")
			assert.False(t, w.Flushed)
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			assert.Equal(t, tt.wantAllow, w.Header().Get("Allow"))
		})
	}
}

func TestErrorResponderNotUsedForResults(t *testing.T) {
	w := &errorCatcher{ResponseRecorder: httptest.NewRecorder()}
	newHandler(t).ServeHTTP(w, jsonReq(`{"orderId":"`+testOrder+`","paymentId":"`+testPayment+`","status":"success","signature":"`+testSig+`"}`))
	assert.Zero(t, w.status)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `"outcome":"success"`)
}

func TestHandlerFixesHeadersOfAPanic(t *testing.T) {
	recoverer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if recover() != nil {
					w.WriteHeader(http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
	h := recoverer(glomo.COOP()(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		panic("handler bug")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, glomo.COOPAllowPopups, rec.Result().Header.Get("Cross-Origin-Opener-Policy"))
}
