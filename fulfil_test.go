package glomo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestResultHandlerFulfilsOnceUnderDuplicates sends the same success by
// redirect, by JSON post and by form post, 50 times each, concurrently, to
// a real server: Fulfil must run exactly once.
func TestResultHandlerFulfilsOnceUnderDuplicates(t *testing.T) {
	var runs atomic.Int32
	release := make(chan struct{})
	h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.Fulfilment = fulfilWith(t, func(ctx context.Context, o glomo.PaidOrder) error {
			runs.Add(1)
			<-release // hold the claim so the duplicates really overlap
			return nil
		})
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	payload := glomotest.SignedSuccess(testOrder, testPayment, testSecret)
	jsonBody, _ := json.Marshal(payload)
	formBody := "orderId=" + testOrder + "&paymentId=" + testPayment + "&status=success&signature=" + payload["signature"]
	redirect := glomotest.CallbackURL(srv.URL+resultPath, testOrder, testPayment, "success", testSecret)

	send := func(i int) (*http.Response, error) {
		switch i % 3 {
		case 0:
			return http.Post(srv.URL, "application/json", strings.NewReader(string(jsonBody)))
		case 1:
			return http.Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader(formBody))
		default:
			return http.Get(redirect)
		}
	}

	const n = 150
	var wg sync.WaitGroup
	var duplicates atomic.Int32
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := send(i)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("request %d: status %d", i, resp.StatusCode)
				return
			}
			if i%3 != 2 {
				var raw map[string]any
				if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
					errs <- err
					return
				}
				if raw["outcome"] != "success" {
					errs <- fmt.Errorf("request %d: outcome %v", i, raw["outcome"])
				}
				if raw["duplicate"] == true {
					duplicates.Add(1)
				}
			}
		}(i)
	}
	// Let the first fulfilment finish only once most requests are in.
	waitUntil(t, func() bool { return runs.Load() >= 1 })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, int32(1), runs.Load(), "Fulfil ran more than once")
	assert.GreaterOrEqual(t, duplicates.Load(), int32(1))

	// A reload later is a duplicate too.
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(string(jsonBody)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, int32(1), runs.Load())
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 5000 && !cond(); i++ {
		time.Sleep(time.Millisecond)
	}
	require.True(t, cond())
}

func TestResultHandlerFulfilErrorReleasesClaim(t *testing.T) {
	var runs atomic.Int32
	fail := true
	h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.Fulfilment = fulfilWith(t, func(ctx context.Context, p glomo.PaidOrder) error {
			runs.Add(1)
			assert.Equal(t, glomo.ProofPost, p.Proof)
			if fail {
				return errors.New("warehouse down; key " + testSecret)
			}
			return nil
		})
	})
	body, _ := json.Marshal(glomotest.SignedSuccess(testOrder, testPayment, testSecret))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, jsonReq(string(body)))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	var eb glomo.ErrorBody
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &eb))
	assert.Equal(t, glomo.CodeInternalError, eb.Code)
	assert.NotContains(t, rec.Body.String(), "warehouse", "no details reach the client")

	fail = false
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, jsonReq(string(body)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, int32(2), runs.Load(), "the retry ran Fulfil again")

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, jsonReq(string(body)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `"duplicate":true`)
	assert.Equal(t, int32(2), runs.Load())
}

// releaseFailingStore is a MemoryStore whose Release fails.
type releaseFailingStore struct{ *glomo.MemoryStore }

func (releaseFailingStore) Release(context.Context, string, string) error {
	return errors.New("redis: connection reset")
}

