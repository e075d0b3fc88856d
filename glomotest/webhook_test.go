package glomotest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// received is one webhook as the receiver saw it.
type received struct {
	body      []byte
	signature string
	entity    string
	event     string
	data      map[string]any
}

// receiver is an httptest webhook endpoint that answers with the codes in
// statuses, in turn (the last one repeats), and records what arrives.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	got      []received
	statuses []int
	calls    atomic.Int32
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	if len(statuses) == 0 {
		statuses = []int{http.StatusOK}
	}
	rc := &receiver{statuses: statuses}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(rc.calls.Add(1)) - 1
		body, _ := io.ReadAll(r.Body)
		var env struct {
			EntityType string         `json:"entity_type"`
			EventType  string         `json:"event_type"`
			Data       map[string]any `json:"data"`
		}
		_ = json.Unmarshal(body, &env)
		rc.mu.Lock()
		rc.got = append(rc.got, received{body, r.Header.Get("X-Glomopay-Signature"), env.EntityType, env.EventType, env.Data})
		rc.mu.Unlock()
		w.WriteHeader(rc.statuses[min(n, len(rc.statuses)-1)])
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// hexHMAC recomputes a webhook signature independently of the package.
func hexHMAC(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func waitIdle(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.WaitIdle(ctx))
}

func fastRetries() []time.Duration {
	return []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}
}

func kinds(rs []received) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.entity+"/"+r.event)
	}
	return out
}

func TestWebhookSignatureKnownAnswer(t *testing.T) {
	body, err := os.ReadFile("testdata/webhook-payout-success.body")
	require.NoError(t, err)
	require.Len(t, body, 223)
	assert.Equal(t, "d5b5a68b9729f41c4a46f1e94c750bf10fb32f345a5467cbfec7739df83f2c02",
		webhookSignature(body, "whsec_2f1c9b7a4d6e8031"))
}

func TestWebhooksPerOutcome(t *testing.T) {
	tests := []struct {
		name    string
		pay     func(s *Server, orderID string)
		want    []string
		payment string
	}{
		{"success", func(s *Server, id string) { _, _ = s.Pay(id, Success()) },
			[]string{"payment/success", "orders/paid"}, "success"},
		{"failure", func(s *Server, id string) { _, _ = s.Pay(id, Failure("PAYMENT_DECLINED")) },
			[]string{"payment/failed"}, "failed"},
		{"bank transfer", func(s *Server, id string) { _, _ = s.Pay(id, BankTransfer("1", "R")) },
			[]string{"payment/in_progress", "orders/under_review"}, "in_progress"},
		{"bank transfer settled", func(s *Server, id string) {
			r, _ := s.Pay(id, BankTransfer("1", "R"))
			_, _ = s.SettleBankTransfer(r.PaymentID, true)
		}, []string{"payment/in_progress", "orders/under_review", "payment/success", "orders/paid"}, "in_progress"},
		{"bank transfer not received", func(s *Server, id string) {
			r, _ := s.Pay(id, BankTransfer("1", "R"))
			_, _ = s.SettleBankTransfer(r.PaymentID, false)
		}, []string{"payment/in_progress", "orders/under_review", "payment/failed"}, "in_progress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t)
			s := newTestServer(t, Options{WebhookURL: rc.srv.URL, WebhookSecret: "whsec_test"})
			o := newOrder(t, s)
			tt.pay(s, o.ID)
			waitIdle(t, s)

			got := rc.all()
			assert.Equal(t, tt.want, kinds(got))
			for _, r := range got {
				assert.Equal(t, hexHMAC(r.body, "whsec_test"), r.signature, "signature over the raw body")
				assert.Regexp(t, `^[0-9a-f]{64}$`, r.signature)
			}
			assert.Equal(t, tt.payment, got[0].data["status"], "data is a snapshot from when the event fired")
			assert.Equal(t, o.ID, got[0].data["order_id"])

			ds := s.Deliveries()
			require.Len(t, ds, len(tt.want))
			for i, d := range ds {
				assert.Equal(t, i+1, d.Event)
				assert.Equal(t, 1, d.Attempt)
				assert.True(t, d.OK())
				assert.Equal(t, got[i].body, d.Body)
				assert.Equal(t, got[i].signature, d.Signature)
			}
		})
	}
}

