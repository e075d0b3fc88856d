package glomoecho_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/glomokit/glomo"
	glomoecho "github.com/glomokit/glomo/adapters/echo"
	"github.com/glomokit/glomo/internal/adaptertest"
	"github.com/labstack/echo/v4"
)

// benchmarkEcho serves a page that sets COOP and CSP, behind mw.
func benchmarkEcho(mw ...echo.MiddlewareFunc) *echo.Echo {
	e := newEcho(mw...)
	e.GET("/", func(c echo.Context) error {
		isolate(c)
		return c.String(http.StatusOK, "page")
	})
	return e
}

func runEcho(b *testing.B, e *echo.Echo) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkBaseline is echo alone, to subtract from the others.
func BenchmarkBaseline(b *testing.B) { runEcho(b, benchmarkEcho()) }

func BenchmarkCOOP(b *testing.B) { runEcho(b, benchmarkEcho(glomoecho.COOP())) }

func BenchmarkHeaders(b *testing.B) { runEcho(b, benchmarkEcho(glomoecho.Headers())) }

func BenchmarkHeadersWithNonce(b *testing.B) {
	runEcho(b, benchmarkEcho(glomoecho.Headers(glomo.WithNonce())))
}

// BenchmarkResult compares Result with the core handler mounted through
// echo.WrapHandler, on a verified payment.success post.
func BenchmarkResult(b *testing.B) {
	h := adaptertest.NewResultHandler(b, nil)
	for _, c := range []struct {
		name    string
		handler echo.HandlerFunc
	}{{"core", echo.WrapHandler(h)}, {"glomoecho", glomoecho.Result(h)}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEcho()
			e.POST("/r", c.handler)
			adaptertest.Bench(b, e, adaptertest.ResultRequests("/r"))
		})
	}
}

// BenchmarkWebhook compares Webhook and OnWebhook with the core handler
// mounted through echo.WrapHandler, on a verified delivery.
func BenchmarkWebhook(b *testing.B) {
	core := adaptertest.NewBenchWebhookHandler(b, func(context.Context, glomo.WebhookEvent) error { return nil })
	adapted := adaptertest.NewBenchWebhookHandler(b, glomoecho.OnWebhook(func(echo.Context, glomo.WebhookEvent) error { return nil }))
	for _, c := range []struct {
		name    string
		handler echo.HandlerFunc
	}{{"core", echo.WrapHandler(core)}, {"glomoecho", glomoecho.Webhook(adapted)}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEcho()
			e.POST("/w", c.handler)
			adaptertest.Bench(b, e, adaptertest.WebhookRequests("/w"))
		})
	}
}
