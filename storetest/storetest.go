// Package storetest checks that an implementation of [glomo.Store] keeps
// the contract documented on that interface, so that the result and
// webhook handlers can rely on it to run each piece of work once. Run it
// from the store's own tests, against a real server:
//
//	func TestStoreContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, retention time.Duration) glomo.Store {
//			return mystore.New(client, mystore.Options{Retention: retention})
//		})
//	}
//
// The suite waits for leases of a fraction of a second to lapse, so it
// takes a few seconds. Every test uses keys of its own, so the stores it
// makes may share one server and one key space.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// NewStore returns the store under test, keeping done marks for
// retention. It may register clean-up with t.Cleanup.
type NewStore func(t *testing.T, retention time.Duration) glomo.Store

// Timing of the suite. ShortLease is long enough for a store on loopback
// to answer a few calls within it, and LongLease outlasts every test.
const (
	ShortLease = 300 * time.Millisecond
	LongLease  = time.Minute
)

// Run runs the conformance tests against the stores newStore makes.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	for _, tc := range []struct {
		name string
		test func(*testing.T, NewStore)
	}{
		{"OneOfConcurrentClaimsAcquires", testConcurrentClaims},
		{"TokensAreUnique", testTokensUnique},
		{"ReleaseFreesTheKey", testRelease},
		{"DoneIsFinal", testDone},
		{"ForeignTokensChangeNothing", testForeignTokens},
		{"LapsedLeaseIsTakenOver", testLapsedTakenOver},
		{"LapsedTokenIsRefused", testLapsedRefused},
		{"RetentionEnds", testRetention},
		{"KeysAreExact", testKeys},
		{"ManyKeysManyClaimers", testManyKeys},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, newStore) })
	}
}

// key returns a key no other test uses.
func key(t *testing.T, name string) string {
	var b [8]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return glomo.StoreKey("storetest", name+"-"+hex.EncodeToString(b[:]))
}

func claim(t *testing.T, s glomo.Store, k string, lease time.Duration) glomo.Claim {
	t.Helper()
	c, err := s.Claim(context.Background(), k, lease)
	require.NoError(t, err)
	switch c.State {
	case glomo.ClaimAcquired:
		require.NotEmpty(t, c.Token, "an acquired claim has a token")
	case glomo.ClaimInProgress, glomo.ClaimDone:
		require.Empty(t, c.Token, "only an acquired claim has a token")
	default:
		t.Fatalf("Claim returned state %d", c.State)
	}
	return c
}

func testConcurrentClaims(t *testing.T, newStore NewStore) {
	s := newStore(t, time.Hour)
	k := key(t, "concurrent")
	const claimers = 32
	var wg sync.WaitGroup
	results := make(chan glomo.Claim, claimers)
	for i := 0; i < claimers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := s.Claim(context.Background(), k, LongLease)
			if assert.NoError(t, err) {
				results <- c
			}
		}()
	}
	wg.Wait()
	close(results)
	acquired, inProgress := 0, 0
	for c := range results {
		switch c.State {
		case glomo.ClaimAcquired:
			acquired++
		case glomo.ClaimInProgress:
			inProgress++
		}
	}
	assert.Equal(t, 1, acquired, "exactly one concurrent claim acquires the key")
	assert.Equal(t, claimers-1, inProgress)
}

func testTokensUnique(t *testing.T, newStore NewStore) {
	s := newStore(t, time.Hour)
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		c := claim(t, s, key(t, "token"), LongLease)
		require.Equal(t, glomo.ClaimAcquired, c.State)
		require.False(t, seen[c.Token], "token %d repeats an earlier one", i)
		seen[c.Token] = true
	}
	// A key claimed again after a release gets a new token too.
	k := key(t, "reclaim")
	first := claim(t, s, k, LongLease)
	require.NoError(t, s.Release(context.Background(), k, first.Token))
	second := claim(t, s, k, LongLease)
	require.Equal(t, glomo.ClaimAcquired, second.State)
	assert.NotEqual(t, first.Token, second.Token)
}

