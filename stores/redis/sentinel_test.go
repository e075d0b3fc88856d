package glomoredis

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/internal/testservers"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSentinel reaches a server through a Sentinel that monitors it, with
// the UniversalClient an application builds from a master name.
func TestSentinel(t *testing.T) {
	master := startPrivateServer(t)
	conf := fmt.Sprintf("sentinel monitor glomo 127.0.0.1 %d 1\n", master.Port)
	sentinel, err := testservers.StartRedis(testservers.RedisOptions{Config: conf, Args: []string{"--sentinel"}})
	require.NoError(t, err)
	t.Cleanup(sentinel.Close)

	client := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 []string{sentinel.Addr()},
		MasterName:            "glomo",
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { client.Close() })
	_, isFailover := client.(*redis.Client)
	require.True(t, isFailover, "a master name selects a failover client")

	s, err := New(client, Options{})
	require.NoError(t, err)
	ctx := context.Background()
	c, err := s.Claim(ctx, "order:sentinel", time.Minute)
	require.NoError(t, err)
	require.Equal(t, glomo.ClaimAcquired, c.State)
	require.NoError(t, s.Done(ctx, "order:sentinel", c.Token))
	again, err := s.Claim(ctx, "order:sentinel", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, glomo.ClaimDone, again.State)

	direct := newClient(t, master.Addr())
	assert.Equal(t, "d:"+c.Token, direct.Get(ctx, DefaultPrefix+"order:sentinel").Val(), "the mark is on the monitored master")
}
