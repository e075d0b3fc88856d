package glomochi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/go-chi/chi/v5"
)

// benchmarkRouter serves a page that sets COOP and CSP, behind mw.
func benchmarkRouter(mw ...func(http.Handler) http.Handler) *chi.Mux {
	r := chi.NewRouter()
	r.Use(mw...)
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		isolate(w)
		_, _ = io.WriteString(w, "page")
	})
	return r
}

func runRouter(b *testing.B, r *chi.Mux) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkBaseline is chi alone, to subtract from the others.
func BenchmarkBaseline(b *testing.B) { runRouter(b, benchmarkRouter()) }

func BenchmarkCOOP(b *testing.B) { runRouter(b, benchmarkRouter(glomo.COOP())) }

func BenchmarkHeaders(b *testing.B) { runRouter(b, benchmarkRouter(glomo.Headers())) }

func BenchmarkHeadersWithNonce(b *testing.B) {
	runRouter(b, benchmarkRouter(glomo.Headers(glomo.WithNonce())))
}