func testRelease(t *testing.T, newStore NewStore) {
	s := newStore(t, time.Hour)
	ctx := context.Background()
	k := key(t, "release")
	c := claim(t, s, k, LongLease)
	assert.Equal(t, glomo.ClaimInProgress, claim(t, s, k, LongLease).State, "a live claim blocks others")
	require.NoError(t, s.Release(ctx, k, c.Token))
	again := claim(t, s, k, LongLease)
	assert.Equal(t, glomo.ClaimAcquired, again.State, "a released key can be claimed again")
	assert.ErrorIs(t, s.Release(ctx, k, c.Token), glomo.ErrClaimLost, "a released token holds nothing")
	assert.ErrorIs(t, s.Done(ctx, k, c.Token), glomo.ErrClaimLost, "a released token completes nothing")
	require.NoError(t, s.Done(ctx, k, again.Token))
}

func testDone(t *testing.T, newStore NewStore) {
	s := newStore(t, time.Hour)
	ctx := context.Background()
	k := key(t, "done")
	c := claim(t, s, k, LongLease)
	require.NoError(t, s.Done(ctx, k, c.Token))
	assert.Equal(t, glomo.ClaimDone, claim(t, s, k, LongLease).State)
	assert.NoError(t, s.Done(ctx, k, c.Token), "Done again with the completing token succeeds")
	assert.ErrorIs(t, s.Release(ctx, k, c.Token), glomo.ErrClaimLost, "Release never undoes a done mark")
	assert.ErrorIs(t, s.Done(ctx, k, "not-the-token"), glomo.ErrClaimLost)
	assert.Equal(t, glomo.ClaimDone, claim(t, s, k, LongLease).State, "still done")
}

func testForeignTokens(t *testing.T, newStore NewStore) {
	s := newStore(t, time.Hour)
	ctx := context.Background()
	k := key(t, "foreign")
	for _, token := range []string{"", "x", strings.Repeat("a", 64)} {
		assert.ErrorIs(t, s.Release(ctx, k, token), glomo.ErrClaimLost, "Release of a free key with %q", token)
		assert.ErrorIs(t, s.Done(ctx, k, token), glomo.ErrClaimLost, "Done of a free key with %q", token)
	}
	assert.Equal(t, glomo.ClaimAcquired, claim(t, s, k, LongLease).State, "refused calls left the key free")

	k = key(t, "foreign-held")
	c := claim(t, s, k, LongLease)
	other := claim(t, s, key(t, "other"), LongLease)
	for _, token := range []string{"", "x", other.Token, c.Token + "x"} {
		assert.ErrorIs(t, s.Release(ctx, k, token), glomo.ErrClaimLost, "Release with %q", token)
		assert.ErrorIs(t, s.Done(ctx, k, token), glomo.ErrClaimLost, "Done with %q", token)
	}
	assert.Equal(t, glomo.ClaimInProgress, claim(t, s, k, LongLease).State, "the claim is intact")
	require.NoError(t, s.Done(ctx, k, c.Token), "the owner still completes it")
}

// waitAcquired claims k until it is acquired, as the next proof after a
// lapsed lease would.
func waitAcquired(t *testing.T, s glomo.Store, k string) glomo.Claim {
	t.Helper()
	deadline := time.Now().Add(10 * ShortLease)
	for {
		c := claim(t, s, k, LongLease)
		if c.State == glomo.ClaimAcquired {
			return c
		}
		require.Equal(t, glomo.ClaimInProgress, c.State)
		require.True(t, time.Now().Before(deadline), "a lease of %v has not lapsed after %v", ShortLease, 10*ShortLease)
		time.Sleep(ShortLease / 10)
	}
}

