package glomo

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// benchBody returns a payment event of about size bytes whose bulk is a
// long notes string, with a unique id per delivery so dedup never short-
// circuits.
func benchBody(size, i int) []byte {
	head := fmt.Sprintf(`{"entity_type":"payment","event_type":"success","data":{"id":"payt_%09d","status":"success","amount":1999,"currency":"USD","notes":"`, i)
	tail := `"}}`
	return []byte(head + strings.Repeat("n", size-len(head)-len(tail)) + tail)
}

// discardWriter is a minimal ResponseWriter so the benchmark measures the
// handler, not httptest.ResponseRecorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// acquireStore claims every event, so each iteration of the same signed
// body runs the full path rather than the duplicate shortcut.
type acquireStore struct{}

func (acquireStore) Claim(context.Context, string, time.Duration) (Claim, error) {
	return ClaimAcquired, nil
}
func (acquireStore) Release(context.Context, string) error { return nil }
func (acquireStore) Done(context.Context, string) error    { return nil }

// rewindBody is a request body the benchmark rewinds instead of
// allocating a new one per delivery.
type rewindBody struct{ *bytes.Reader }

func (rewindBody) Close() error { return nil }

func handleNothing(context.Context, WebhookEvent) error { return nil }

func handleCheckingCtx(ctx context.Context, _ WebhookEvent) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	default:
		return nil
	}
}

// freshBufferSink keeps the FreshBuffer benchmark's allocations from being
// optimized away.
var freshBufferSink []byte

func BenchmarkWebhook(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		body := benchBody(size, 0)
		// The baseline: HMAC-SHA256 of the body as one would write it.
		b.Run(fmt.Sprintf("RawHMAC/%d", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for i := 0; i < b.N; i++ {
				m := hmac.New(sha256.New, []byte(testSecret))
				m.Write(body)
				m.Sum(nil)
			}
		})
		// What the default mode's fresh body buffer costs by itself: the
		// allocation, its zeroing and its share of garbage collection.
		b.Run(fmt.Sprintf("FreshBuffer/%d", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for i := 0; i < b.N; i++ {
				freshBufferSink = make([]byte, len(body))
			}
		})
		// A stricter baseline: the keyed state reused, as the handler does.
		b.Run(fmt.Sprintf("RawHMACKeyed/%d", size), func(b *testing.B) {
			m := hmac.New(sha256.New, []byte(testSecret))
			var sum [sha256.Size]byte
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for i := 0; i < b.N; i++ {
				m.Reset()
				m.Write(body)
				m.Sum(sum[:0])
			}
		})
		for _, c := range []struct {
			name         string
			reuse        bool
			liveHeapSize int
			handle       func(context.Context, WebhookEvent) error
		}{
			{"reuse=false", false, 0, handleNothing},
			{"reuse=true", true, 0, handleNothing},
			// A server whose own live heap is 256 MiB collects garbage
			// far less often than this benchmark's near-empty heap, so
			// the runtime keeps freed body buffers instead of returning
			// them to the OS and faulting them in again.
			{"reuse=false/liveheap=256MiB", false, 256 << 20, handleNothing},
			// Handle's deadline costs a timer only once Handle looks at
			// its context's Done or Err, as any database or HTTP call does.
			{"reuse=false/handle-waits-on-ctx", false, 0, handleCheckingCtx},
		} {
			b.Run(fmt.Sprintf("Handler/%d/%s", size, c.name), func(b *testing.B) {
				liveHeap := make([]byte, c.liveHeapSize)
				defer runtime.KeepAlive(liveHeap)
				h, err := NewWebhookHandler(WebhookOptions{
					Secrets: []WebhookSecret{testSecret}, ReuseBuffers: c.reuse,
					Store:  acquireStore{},
					Handle: c.handle,
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				})
				if err != nil {
					b.Fatal(err)
				}
				sig := SignWebhook(body, testSecret)
				req := httptest.NewRequest(http.MethodPost, "/", nil)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(WebhookSignatureHeader, sig)
				req.ContentLength = int64(len(body))
				rd := &rewindBody{Reader: bytes.NewReader(body)}
				req.Body = rd
				w := &discardWriter{h: http.Header{}}
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					rd.Reset(body)
					h.ServeHTTP(w, req)
				}
			})
		}
	}
}

// BenchmarkParseWebhookEvent parses the known-answer payout event (223
// bytes, with a nested object in data) and the bodies BenchmarkWebhook
// delivers.
func BenchmarkParseWebhookEvent(b *testing.B) {
	payout, err := os.ReadFile("testdata/webhook-payout-success.body")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"payout", payout},
		{"1024", benchBody(1<<10, 0)},
		{"1048576", benchBody(1<<20, 0)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for i := 0; i < b.N; i++ {
				if _, err := ParseWebhookEvent(c.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyWebhook verifies a 1 KiB body against one secret, and
// against two while rotating, with the signing secret listed last.
func BenchmarkVerifyWebhook(b *testing.B) {
	body := benchBody(1<<10, 0)
	sig := SignWebhook(body, testSecret)
	for _, secrets := range [][]WebhookSecret{
		{testSecret},
		{"whsec_previous", testSecret},
	} {
		b.Run(fmt.Sprintf("secrets=%d", len(secrets)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for i := 0; i < b.N; i++ {
				if err := VerifyWebhook(body, sig, secrets...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
