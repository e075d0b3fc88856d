package glomoecho_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	glomoecho "github.com/glomokit/glomo/adapters/echo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/webhook"
	"github.com/labstack/echo/v4"
)

func ExampleHeaders() {
	e := echo.New()
	// COOP and CSP fix-ups for every page, with a per-request nonce for
	// the inline script that opens the checkout.
	e.Use(glomoecho.Headers(glomo.WithNonce()))
	var nonce string // kept to show it in the policy below
	e.GET("/checkout", func(c echo.Context) error {
		// Set anywhere, even after the middleware ran: fixed on the way out.
		c.Response().Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		c.Response().Header().Set("Content-Security-Policy", "script-src 'self'")
		nonce = glomoecho.Nonce(c)
		return c.HTML(http.StatusOK, `<script type="module" nonce="`+nonce+`">…</script>`)
	})

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/checkout", nil))
	fmt.Println(rec.Header().Get("Cross-Origin-Opener-Policy"))
	fmt.Println(strings.Replace(rec.Header().Get("Content-Security-Policy"), nonce, "…", 1))
	// Output:
	// same-origin-allow-popups
	// script-src 'self' https://glomopay-checkout-sdk.web.app 'nonce-…'
}

func ExampleMiddleware() {
	// adapter.NewHeaders returns a configuration error where Headers
	// would panic.
	f, err := adapter.NewHeaders(glomo.WithBaseline("script-src 'self'"))
	if err != nil {
		panic(err)
	}
	e := echo.New()
	e.Use(glomoecho.Middleware(f))
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "page") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Header().Get("Content-Security-Policy"))
	// Output: script-src 'self' https://glomopay-checkout-sdk.web.app
}

func ExampleResult() {
	// Give the same Fulfilment to the webhook handler: the order is
	// fulfilled once, whichever proof of payment arrives first.
	fulfilment := glomo.MustNewFulfilment(func(ctx context.Context, o glomo.PaidOrder) error {
		fmt.Println("fulfilling", o.OrderID, "after the", o.Proof)
		return nil
	}, glomo.FulfilmentOptions{})
	results := glomo.MustNewResultHandler(glomo.ResultHandlerOptions{
		Secrets: []string{"sk_test_current"},
		// The order this visitor pays for, from the merchant's session.
		ExpectedOrder: func(r *http.Request) (string, error) { return "order_1", nil },
		Fulfilment:    fulfilment,
		OnResult: glomoecho.OnResult(func(c echo.Context, p glomo.Payment) error {
			return c.JSON(http.StatusOK, map[string]any{"outcome": p.Outcome})
		}),
	})
	e := echo.New()
	// GET for the callbackUrl redirect, POST for the SDK's events.
	e.Match([]string{http.MethodGet, http.MethodPost}, "/payment-result", glomoecho.Result(results))

	for _, orderID := range []string{"order_1", "order_2"} {
		body := fmt.Sprintf(`{"orderId":%q,"paymentId":"payt_1","status":"success","signature":%q}`,
			orderID, glomo.Sign(orderID, "payt_1", "success", "sk_test_current"))
		req := httptest.NewRequest(http.MethodPost, "/payment-result", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	// Output:
	// fulfilling order_1 after the post
	// 200 {"outcome":"success"}
	// 400 {"error":"order_mismatch","message":"the result is for a different order"}
}

func ExampleWebhook() {
	fulfilment := glomo.MustNewFulfilment(func(ctx context.Context, o glomo.PaidOrder) error {
		fmt.Println("fulfilling", o.OrderID, "after the", o.Proof)
		return nil
	}, glomo.FulfilmentOptions{})
	webhooks := webhook.MustNewHandler(webhook.Options{
		Secrets: []webhook.Secret{"whsec_test"},
		// Events that prove an order paid go to the Fulfilment.
		Fulfilment: fulfilment,
		// Every other event: OnWebhook hands Handle the delivery's
		// echo.Context; its request's context carries Handle's deadline.
		Handle: glomoecho.OnWebhook(func(c echo.Context, e webhook.Event) error {
			fmt.Println("event:", e.EntityType, e.EventType, e.ID(), "at", c.Path())
			return nil
		}),
	})
	e := echo.New()
	logEvent := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			if ev, ok := glomoecho.Event(c); ok { // what middleware sees
				fmt.Println("logged:", ev.DedupKey())
			}
			return err
		}
	}
	e.POST("/webhooks/glomo", glomoecho.Webhook(webhooks), logEvent)

	paid := glomotest.NewWebhookRequest("/webhooks/glomo", "payment", "success",
		map[string]string{"id": "payt_1", "order_id": "order_1", "status": "success"}, "whsec_test")
	refund := glomotest.NewWebhookRequest("/webhooks/glomo", "refund", "success",
		map[string]string{"id": "rfnd_1", "status": "success"}, "whsec_test")
	for _, req := range []*http.Request{paid, refund} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	// Output:
	// fulfilling order_1 after the webhook
	// 200 {"status":"processed"}
	// event: refund success rfnd_1 at /webhooks/glomo
	// logged: refund|rfnd_1|success|success
	// 200 {"status":"processed"}
}