func testLapsedTakenOver(t *testing.T, newStore NewStore) {
	s := newStore(t, time.Hour)
	ctx := context.Background()
	k := key(t, "lapsed")
	old := claim(t, s, k, ShortLease)
	require.Equal(t, glomo.ClaimAcquired, old.State)
	next := waitAcquired(t, s, k)
	assert.NotEqual(t, old.Token, next.Token)
	assert.ErrorIs(t, s.Release(ctx, k, old.Token), glomo.ErrClaimLost, "a lapsed owner cannot free the new claim")
	assert.ErrorIs(t, s.Done(ctx, k, old.Token), glomo.ErrClaimLost, "a lapsed owner cannot complete the new claim")
	assert.Equal(t, glomo.ClaimInProgress, claim(t, s, k, LongLease).State)
	require.NoError(t, s.Done(ctx, k, next.Token))
	assert.Equal(t, glomo.ClaimDone, claim(t, s, k, LongLease).State)
}

func testLapsedRefused(t *testing.T, newStore NewStore) {
	s := newStore(t, time.Hour)
	ctx := context.Background()
	for _, op := range []string{"Release", "Done"} {
		t.Run(op, func(t *testing.T) {
			k := key(t, "lapsed-"+op)
			c := claim(t, s, k, ShortLease)
			require.Equal(t, glomo.ClaimAcquired, c.State)
			time.Sleep(2 * ShortLease)
			var err error
			if op == "Release" {
				err = s.Release(ctx, k, c.Token)
			} else {
				err = s.Done(ctx, k, c.Token)
			}
			assert.ErrorIs(t, err, glomo.ErrClaimLost, "%s after the lease lapsed", op)
			assert.Equal(t, glomo.ClaimAcquired, claim(t, s, k, LongLease).State, "the lapsed claim left the key free")
		})
	}
}

func testRetention(t *testing.T, newStore NewStore) {
	const retention = time.Second
	s := newStore(t, retention)
	ctx := context.Background()
	k := key(t, "retention")
	c := claim(t, s, k, LongLease)
	require.NoError(t, s.Done(ctx, k, c.Token))
	start := time.Now()
	assert.Equal(t, glomo.ClaimDone, claim(t, s, k, LongLease).State)
	for claim(t, s, k, LongLease).State == glomo.ClaimDone {
		require.Less(t, time.Since(start), 10*retention, "a done mark outlived ten times its retention")
		time.Sleep(retention / 10)
	}
	assert.GreaterOrEqual(t, time.Since(start), retention/2, "a done mark ended long before its retention")
}

func testKeys(t *testing.T, newStore NewStore) {
	s := newStore(t, time.Hour)
	base := key(t, "exact")
	keys := []string{
		base, base + " ", base + "\t", base + ":", base + "%", base + "*", base + "?",
		base + "é", base + "'", base + `"`, base + "\\", base + "_", base + "{x}",
	}
	long := base + strings.Repeat("z", glomo.MaxKeyBytes-len(base))
	keys = append(keys, long, long[:len(long)-1])
	for _, k := range keys {
		assert.Equal(t, glomo.ClaimAcquired, claim(t, s, k, LongLease).State, "key %q collides with another", k)
	}
	for _, k := range keys {
		assert.Equal(t, glomo.ClaimInProgress, claim(t, s, k, LongLease).State, "key %q", k)
	}
}

func testManyKeys(t *testing.T, newStore NewStore) {
	s := newStore(t, time.Hour)
	const keys, claimers = 40, 8
	names := make([]string, keys)
	for i := range names {
		names[i] = key(t, "many")
	}
	var mu sync.Mutex
	completed := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < claimers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for _, k := range names {
				c, err := s.Claim(ctx, k, LongLease)
				if !assert.NoError(t, err) || c.State != glomo.ClaimAcquired {
					continue
				}
				if err := s.Done(ctx, k, c.Token); assert.NoError(t, err) {
					mu.Lock()
					completed[k]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, k := range names {
		assert.Equal(t, 1, completed[k], "key %s completed %d times", k, completed[k])
	}
	if t.Failed() {
		return
	}
	for _, k := range names {
		c, err := s.Claim(context.Background(), k, LongLease)
		require.NoError(t, err)
		assert.Equal(t, glomo.ClaimDone, c.State)
	}
}
