package glomofiber_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/glomokit/glomo"
	glomofiber "github.com/glomokit/glomo/adapters/fiber"
	"github.com/glomokit/glomo/webhook"
	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"
)

// The header middleware goes first, so that it fixes what every later
// handler, and the error handler, set; here a page with a nonce'd inline
// script.
func ExampleHeaders() {
	page := template.Must(template.New("checkout").Parse(
		`<script type="module" nonce="{{.}}">/* start the checkout */</script>`))

	app := fiber.New()
	app.Use(glomofiber.Headers(glomo.WithNonce()))
	app.Use(recover.New())
	app.Get("/checkout", func(c fiber.Ctx) error {
		c.Set("Content-Security-Policy", "script-src 'self'")
		c.Set("Cross-Origin-Opener-Policy", "same-origin")
		c.Type("html")
		return page.Execute(c, glomofiber.Nonce(c))
	})

	res, _ := app.Test(httptest.NewRequest(http.MethodGet, "/checkout", nil))
	fmt.Println(res.Header.Get("Cross-Origin-Opener-Policy"))
	fmt.Println(strings.Contains(res.Header.Get("Content-Security-Policy"), "https://glomopay-checkout-sdk.web.app 'nonce-"))
	// Output:
	// same-origin-allow-popups
	// true
}

// Result and Webhook serve glomo's handlers, sharing one Fulfilment so
// that each order is fulfilled once, whichever proof arrives first.
func ExampleResult() {
	fulfilment := glomo.MustNewFulfilment(func(ctx context.Context, o glomo.PaidOrder) error {
		return nil // ship o.OrderID
	}, glomo.FulfilmentOptions{})
	results := glomo.MustNewResultHandler(glomo.ResultHandlerOptions{
		Secrets:       []string{"sk_live_…"},
		ExpectedOrder: func(r *http.Request) (string, error) { return "order_1", nil }, // from the session
		Fulfilment:    fulfilment,
		OnResult: glomofiber.OnResult(func(c fiber.Ctx, p glomo.Payment) error {
			return c.Redirect().To("/orders/" + p.OrderID + "?outcome=" + p.Outcome.String())
		}),
	})
	webhooks := webhook.MustNewHandler(webhook.Options{
		Secrets:    []webhook.Secret{"whsec_…"},
		Fulfilment: fulfilment,
	})

	app := fiber.New()
	app.Use(glomofiber.Headers())
	app.Get("/payment-result", glomofiber.Result(results))
	app.Post("/payment/verify", glomofiber.Result(results))
	app.Post("/webhooks/glomo", glomofiber.Webhook(webhooks))

	res, _ := app.Test(httptest.NewRequest(http.MethodPost, "/webhooks/glomo", strings.NewReader("{}")))
	fmt.Println(res.StatusCode) // no signature
	// Output: 401
}

// OnWebhook handles the events that do not prove an order paid (refunds,
// payment status changes) with the delivery's fiber.Ctx.
func ExampleOnWebhook() {
	handle := glomofiber.OnWebhook(func(c fiber.Ctx, e webhook.Event) error {
		// c.Context() carries Handle's deadline; return an error to have
		// Glomo retry.
		return nil
	})
	_ = webhook.MustNewHandler(webhook.Options{
		Secrets:    []webhook.Secret{"whsec_…"},
		Fulfilment: glomo.MustNewFulfilment(func(context.Context, glomo.PaidOrder) error { return nil }, glomo.FulfilmentOptions{}),
		Handle:     handle,
	})
	// Output:
}

// ExemptCOOP keeps a cross-origin isolated page's COOP as it is.
func ExampleExemptCOOP() {
	app := fiber.New()
	app.Use(glomofiber.Headers())
	app.Get("/isolated", func(c fiber.Ctx) error {
		c.Set("Cross-Origin-Opener-Policy", "same-origin")
		c.Set("Cross-Origin-Embedder-Policy", "require-corp")
		glomofiber.ExemptCOOP(c)
		return c.SendString("isolated")
	})
	res, _ := app.Test(httptest.NewRequest(http.MethodGet, "/isolated", nil))
	fmt.Println(res.Header.Get("Cross-Origin-Opener-Policy"))
	// Output: same-origin
}