// TestResultHandlerFulfilErrorIsLogged checks what the log says when
// Fulfil fails: Fulfil's own error with the secret redacted, and the
// store's error only when releasing the claim failed too.
func TestResultHandlerFulfilErrorIsLogged(t *testing.T) {
	for _, tc := range []struct {
		name    string
		store   glomo.Store
		wantErr string
	}{
		{"claim released", glomo.NewMemoryStore(0, 0), "warehouse down; key [redacted]"},
		{"release failed", releaseFailingStore{glomo.NewMemoryStore(0, 0)},
			"warehouse down; key [redacted]\nreleasing the claim: redis: connection reset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logBuf strings.Builder
			h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
				o.Logger = slog.New(slog.NewJSONHandler(&logBuf, nil))
				o.Fulfilment = fulfilWith(t, func(context.Context, glomo.PaidOrder) error {
					return errors.New("warehouse down; key " + testSecret)
				}, glomo.FulfilmentOptions{Store: tc.store})
			})
			body, _ := json.Marshal(glomotest.SignedSuccess(testOrder, testPayment, testSecret))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, jsonReq(string(body)))
			require.Equal(t, http.StatusInternalServerError, rec.Code)

			var record struct {
				Level, Error string
			}
			lines := strings.Split(strings.TrimSpace(logBuf.String()), "\n")
			require.Len(t, lines, 1, logBuf.String())
			require.NoError(t, json.Unmarshal([]byte(lines[0]), &record))
			assert.Equal(t, "ERROR", record.Level)
			assert.Equal(t, tc.wantErr, record.Error)
		})
	}
}

func TestResultHandlerFulfilOnlyOnSuccess(t *testing.T) {
	var runs atomic.Int32
	h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.Fulfilment = fulfilWith(t, func(context.Context, glomo.PaidOrder) error { runs.Add(1); return nil })
	})
	for _, req := range []*http.Request{
		getReq("status=failed&orderId=" + testOrder + "&paymentId=" + testPayment + "&signature=" + sig(testOrder, testPayment, "failed", testSecret)),
		getReq("status=success&orderId=" + testOrder),
		jsonReq(`{"orderId":"` + testOrder + `","status":"failed","error":{"code":"X"}}`),
		jsonReq(`{"orderId":"` + testOrder + `","transactionReference":"r"}`),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
	}
	assert.Zero(t, runs.Load())
}

// failingStore is a Store whose every call fails, like an unreachable Redis.
type failingStore struct{}

func (failingStore) Claim(context.Context, string, time.Duration) (glomo.Claim, error) {
	return glomo.Claim{}, errors.New("redis: connection refused")
}
func (failingStore) Release(context.Context, string, string) error {
	return errors.New("redis: connection refused")
}
func (failingStore) Done(context.Context, string, string) error {
	return errors.New("redis: connection refused")
}

func TestResultHandlerStoreErrorIs503(t *testing.T) {
	h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.Fulfilment = fulfilWith(t, func(context.Context, glomo.PaidOrder) error {
			t.Error("the hook ran without a claim")
			return nil
		}, glomo.FulfilmentOptions{Store: failingStore{}})
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, getReq(okQuery().Encode()))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	var eb glomo.ErrorBody
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &eb))
	assert.Equal(t, glomo.CodeStoreUnavailable, eb.Code)
	assert.NotContains(t, rec.Body.String(), "redis")
}

func TestResultHandlerFulfilContextOutlivesRequest(t *testing.T) {
	var ctxErr error
	h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.Fulfilment = fulfilWith(t, func(ctx context.Context, p glomo.PaidOrder) error { ctxErr = ctx.Err(); return nil })
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the buyer closed the tab
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, getReq(okQuery().Encode()).WithContext(ctx))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.NoError(t, ctxErr)
}

// recordingConfirm answers every look-up with c and records the payment
// ids it was asked about.
type recordingConfirm struct {
	c        glomo.Confirmation
	mu       sync.Mutex
	payments []string
}

func (r *recordingConfirm) confirm(_ context.Context, orderID, paymentID string) (glomo.Confirmation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if orderID != expectedOrder {
		return glomo.Confirmation{}, errors.New("wrong order looked up")
	}
	r.payments = append(r.payments, paymentID)
	return r.c, nil
}