func TestWebhookRetries(t *testing.T) {
	rc := newReceiver(t, 500, 503, 200)
	s := newTestServer(t, Options{WebhookURL: rc.srv.URL, RetrySchedule: fastRetries()})
	o := newOrder(t, s)
	_, err := s.Pay(o.ID, Failure("PAYMENT_DECLINED"))
	require.NoError(t, err)
	waitIdle(t, s)

	ds := s.Deliveries()
	require.Len(t, ds, 3)
	for i, want := range []int{500, 503, 200} {
		assert.Equal(t, 1, ds[i].Event)
		assert.Equal(t, i+1, ds[i].Attempt)
		assert.Equal(t, want, ds[i].StatusCode)
	}
	got := rc.all()
	require.Len(t, got, 3)
	assert.Equal(t, got[0].body, got[2].body, "a retry resends the same bytes")
}

func TestWebhookGivesUp(t *testing.T) {
	rc := newReceiver(t, 500)
	s := newTestServer(t, Options{WebhookURL: rc.srv.URL, RetrySchedule: fastRetries()})
	o := newOrder(t, s)
	_, err := s.Pay(o.ID, Success())
	require.NoError(t, err)
	waitIdle(t, s)
	// Two events, each: one attempt plus three retries.
	ds := s.Deliveries()
	require.Len(t, ds, 8)
	assert.Equal(t, 4, ds[3].Attempt)
	assert.Equal(t, 2, ds[4].Event)
	for _, d := range ds {
		assert.False(t, d.OK())
	}
}

func TestWebhookTimeoutIsRetried(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	defer slow.Close()
	defer close(release)
	s := newTestServer(t, Options{WebhookURL: slow.URL, WebhookTimeout: 50 * time.Millisecond, RetrySchedule: fastRetries()})
	o := newOrder(t, s)
	_, err := s.Pay(o.ID, Failure(""))
	require.NoError(t, err)
	waitIdle(t, s)
	ds := s.Deliveries()
	require.Len(t, ds, 2)
	assert.ErrorIs(t, ds[0].Err, context.DeadlineExceeded)
	assert.Equal(t, 0, ds[0].StatusCode)
	assert.True(t, ds[1].OK())
}

func TestWebhookDuplicatesAndReorder(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string
		seq  []int
	}{
		{"in order", Options{}, []string{"payment/success", "orders/paid"}, []int{1, 2}},
		{"duplicates", Options{DuplicateWebhooks: true},
			[]string{"payment/success", "payment/success", "orders/paid", "orders/paid"}, []int{1, 1, 2, 2}},
		{"reversed", Options{ReverseWebhookOrder: true}, []string{"orders/paid", "payment/success"}, []int{2, 1}},
		{"both", Options{DuplicateWebhooks: true, ReverseWebhookOrder: true},
			[]string{"orders/paid", "orders/paid", "payment/success", "payment/success"}, []int{2, 2, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t)
			opts := tt.opts
			opts.WebhookURL = rc.srv.URL
			s := newTestServer(t, opts)
			o := newOrder(t, s)
			_, err := s.Pay(o.ID, Success())
			require.NoError(t, err)
			waitIdle(t, s)
			got := rc.all()
			assert.Equal(t, tt.want, kinds(got))
			var seq []int
			for _, d := range s.Deliveries() {
				seq = append(seq, d.Event)
			}
			assert.Equal(t, tt.seq, seq)
			if tt.opts.DuplicateWebhooks {
				assert.Equal(t, got[0].body, got[1].body, "a duplicate is byte-identical")
			}
		})
	}
}

