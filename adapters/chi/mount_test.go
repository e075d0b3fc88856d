package glomochi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	glomochi "github.com/glomokit/glomo/adapters/chi"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/internal/adaptertest"
	"github.com/glomokit/glomo/webhook"
	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	secret        = "sk_test_adapter"
	webhookSecret = "whsec_adapter"
	order         = "order_chi_1"
	payment       = "payt_chi_1"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func successJSON() string {
	b, _ := json.Marshal(glomotest.SignedSuccess(order, payment, secret))
	return string(b)
}

func post(target, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// fixture is what newEndpoints builds: the endpoints, sharing one
// Fulfilment, and what their hooks saw.
type fixture struct {
	endpoints glomochi.Endpoints
	events    *[]webhook.Event       // given to Handle
	fulfilled *adaptertest.Fulfilled // given to the fulfilment hook
}

func newEndpoints(t *testing.T) fixture {
	t.Helper()
	fx := fixture{events: new([]webhook.Event), fulfilled: &adaptertest.Fulfilled{}}
	f, err := glomo.NewFulfilment(fx.fulfilled.Hook, glomo.FulfilmentOptions{Logger: quiet})
	require.NoError(t, err)
	result, err := glomo.NewResultHandler(glomo.ResultHandlerOptions{
		Secrets:       []string{secret},
		ExpectedOrder: func(*http.Request) (string, error) { return order, nil },
		Fulfilment:    f,
		Logger:        quiet,
	})
	require.NoError(t, err)
	hooks, err := webhook.NewHandler(webhook.Options{
		Secrets:    []webhook.Secret{webhookSecret},
		Fulfilment: f,
		Handle: func(_ context.Context, e webhook.Event) error {
			*fx.events = append(*fx.events, e)
			return nil
		},
		Logger: quiet,
	})
	require.NoError(t, err)
	fx.endpoints = glomochi.Endpoints{Result: result, Webhook: hooks}
	return fx
}

func TestMountServesEachEndpointForItsMethod(t *testing.T) {
	fx := newEndpoints(t)
	r := chi.NewRouter()
	require.NoError(t, glomochi.Mount(r, fx.endpoints))

	webhookData := map[string]string{"id": payment, "status": "in_progress"}
	paidData := map[string]string{"id": "payt_chi_2", "order_id": "order_chi_2", "status": "success"}
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantBody   string // JSON, or a substring of HTML
		wantAllow  string
	}{
		{"redirect", httptest.NewRequest(http.MethodGet, glomotest.CallbackURL(glomochi.DefaultResultPath, order, payment, "success", secret), nil),
			http.StatusOK, "Payment received", ""},
		{"verify, after the redirect fulfilled the order", post(glomochi.DefaultVerifyPath, successJSON()),
			http.StatusOK, `{"outcome":"success","orderId":"order_chi_1","paymentId":"payt_chi_1","status":"success","source":"post","duplicate":true}`, ""},
		{"webhook", glomotest.NewWebhookRequest(glomochi.DefaultWebhookPath, "payment", "in_progress", webhookData, webhookSecret),
			http.StatusOK, `{"status":"processed"}`, ""},
		{"paid webhook", glomotest.NewWebhookRequest(glomochi.DefaultWebhookPath, "payment", "success", paidData, webhookSecret),
			http.StatusOK, `{"status":"processed"}`, ""},
		{"post to the redirect", post(glomochi.DefaultResultPath, successJSON()),
			http.StatusMethodNotAllowed, `{"error":"method_not_allowed","message":"use GET: this is the callbackUrl redirect"}`, "GET"},
		{"get the verify path", httptest.NewRequest(http.MethodGet, glomochi.DefaultVerifyPath+"?orderId=x", nil),
			http.StatusMethodNotAllowed, `{"error":"method_not_allowed","message":"use POST to send an SDK event's payload"}`, "POST"},
		{"get the webhook", httptest.NewRequest(http.MethodGet, glomochi.DefaultWebhookPath, nil),
			http.StatusMethodNotAllowed, `{"error":"method_not_allowed","message":"webhooks must be POSTed"}`, "POST"},
		{"verify, wrong order", post(glomochi.DefaultVerifyPath, strings.Replace(successJSON(), order, "order_other", 1)),
			http.StatusBadRequest, `{"error":"order_mismatch","message":"the result is for a different order"}`, ""},
		{"webhook, wrong secret", glomotest.NewWebhookRequest(glomochi.DefaultWebhookPath, "payment", "in_progress", webhookData, "whsec_other"),
			http.StatusUnauthorized, `{"error":"signature_mismatch","message":"the signature does not match the body"}`, ""},
		{"webhook, unsigned", post(glomochi.DefaultWebhookPath, `{}`),
			http.StatusUnauthorized, `{"error":"missing_signature","message":"the X-Glomopay-Signature header is missing"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, tt.req)
			assert.Equal(t, tt.wantStatus, rec.Code)
			if strings.HasPrefix(tt.wantBody, "{") {
				assert.JSONEq(t, tt.wantBody, rec.Body.String())
				assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			} else {
				assert.Contains(t, rec.Body.String(), tt.wantBody)
			}
			assert.Equal(t, tt.wantAllow, rec.Header().Get("Allow"))
		})
	}
	require.Len(t, *fx.events, 1)
	assert.Equal(t, payment, (*fx.events)[0].ID())
	assert.Equal(t, []glomo.PaidOrder{
		{OrderID: order, PaymentID: payment, Proof: glomo.ProofRedirect},
		{OrderID: "order_chi_2", PaymentID: "payt_chi_2", Proof: glomo.ProofWebhook},
	}, fx.fulfilled.Orders())
}

func TestMountSharesFulfilment(t *testing.T) {
	adaptertest.CheckSharedFulfilment(t, func(results *glomo.ResultHandler, webhooks *webhook.Handler) http.Handler {
		r := chi.NewRouter()
		require.NoError(t, glomochi.Mount(r, glomochi.Endpoints{
			Result: results, ResultPath: "/result", VerifyPath: "/result",
			Webhook: webhooks, WebhookPath: "/webhook",
		}))
		return r
	})
}

func TestMountOnePathForBothMethods(t *testing.T) {
	e := newEndpoints(t).endpoints
	e.ResultPath, e.VerifyPath, e.Webhook = "/payment-result", "/payment-result", nil
	r := chi.NewRouter()
	require.NoError(t, glomochi.Mount(r, e))

	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, glomotest.CallbackURL("/payment-result", order, payment, "success", secret), nil),
		post("/payment-result", successJSON()),
	} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusOK, rec.Code, req.Method)
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/payment-result", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, "GET, POST", rec.Header().Get("Allow"))

	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, glomotest.NewWebhookRequest(glomochi.DefaultWebhookPath, "payment", "success", nil, webhookSecret))
	assert.Equal(t, http.StatusNotFound, rec.Code, "no webhook handler, no webhook route")
}

func TestMountUnderAPrefixWithMiddleware(t *testing.T) {
	e := newEndpoints(t).endpoints
	r := chi.NewRouter()
	r.Route("/shop", func(r chi.Router) {
		r.Use(glomo.Headers())
		require.NoError(t, glomochi.Mount(r, e))
	})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, post("/shop"+glomochi.DefaultVerifyPath, successJSON()))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, glomo.COOPAllowPopups, rec.Header().Get("Cross-Origin-Opener-Policy"))
}

func TestMountConfigurationErrors(t *testing.T) {
	e := newEndpoints(t).endpoints
	tests := []struct {
		name    string
		router  chi.Router
		mod     func(*glomochi.Endpoints)
		wantErr string
	}{
		{"nil router", nil, func(*glomochi.Endpoints) {}, "needs a router"},
		{"no handlers", chi.NewRouter(), func(e *glomochi.Endpoints) { e.Result, e.Webhook = nil, nil }, "neither"},
		{"relative path", chi.NewRouter(), func(e *glomochi.Endpoints) { e.VerifyPath = "verify" }, `VerifyPath "verify" must start with /`},
		{"shared webhook path", chi.NewRouter(), func(e *glomochi.Endpoints) { e.WebhookPath = glomochi.DefaultResultPath }, "cannot share"},
		{"unclosed parameter", chi.NewRouter(), func(e *glomochi.Endpoints) { e.ResultPath = "/pay/{id" }, `ResultPath "/pay/{id" is not a valid chi pattern`},
		{"wildcard before the end", chi.NewRouter(), func(e *glomochi.Endpoints) { e.VerifyPath = "/pay/*/verify" }, `VerifyPath "/pay/*/verify" is not a valid chi pattern`},
		{"bad regexp", chi.NewRouter(), func(e *glomochi.Endpoints) { e.WebhookPath = "/hooks/{id:[}" }, `WebhookPath "/hooks/{id:[}" is not a valid chi pattern`},
		{"repeated parameter", chi.NewRouter(), func(e *glomochi.Endpoints) { e.ResultPath = "/{id}/pay/{id}" }, "is not a valid chi pattern"},
		{"nil *chi.Mux", (*chi.Mux)(nil), func(*glomochi.Endpoints) {}, "registering the endpoints"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e
			tt.mod(&e)
			var err error
			require.NotPanics(t, func() { err = glomochi.Mount(tt.router, e) })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			if mux, ok := tt.router.(*chi.Mux); ok && mux != nil {
				assert.Empty(t, mux.Routes(), "nothing registered")
			}
		})
	}
}

func TestMountParameterisedPaths(t *testing.T) {
	e := newEndpoints(t).endpoints
	e.ResultPath, e.VerifyPath, e.WebhookPath = "/{shop}/result", "/{shop}/verify", "/{shop}/webhook"
	r := chi.NewRouter()
	require.NoError(t, glomochi.Mount(r, e))
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, post("/mugs/verify", successJSON()))
	assert.Equal(t, http.StatusOK, rec.Code)
}
