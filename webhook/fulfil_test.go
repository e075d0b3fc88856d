package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The two proofs of payment a webhook brings, payment/success naming its
// order and orders/paid, fulfil the order once, in either order.
func TestHandlerFulfilsOncePerOrder(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second []byte
		wantPayment   string // the PaymentID the hook is told
	}{
		{"payment/success first", paymentSuccessBody("payt_1", "order_1"), orderPaidBody("order_1", "payt_1"), "payt_1"},
		{"orders/paid first", orderPaidBody("order_1", "payt_2"), paymentSuccessBody("payt_1", "order_1"), "payt_2"},
		{"orders/paid twice", orderPaidBody("order_1", "payt_1"), orderPaidBody("order_1", "payt_1"), "payt_1"},
		{"payment/success twice", paymentSuccessBody("payt_1", "order_1"), paymentSuccessBody("payt_1", "order_1"), "payt_1"},
		{"two payments of one order", paymentSuccessBody("payt_1", "order_1"), paymentSuccessBody("payt_9", "order_1"), "payt_1"},
		{"order in the singular", []byte(`{"entity_type":"order","event_type":"paid","data":{"id":"order_1"}}`), orderPaidBody("order_1", "payt_1"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t)
			requireStatus(t, hs.send(tc.first), "processed")
			requireStatus(t, hs.send(tc.second), "duplicate")
			requireStatus(t, hs.send(tc.first), "duplicate")
			assert.EqualValues(t, 1, hs.hooked.Load())
			assert.Zero(t, hs.handled.Load(), "a proof of payment never reaches Handle")
			orders := hs.recordedOrders()
			require.Len(t, orders, 1)
			o := orders[0]
			assert.Equal(t, "order_1", o.OrderID)
			assert.Equal(t, tc.wantPayment, o.PaymentID)
			assert.Equal(t, glomo.ProofWebhook, o.Proof)
			assert.Equal(t, glomo.StoreKey("order", "order_1"), o.Key)
			assert.NotEmpty(t, o.Token)

			// Another order is fulfilled on its own.
			requireStatus(t, hs.send(orderPaidBody("order_2", "payt_3")), "processed")
			assert.EqualValues(t, 2, hs.hooked.Load())
		})
	}
}

// Both proofs, many copies each, at once: the hook runs once; the others
// are told it is in progress (409) or done (200 duplicate).
func TestHandlerFulfilsOnceConcurrently(t *testing.T) {
	for _, hold := range []bool{true, false} {
		name := "hook held"
		if !hold {
			name = "hook not held"
		}
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			if !hold {
				close(release)
			}
			hs := newHarness(t, func(c *config) {
				c.hook = func(context.Context, glomo.PaidOrder) error {
					<-release
					return nil
				}
			})
			const copies = 8
			bodies := [][]byte{paymentSuccessBody("payt_c", "order_c"), orderPaidBody("order_c", "payt_c")}
			n := copies * len(bodies)
			answers := make(chan *httptest.ResponseRecorder, n)
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(body []byte) {
					defer wg.Done()
					answers <- hs.send(body)
				}(bodies[i%len(bodies)])
			}
			if hold {
				ok := assert.Eventually(t, func() bool { return len(answers) == n-1 }, 10*time.Second, time.Millisecond)
				close(release)
				wg.Wait()
				require.True(t, ok)
			} else {
				wg.Wait()
			}
			close(answers)
			count := map[string]int{}
			for w := range answers {
				switch w.Code {
				case http.StatusOK:
					count[strings.TrimSpace(w.Body.String())]++
				case http.StatusConflict:
					requireError(t, w, http.StatusConflict, glomo.CodeInProgress)
					count["409"]++
				default:
					t.Errorf("status %d: %s", w.Code, w.Body)
				}
			}
			assert.EqualValues(t, 1, hs.hooked.Load())
			assert.Zero(t, hs.handled.Load())
			assert.Equal(t, 1, count[`{"status":"processed"}`], count)
			assert.Equal(t, n-1, count["409"]+count[`{"status":"duplicate"}`], count)
			if hold {
				assert.Equal(t, n-1, count["409"], "the others ran while the hook held the claim")
			}
			for _, body := range bodies {
				requireStatus(t, hs.send(body), "duplicate")
			}
			assert.EqualValues(t, 1, hs.hooked.Load())
		})
	}
}

