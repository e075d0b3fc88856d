package glomo_test

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/unrolled/secure"
)

// benchPolicy is a realistic strict site policy of about 400 bytes.
const benchPolicy = "default-src 'self'; script-src 'self' https://www.googletagmanager.com https://cdn.jsdelivr.net; " +
	"style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; img-src 'self' data: https://images.shop.example; " +
	"font-src 'self' https://fonts.gstatic.com; connect-src 'self' https://api.shop.example https://www.google-analytics.com; " +
	"frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'; upgrade-insecure-requests; report-to csp"

// benchWriter is a ResponseWriter that discards the body, so that the
// benchmarks measure the middleware rather than a recorder.
type benchWriter struct {
	h    http.Header
	code int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }

var benchBody = []byte("<!doctype html><title>shop</title>")

// benchSite is the downstream handler: the site sets its own strict
// policy and COOP, then writes the page.
var benchSite = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", benchPolicy)
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(benchBody)
})

// benchSiteNonce is a site that puts its own fresh nonce in its policy on
// every request, as a site with its own nonce middleware does.
var benchSiteNonce = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	nonce := base64.RawStdEncoding.EncodeToString(raw[:])
	h := w.Header()
	h.Set("Content-Security-Policy", benchPolicy+"; script-src-elem 'self' 'nonce-"+nonce+"'")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(benchBody)
})

// BenchmarkHeaders compares, in one run, a bare handler, unrolled/secure
// setting a static CSP and COOP, and this package merging into the policy
// the handler sets; then the same with a new nonce in every request.
//
//	go test -run '^$' -bench BenchmarkHeaders -benchmem -count 6 .
func BenchmarkHeaders(b *testing.B) {
	static := secure.Options{ContentSecurityPolicy: benchPolicy, CrossOriginOpenerPolicy: "same-origin-allow-popups"}
	nonced := secure.Options{ContentSecurityPolicy: benchPolicy + "; script-src-elem 'self' $NONCE", CrossOriginOpenerPolicy: "same-origin-allow-popups"}
	cases := []struct {
		name    string
		handler http.Handler
	}{
		{"bare", benchSite},
		{"secure", secure.New(static).Handler(benchSite)},
		{"glomo", glomo.Headers()(benchSite)},
		{"secure-nonce", secure.New(nonced).Handler(benchSite)},
		{"glomo-nonce", glomo.Headers(glomo.WithNonce())(benchSite)},
		{"secure-nonce+glomo-nonce", secure.New(nonced).Handler(glomo.Headers(glomo.WithNonce())(benchSite))},
		{"bare-sitenonce", benchSiteNonce},
		{"glomo-sitenonce", glomo.Headers()(benchSiteNonce)},
		{"glomo-nonce-sitenonce", glomo.Headers(glomo.WithNonce())(benchSiteNonce)},
	}
	req := httptest.NewRequest(http.MethodGet, "https://shop.example/checkout", nil)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				w := &benchWriter{h: make(http.Header, 4)}
				c.handler.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkMergeCSP is the uncached merge of the benchmark policy.
func BenchmarkMergeCSP(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := glomo.MergeCSP(benchPolicy); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreaming measures the wrapper on a flushed response.
func BenchmarkStreaming(b *testing.B) {
	h := glomo.Headers()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", benchPolicy)
		_, _ = io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
	}))
	req := httptest.NewRequest(http.MethodGet, "/events", nil)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
