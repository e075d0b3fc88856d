package glomoechov5_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/glomokit/glomo"
	glomoechov5 "github.com/glomokit/glomo/adapters/echov5"
	"github.com/glomokit/glomo/internal/adaptertest"
	"github.com/glomokit/glomo/webhook"
	"github.com/labstack/echo/v5"
)

// benchmarkEcho serves a page that sets its own COOP and CSP, behind mw.
func benchmarkEcho(mw ...echo.MiddlewareFunc) *echo.Echo {
	e := newEcho(mw...)
	e.GET("/", func(c *echo.Context) error {
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

// BenchmarkBaseline is echo alone, the same page without the middleware,
// to subtract from the others.
func BenchmarkBaseline(b *testing.B) { runEcho(b, benchmarkEcho()) }

func BenchmarkCOOP(b *testing.B) { runEcho(b, benchmarkEcho(glomoechov5.COOP())) }

func BenchmarkCSP(b *testing.B) { runEcho(b, benchmarkEcho(glomoechov5.CSP())) }

func BenchmarkHeaders(b *testing.B) { runEcho(b, benchmarkEcho(glomoechov5.Headers())) }

func BenchmarkHeadersWithNonce(b *testing.B) {
	runEcho(b, benchmarkEcho(glomoechov5.Headers(glomo.WithNonce())))
}

// route is a handler to benchmark under a name.
type route struct {
	name    string
	handler echo.HandlerFunc
}

// benchRoutes benchmarks each route's handler mounted for POST on path,
// on requests built by next.
func benchRoutes(b *testing.B, path string, next func() *http.Request, routes ...route) {
	for _, rt := range routes {
		b.Run(rt.name, func(b *testing.B) {
			e := newEcho()
			e.POST(path, rt.handler)
			adaptertest.Bench(b, e, next)
		})
	}
}

// BenchmarkResult compares Result with the core handler mounted through
// echo.WrapHandler, on a verified payment.success post.
func BenchmarkResult(b *testing.B) {
	h := adaptertest.NewResultHandler(b, nil)
	benchRoutes(b, "/r", adaptertest.ResultRequests("/r"),
		route{"core", echo.WrapHandler(h)}, route{"glomoechov5", glomoechov5.Result(h)})
}

// BenchmarkWebhook compares Webhook and OnWebhook with the core handler
// mounted through echo.WrapHandler, on a verified delivery.
func BenchmarkWebhook(b *testing.B) {
	core := adaptertest.NewBenchWebhookHandler(b, func(context.Context, webhook.Event) error { return nil })
	adapted := adaptertest.NewBenchWebhookHandler(b, glomoechov5.OnWebhook(func(*echo.Context, webhook.Event) error { return nil }))
	benchRoutes(b, "/w", adaptertest.WebhookRequests("/w"),
		route{"core", echo.WrapHandler(core)}, route{"glomoechov5", glomoechov5.Webhook(adapted)})
}