// The Fulfilment is shared with the result handler: whichever proof comes
// first fulfils, the others are duplicates.
func TestHandlerSharesFulfilmentWithResultHandler(t *testing.T) {
	ctx := context.Background()
	t.Run("the redirect first", func(t *testing.T) {
		hs := newHarness(t)
		// What the ResultHandler does with a verified redirect.
		ran, err := hs.f.Fulfil(ctx, glomo.PaidOrder{OrderID: "order_r", PaymentID: "payt_r", Proof: glomo.ProofRedirect})
		require.NoError(t, err)
		require.Equal(t, glomo.Ran, ran)
		requireStatus(t, hs.send(paymentSuccessBody("payt_r", "order_r")), "duplicate")
		requireStatus(t, hs.send(orderPaidBody("order_r", "payt_r")), "duplicate")
		orders := hs.recordedOrders()
		require.Len(t, orders, 1)
		assert.Equal(t, glomo.ProofRedirect, orders[0].Proof)
	})
	t.Run("the webhook first", func(t *testing.T) {
		hs := newHarness(t)
		requireStatus(t, hs.send(orderPaidBody("order_w", "payt_w")), "processed")
		ran, err := hs.f.Fulfil(ctx, glomo.PaidOrder{OrderID: "order_w", Proof: glomo.ProofPost})
		require.NoError(t, err)
		assert.Equal(t, glomo.AlreadyRan, ran)
		assert.EqualValues(t, 1, hs.hooked.Load())
	})
	t.Run("two webhook endpoints", func(t *testing.T) {
		hs := newHarness(t)
		other := webhook.MustNewHandler(webhook.Options{
			Secrets: []webhook.Secret{"whsec_second_endpoint"}, Fulfilment: hs.f,
			Handle: func(context.Context, webhook.Event) error { return nil },
		})
		requireStatus(t, hs.send(orderPaidBody("order_e", "payt_e")), "processed")
		body := paymentSuccessBody("payt_e", "order_e")
		requireStatus(t, deliver(other, body, webhook.Sign(body, "whsec_second_endpoint")), "duplicate")
		assert.EqualValues(t, 1, hs.hooked.Load())
	})
	t.Run("event work does not collide with an order", func(t *testing.T) {
		hs := newHarness(t)
		// An event whose identity looks like an order's key.
		body := []byte(`{"entity_type":"order","event_type":"x","data":{"id":"order_k"}}`)
		requireStatus(t, hs.send(body), "processed")
		requireStatus(t, hs.send(orderPaidBody("order_k", "")), "processed")
		assert.EqualValues(t, 1, hs.handled.Load())
		assert.EqualValues(t, 1, hs.hooked.Load())
	})
}

// A payment/success that does not name its order proves nothing about an
// order: Handle gets it, once.
func TestHandlerPaymentWithoutOrderGoesToHandle(t *testing.T) {
	hs := newHarness(t)
	body := paymentBody("payt_n", "success")
	requireStatus(t, hs.send(body), "processed")
	requireStatus(t, hs.send(body), "duplicate")
	assert.EqualValues(t, 1, hs.handled.Load())
	assert.Zero(t, hs.hooked.Load())
	events := hs.recordedEvents()
	require.Len(t, events, 1)
	_, _, paid := events[0].PaidOrder()
	assert.False(t, paid)

	// The same with glomotest's request builder.
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, glomotest.NewWebhookRequest("/webhooks/glomo", "payment", "success",
		map[string]any{"id": "payt_m", "status": "success", "order_id": ""}, string(testSecret)))
	requireStatus(t, w, "processed")
	assert.EqualValues(t, 2, hs.handled.Load())
	assert.Zero(t, hs.hooked.Load())
}

// A failing hook answers 500 and releases the order, so that Glomo's
// retry, of either proof, fulfils it.
func TestHandlerFailingHookIsRetried(t *testing.T) {
	for _, retry := range []struct {
		name string
		body []byte
	}{
		{"the same proof", paymentSuccessBody("payt_f", "order_f")},
		{"the other proof", orderPaidBody("order_f", "payt_f")},
	} {
		t.Run(retry.name, func(t *testing.T) {
			hs := newHarness(t)
			first := paymentSuccessBody("payt_f", "order_f")
			hs.setHookErr(errors.New("warehouse API down"))
			w := hs.send(first)
			requireError(t, w, http.StatusInternalServerError, glomo.CodeInternalError)
			assert.NotContains(t, w.Body.String(), "warehouse")
			logs := hs.logs.String()
			assert.Contains(t, logs, "warehouse API down")
			assert.Contains(t, logs, "entity_type=payment")
			assertCleanLogs(t, logs, first, webhook.Sign(first, testSecret))

			hs.setHookErr(nil)
			requireStatus(t, hs.send(retry.body), "processed")
			requireStatus(t, hs.send(first), "duplicate")
			assert.EqualValues(t, 2, hs.hooked.Load())
			assert.Zero(t, hs.handled.Load())
		})
	}
}

// The hook's context outlives the request and carries the Fulfilment's
// deadline.
func TestHandlerHookContext(t *testing.T) {
	reqCtx, endRequest := context.WithCancel(context.Background())
	defer endRequest()
	var deadline time.Time
	var hasDeadline, finished atomic.Bool
	var errAfterEnd error
	hs := newHarness(t, func(c *config) {
		c.fopts.Timeout = 4 * time.Second
		c.hook = func(ctx context.Context, _ glomo.PaidOrder) error {
			d, ok := ctx.Deadline()
			deadline = d
			hasDeadline.Store(ok)
			endRequest()
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
			errAfterEnd = ctx.Err()
			finished.Store(true)
			return ctx.Err()
		}
	})
	start := time.Now()
	requireStatus(t, hs.send(orderPaidBody("order_ctx", "payt_ctx"), func(r *http.Request) { *r = *r.WithContext(reqCtx) }), "processed")
	assert.True(t, finished.Load())
	assert.NoError(t, errAfterEnd, "the request's end cancelled the hook")
	require.True(t, hasDeadline.Load())
	assert.WithinDuration(t, start.Add(4*time.Second), deadline, time.Second)
}
