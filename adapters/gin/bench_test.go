package glomogin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/glomokit/glomo"
	glomogin "github.com/glomokit/glomo/adapters/gin"
	"github.com/glomokit/glomo/internal/adaptertest"
	"github.com/glomokit/glomo/webhook"
)

// benchmarkEngine serves a page that sets COOP and CSP, behind mw.
func benchmarkEngine(mw ...gin.HandlerFunc) *gin.Engine {
	r := gin.New()
	r.Use(mw...)
	r.GET("/", func(c *gin.Context) {
		c.Header(headerCOOP, "same-origin")
		c.Header(headerCSP, sitePolicy)
		c.String(http.StatusOK, "page")
	})
	return r
}

func runEngine(b *testing.B, r *gin.Engine) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
	}
}

// BenchmarkBaseline is the engine alone, to subtract from the others.
func BenchmarkBaseline(b *testing.B) { runEngine(b, benchmarkEngine()) }

func BenchmarkCOOP(b *testing.B) { runEngine(b, benchmarkEngine(glomogin.COOP())) }

func BenchmarkHeaders(b *testing.B) { runEngine(b, benchmarkEngine(glomogin.Headers())) }

func BenchmarkHeadersWithNonce(b *testing.B) {
	runEngine(b, benchmarkEngine(glomogin.Headers(glomo.WithNonce())))
}

// route is a handler to benchmark under a name.
type route struct {
	name    string
	handler gin.HandlerFunc
}

// benchRoutes benchmarks each route's handler mounted for POST on path,
// on requests built by next.
func benchRoutes(b *testing.B, path string, next func() *http.Request, routes ...route) {
	for _, rt := range routes {
		b.Run(rt.name, func(b *testing.B) {
			r := gin.New()
			r.POST(path, rt.handler)
			adaptertest.Bench(b, r, next)
		})
	}
}

// BenchmarkResult compares Result with the core handler mounted through
// gin.WrapH, on a verified payment.success post.
func BenchmarkResult(b *testing.B) {
	h := adaptertest.NewResultHandler(b, nil)
	benchRoutes(b, "/r", adaptertest.ResultRequests("/r"),
		route{"core", gin.WrapH(h)}, route{"glomogin", glomogin.Result(h)})
}

// BenchmarkWebhook compares Webhook and OnWebhook with the core handler
// mounted through gin.WrapH, on a verified delivery.
func BenchmarkWebhook(b *testing.B) {
	core := adaptertest.NewBenchWebhookHandler(b, func(context.Context, webhook.Event) error { return nil })
	adapted := adaptertest.NewBenchWebhookHandler(b, glomogin.OnWebhook(func(*gin.Context, webhook.Event) error { return nil }))
	benchRoutes(b, "/w", adaptertest.WebhookRequests("/w"),
		route{"core", gin.WrapH(core)}, route{"glomogin", glomogin.Webhook(adapted)})
}
