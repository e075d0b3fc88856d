package glomofiber_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/glomokit/glomo"
	glomofiber "github.com/glomokit/glomo/adapters/fiber"
	"github.com/glomokit/glomo/internal/adaptertest"
	"github.com/gofiber/fiber/v3"
	"github.com/valyala/fasthttp"
)

// benchApp is a page setting the site's own CSP and COOP, behind mw.
func benchApp(mw ...fiber.Handler) *fiber.App {
	app := fiber.New()
	for _, h := range mw {
		app.Use(h)
	}
	app.Get("/page", func(c fiber.Ctx) error {
		setSite(c)
		return c.SendString("<!doctype html><p>page</p>")
	})
	return app
}

// runApp serves the same request b.N times through the app's fasthttp
// handler, as fasthttp's server does, without the network.
func runApp(b *testing.B, app *fiber.App, prepare func(*fasthttp.Request)) {
	h := app.Handler()
	var ctx fasthttp.RequestCtx
	reset := func() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		prepare(&ctx.Request)
	}
	reset()
	h(&ctx) // warm the caches
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		reset()
		h(&ctx)
	}
	b.StopTimer()
	if ctx.Response.StatusCode() >= 300 {
		b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}

func pageRequest(r *fasthttp.Request) {
	r.Header.SetMethod(http.MethodGet)
	r.SetRequestURI("/page?x=1")
	r.Header.SetHost("shop.test")
	r.Header.Set("Accept", "text/html")
	r.Header.Set("User-Agent", "bench")
	r.Header.Set("Cookie", "session=abc")
}

// BenchmarkBaseline is Fiber serving the page without glomofiber.
func BenchmarkBaseline(b *testing.B) { runApp(b, benchApp(), pageRequest) }

func BenchmarkCOOP(b *testing.B) { runApp(b, benchApp(glomofiber.COOP()), pageRequest) }

func BenchmarkHeaders(b *testing.B) { runApp(b, benchApp(glomofiber.Headers()), pageRequest) }

func BenchmarkHeadersWithNonce(b *testing.B) {
	runApp(b, benchApp(glomofiber.Headers(glomo.WithNonce())), pageRequest)
}

// BenchmarkResult serves the signed payment.success post through Result;
// BenchmarkResultNetHTTP is glomo's handler alone, for comparison.
func BenchmarkResult(b *testing.B) {
	app := fiber.New()
	app.Post("/r", glomofiber.Result(adaptertest.NewResultHandler(b, nil)))
	body := []byte(adaptertest.SuccessJSON(adaptertest.Order))
	runApp(b, app, func(r *fasthttp.Request) {
		r.Header.SetMethod(http.MethodPost)
		r.SetRequestURI("/r")
		r.Header.SetContentType("application/json")
		r.SetBody(body)
	})
}

func BenchmarkResultNetHTTP(b *testing.B) {
	adaptertest.Bench(b, adaptertest.NewResultHandler(b, nil), adaptertest.ResultRequests("/r"))
}

// BenchmarkWebhook serves a verified delivery through Webhook (every
// claim granted, so each one runs the whole path); BenchmarkWebhookNetHTTP
// is glomo's handler alone.
func BenchmarkWebhook(b *testing.B) {
	app := fiber.New()
	app.Post("/w", glomofiber.Webhook(adaptertest.NewBenchWebhookHandler(b, nil)))
	signed := adaptertest.WebhookRequests("/w")()
	body, err := io.ReadAll(signed.Body)
	if err != nil {
		b.Fatal(err)
	}
	runApp(b, app, func(r *fasthttp.Request) {
		r.Header.SetMethod(http.MethodPost)
		r.SetRequestURI("/w")
		for k, vs := range signed.Header {
			for _, v := range vs {
				r.Header.Add(k, v)
			}
		}
		r.SetBody(body)
	})
}

func BenchmarkWebhookNetHTTP(b *testing.B) {
	adaptertest.Bench(b, adaptertest.NewBenchWebhookHandler(b, nil), adaptertest.WebhookRequests("/w"))
}
