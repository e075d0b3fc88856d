package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testSecret signs the deliveries of most tests.
const testSecret webhook.Secret = "whsec_test_secret_value"

// The known-answer vector from Glomo's webhook documentation
// (testdata/webhook-payout-success.txt).
const (
	vectorSecret    webhook.Secret = "whsec_2f1c9b7a4d6e8031"
	vectorSignature string         = "d5b5a68b9729f41c4a46f1e94c750bf10fb32f345a5467cbfec7739df83f2c02"
	vectorBodyLen   int            = 223
)

func vectorBody(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/webhook-payout-success.body")
	require.NoError(t, err)
	require.Len(t, b, vectorBodyLen, "the vector body must be byte-identical to the shared copy")
	return b
}

// lockedBuffer is a bytes.Buffer that the handler's logger may write from
// several goroutines while a test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a webhook handler wired to a Fulfilment whose hook and whose
// Handle record what reaches them.
type harness struct {
	h     *webhook.Handler
	f     *glomo.Fulfilment
	store glomo.Store
	logs  *lockedBuffer

	mu      sync.Mutex
	events  []webhook.Event
	orders  []glomo.PaidOrder
	handled atomic.Int32 // Handle calls
	hooked  atomic.Int32 // fulfilment hook calls
	// handleErr and hookErr, when set, are what the next calls return.
	handleErr, hookErr error
}

// config adjusts a harness before it is built. Handle and hook, when set,
// run after the harness records the call.
type config struct {
	opts   webhook.Options
	fopts  glomo.FulfilmentOptions
	handle func(context.Context, webhook.Event) error
	hook   glomo.FulfilFunc
	// noHandle leaves Options.Handle nil.
	noHandle bool
}

func newHarness(t testing.TB, adjust ...func(*config)) *harness {
	t.Helper()
	c := config{}
	for _, a := range adjust {
		a(&c)
	}
	hs := &harness{logs: &lockedBuffer{}}
	logger := slog.New(slog.NewTextHandler(hs.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if c.fopts.Store == nil {
		c.fopts.Store = glomo.NewMemoryStore(0, 0)
	}
	hs.store = c.fopts.Store
	if c.fopts.Logger == nil {
		c.fopts.Logger = logger
	}
	f, err := glomo.NewFulfilment(func(ctx context.Context, o glomo.PaidOrder) error {
		hs.hooked.Add(1)
		hs.mu.Lock()
		hs.orders = append(hs.orders, o)
		err := hs.hookErr
		hs.mu.Unlock()
		if c.hook != nil {
			if herr := c.hook(ctx, o); herr != nil {
				return herr
			}
		}
		return err
	}, c.fopts)
	require.NoError(t, err)
	hs.f = f

	opts := c.opts
	if opts.Secrets == nil {
		opts.Secrets = []webhook.Secret{testSecret}
	}
	if opts.Fulfilment == nil {
		opts.Fulfilment = f
	}
	if opts.Logger == nil {
		opts.Logger = logger
	}
	if !c.noHandle && opts.Handle == nil {
		opts.Handle = func(ctx context.Context, e webhook.Event) error {
			hs.handled.Add(1)
			hs.mu.Lock()
			hs.events = append(hs.events, e)
			err := hs.handleErr
			hs.mu.Unlock()
			if c.handle != nil {
				if herr := c.handle(ctx, e); herr != nil {
					return herr
				}
			}
			return err
		}
	}
	h, err := webhook.NewHandler(opts)
	require.NoError(t, err)
	hs.h = h
	return hs
}

func (hs *harness) setHandleErr(err error) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	hs.handleErr = err
}

func (hs *harness) setHookErr(err error) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	hs.hookErr = err
}

func (hs *harness) recordedEvents() []webhook.Event {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return append([]webhook.Event(nil), hs.events...)
}

func (hs *harness) recordedOrders() []glomo.PaidOrder {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return append([]glomo.PaidOrder(nil), hs.orders...)
}

// send delivers body signed with testSecret.
func (hs *harness) send(body []byte, mutate ...func(*http.Request)) *httptest.ResponseRecorder {
	return deliver(hs.h, body, webhook.Sign(body, testSecret), mutate...)
}

// deliver POSTs body as application/json with sig in the signature header
// (none when sig is empty) and returns the response.
func deliver(h http.Handler, body []byte, sig string, mutate ...func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/glomo", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if sig != "" {
		r.Header.Set(webhook.SignatureHeader, sig)
	}
	for _, m := range mutate {
		if m != nil {
			m(r)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// requireError checks that w is an error answer with status and code.
func requireError(t testing.TB, w *httptest.ResponseRecorder, status int, code string) glomo.ErrorBody {
	t.Helper()
	require.Equal(t, status, w.Code, w.Body.String())
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	var eb glomo.ErrorBody
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &eb), w.Body.String())
	assert.Equal(t, code, eb.Code)
	assert.NotEmpty(t, eb.Message)
	return eb
}

