package glomo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret WebhookSecret = "whsec_test_secret_value"

type recorder struct {
	mu     sync.Mutex
	events []WebhookEvent
	err    error
	calls  atomic.Int32
}

func (r *recorder) handle(_ context.Context, e WebhookEvent) error {
	r.calls.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return r.err
}

func newTestHandler(t *testing.T, opts WebhookOptions) (*WebhookHandler, *recorder, *bytes.Buffer) {
	t.Helper()
	rec := &recorder{}
	logs := &bytes.Buffer{}
	if opts.Secrets == nil {
		opts.Secrets = []WebhookSecret{testSecret}
	}
	if opts.Handle == nil {
		opts.Handle = rec.handle
	}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := NewWebhookHandler(opts)
	require.NoError(t, err)
	return h, rec, logs
}

func deliver(h http.Handler, body []byte, sig string, mutate ...func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/glomo", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if sig != "" {
		r.Header.Set(WebhookSignatureHeader, sig)
	}
	for _, m := range mutate {
		m(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func paymentBody(id, status string) []byte {
	return []byte(`{"entity_type":"payment","event_type":"` + status + `","data":{"id":"` + id +
		`","payin_id":"payin_1","status":"` + status + `","amount":1999,"currency":"USD"}}`)
}

func TestWebhookAcceptsKnownAnswerVector(t *testing.T) {
	h, rec, _ := newTestHandler(t, WebhookOptions{Secrets: []WebhookSecret{vectorSecret}})
	body := vectorBody(t)
	w := deliver(h, body, vectorSignature)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.EqualValues(t, 1, rec.calls.Load())
	e := rec.events[0]
	assert.Equal(t, "payout", e.EntityType)
	assert.Equal(t, "success", e.EventType)
	assert.Equal(t, "payout_6a8fd80eo6coZ", e.ID())
	assert.Equal(t, "payout|payout_6a8fd80eo6coZ|success|success", e.DedupKey())
	assert.Equal(t, body, e.Raw)
}

func TestWebhookBadInput(t *testing.T) {
	good := paymentBody("payt_1", "success")
	goodSig := SignWebhook(good, testSecret)
	garbage := []byte("this is not json at all")
	tests := []struct {
		name   string
		body   []byte
		sig    string
		mutate func(*http.Request)
		status int
		code   string
	}{
		{"GET", good, goodSig, func(r *http.Request) { r.Method = http.MethodGet }, 405, "method_not_allowed"},
		{"no signature", good, "", nil, 401, "signature_missing"},
		{"empty signature header", good, "", func(r *http.Request) { r.Header.Set(WebhookSignatureHeader, "") }, 401, "signature_missing"},
		{"truncated signature", good, goodSig[:40], nil, 400, "signature_malformed"},
		{"non-hex signature", good, strings.Repeat("g", 64), nil, 400, "signature_malformed"},
		{"two signatures", good, goodSig, func(r *http.Request) { r.Header.Add(WebhookSignatureHeader, goodSig) }, 400, "signature_malformed"},
		{"signature of another body", good, SignWebhook(paymentBody("payt_2", "success"), testSecret), nil, 401, "signature_mismatch"},
		{"signed with another secret", good, SignWebhook(good, "whsec_other"), nil, 401, "signature_mismatch"},
		{"unsigned garbage", garbage, goodSig, nil, 401, "signature_mismatch"},
		{"signed garbage", garbage, SignWebhook(garbage, testSecret), nil, 400, "malformed_event"},
		{"signed truncated JSON", good[:50], SignWebhook(good[:50], testSecret), nil, 400, "malformed_event"},
		{"signed JSON without types", []byte(`{"data":{}}`), SignWebhook([]byte(`{"data":{}}`), testSecret), nil, 400, "malformed_event"},
		{"signed empty body", []byte{}, SignWebhook(nil, testSecret), nil, 400, "malformed_event"},
		{"wrong content type", good, goodSig, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415, "unsupported_media_type"},
		{"huge declared body", good, goodSig, func(r *http.Request) { r.ContentLength = 10 << 20 }, 413, "body_too_large"},
		{"huge chunked body", bytes.Repeat([]byte("x"), 2<<20), goodSig, func(r *http.Request) { r.ContentLength = -1 }, 413, "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec, logs := newTestHandler(t, WebhookOptions{})
			var mutate []func(*http.Request)
			if tt.mutate != nil {
				mutate = append(mutate, tt.mutate)
			}
			w := deliver(h, tt.body, tt.sig, mutate...)
			assert.Equal(t, tt.status, w.Code)
			var eb ErrorBody
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &eb), w.Body.String())
			assert.Equal(t, tt.code, eb.Code)
			assert.NotEmpty(t, eb.Message)
			if tt.status == 405 {
				assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			}
			assert.Zero(t, rec.calls.Load(), "Handle must not run")
			assertCleanLogs(t, logs.String(), tt.body, tt.sig)
		})
	}
}

