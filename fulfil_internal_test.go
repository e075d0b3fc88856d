package glomo

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestMemoryStoreExpiry(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewMemoryStore(10, time.Hour)
	s.table.now = func() time.Time { return now }

	ok, _ := s.Claim(ctx, "crashed") // a claim never released nor done
	assert.True(t, ok)
	ok, _ = s.Claim(ctx, "done")
	assert.True(t, ok)

	now = now.Add(30 * time.Minute)
	assert.NoError(t, s.Done(ctx, "done")) // done refreshes the expiry

	now = now.Add(31 * time.Minute)
	ok, _ = s.Claim(ctx, "crashed")
	assert.True(t, ok, "an abandoned claim expires")
	ok, _ = s.Claim(ctx, "done")
	assert.False(t, ok, "a done mark lives a full ttl from Done")

	now = now.Add(time.Hour)
	ok, _ = s.Claim(ctx, "done")
	assert.True(t, ok, "a done mark expires")
}

func TestMemoryStoreDoneWithoutClaim(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(2, time.Hour)
	assert.NoError(t, s.Done(ctx, "x"))
	ok, _ := s.Claim(ctx, "x")
	assert.False(t, ok)
}

func TestNewMemoryStoreDefaults(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxEntries int
		ttl        time.Duration
		wantMax    int
		wantTTL    time.Duration
	}{
		{"zero values select the defaults", 0, 0, DefaultMemoryStoreEntries, DefaultMemoryStoreTTL},
		{"negative values select the defaults", -1, -time.Second, DefaultMemoryStoreEntries, DefaultMemoryStoreTTL},
		{"the smallest values are kept", 1, time.Nanosecond, 1, time.Nanosecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewMemoryStore(tc.maxEntries, tc.ttl)
			assert.Equal(t, tc.wantMax, s.table.max)
			assert.Equal(t, tc.wantTTL, s.ttl)
		})
	}
}
