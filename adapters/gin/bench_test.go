package glomogin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/glomokit/glomo"
	glomogin "github.com/glomokit/glomo/adapters/gin"
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
