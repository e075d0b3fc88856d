package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplicas runs three replicas on one shared store. Every proof of
// each paid order reaches a random replica at the same time; then one
// replica is killed while it holds a batch of fulfilments, Glomo's
// retries go to the others, and every order must have been fulfilled
// exactly once.
func TestReplicas(t *testing.T) {
	for _, tc := range []struct{ name, store string }{
		{"Redis", storeRedis},
		{"PostgreSQL", storePostgres},
	} {
		t.Run(tc.name, func(t *testing.T) { testReplicas(t, tc.store) })
	}
}

const (
	// paidOrders get all their proofs at once; heldOrders are held by the
	// replica that is killed.
	paidOrders = 300
	heldOrders = 10
	// concurrency bounds the deliveries in flight, on two cores.
	concurrency = 48
)

func testReplicas(t *testing.T, store string) {
	env := newEnvironment(t, store, "")
	const hold = "_held_"
	a := startReplica(t, env, "A", hold)
	b := startReplica(t, env, "B", "")
	c := startReplica(t, env, "C", "")
	all := []*replica{a, b, c}
	client := newClient()
	started := time.Now()

	// Every proof of every order at once, to random replicas.
	var orders []string
	for i := range paidOrders {
		orders = append(orders, fmt.Sprintf("order_%s_%03d", store, i))
	}
	var (
		wg       sync.WaitGroup
		failures atomic.Int32
		dupPages atomic.Int32 // result pages answered as duplicates
	)
	sem := make(chan struct{}, concurrency)
	for _, order := range orders {
		proofs := paidProofs(order)
		rand.Shuffle(len(proofs), func(i, j int) { proofs[i], proofs[j] = proofs[j], proofs[i] })
		for _, p := range proofs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				status, body, err := deliver(client, all, p, retry{attempts: 200, pause: 10 * time.Millisecond})
				if err != nil {
					if failures.Add(1) <= 5 {
						t.Errorf("order %s: %v", order, err)
					}
					return
				}
				assert.Equal(t, http.StatusOK, status)
				if !p.isWebhook() && p.method == http.MethodPost {
					var page struct {
						Outcome   string `json:"outcome"`
						Duplicate bool   `json:"duplicate"`
					}
					assert.NoError(t, json.Unmarshal(body, &page))
					assert.Equal(t, "success", page.Outcome)
					if page.Duplicate {
						dupPages.Add(1)
					}
				}
			}()
		}
	}
	wg.Wait()
	require.Zero(t, failures.Load())
	t.Logf("%d orders × 5 proofs over 3 replicas in %v; %d result posts answered as duplicates",
		paidOrders, time.Since(started).Round(time.Millisecond), dupPages.Load())

	// The crash: A holds a batch of orders in their hooks (for
	// PostgreSQL, in the middle of the hook's transaction) and is killed.
	var held []string
	for i := range heldOrders {
		held = append(held, fmt.Sprintf("order_%s%s%02d", store, hold, i))
	}
	var toA sync.WaitGroup
	for _, order := range held {
		toA.Add(1)
		go func() {
			defer toA.Done()
			// Answered by no one: A dies with the request in flight.
			_, _, err := paidProofs(order)[2].send(client, a.url)
			assert.Error(t, err, "A answered a held order's webhook")
		}()
	}
	a.waitHolding(t, held, 20*time.Second)
	require.Equal(t, heldOrders, env.heldClaims(t, held), "A's claims are live in the store")
	// Another replica sees the claim: Glomo is told to come back later.
	status, _, err := paidProofs(held[0])[3].send(client, b.url)
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, status, "a delivery while A holds the claim")
	counts, _ := env.fulfilmentCounts(t)
	for _, order := range held {
		require.Zero(t, counts[order], "nothing of a held order is visible before the kill")
	}
	a.kill(t)
	killed := time.Now()
	toA.Wait()

	// Glomo's retries, to B and C: 409 until A's leases lapse, then one
	// of them fulfils each order. The browser's proofs are answered
	// meanwhile: the payment is verified, its fulfilment under way.
	survivors := []*replica{b, c}
	var lapsed atomic.Int64
	for _, order := range held {
		for _, p := range paidProofs(order) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, _, err := deliver(client, survivors, p, retry{attempts: 150, pause: 100 * time.Millisecond})
				if err != nil {
					if failures.Add(1) <= 5 {
						t.Errorf("held order %s after the kill: %v", order, err)
					}
					return
				}
				assert.Equal(t, http.StatusOK, status)
				if p.isWebhook() {
					lapsed.Store(int64(time.Since(killed)))
				}
			}()
		}
	}
	wg.Wait()
	require.Zero(t, failures.Load())
	retried := time.Duration(lapsed.Load())
	t.Logf("the held orders were fulfilled by the survivors %v after the kill (lease %v)", retried.Round(time.Millisecond), fulfilLease)

	// Every order exactly once; none by A among the held ones.
	counts, by := env.fulfilmentCounts(t)
	hist := map[int]int{}
	for _, order := range append(append([]string(nil), orders...), held...) {
		hist[counts[order]]++
		assert.Equal(t, 1, counts[order], "order %s fulfilled %d times, by %v", order, counts[order], by[order])
	}
	assert.Len(t, counts, paidOrders+heldOrders, "no other order was fulfilled")
	for _, order := range held {
		assert.NotContains(t, by[order], "A", "order %s: the killed replica's work committed", order)
	}
	perReplica := map[string]int{}
	for _, rs := range by {
		for _, r := range rs {
			perReplica[r]++
		}
	}
	keys := make([]int, 0, len(hist))
	for k := range hist {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		t.Logf("orders fulfilled %d times: %d", k, hist[k])
	}
	t.Logf("fulfilments per replica: %v; total %v", perReplica, time.Since(started).Round(time.Millisecond))
	assert.GreaterOrEqual(t, retried, fulfilLease-fulfilTimeout-time.Second, "the survivors waited for the leases")
}
