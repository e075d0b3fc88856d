package glomo_test

import (
	"context"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/storetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, retention time.Duration) glomo.Store {
		return glomo.NewMemoryStore(0, retention)
	})
}

func TestMemoryStoreBound(t *testing.T) {
	ctx := context.Background()
	s := glomo.NewMemoryStore(2, time.Hour)
	a, err := s.Claim(ctx, "a", time.Hour)
	require.NoError(t, err)
	require.NoError(t, s.Done(ctx, "a", a.Token))
	_, err = s.Claim(ctx, "b", time.Hour)
	require.NoError(t, err)
	_, err = s.Claim(ctx, "c", time.Hour) // evicts a, changed longest ago
	require.NoError(t, err)
	assert.Equal(t, 2, s.Len())
	again, err := s.Claim(ctx, "a", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, glomo.ClaimAcquired, again.State, "the evicted done mark is forgotten")
	b, err := s.Claim(ctx, "b", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, glomo.ClaimAcquired, b.State, "b, now the oldest, was evicted for a")
}

func TestMemoryStoreDefaults(t *testing.T) {
	s := glomo.NewMemoryStore(0, 0)
	ctx := context.Background()
	c, err := s.Claim(ctx, "k", time.Hour)
	require.NoError(t, err)
	require.NoError(t, s.Done(ctx, "k", c.Token))
	again, err := s.Claim(ctx, "k", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, glomo.ClaimDone, again.State)
}
