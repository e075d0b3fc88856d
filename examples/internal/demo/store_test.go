package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/internal/testservers"
)

// TestOpenStoreOnRealServers opens the demo's store by URL on a real
// redis-server and a real PostgreSQL, twice each, as two replicas of the
// demo would: one order paid through both is fulfilled once.
func TestOpenStoreOnRealServers(t *testing.T) {
	t.Run("redis", func(t *testing.T) {
		r, err := testservers.StartRedis(testservers.RedisOptions{})
		testservers.Require(t, err)
		t.Cleanup(r.Close)
		checkTwoReplicas(t, "redis://"+r.Addr()+"/0", "redis://"+r.Addr()+"/0")
	})
	t.Run("postgres", func(t *testing.T) {
		p, err := testservers.StartPostgres(testservers.PostgresOptions{})
		testservers.Require(t, err)
		t.Cleanup(func() { p.Close(); p.Remove() })
		checkTwoReplicas(t, p.URL("postgres"), p.URL("postgres"))
	})
}

func checkTwoReplicas(t *testing.T, specA, specB string) {
	t.Helper()
	ctx := context.Background()
	runs := 0
	var fulfilments []*glomo.Fulfilment
	for _, spec := range []string{specA, specB} {
		store, name, closeStore, err := demo.OpenStore(ctx, spec)
		require.NoError(t, err)
		t.Cleanup(closeStore)
		assert.NotContains(t, name, "memory")
		f, err := glomo.NewFulfilment(func(context.Context, glomo.PaidOrder) error { runs++; return nil },
			glomo.FulfilmentOptions{Store: store})
		require.NoError(t, err)
		fulfilments = append(fulfilments, f)
	}
	order := "order_demo_" + time.Now().Format("150405.000000000")
	first, err := fulfilments[0].Fulfil(ctx, glomo.PaidOrder{OrderID: order, Proof: glomo.ProofPost})
	require.NoError(t, err)
	second, err := fulfilments[1].Fulfil(ctx, glomo.PaidOrder{OrderID: order, Proof: glomo.ProofWebhook})
	require.NoError(t, err)
	assert.Equal(t, glomo.Ran, first)
	assert.Equal(t, glomo.AlreadyRan, second, "the second replica sees the first one's fulfilment")
	assert.Equal(t, 1, runs)
}
