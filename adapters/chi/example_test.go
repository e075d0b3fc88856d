package glomochi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/glomokit/glomo"
	glomochi "github.com/glomokit/glomo/adapters/chi"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/webhook"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

func ExampleMount() {
	// One Fulfilment for both handlers: the order is fulfilled once,
	// whichever proof of payment arrives first.
	fulfilment := glomo.MustNewFulfilment(func(ctx context.Context, o glomo.PaidOrder) error {
		fmt.Println("fulfilling", o.OrderID, "after the", o.Proof)
		return nil
	}, glomo.FulfilmentOptions{})
	results := glomo.MustNewResultHandler(glomo.ResultHandlerOptions{
		Secrets: []string{"sk_test_current"},
		// The order this visitor pays for, from the merchant's session.
		ExpectedOrder: func(r *http.Request) (string, error) { return "order_1", nil },
		Fulfilment:    fulfilment,
	})
	webhooks := webhook.MustNewHandler(webhook.Options{
		Secrets:    []webhook.Secret{"whsec_test"},
		Fulfilment: fulfilment,
	})

	r := chi.NewRouter()
	r.Use(middleware.Recoverer, glomo.Headers(glomo.WithNonce()))
	// GET /glomo/result, POST /glomo/verify and POST /glomo/webhook.
	if err := glomochi.Mount(r, glomochi.Endpoints{Result: results, Webhook: webhooks}); err != nil {
		panic(err)
	}

	verify := httptest.NewRequest(http.MethodPost, "/glomo/verify", strings.NewReader(fmt.Sprintf(
		`{"orderId":"order_1","paymentId":"payt_1","status":"success","signature":%q}`,
		glomo.Sign("order_1", "payt_1", "success", "sk_test_current"))))
	verify.Header.Set("Content-Type", "application/json")
	// Glomo's webhook for the same payment finds the order fulfilled.
	hook := glomotest.NewWebhookRequest("/glomo/webhook", "payment", "success",
		map[string]string{"id": "payt_1", "order_id": "order_1", "status": "success"}, "whsec_test")
	for _, req := range []*http.Request{verify, hook} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	// Output:
	// fulfilling order_1 after the post
	// 200 {"outcome":"success","orderId":"order_1","paymentId":"payt_1","status":"success","source":"post"}
	// 200 {"status":"duplicate"}
}

// chi middleware is net/http middleware: glomo's own Headers fits, in any
// order with chi's.
func Example_headers() {
	r := chi.NewRouter()
	r.Use(middleware.Compress(5), glomo.Headers())
	r.Get("/checkout", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Content-Security-Policy", "script-src 'self'")
		fmt.Fprint(w, "<p>checkout</p>")
	})

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/checkout", nil))
	fmt.Println(rec.Header().Get("Cross-Origin-Opener-Policy"))
	fmt.Println(rec.Header().Get("Content-Security-Policy"))
	// Output:
	// same-origin-allow-popups
	// script-src 'self' https://glomopay-checkout-sdk.web.app
}
