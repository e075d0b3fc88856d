package glomo_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
)

// BenchmarkResultHandler compares the handler with a bare handler that only
// writes a fixed answer, on the same requests, so the figure shows what
// parsing, verification and rendering cost.
func BenchmarkResultHandler(b *testing.B) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := newHandler(b, func(o *glomo.ResultHandlerOptions) { o.Logger = quiet })
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"outcome":"success"}`))
	})
	body, _ := json.Marshal(glomotest.SignedSuccess(testOrder, testPayment, testSecret))
	query := okQuery().Encode()

	run := func(name string, h http.Handler, req func() *http.Request, want int) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req())
				if rec.Code != want {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
	getReq := func() *http.Request { return httptest.NewRequest(http.MethodGet, "/r?"+query, nil) }
	postReq := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/r", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	run("bare-get", bare, getReq, 200)
	run("handler-get-redirect", h, getReq, 200)
	run("bare-post", bare, postReq, 200)
	run("handler-post-json", h, postReq, 200)
	badSig := func() *http.Request {
		return httptest.NewRequest(http.MethodGet, "/r?"+with(okQuery(), "signature", strings.Repeat("0", 64)), nil)
	}
	run("handler-get-bad-signature", h, badSig, 400)
}
