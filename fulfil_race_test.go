package glomo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneFulfilmentAcrossChannels delivers every proof of each paid order
// at once: the signed redirect, the signed post, an unsigned redirect
// confirmed server-side, and three webhook deliveries (payment/success
// twice, orders/paid). The result and webhook handlers share one
// Fulfilment, and its hook must run exactly once per order. Deliveries
// answered 409 (another proof holds the claim) are retried, as Glomo does.
func TestOneFulfilmentAcrossChannels(t *testing.T) {
	const orders = 300
	const whsec = "whsec_race"
	var mu sync.Mutex
	runs := map[string]int{}
	proofs := map[glomo.Proof]int{}
	fulfilment := fulfilWith(t, func(_ context.Context, o glomo.PaidOrder) error {
		mu.Lock()
		defer mu.Unlock()
		runs[o.OrderID]++
		proofs[o.Proof]++
		return nil
	})
	results := newHandler(t, func(o *glomo.ResultHandlerOptions) {
		o.Fulfilment = fulfilment
		o.ExpectedOrder = func(r *http.Request) (string, error) { return r.Header.Get("X-Order"), nil }
		o.Confirm = func(_ context.Context, orderID, _ string) (glomo.Confirmation, error) {
			return glomo.Confirmation{Outcome: glomo.OutcomeSuccess, Status: "paid"}, nil
		}
	})
	webhooks, err := webhook.NewHandler(webhook.Options{
		Secrets:    []webhook.Secret{whsec},
		Fulfilment: fulfilment,
		Handle: func(context.Context, webhook.Event) error {
			t.Error("a paid order's event reached Handle")
			return nil
		},
		Logger: quietLogger(),
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(resultPath, results)
	mux.Handle("/webhook", webhooks)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64

	type proof func(order string) (*http.Request, error)
	webhookProof := func(entity, event string, data func(order string) map[string]any) proof {
		return func(order string) (*http.Request, error) {
			r := glomotest.NewWebhookRequest(srv.URL+"/webhook", entity, event, data(order), whsec)
			r.RequestURI = ""
			return r, nil
		}
	}
	paymentData := func(order string) map[string]any {
		return map[string]any{"id": "payt_" + order, "order_id": order, "status": "success"}
	}
	channels := []proof{
		func(order string) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, glomotest.CallbackURL(srv.URL+resultPath, order, "payt_"+order, "success", testSecret), nil)
		},
		func(order string) (*http.Request, error) {
			body, _ := json.Marshal(glomotest.SignedSuccess(order, "payt_"+order, testSecret))
			r, err := http.NewRequest(http.MethodPost, srv.URL+resultPath, strings.NewReader(string(body)))
			if err == nil {
				r.Header.Set("Content-Type", "application/json")
			}
			return r, err
		},
		func(order string) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, srv.URL+resultPath+"?status=success&orderId="+order, nil)
		},
		webhookProof("payment", "success", paymentData),
		webhookProof("payment", "success", paymentData),
		webhookProof("orders", "paid", func(order string) map[string]any {
			return map[string]any{"id": order, "status": "paid"}
		}),
	}

	// send delivers one proof, retrying a 409 a bounded number of times.
	send := func(order string, p proof) error {
		for attempt := 0; attempt < 200; attempt++ {
			r, err := p(order)
			if err != nil {
				return err
			}
			r.Header.Set("X-Order", order)
			resp, err := client.Do(r)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				return nil
			case http.StatusConflict:
				continue
			default:
				return fmt.Errorf("order %s: %d %s", order, resp.StatusCode, body)
			}
		}
		return fmt.Errorf("order %s: still in progress after 200 attempts", order)
	}

	var wg sync.WaitGroup
	var failures atomic.Int32
	sem := make(chan struct{}, 48) // bounded concurrency on two cores
	for i := 0; i < orders; i++ {
		order := fmt.Sprintf("order_race_%03d", i)
		for _, p := range channels {
			wg.Add(1)
			sem <- struct{}{}
			go func(p proof) {
				defer func() { <-sem; wg.Done() }()
				if err := send(order, p); err != nil && failures.Add(1) <= 5 {
					t.Error(err)
				}
			}(p)
		}
	}
	wg.Wait()
	require.Zero(t, failures.Load())
	require.Len(t, runs, orders)
	for order, n := range runs {
		assert.Equal(t, 1, n, "order %s fulfilled %d times", order, n)
	}
	total := 0
	for _, n := range proofs {
		total += n
	}
	assert.Equal(t, orders, total)
	t.Logf("first proofs: %v", proofs)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
