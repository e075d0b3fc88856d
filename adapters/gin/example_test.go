package glomogin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/glomokit/glomo"
	glomogin "github.com/glomokit/glomo/adapters/gin"
	"github.com/glomokit/glomo/glomotest"
)

func ExampleHeaders() {
	r := gin.New()
	// COOP and CSP fix-ups for every page, with a per-request nonce for
	// the inline script that opens the checkout.
	r.Use(glomogin.Headers(glomo.WithNonce()))
	var nonce string // kept to show it in the policy below
	r.GET("/checkout", func(c *gin.Context) {
		// Set anywhere, even after the middleware ran: fixed on the way out.
		c.Header("Cross-Origin-Opener-Policy", "same-origin")
		c.Header("Content-Security-Policy", "script-src 'self'")
		nonce = glomogin.Nonce(c)
		c.String(http.StatusOK, `<script type="module" nonce="%s">…</script>`, nonce)
	})

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/checkout", nil))
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
		OnResult: glomogin.OnResult(func(c *gin.Context, p glomo.Payment) {
			c.JSON(http.StatusOK, gin.H{"outcome": p.Outcome})
		}),
	})
	r := gin.New()
	// GET for the callbackUrl redirect, POST for the SDK's events.
	r.Any("/payment-result", glomogin.Result(results))

	for _, orderID := range []string{"order_1", "order_2"} {
		body := fmt.Sprintf(`{"orderId":%q,"paymentId":"payt_1","status":"success","signature":%q}`,
			orderID, glomo.Sign(orderID, "payt_1", "success", "sk_test_current"))
		req := httptest.NewRequest(http.MethodPost, "/payment-result", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// fulfilling order_1
	// 200 {"outcome":"success"}
	// 400 {"error":"order_mismatch","message":"the result is for a different order"}
}

func ExampleWebhook() {
	webhooks, err := glomo.NewWebhookHandler(glomo.WebhookOptions{
		Secrets: []glomo.WebhookSecret{"whsec_test"},
		// OnWebhook hands Handle the delivery's *gin.Context; c.Request's
		// context carries Handle's deadline for your database calls.
		Handle: glomogin.OnWebhook(func(c *gin.Context, e glomo.WebhookEvent) error {
			fmt.Println("event:", e.EntityType, e.EventType, e.ID(), "at", c.FullPath())
			return nil
		}),
	})
	if err != nil {
		panic(err)
	}
	// Webhook refuses an Async handler: gin recycles c once it answers.
	serve, err := glomogin.Webhook(webhooks)
	if err != nil {
		panic(err)
	}
	r := gin.New()
	r.POST("/webhooks/glomo", serve, func(c *gin.Context) {
		e, _ := glomogin.Event(c) // what the handlers after Webhook see
		fmt.Println("logged:", e.DedupKey())
	})

	req := glomotest.NewWebhookRequest("/webhooks/glomo", "payment", "success",
		map[string]string{"id": "payt_1", "status": "success"}, "whsec_test")
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// event: payment success payt_1 at /webhooks/glomo
	// logged: payment|payt_1|success|success
	// 200 {"status":"processed"}
}