// requireStatus checks that w is a 200 answer {"status": status}.
func requireStatus(t testing.TB, w *httptest.ResponseRecorder, status string) {
	t.Helper()
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	assert.JSONEq(t, `{"status":"`+status+`"}`, w.Body.String())
}

// assertCleanLogs checks that the log holds nothing of the body, the
// signature or the secrets.
func assertCleanLogs(t testing.TB, logs string, body []byte, sig string, secrets ...webhook.Secret) {
	t.Helper()
	for _, s := range append(secrets, testSecret) {
		assert.NotContains(t, logs, string(s), "a secret in the log")
	}
	if sig != "" {
		assert.NotContains(t, logs, sig, "the signature in the log")
		if len(sig) >= 16 {
			assert.NotContains(t, logs, sig[:16], "part of the signature in the log")
		}
	}
	if len(body) >= 8 {
		assert.NotContains(t, logs, string(body[:8]), "the start of the body in the log")
	}
	if len(body) > 0 {
		assert.NotContains(t, logs, string(body), "the body in the log")
	}
}

// paymentBody is a payment/<status> event of payment id, without an
// order id: it goes to Handle, not to the fulfilment hook.
func paymentBody(id, status string) []byte {
	return []byte(`{"entity_type":"payment","event_type":"` + status + `","data":{"id":"` + id +
		`","payin_id":"payin_1","status":"` + status + `","amount":1999,"currency":"USD","notes":"n0t35-l34k-ch3ck"}}`)
}

// paymentSuccessBody is a payment/success event naming its order: a proof
// that the order is paid.
func paymentSuccessBody(paymentID, orderID string) []byte {
	return []byte(`{"entity_type":"payment","event_type":"success","data":{"id":"` + paymentID +
		`","payin_id":"payin_1","order_id":"` + orderID + `","status":"success","amount":1999,"currency":"USD"}}`)
}

// orderPaidBody is an orders/paid event: a proof that the order is paid.
func orderPaidBody(orderID, paymentID string) []byte {
	return []byte(`{"entity_type":"orders","event_type":"paid","data":{"id":"` + orderID +
		`","payment_id":"` + paymentID + `","status":"paid","amount":1999,"currency":"USD"}}`)
}

// failingStore is a Store whose calls fail as configured, delegating the
// others to a MemoryStore.
type failingStore struct {
	mem                           *glomo.MemoryStore
	claimErr, releaseErr, doneErr error
	claims, releases, dones       atomic.Int32
}

func newFailingStore() *failingStore { return &failingStore{mem: glomo.NewMemoryStore(0, 0)} }

func (s *failingStore) Claim(ctx context.Context, key string, lease time.Duration) (glomo.Claim, error) {
	s.claims.Add(1)
	if s.claimErr != nil {
		return glomo.Claim{}, s.claimErr
	}
	return s.mem.Claim(ctx, key, lease)
}

func (s *failingStore) Release(ctx context.Context, key, token string) error {
	s.releases.Add(1)
	if s.releaseErr != nil {
		return s.releaseErr
	}
	return s.mem.Release(ctx, key, token)
}

func (s *failingStore) Done(ctx context.Context, key, token string) error {
	s.dones.Add(1)
	if s.doneErr != nil {
		return s.doneErr
	}
	return s.mem.Done(ctx, key, token)
}

var errStoreDown = errors.New("redis: dial tcp 10.0.0.7:6379: connection refused")

// bodyOfSize returns a payment event (no order id, so it goes to Handle)
// of exactly size bytes, whose bulk is a notes string and whose id is
// payt_<i>.
func bodyOfSize(size, i int) []byte {
	head := fmt.Sprintf(`{"entity_type":"payment","event_type":"in_progress","data":{"id":"payt_%09d","status":"in_progress","amount":1999,"currency":"USD","notes":"`, i)
	tail := `"}}`
	n := size - len(head) - len(tail)
	if n < 0 {
		panic("bodyOfSize: size too small")
	}
	return []byte(head + strings.Repeat("n", n) + tail)
}

// refEvent is how encoding/json reads a webhook body by itself.
type refEvent struct {
	EntityType string          `json:"entity_type"`
	EventType  string          `json:"event_type"`
	Data       json.RawMessage `json:"data"`
}

// reference decodes body with encoding/json and reports whether it is an
// event Parse must accept.
func reference(body []byte) (refEvent, bool) {
	var ref refEvent
	if err := json.Unmarshal(body, &ref); err != nil {
		return refEvent{}, false
	}
	if string(ref.Data) == "null" {
		ref.Data = nil
	}
	return ref, ref.EntityType != "" && ref.EventType != ""
}
