package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/webhook"
)

// discardWriter is a minimal ResponseWriter, so that the benchmark
// measures the handler rather than httptest.ResponseRecorder.
type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }

// rewindBody is a request body the benchmark rewinds instead of
// allocating a new one per delivery.
type rewindBody struct{ *bytes.Reader }

func (rewindBody) Close() error { return nil }

// benchDeliveries are distinct signed events of one size: a delivery the
// store has seen is a cheaper duplicate, so each iteration sends another.
type benchDeliveries struct {
	bodies [][]byte
	sigs   [][]string // header values
}

func newBenchDeliveries(size, n int) benchDeliveries {
	d := benchDeliveries{}
	for i := 0; i < n; i++ {
		body := bodyOfSize(size, i)
		d.bodies = append(d.bodies, body)
		d.sigs = append(d.sigs, []string{webhook.Sign(body, testSecret)})
	}
	return d
}

// sink keeps the baseline's results alive.
var sink struct {
	sum []byte
	ev  refEvent
}

// BenchmarkHandler delivers a signed event that goes to a no-op Handle,
// with a fresh event key per iteration, next to the baseline of doing the
// same by hand: HMAC-SHA256 of the body and json.Unmarshal of it. Their
// ratio is read from one run.
func BenchmarkHandler(b *testing.B) {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	noop := func(context.Context, webhook.Event) error { return nil }
	for _, size := range []int{1 << 10, 1 << 20} {
		// Enough distinct events that a handler with a fresh store takes
		// a while to use them up; the store is replaced, outside the
		// timer, when they are.
		n := 4096
		if size > 64<<10 {
			n = 32
		}
		d := newBenchDeliveries(size, n)

		b.Run(fmt.Sprintf("Handler/%d", size), func(b *testing.B) {
			newHandler := func() *webhook.Handler {
				f := glomo.MustNewFulfilment(func(context.Context, glomo.PaidOrder) error { return nil },
					glomo.FulfilmentOptions{Store: glomo.NewMemoryStore(2*n, 0), Logger: discard})
				return webhook.MustNewHandler(webhook.Options{
					Secrets: []webhook.Secret{testSecret}, Fulfilment: f, Handle: noop, Logger: discard,
				})
			}
			h := newHandler()
			req := httptest.NewRequest(http.MethodPost, "/webhooks/glomo", nil)
			req.Header.Set("Content-Type", "application/json")
			rd := &rewindBody{Reader: bytes.NewReader(nil)}
			req.Body = rd
			req.ContentLength = int64(size)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % n
				if j == 0 && i > 0 {
					b.StopTimer()
					h = newHandler()
					b.StartTimer()
				}
				rd.Reset(d.bodies[j])
				req.Header[webhook.SignatureHeader] = d.sigs[j]
				w.code = 0
				h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
		})

		b.Run(fmt.Sprintf("HMACPlusDecode/%d", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for i := 0; i < b.N; i++ {
				body := d.bodies[i%n]
				m := hmac.New(sha256.New, []byte(testSecret))
				m.Write(body)
				sink.sum = m.Sum(nil)
				var e refEvent
				if err := json.Unmarshal(body, &e); err != nil {
					b.Fatal(err)
				}
				sink.ev = e
			}
		})
	}
}

// BenchmarkParse parses the known-answer payout event (223 bytes, with a
// nested object in data) and the bodies BenchmarkHandler delivers.
func BenchmarkParse(b *testing.B) {
	payout, err := os.ReadFile("testdata/webhook-payout-success.body")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"payout", payout},
		{"1024", bodyOfSize(1<<10, 0)},
		{"1048576", bodyOfSize(1<<20, 0)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for i := 0; i < b.N; i++ {
				if _, err := webhook.Parse(c.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify verifies against one secret, and against two while
// rotating with the signing secret listed last.
func BenchmarkVerify(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		body := bodyOfSize(size, 0)
		sig := webhook.Sign(body, testSecret)
		for _, secrets := range [][]webhook.Secret{
			{testSecret},
			{"whsec_previous", testSecret},
		} {
			b.Run(fmt.Sprintf("%d/secrets=%d", size, len(secrets)), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				for i := 0; i < b.N; i++ {
					if err := webhook.Verify(body, sig, secrets...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