// An unsigned payment id is the browser's word only: Confirm never sees it,
// and a confirmed result carries the look-up's payment id instead.
func TestResultHandlerConfirmIgnoresUnsignedPaymentID(t *testing.T) {
	const foreign = "payt_of_another_order"
	tests := []struct {
		name        string
		req         *http.Request
		confirm     glomo.Confirmation
		wantAsked   string
		wantOutcome glomo.Outcome
		wantPayment string
	}{
		{
			name:        "unsigned redirect, look-up names the payment",
			req:         getReq("status=success&orderId=" + testOrder + "&paymentId=" + foreign),
			confirm:     glomo.Confirmation{Outcome: glomo.OutcomeSuccess, PaymentID: testPayment, Status: "paid"},
			wantAsked:   "",
			wantOutcome: glomo.OutcomeSuccess,
			wantPayment: testPayment,
		},
		{
			name:        "unsigned post, look-up names no payment",
			req:         jsonReq(`{"orderId":"` + testOrder + `","paymentId":"` + foreign + `","status":"success"}`),
			confirm:     glomo.Confirmation{Outcome: glomo.OutcomeSuccess, Status: "paid"},
			wantAsked:   "",
			wantOutcome: glomo.OutcomeSuccess,
			wantPayment: "",
		},
		{
			name:        "unsigned redirect, order still open",
			req:         getReq("status=success&orderId=" + testOrder + "&paymentId=" + foreign),
			confirm:     glomo.Confirmation{Outcome: glomo.OutcomePending, Status: "active"},
			wantAsked:   "",
			wantOutcome: glomo.OutcomePending,
			wantPayment: foreign, // pending: reported as the browser sent it
		},
		{
			name: "signed non-final status, look-up names no payment",
			req: getReq("status=in_progress&orderId=" + testOrder + "&paymentId=" + testPayment +
				"&signature=" + sig(testOrder, testPayment, "in_progress", testSecret)),
			confirm:     glomo.Confirmation{Outcome: glomo.OutcomeSuccess, Status: "success"},
			wantAsked:   testPayment,
			wantOutcome: glomo.OutcomeSuccess,
			wantPayment: testPayment,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &recordingConfirm{c: tt.confirm}
			var got glomo.Payment
			h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
				o.Confirm = rc.confirm
				o.OnResult = func(w http.ResponseWriter, _ *http.Request, p glomo.Payment) {
					got = p
					w.WriteHeader(http.StatusNoContent)
				}
			})
			h.ServeHTTP(httptest.NewRecorder(), tt.req)
			assert.Equal(t, []string{tt.wantAsked}, rc.payments)
			assert.Equal(t, tt.wantOutcome, got.Outcome)
			assert.Equal(t, tt.wantPayment, got.PaymentID)
		})
	}
}

// One order is fulfilled once, whichever way its success arrives: signed,
// confirmed server-side, or unsigned with a payment id the browser made up.
func TestResultHandlerFulfilsOncePerOrder(t *testing.T) {
	var fulfilled []glomo.PaidOrder
	var results []glomo.Payment
	rc := &recordingConfirm{c: glomo.Confirmation{Outcome: glomo.OutcomeSuccess, Status: "paid"}}
	h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.Confirm = rc.confirm
		o.Fulfilment = fulfilWith(t, func(_ context.Context, p glomo.PaidOrder) error {
			fulfilled = append(fulfilled, p)
			return nil
		})
		o.OnResult = func(w http.ResponseWriter, _ *http.Request, p glomo.Payment) {
			results = append(results, p)
			w.WriteHeader(http.StatusNoContent)
		}
	})
	reqs := []*http.Request{
		jsonReq(mustJSON(glomotest.SignedSuccess(testOrder, testPayment, testSecret))),
		getReq("status=success&orderId=" + testOrder), // the guide's redirect shape: no payment id
		getReq("status=success&orderId=" + testOrder + "&paymentId=payt_made_up_1"),
		jsonReq(`{"orderId":"` + testOrder + `","paymentId":"payt_made_up_2","status":"success"}`),
	}
	for i, req := range reqs {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusNoContent, rec.Code, "request %d: %s", i, rec.Body)
	}
	require.Len(t, results, len(reqs))
	for i, p := range results {
		assert.Equal(t, glomo.OutcomeSuccess, p.Outcome, "request %d", i)
		assert.Equal(t, i > 0, p.Duplicate, "request %d", i)
	}
	require.Len(t, fulfilled, 1)
	assert.Equal(t, testPayment, fulfilled[0].PaymentID)
	assert.Equal(t, glomo.ProofPost, fulfilled[0].Proof)
	assert.Equal(t, []string{"", "", ""}, rc.payments, "unsigned payment ids reached Confirm")
}
