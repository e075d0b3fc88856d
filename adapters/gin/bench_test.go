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

// BenchmarkResult compares Result with the core handler mounted through
// gin.WrapH, on a verified payment.success post.
func BenchmarkResult(b *testing.B) {
	h := adaptertest.NewResultHandler(b, nil)
	for _, c := range []struct {
		name    string
		handler gin.HandlerFunc
	}{{"core", gin.WrapH(h)}, {"glomogin", glomogin.Result(h)}} {
		b.Run(c.name, func(b *testing.B) {
			r := gin.New()
			r.POST("/r", c.handler)
			adaptertest.Bench(b, r, adaptertest.ResultRequests("/r"))
		})
	}
}

// BenchmarkWebhook compares Webhook and OnWebhook with the core handler
// mounted through gin.WrapH, on a verified delivery.
func BenchmarkWebhook(b *testing.B) {
	core := adaptertest.NewBenchWebhookHandler(b, func(context.Context, glomo.WebhookEvent) error { return nil })
	adapted := adaptertest.NewBenchWebhookHandler(b, glomogin.OnWebhook(func(*gin.Context, glomo.WebhookEvent) error { return nil }))
	for _, c := range []struct {
		name    string
		handler gin.HandlerFunc
	}{{"core", gin.WrapH(core)}, {"glomogin", glomogin.Webhook(adapted)}} {
		b.Run(c.name, func(b *testing.B) {
			r := gin.New()
			r.POST("/w", c.handler)
			adaptertest.Bench(b, r, adaptertest.WebhookRequests("/w"))
		})
	}
}
