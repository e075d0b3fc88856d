package glomoecho_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/glomokit/glomo"
	glomoecho "github.com/glomokit/glomo/adapters/echo"
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