func TestCloseStopsRetries(t *testing.T) {
	rc := newReceiver(t, 500)
	s := NewServer(Options{WebhookURL: rc.srv.URL, RetrySchedule: []time.Duration{time.Hour}})
	o := newOrder(t, s)
	_, err := s.Pay(o.ID, Failure(""))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = s.WaitForDeliveries(ctx, 1)
	require.NoError(t, err)

	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not abandon the pending retry")
	}
	assert.Equal(t, int32(1), rc.calls.Load())
	assert.Len(t, s.Deliveries(), 1)
}

func TestNoWebhookURL(t *testing.T) {
	s := newTestServer(t, Options{})
	o := newOrder(t, s)
	_, err := s.Pay(o.ID, Success())
	require.NoError(t, err)
	waitIdle(t, s)
	assert.Empty(t, s.Deliveries())

	rc := newReceiver(t)
	s.SetWebhookURL(rc.srv.URL)
	o2 := newOrder(t, s)
	_, err = s.Pay(o2.ID, Failure(""))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ds, err := s.WaitForDeliveries(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, rc.srv.URL, ds[0].URL)
}

func TestWebhookToTLSReceiver(t *testing.T) {
	var got atomic.Int32
	tlsRecv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	defer tlsRecv.Close()
	s := newTestServer(t, Options{WebhookURL: tlsRecv.URL, WebhookClient: tlsRecv.Client()})
	o := newOrder(t, s)
	_, err := s.Pay(o.ID, Success())
	require.NoError(t, err)
	waitIdle(t, s)
	assert.Equal(t, int32(2), got.Load())
}

func TestNewWebhookRequest(t *testing.T) {
	data := map[string]any{"id": "payt_1", "status": "success"}
	r := NewWebhookRequest("/webhooks/glomo", "payment", "success", data, "whsec_x")
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/webhooks/glomo", r.URL.Path)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.JSONEq(t, `{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"success"}}`, string(body))
	assert.Equal(t, hexHMAC(body, "whsec_x"), r.Header.Get(SignatureHeader))

	want, err := WebhookBody("payment", "success", data)
	require.NoError(t, err)
	assert.Equal(t, want, body)

	raw, err := os.ReadFile("testdata/webhook-payout-success.body")
	require.NoError(t, err)
	rr := NewRawWebhookRequest("https://shop.test/hook", raw, "whsec_2f1c9b7a4d6e8031")
	assert.Equal(t, "d5b5a68b9729f41c4a46f1e94c750bf10fb32f345a5467cbfec7739df83f2c02", rr.Header.Get(SignatureHeader))

	assert.Panics(t, func() { NewWebhookRequest("/", "payment", "success", make(chan int), "s") })
}

func TestConcurrentUse(t *testing.T) {
	rc := newReceiver(t)
	s := newTestServer(t, Options{WebhookURL: rc.srv.URL})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := s.CreateOrder(map[string]any{"customer_id": "c", "amount": 100, "currency": "USD"})
			if !assert.NoError(t, err) {
				return
			}
			_, err = s.Pay(o.ID, Success())
			assert.NoError(t, err)
			_ = s.Orders()
			_ = s.Requests()
		}()
	}
	wg.Wait()
	waitIdle(t, s)
	assert.Len(t, rc.all(), 16)
}

func TestDeliveryOK(t *testing.T) {
	for _, tc := range []struct {
		status int
		err    error
		ok     bool
	}{
		{199, nil, false},
		{200, nil, true},
		{204, nil, true},
		{299, nil, true},
		{300, nil, false},
		{500, nil, false},
		{200, errors.New("connection reset after the status line"), false},
	} {
		d := Delivery{StatusCode: tc.status, Err: tc.err}
		assert.Equal(t, tc.ok, d.OK(), "status %d, error %v", tc.status, tc.err)
	}
}