func assertCleanLogs(t *testing.T, logs string, body []byte, sig string) {
	t.Helper()
	assert.NotContains(t, logs, string(testSecret))
	if sig != "" {
		assert.NotContains(t, logs, sig)
	}
	if len(body) >= 8 {
		assert.NotContains(t, logs, string(body[:8]))
	}
}

func TestNewWebhookHandlerConfig(t *testing.T) {
	noop := func(context.Context, WebhookEvent) error { return nil }
	for name, opts := range map[string]WebhookOptions{
		"no secret":    {Handle: noop},
		"empty secret": {Secrets: []WebhookSecret{""}, Handle: noop},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewWebhookHandler(opts)
			assert.ErrorIs(t, err, ErrWebhookNoSecret)
		})
	}
	_, err := NewWebhookHandler(WebhookOptions{Secrets: []WebhookSecret{testSecret}})
	assert.Error(t, err, "nil Handle")
}

func TestWebhookUnknownAndTestEvents(t *testing.T) {
	h, rec, _ := newTestHandler(t, WebhookOptions{})
	unknown := []byte(`{"entity_type":"subscription","event_type":"renewed","data":{"id":"sub_1","status":"active","new":[1,2,{"x":null}]}}`)
	assert.Equal(t, http.StatusOK, deliver(h, unknown, SignWebhook(unknown, testSecret)).Code)
	assert.EqualValues(t, 1, rec.calls.Load(), "unknown types reach Handle, which may ignore them")

	test := []byte(`{"entity_type":"webhook_test","event_type":"test","data":{}}`)
	w := deliver(h, test, SignWebhook(test, testSecret))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"status":"test"}`, w.Body.String())
	assert.EqualValues(t, 1, rec.calls.Load(), "the dashboard's test event is acknowledged without Handle")
}

func TestWebhookDedup(t *testing.T) {
	h, rec, _ := newTestHandler(t, WebhookOptions{})
	success := paymentBody("payt_1", "success")
	progress := paymentBody("payt_1", "in_progress")

	// Out of order: success first, then a late in_progress; then a duplicate.
	for i, step := range []struct {
		body  []byte
		want  string
		calls int32
	}{
		{success, "processed", 1},
		{progress, "processed", 2},
		{success, "duplicate", 2},
		{progress, "duplicate", 2},
	} {
		w := deliver(h, step.body, SignWebhook(step.body, testSecret))
		require.Equal(t, http.StatusOK, w.Code, "step %d", i)
		assert.JSONEq(t, `{"status":"`+step.want+`"}`, w.Body.String(), "step %d", i)
		assert.Equal(t, step.calls, rec.calls.Load(), "step %d", i)
	}
	// The late in_progress must not overwrite the terminal success.
	assert.False(t, ShouldApplyStatus(EntityPayment, "success", "in_progress"))
	assert.True(t, ShouldApplyStatus(EntityPayment, "in_progress", "success"))
	assert.True(t, ShouldApplyStatus(EntityPayment, "", "in_progress"))
}

func TestWebhookFailedCallbackIsRetried(t *testing.T) {
	h, rec, logs := newTestHandler(t, WebhookOptions{})
	body := paymentBody("payt_9", "success")
	sig := SignWebhook(body, testSecret)
	rec.err = errors.New("database down")
	w := deliver(h, body, sig)
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	var eb ErrorBody
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &eb))
	assert.Equal(t, "internal_error", eb.Code)
	assert.NotContains(t, w.Body.String(), "database down", "the callback's error stays in the log")
	assert.Contains(t, logs.String(), "database down")
	assertCleanLogs(t, logs.String(), body, sig)

	rec.err = nil
	assert.Equal(t, http.StatusOK, deliver(h, body, sig).Code, "Glomo's retry is processed")
	assert.JSONEq(t, `{"status":"duplicate"}`, deliver(h, body, sig).Body.String())
	assert.EqualValues(t, 2, rec.calls.Load())
}

func TestWebhookConcurrentDuplicates(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	h, _, _ := newTestHandler(t, WebhookOptions{Handle: func(ctx context.Context, e WebhookEvent) error {
		calls.Add(1)
		<-release
		return nil
	}})
	body := paymentBody("payt_c", "success")
	sig := SignWebhook(body, testSecret)
	const n = 16
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- deliver(h, body, sig).Code
		}()
	}
	// Let the others reach the store while the first is held.
	require.Eventually(t, func() bool { return len(codes) == n-1 }, 5*time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	assert.EqualValues(t, 1, calls.Load())
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: n - 1}, count)
}

func TestWebhookTimeout(t *testing.T) {
	h, _, _ := newTestHandler(t, WebhookOptions{Timeout: 20 * time.Millisecond, Handle: func(ctx context.Context, e WebhookEvent) error {
		dl, ok := ctx.Deadline()
		assert.True(t, ok)
		assert.WithinDuration(t, time.Now().Add(20*time.Millisecond), dl, 20*time.Millisecond)
		<-ctx.Done()
		return ctx.Err()
	}})
	body := paymentBody("payt_t", "success")
	assert.Equal(t, http.StatusInternalServerError, deliver(h, body, SignWebhook(body, testSecret)).Code)
}

// TestWebhookHandleContext checks Handle's context beyond its deadline: it
// carries the request's values, ends when the request's context ends, and
// is canceled once Handle returns, for a Handle that keeps it.
func TestWebhookHandleContext(t *testing.T) {
	type key struct{}
	t.Run("request values", func(t *testing.T) {
		var got any
		h, _, _ := newTestHandler(t, WebhookOptions{Handle: func(ctx context.Context, e WebhookEvent) error {
			got = ctx.Value(key{})
			return nil
		}})
		body := paymentBody("payt_v", "success")
		w := deliver(h, body, SignWebhook(body, testSecret), func(r *http.Request) {
			*r = *r.WithContext(context.WithValue(r.Context(), key{}, "request-id"))
		})
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, "request-id", got)
	})
	t.Run("request canceled", func(t *testing.T) {
		reqCtx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		go func() {
			<-started
			cancel()
		}()
		h, _, _ := newTestHandler(t, WebhookOptions{Handle: func(ctx context.Context, e WebhookEvent) error {
			close(started)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Second):
				return nil
			}
		}})
		body := paymentBody("payt_c", "success")
		w := deliver(h, body, SignWebhook(body, testSecret), func(r *http.Request) {
			*r = *r.WithContext(reqCtx)
		})
		assert.Equal(t, http.StatusInternalServerError, w.Code, "Handle saw the request end")
	})
	t.Run("canceled after Handle", func(t *testing.T) {
		var kept context.Context
		h, _, _ := newTestHandler(t, WebhookOptions{Handle: func(ctx context.Context, e WebhookEvent) error {
			kept = ctx
			return nil
		}})
		body := paymentBody("payt_k", "success")
		assert.Equal(t, http.StatusOK, deliver(h, body, SignWebhook(body, testSecret)).Code)
		require.NotNil(t, kept)
		select {
		case <-kept.Done():
			assert.ErrorIs(t, kept.Err(), context.Canceled)
		case <-time.After(time.Second):
			t.Fatal("Handle's context outlived the delivery")
		}
	})
}

func TestWebhookAsync(t *testing.T) {
	done := make(chan WebhookEvent, 1)
	h, _, _ := newTestHandler(t, WebhookOptions{Async: true, QueueSize: 1, Workers: 1, Handle: func(ctx context.Context, e WebhookEvent) error {
		done <- e
		return nil
	}})
	body := paymentBody("payt_a", "success")
	w := deliver(h, body, SignWebhook(body, testSecret))
	assert.Equal(t, http.StatusAccepted, w.Code)
	select {
	case e := <-done:
		assert.Equal(t, "payt_a", e.ID())
		p, err := e.Payment()
		require.NoError(t, err)
		assert.Equal(t, int64(1999), p.Amount)
	case <-time.After(5 * time.Second):
		t.Fatal("queued event never ran")
	}
	require.NoError(t, h.Shutdown(context.Background()))
	other := paymentBody("payt_b", "success")
	assert.Equal(t, http.StatusServiceUnavailable, deliver(h, other, SignWebhook(other, testSecret)).Code)
}

func TestWebhookReuseBuffers(t *testing.T) {
	h, rec, _ := newTestHandler(t, WebhookOptions{ReuseBuffers: true})
	for _, id := range []string{"payt_r1", "payt_r2", "payt_r3"} {
		body := paymentBody(id, "success")
		require.Equal(t, http.StatusOK, deliver(h, body, SignWebhook(body, testSecret)).Code)
	}
	assert.EqualValues(t, 3, rec.calls.Load())
}

func TestMemoryEventStore(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryEventStore(2, time.Hour)
	now := time.Unix(0, 0)
	s.table.now = func() time.Time { return now }
	c, _ := s.Claim(ctx, "a", time.Minute)
	assert.Equal(t, ClaimAcquired, c)
	c, _ = s.Claim(ctx, "a", time.Minute)
	assert.Equal(t, ClaimInProgress, c)
	now = now.Add(2 * time.Minute)
	c, _ = s.Claim(ctx, "a", time.Minute)
	assert.Equal(t, ClaimAcquired, c, "a lapsed lease is claimable")
	require.NoError(t, s.Done(ctx, "a"))
	c, _ = s.Claim(ctx, "a", time.Minute)
	assert.Equal(t, ClaimDone, c)
	_, _ = s.Claim(ctx, "b", time.Minute)
	_, _ = s.Claim(ctx, "c", time.Minute)
	assert.Equal(t, 2, s.Len(), "bounded")
	c, _ = s.Claim(ctx, "a", time.Minute)
	assert.Equal(t, ClaimAcquired, c, "the oldest entry was evicted")
	now = now.Add(2 * time.Hour)
	require.NoError(t, s.Release(ctx, "a"))
	c, _ = s.Claim(ctx, "a", time.Minute)
	assert.Equal(t, ClaimAcquired, c)
}

func TestIsTerminalStatus(t *testing.T) {
	for _, tt := range []struct {
		entity, status string
		want           bool
	}{
		{"payment", "success", true}, {"payment", "failed", true}, {"payment", "in_progress", false},
		{"payment", "under_review", false}, {"orders", "paid", true}, {"orders", "expired", true},
		{"orders", "cancelled", true}, {"orders", "failed", true}, {"orders", "active", false},
		{"refund", "success", false},
	} {
		t.Run(tt.entity+"/"+tt.status, func(t *testing.T) {
			assert.Equal(t, tt.want, IsTerminalStatus(tt.entity, tt.status))
		})
	}
}

func TestWebhookReadsAndHashesEveryBodyShape(t *testing.T) {
	const maxBody = 4*hashChunk + 100
	sizes := []int{300, hashChunk - 1, hashChunk, hashChunk + 1, 3*hashChunk + 7, maxBody}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":      func(r io.Reader) io.Reader { return r },
		"one byte":   iotest.OneByteReader,
		"half reads": iotest.HalfReader,
		// The last bytes come with io.EOF, as net/http's body may send them.
		"EOF with the data": iotest.DataErrReader,
	}
	for _, size := range sizes {
		for rname, wrap := range readers {
			for _, chunked := range []bool{false, true} {
				for _, reuse := range []bool{false, true} {
					if rname == "one byte" && size > hashChunk+1 {
						continue // adds nothing over half reads, at a cost
					}
					name := fmt.Sprintf("%d/%s/chunked=%v/reuse=%v", size, rname, chunked, reuse)
					t.Run(name, func(t *testing.T) {
						// Signed with the second secret, so both states are fed.
						h, rec, _ := newTestHandler(t, WebhookOptions{
							Secrets:      []WebhookSecret{"whsec_new", testSecret},
							MaxBodyBytes: maxBody, ReuseBuffers: reuse,
						})
						body := benchBody(size, size)
						w := deliver(h, nil, SignWebhook(body, testSecret), func(r *http.Request) {
							r.Body = io.NopCloser(wrap(bytes.NewReader(body)))
							r.ContentLength = int64(len(body))
							if chunked {
								r.ContentLength = -1
							}
						})
						require.Equal(t, http.StatusOK, w.Code, w.Body.String())
						require.Len(t, rec.events, 1)
						if !reuse {
							assert.Equal(t, body, rec.events[0].Raw)
						}
					})
				}
			}
		}
	}
	t.Run("one byte over the cap, chunked", func(t *testing.T) {
		h, rec, _ := newTestHandler(t, WebhookOptions{MaxBodyBytes: maxBody})
		body := benchBody(maxBody+1, 1)
		w := deliver(h, body, SignWebhook(body, testSecret), func(r *http.Request) { r.ContentLength = -1 })
		assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
		assert.Zero(t, rec.calls.Load())
	})
	t.Run("body shorter than its Content-Length", func(t *testing.T) {
		h, rec, _ := newTestHandler(t, WebhookOptions{})
		body := paymentBody("payt_short", "success")
		w := deliver(h, body, SignWebhook(body, testSecret), func(r *http.Request) { r.ContentLength = int64(len(body) + 10) })
		assert.Equal(t, http.StatusBadRequest, w.Code)
		assert.Zero(t, rec.calls.Load())
	})
}

func TestWebhookEventOwnsItsBytesByDefault(t *testing.T) {
	h, rec, _ := newTestHandler(t, WebhookOptions{})
	first := paymentBody("payt_own1", "success")
	second := paymentBody("payt_own2", "failed")
	require.Equal(t, http.StatusOK, deliver(h, first, SignWebhook(first, testSecret)).Code)
	require.Equal(t, http.StatusOK, deliver(h, second, SignWebhook(second, testSecret)).Code)
	require.Len(t, rec.events, 2)
	assert.Equal(t, first, rec.events[0].Raw, "a later delivery must not overwrite a kept event")
	p, err := rec.events[0].Payment()
	require.NoError(t, err)
	assert.Equal(t, "payt_own1", p.ID)
}

// capReader serves body in pieces of at most step bytes and records, at
// each Read, how many bytes it had served and how large the handler's
// buffer was: the slice Read gets reaches to the end of that buffer.
type capReader struct {
	body   []byte
	step   int
	served int
	reads  [][2]int // {served before the read, buffer capacity}
}

func (c *capReader) Read(p []byte) (int, error) {
	c.reads = append(c.reads, [2]int{c.served, c.served + cap(p)})
	if len(c.body) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.step)], c.body)
	c.body = c.body[n:]
	c.served += n
	return n, nil
}

// A client that declares a large body holds memory in proportion to what
// it has sent, not to what it declared: the buffer starts at hashChunk and
// holds at most bodyGrowth times what has arrived.
func TestWebhookBufferFollowsTheBytesThatArrive(t *testing.T) {
	const size = 10*hashChunk + 123
	for _, tc := range []struct {
		name     string
		step     int
		declared bool
		reuse    bool
	}{
		{"declared, whole pieces", hashChunk, true, false},
		{"declared, small pieces", 1000, true, false},
		{"declared, reused buffers", hashChunk, true, true},
		{"undeclared", hashChunk, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, rec, _ := newTestHandler(t, WebhookOptions{MaxBodyBytes: 16 * hashChunk, ReuseBuffers: tc.reuse})
			body := benchBody(size, 1)
			cr := &capReader{body: body, step: tc.step}
			w := deliver(h, nil, SignWebhook(body, testSecret), func(r *http.Request) {
				r.Body = io.NopCloser(cr)
				r.ContentLength = -1
				if tc.declared {
					r.ContentLength = int64(len(body))
				}
			})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.Len(t, rec.events, 1)
			require.NotEmpty(t, cr.reads)
			for i, rd := range cr.reads {
				served, capacity := rd[0], rd[1]
				assert.LessOrEqual(t, capacity, max(hashChunk, bodyGrowth*served),
					"read %d: a %d-byte buffer after %d bytes", i, capacity, served)
			}
			if tc.declared {
				last := cr.reads[len(cr.reads)-1]
				assert.Equal(t, size, last[1], "the last buffer is exactly the declared length")
			}
		})
	}
}

// A queued event's claim outlives its wait in the queue: a duplicate
// delivered while it waits is refused, not run a second time.
func TestWebhookAsyncClaimOutlivesTheQueue(t *testing.T) {
	store := NewMemoryEventStore(0, 0)
	var clockMu sync.Mutex
	now := time.Now()
	store.table.now = func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	advance := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }

	gate := make(chan struct{})
	started := make(chan struct{})
	var runs sync.Map // id -> *atomic.Int32
	h, _, _ := newTestHandler(t, WebhookOptions{
		Store: store, Async: true, Workers: 2, QueueSize: 8, Timeout: time.Second,
		Handle: func(_ context.Context, e WebhookEvent) error {
			if strings.HasPrefix(e.ID(), "payt_busy") {
				started <- struct{}{}
				<-gate
			}
			n, _ := runs.LoadOrStore(e.ID(), new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
			return nil
		},
	})
	assert.True(t, h.Async())
	// Both workers are busy, so payt_x waits in the queue.
	for _, id := range []string{"payt_busy1", "payt_busy2"} {
		body := paymentBody(id, "success")
		require.Equal(t, http.StatusAccepted, deliver(h, body, SignWebhook(body, testSecret)).Code)
		<-started
	}
	body := paymentBody("payt_x", "success")
	sig := SignWebhook(body, testSecret)
	require.Equal(t, http.StatusAccepted, deliver(h, body, sig).Code)

	// The longest wait this queue allows: 8 events ahead on 2 workers,
	// then its own run, each within Timeout and the store's five seconds;
	// the claim lasts 30s more.
	advance(5*(time.Second+5*time.Second) + 29*time.Second)
	assert.Equal(t, http.StatusConflict, deliver(h, body, sig).Code, "a duplicate while the event is queued")

	close(gate)
	require.NoError(t, h.Shutdown(context.Background()))
	n, ok := runs.Load("payt_x")
	require.True(t, ok)
	assert.EqualValues(t, 1, n.(*atomic.Int32).Load())
}

// storeContexts records the contexts the handler gives its store.
type storeContexts struct {
	acquireStore
	mu          sync.Mutex
	claim, done context.Context
	lease       time.Duration
}

func (s *storeContexts) Claim(ctx context.Context, _ string, lease time.Duration) (Claim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claim, s.lease = ctx, lease
	return ClaimAcquired, nil
}

func (s *storeContexts) Done(ctx context.Context, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = ctx
	if err := ctx.Err(); err != nil {
		return err
	}
	return nil
}

// No store call can hang a delivery: Claim shares Handle's deadline, and
// Done, which must not fail because the request ended, gets a little more.
func TestWebhookStoreCallsAreBounded(t *testing.T) {
	const timeout = 2 * time.Second
	store := &storeContexts{}
	var handleDeadline time.Time
	reqCtx, endRequest := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
	defer endRequest()
	h, _, logs := newTestHandler(t, WebhookOptions{
		Store: store, Timeout: timeout,
		Handle: func(ctx context.Context, _ WebhookEvent) error {
			handleDeadline, _ = ctx.Deadline()
			endRequest() // the client goes away while Handle runs
			return nil
		},
	})
	body := paymentBody("payt_bounded", "success")
	start := time.Now()
	w := deliver(h, body, SignWebhook(body, testSecret), func(r *http.Request) { *r = *r.WithContext(reqCtx) })
	require.Equal(t, http.StatusOK, w.Code)
	assert.NotContains(t, logs.String(), "could not record", "Done failed: %s", logs)

	claimDeadline, ok := store.claim.Deadline()
	require.True(t, ok, "Claim has a deadline")
	assert.Equal(t, handleDeadline, claimDeadline, "Claim and Handle share one deadline")
	assert.WithinDuration(t, start.Add(timeout), claimDeadline, time.Second)
	assert.Equal(t, "v", store.claim.Value(ctxKey{}))
	assert.Equal(t, timeout+30*time.Second, store.lease)

	doneDeadline, ok := store.done.Deadline()
	require.True(t, ok, "Done has a deadline")
	assert.Equal(t, handleDeadline.Add(webhookStoreGrace), doneDeadline)
	assert.Equal(t, "v", store.done.Value(ctxKey{}))
	assert.True(t, closedWithin(store.done.Done(), time.Second), "Done's context ends after the delivery")
}

// The handler reads no byte past the declared Content-Length, even into a
// recycled buffer with room for more (net/http's own bodies stop there;
// other readers need not).
func TestWebhookReadsOnlyTheDeclaredLength(t *testing.T) {
	for _, reuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reuse=%v", reuse), func(t *testing.T) {
			var raws [][]byte
			h, _, _ := newTestHandler(t, WebhookOptions{ReuseBuffers: reuse, Handle: func(_ context.Context, e WebhookEvent) error {
				raws = append(raws, bytes.Clone(e.Raw))
				return nil
			}})
			large := benchBody(3*hashChunk, 7) // leaves a large buffer in the pool
			require.Equal(t, http.StatusOK, deliver(h, large, SignWebhook(large, testSecret)).Code)
			body := paymentBody("payt_declared", "success")
			w := deliver(h, nil, SignWebhook(body, testSecret), func(r *http.Request) {
				r.Body = io.NopCloser(bytes.NewReader(append(bytes.Clone(body), " trailing bytes"...)))
				r.ContentLength = int64(len(body))
			})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.Len(t, raws, 2)
			assert.Equal(t, body, raws[1])
		})
	}
}

// A cap as large as int64 allows still reads, hashes and answers.
func TestWebhookLargestCap(t *testing.T) {
	h, rec, _ := newTestHandler(t, WebhookOptions{MaxBodyBytes: math.MaxInt64})
	for _, chunked := range []bool{false, true} {
		body := paymentBody(fmt.Sprintf("payt_cap_%v", chunked), "success")
		w := deliver(h, body, SignWebhook(body, testSecret), func(r *http.Request) {
			if chunked {
				r.ContentLength = -1
			}
		})
		assert.Equal(t, http.StatusOK, w.Code, "chunked=%v: %s", chunked, w.Body)
	}
	assert.EqualValues(t, 2, rec.calls.Load())
}

func TestAsyncLease(t *testing.T) {
	for _, tc := range []struct {
		name          string
		timeout       time.Duration
		size, workers int
		want          time.Duration
	}{
		{"defaults", DefaultWebhookTimeout, DefaultWebhookQueueSize, DefaultWebhookWorkers, 65*25*time.Second + 30*time.Second},
		{"one worker", time.Second, 7, 1, 8*6*time.Second + 30*time.Second},
		{"more workers than slots", time.Second, 1, 4, 2*6*time.Second + 30*time.Second},
		{"saturates", 24 * time.Hour, 1 << 17, 1, math.MaxInt64},
		{"saturates at the edge", math.MaxInt64 - webhookStoreGrace, 1, 1, math.MaxInt64},
		// Two runs of the largest per-run time whose sum with the slack
		// still fits, and of one nanosecond more.
		{"largest that fits", (math.MaxInt64-30*time.Second)/2 - webhookStoreGrace, 1, 1,
			(math.MaxInt64-30*time.Second)/2*2 + 30*time.Second},
		{"one nanosecond over it", (math.MaxInt64-30*time.Second)/2 - webhookStoreGrace + 1, 1, 1, math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := asyncLease(tc.timeout, tc.size, tc.workers)
			assert.Equal(t, tc.want, got)
			assert.Positive(t, got)
		})
	}
}

// A declared length of 3 GiB under an unlimited cap: where int has 32 bits
// no slice can hold it, and it is refused as too large before anything is
// read; elsewhere the short body is refused as unreadable.
func TestWebhookHugeDeclaredLength(t *testing.T) {
	h, rec, _ := newTestHandler(t, WebhookOptions{MaxBodyBytes: math.MaxInt64, ReuseBuffers: true})
	body := paymentBody("payt_huge", "success")
	w := deliver(h, body, SignWebhook(body, testSecret), func(r *http.Request) { r.ContentLength = 3 << 30 })
	want := http.StatusBadRequest
	if math.MaxInt == math.MaxInt32 {
		want = http.StatusRequestEntityTooLarge
	}
	assert.Equal(t, want, w.Code, w.Body.String())
	assert.Zero(t, rec.calls.Load())
}

// TestWebhookDefaults checks the defaults that options left at zero
// select: Handle's deadline, and in Async mode the workers and the queue.
func TestWebhookDefaults(t *testing.T) {
	t.Run("Timeout", func(t *testing.T) {
		var left time.Duration
		var hasDeadline bool
		h, _, _ := newTestHandler(t, WebhookOptions{Handle: func(ctx context.Context, _ WebhookEvent) error {
			var d time.Time
			d, hasDeadline = ctx.Deadline()
			left = time.Until(d)
			return nil
		}})
		body := paymentBody("payt_t", "success")
		require.Equal(t, http.StatusOK, deliver(h, body, SignWebhook(body, testSecret)).Code)
		require.True(t, hasDeadline)
		assert.LessOrEqual(t, left, DefaultWebhookTimeout)
		assert.Greater(t, left, DefaultWebhookTimeout-5*time.Second)
	})

	t.Run("Async workers and queue", func(t *testing.T) {
		var running, most, done atomic.Int32
		release := make(chan struct{})
		h, _, _ := newTestHandler(t, WebhookOptions{Async: true, Handle: func(context.Context, WebhookEvent) error {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			<-release
			running.Add(-1)
			done.Add(1)
			return nil
		}})
		// The workers all block in Handle; the queue holds the rest.
		total := DefaultWebhookWorkers + 20
		for i := 0; i < total; i++ {
			body := paymentBody(fmt.Sprintf("payt_q%d", i), "success")
			require.Equal(t, http.StatusAccepted, deliver(h, body, SignWebhook(body, testSecret)).Code, "delivery %d", i)
		}
		require.Eventually(t, func() bool { return running.Load() == DefaultWebhookWorkers }, 5*time.Second, time.Millisecond)
		close(release)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, h.Shutdown(ctx))
		assert.EqualValues(t, total, done.Load())
		assert.EqualValues(t, DefaultWebhookWorkers, most.Load(), "Handle runs on DefaultWebhookWorkers workers")
	})
}
