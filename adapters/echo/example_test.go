package glomoecho_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/glomokit/glomo"
	glomoecho "github.com/glomokit/glomo/adapters/echo"
	"github.com/glomokit/glomo/glomotest"
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

func ExampleResult() {
	results := glomo.MustNewResultHandler(glomo.ResultHandlerOptions{
		Secrets: []string{"sk_test_current"},
		// The order this visitor pays for, from the merchant's session.
		ExpectedOrder: func(r *http.Request) (string, error) { return "order_1", nil },
		Fulfil: func(ctx context.Context, p glomo.Payment) error {
			fmt.Println("fulfilling", p.OrderID)
			return nil
		},
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
	// fulfilling order_1
	// 200 {"outcome":"success"}
	// 400 {"error":"order_mismatch","message":"the result is for a different order"}
}

func ExampleWebhook() {
	webhooks, err := glomo.NewWebhookHandler(glomo.WebhookOptions{
		Secrets: []glomo.WebhookSecret{"whsec_test"},
		// OnWebhook hands Handle the delivery's echo.Context; its request's
		// context carries Handle's deadline for your database calls.
		Handle: glomoecho.OnWebhook(func(c echo.Context, e glomo.WebhookEvent) error {
			fmt.Println("event:", e.EntityType, e.EventType, e.ID(), "at", c.Path())
			return nil
		}),
	})
	if err != nil {
		panic(err)
	}
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
	// Webhook refuses an Async handler: echo recycles c once it answers.
	serve, err := glomoecho.Webhook(webhooks)
	if err != nil {
		panic(err)
	}
	e.POST("/webhooks/glomo", serve, logEvent)

	req := glomotest.NewWebhookRequest("/webhooks/glomo", "payment", "success",
		map[string]string{"id": "payt_1", "status": "success"}, "whsec_test")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// event: payment success payt_1 at /webhooks/glomo
	// logged: payment|payt_1|success|success
	// 200 {"status":"processed"}
}
