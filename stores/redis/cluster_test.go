package glomoredis

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/internal/testservers"
	"github.com/glomokit/glomo/storetest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCluster runs the contract against a three-node Redis Cluster on
// loopback, reached through the UniversalClient an application would
// build from several addresses.
func TestCluster(t *testing.T) {
	addrs := startCluster(t)
	client := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	t.Cleanup(func() { client.Close() })
	_, isCluster := client.(*redis.ClusterClient)
	require.True(t, isCluster)

	storetest.Run(t, func(t *testing.T, retention time.Duration) glomo.Store {
		s, err := New(client, Options{Prefix: uniquePrefix(t, "cluster"), Retention: retention})
		require.NoError(t, err)
		return s
	})

	t.Run("KeysSpreadOverNodes", func(t *testing.T) {
		s, err := New(client, Options{Prefix: uniquePrefix(t, "spread")})
		require.NoError(t, err)
		ctx := context.Background()
		for i := 0; i < 30; i++ {
			key := glomo.StoreKey("order", "spread-"+strconv.Itoa(i))
			c, err := s.Claim(ctx, key, time.Minute)
			require.NoError(t, err)
			require.NoError(t, s.Done(ctx, key, c.Token))
		}
		// ForEachMaster calls back concurrently.
		var nodes atomic.Int64
		err = client.(*redis.ClusterClient).ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			if len(node.Keys(ctx, s.prefix+"*").Val()) > 0 {
				nodes.Add(1)
			}
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, int64(3), nodes.Load(), "orders live on every node")
	})
}

// startCluster starts three cluster-enabled servers, gives each a third
// of the slots, joins them and waits until the cluster is up.
func startCluster(t *testing.T) []string {
	t.Helper()
	requireRedis(t)
	ctx := context.Background()
	slots := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	var addrs []string
	var clients []*redis.Client
	var firstPort, firstBus int
	for i, r := range slots {
		bus, err := testservers.FreePort()
		require.NoError(t, err)
		srv := startPrivateServer(t,
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-port", strconv.Itoa(bus),
			"--cluster-node-timeout", "5000")
		c := newClient(t, srv.Addr())
		require.NoError(t, c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", r[0], r[1]).Err())
		if i == 0 {
			firstPort, firstBus = srv.Port, bus
		} else {
			require.NoError(t, c.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", firstPort, firstBus).Err())
		}
		addrs, clients = append(addrs, srv.Addr()), append(clients, c)
	}
	deadline := time.Now().Add(15 * time.Second)
	for attempt := 0; attempt < 300; attempt++ {
		up := 0
		for _, c := range clients {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				up++
			}
		}
		if up == len(clients) {
			return addrs
		}
		require.True(t, time.Now().Before(deadline), "the cluster did not come up within 15s")
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the cluster did not come up")
	return nil
}
