package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/glomokit/glomo/internal/testservers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedisStopped stops the Redis server under a replica that is
// serving: no delivery is acknowledged without a claim, every proof gets
// 503 store_unavailable and nothing is fulfilled; once the server is
// back, the retried deliveries fulfil each order once.
func TestRedisStopped(t *testing.T) {
	requireServers(t)
	srv, err := testservers.StartRedis(testservers.RedisOptions{})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	env := newEnvironment(t, storeRedis, srv.Addr())
	r := startReplica(t, env, "A", "")
	client := newClient()

	// Load that runs across the stop: each order's payment/success, once.
	type answer struct {
		order   string
		status  int
		started time.Time
	}
	var (
		mu      sync.Mutex
		answers []answer
		wg      sync.WaitGroup
	)
	quit := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				select {
				case <-quit:
					return
				default:
				}
				order := fmt.Sprintf("order_load_%d_%04d", w, i)
				started := time.Now()
				status, _, err := paidProofs(order)[2].send(client, r.url)
				assert.NoError(t, err)
				mu.Lock()
				answers = append(answers, answer{order, status, started})
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, srv.Stop(syscall.SIGKILL))
	stopped := time.Now()

	// Every kind of proof, while the server is down.
	var down []string
	for i := range 5 {
		order := fmt.Sprintf("order_down_%d", i)
		down = append(down, order)
		for _, p := range append(paidProofs(order), signedEvent("payment", "in_progress", map[string]any{"id": "payt_" + order, "status": "in_progress"})) {
			status, body, err := p.send(client, r.url)
			require.NoError(t, err)
			assert.Equal(t, http.StatusServiceUnavailable, status, "%s while Redis is down: %s", p.name, body)
			var e struct {
				Error string `json:"error"`
			}
			require.NoError(t, json.Unmarshal(body, &e), "%s", body)
			assert.Equal(t, "store_unavailable", e.Error, p.name)
		}
	}
	time.Sleep(200 * time.Millisecond)
	close(quit)
	wg.Wait()

	// Back up, on the same port: the replica's pool redials.
	require.NoError(t, srv.Start())
	var ok, refused, duringOutage int
	var retry []string
	for _, a := range answers {
		switch {
		case a.status == http.StatusOK:
			ok++
			assert.True(t, a.started.Before(stopped), "order %s acknowledged though sent after Redis stopped", a.order)
		case a.status == http.StatusServiceUnavailable:
			refused++
			retry = append(retry, a.order)
		default:
			t.Errorf("order %s: status %d", a.order, a.status)
		}
		if a.started.After(stopped) {
			duringOutage++
		}
	}
	assert.Positive(t, ok, "deliveries succeeded before the stop")
	assert.Positive(t, duringOutage, "deliveries were made during the outage")
	counts, _ := env.fulfilmentCounts(t)
	for _, order := range append(append([]string(nil), down...), retry...) {
		assert.Zero(t, counts[order], "order %s was fulfilled though its delivery got 503", order)
	}

	// Glomo's retries of everything that got 503. (An order already
	// acknowledged is not retried: this Redis keeps nothing across the
	// restart, so a retry would fulfil it again.)
	deadline := time.Now().Add(10 * time.Second)
	for _, order := range append(down, retry...) {
		for _, p := range paidProofs(order) {
			for attempt := 0; ; attempt++ {
				status, body, err := p.send(client, r.url)
				require.NoError(t, err)
				if status == http.StatusOK {
					break
				}
				require.True(t, status == http.StatusServiceUnavailable && attempt < 200 && time.Now().Before(deadline),
					"%s for %s after the restart: %d %s", p.name, order, status, body)
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	counts, _ = env.fulfilmentCounts(t)
	for _, a := range answers {
		assert.Equal(t, 1, counts[a.order], "order %s", a.order)
	}
	for _, order := range down {
		assert.Equal(t, 1, counts[order], "order %s", order)
	}
	t.Logf("%d deliveries acknowledged before the stop, %d refused with 503 and fulfilled after the restart", ok, refused)
}
