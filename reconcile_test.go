package glomo_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomoapi"
	"github.com/glomokit/glomo/glomotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReconcileWithoutWebhooks pays orders in the simulator while no
// webhook reaches the merchant (its endpoint was down through every
// retry) and no browser brought a result: reconciliation through the API
// fulfils each paid order once, on any number of replicas and runs.
func TestReconcileWithoutWebhooks(t *testing.T) {
	sim := glomotest.NewServer(glomotest.Options{})
	t.Cleanup(sim.Close)
	sim.SetWebhookURL("") // the webhooks never arrive
	client, err := glomoapi.New(sim.SecretKey(), glomoapi.WithBaseURL(sim.APIBaseURL()), glomoapi.WithHTTPClient(sim.Client()))
	require.NoError(t, err)

	var mu sync.Mutex
	runs := map[string]int{}
	store := glomo.NewMemoryStore(0, 0) // shared by the "replicas" below
	newReplica := func() *glomo.Fulfilment {
		return fulfilWith(t, func(_ context.Context, o glomo.PaidOrder) error {
			mu.Lock()
			defer mu.Unlock()
			runs[o.OrderID]++
			assert.Equal(t, glomo.ProofConfirmation, o.Proof)
			return nil
		}, glomo.FulfilmentOptions{Store: store})
	}

	var paid, failed, open []string
	for i := 0; i < 6; i++ {
		o, err := sim.CreateOrder(map[string]any{"customer_id": "cust_1", "amount": 1000 + i, "currency": "USD"})
		require.NoError(t, err)
		switch i % 3 {
		case 0:
			_, err = sim.Pay(o.ID, glomotest.Success())
			paid = append(paid, o.ID)
		case 1:
			_, err = sim.Pay(o.ID, glomotest.Failure("PAYMENT_DECLINED"))
			failed = append(failed, o.ID)
		default:
			open = append(open, o.ID)
		}
		require.NoError(t, err)
	}
	all := append(append(append([]string{}, paid...), failed...), open...)
	all = append(all, "order_unknown")

	replicas := []*glomo.Fulfilment{newReplica(), newReplica(), newReplica()}
	var wg sync.WaitGroup
	reports := make([][]glomo.Reconciled, len(replicas))
	for i, f := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i] = f.Reconcile(context.Background(), all, client.Confirm)
		}()
	}
	wg.Wait()

	for _, id := range paid {
		assert.Equal(t, 1, runs[id], "paid order %s fulfilled once across three replicas", id)
	}
	assert.Len(t, runs, len(paid), "only paid orders are fulfilled")
	for _, report := range reports {
		require.Len(t, report, len(all))
		for i, r := range report {
			assert.Equal(t, all[i], r.OrderID, "results come in the order given")
		}
	}
	byID := map[string]glomo.Reconciled{}
	for _, r := range reports[0] {
		byID[r.OrderID] = r
	}
	for _, id := range paid {
		assert.Equal(t, glomo.OutcomeSuccess, byID[id].Outcome)
		assert.NotZero(t, byID[id].Fulfilled)
		assert.NoError(t, byID[id].Err)
	}
	for _, id := range open {
		assert.Equal(t, glomo.OutcomePending, byID[id].Outcome)
		assert.Zero(t, byID[id].Fulfilled)
	}
	assert.Error(t, byID["order_unknown"].Err, "a failed look-up is reported, the others still run")

	// A later run finds everything done.
	for _, r := range replicas[0].Reconcile(context.Background(), paid, client.Confirm) {
		assert.Equal(t, glomo.AlreadyRan, r.Fulfilled)
	}
	for _, id := range paid {
		assert.Equal(t, 1, runs[id])
	}
}

func TestReconcileStopsWithItsContext(t *testing.T) {
	f := fulfilWith(t, noHook)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	report := f.Reconcile(ctx, []string{"a", "b", "c"}, func(context.Context, string, string) (glomo.Confirmation, error) {
		calls++
		cancel()
		return glomo.Confirmation{Outcome: glomo.OutcomeSuccess}, nil
	})
	assert.Equal(t, 1, calls)
	require.Len(t, report, 3)
	assert.Equal(t, glomo.Ran, report[0].Fulfilled)
	assert.True(t, errors.Is(report[1].Err, context.Canceled))
	assert.True(t, errors.Is(report[2].Err, context.Canceled))
}
