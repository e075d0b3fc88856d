package glomoredis

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/storetest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreContract(t *testing.T) {
	requireRedis(t)
	storetest.Run(t, func(t *testing.T, retention time.Duration) glomo.Store {
		s, _ := newTestStore(t, Options{Retention: retention})
		return s
	})
}

// TestStoreContractTwoSteps runs the contract against the Claim that
// servers before Redis 7.0 get: SET NX, then GET.
func TestStoreContractTwoSteps(t *testing.T) {
	requireRedis(t)
	storetest.Run(t, func(t *testing.T, retention time.Duration) glomo.Store {
		s, _ := newTestStore(t, Options{Retention: retention})
		s.twoStep.Store(true)
		return s
	})
}

func TestNewOptions(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	for _, tc := range []struct {
		name      string
		client    redis.UniversalClient
		opts      Options
		err       string
		prefix    string
		retention string
	}{
		{name: "defaults", client: client, prefix: DefaultPrefix, retention: "432000000"},
		{name: "given", client: client, opts: Options{Prefix: "shop:", Retention: time.Hour}, prefix: "shop:", retention: "3600000"},
		{name: "nil client", opts: Options{}, err: "needs a Redis client"},
		{name: "nil pointer client", client: (*redis.Client)(nil), err: "needs a Redis client"},
		{name: "nil cluster client", client: (*redis.ClusterClient)(nil), err: "needs a Redis client"},
		{name: "negative retention", client: client, opts: Options{Retention: -time.Second}, err: "must not be negative"},
		{name: "sub-millisecond retention", client: client, opts: Options{Retention: time.Microsecond}, err: "millisecond"},
		{name: "prefix with {", client: client, opts: Options{Prefix: "{shop:"}, err: "hash tag"},
		{name: "prefix with }", client: client, opts: Options{Prefix: "shop}:"}, err: "hash tag"},
		{name: "prefix with hash tag", client: client, opts: Options{Prefix: "{shop}:"}, err: "hash tag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.client, tc.opts)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				assert.Nil(t, s)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.prefix, s.prefix)
			assert.Equal(t, tc.retention, s.retentionMs)
		})
	}
}

func TestLeaseExpiryAndTakeover(t *testing.T) {
	const lease = 100 * time.Millisecond
	ctx := context.Background()
	prefix := uniquePrefix(t, "takeover")
	// Two replicas: stores with their own clients, sharing the prefix.
	a, _ := newTestStore(t, Options{Prefix: prefix})
	b, _ := newTestStore(t, Options{Prefix: prefix})
	ops := map[string]func(s *Store, key, token string) error{
		"Release": func(s *Store, key, token string) error { return s.Release(ctx, key, token) },
		"Done":    func(s *Store, key, token string) error { return s.Done(ctx, key, token) },
	}
	for _, tc := range []struct {
		name string
		// token returns the token a refuses with, given a's own claim.
		setup func(t *testing.T, key string) (refused string, owner *Store, ownerToken string)
	}{
		{"lapsed token after takeover", func(t *testing.T, key string) (string, *Store, string) {
			old := mustClaim(t, a, key, lease, glomo.ClaimAcquired)
			time.Sleep(2 * lease)
			next := mustClaim(t, b, key, time.Minute, glomo.ClaimAcquired)
			assert.NotEqual(t, old.Token, next.Token)
			return old.Token, b, next.Token
		}},
		{"another replica's live token", func(t *testing.T, key string) (string, *Store, string) {
			theirs := mustClaim(t, b, key, time.Minute, glomo.ClaimAcquired)
			other := mustClaim(t, a, key+"-other", time.Minute, glomo.ClaimAcquired)
			return other.Token, b, theirs.Token
		}},
	} {
		for opName, op := range ops {
			t.Run(tc.name+"/"+opName, func(t *testing.T) {
				key := glomo.StoreKey("order", strings.ReplaceAll(t.Name(), "/", "-"))
				refused, owner, ownerToken := tc.setup(t, key)
				assert.ErrorIs(t, op(a, key, refused), glomo.ErrClaimLost)
				mustClaim(t, a, key, time.Minute, glomo.ClaimInProgress)
				require.NoError(t, owner.Done(ctx, key, ownerToken), "the owner still completes the claim")
				mustClaim(t, a, key, time.Minute, glomo.ClaimDone)
			})
		}
	}

	t.Run("lapsed without takeover", func(t *testing.T) {
		for opName, op := range ops {
			key := glomo.StoreKey("order", "lapsed-"+opName)
			c := mustClaim(t, a, key, lease, glomo.ClaimAcquired)
			time.Sleep(2 * lease)
			assert.ErrorIs(t, op(a, key, c.Token), glomo.ErrClaimLost, opName)
			mustClaim(t, b, key, time.Minute, glomo.ClaimAcquired)
		}
	})
}

func TestRetention(t *testing.T) {
	const retention = 200 * time.Millisecond
	ctx := context.Background()
	s, client := newTestStore(t, Options{Retention: retention})
	key := glomo.StoreKey("order", "retained")
	c := mustClaim(t, s, key, time.Minute, glomo.ClaimAcquired)
	leaseTTL := client.PTTL(ctx, s.prefix+key).Val()
	assert.InDelta(t, time.Minute, leaseTTL, float64(5*time.Second), "a claim expires with its lease")

	require.NoError(t, s.Done(ctx, key, c.Token))
	doneTTL := client.PTTL(ctx, s.prefix+key).Val()
	assert.Positive(t, doneTTL)
	assert.LessOrEqual(t, doneTTL, retention, "a done mark expires with the retention")
	mustClaim(t, s, key, time.Minute, glomo.ClaimDone)
	require.NoError(t, s.Done(ctx, key, c.Token), "Done again succeeds")
	assert.LessOrEqual(t, client.PTTL(ctx, s.prefix+key).Val(), doneTTL, "Done again leaves the mark as it was")

	time.Sleep(retention + 50*time.Millisecond)
	mustClaim(t, s, key, time.Minute, glomo.ClaimAcquired)
}

func TestKeyPrefix(t *testing.T) {
	ctx := context.Background()
	prefixA, prefixB := uniquePrefix(t, "a"), uniquePrefix(t, "b")
	a, client := newTestStore(t, Options{Prefix: prefixA})
	b, _ := newTestStore(t, Options{Prefix: prefixB})
	key := glomo.StoreKey("order", "order_123")

	ca := mustClaim(t, a, key, time.Minute, glomo.ClaimAcquired)
	cb := mustClaim(t, b, key, time.Minute, glomo.ClaimAcquired)
	assert.Equal(t, []string{prefixA + key}, client.Keys(ctx, prefixA+"*").Val())
	assert.Equal(t, []string{prefixB + key}, client.Keys(ctx, prefixB+"*").Val())
	assert.Equal(t, "c:"+ca.Token, client.Get(ctx, prefixA+key).Val())

	require.NoError(t, a.Done(ctx, key, ca.Token))
	mustClaim(t, b, key, time.Minute, glomo.ClaimInProgress)
	assert.ErrorIs(t, b.Done(ctx, key, ca.Token), glomo.ErrClaimLost, "a token of one prefix holds nothing under another")
	require.NoError(t, b.Release(ctx, key, cb.Token))
	mustClaim(t, b, key, time.Minute, glomo.ClaimAcquired)
	mustClaim(t, a, key, time.Minute, glomo.ClaimDone)
	assert.Equal(t, "d:"+ca.Token, client.Get(ctx, prefixA+key).Val())
}

func TestKeysAreBounded(t *testing.T) {
	ctx := context.Background()
	s, client := newTestStore(t, Options{})
	longest := glomo.StoreKey("order", strings.Repeat("x", glomo.MaxKeyBytes))
	require.LessOrEqual(t, len(longest), glomo.MaxKeyBytes, "StoreKey bounds keys")
	exact := "order:" + strings.Repeat("y", glomo.MaxKeyBytes-len("order:"))

	var tokens []string
	for _, key := range []string{longest, exact, "order:short"} {
		c := mustClaim(t, s, key, time.Minute, glomo.ClaimAcquired)
		tokens = append(tokens, c.Token)
	}
	keys := client.Keys(ctx, s.prefix+"*").Val()
	require.Len(t, keys, 3)
	for _, k := range keys {
		assert.LessOrEqual(t, len(k), len(s.prefix)+glomo.MaxKeyBytes)
		for _, token := range tokens {
			assert.NotContains(t, k, token, "keys never hold a token")
		}
	}

	tooLong := exact + "z"
	_, err := s.Claim(ctx, tooLong, time.Minute)
	assert.ErrorContains(t, err, "MaxKeyBytes")
	assert.ErrorContains(t, s.Release(ctx, tooLong, tokens[0]), "MaxKeyBytes")
	assert.ErrorContains(t, s.Done(ctx, tooLong, tokens[0]), "MaxKeyBytes")
	assert.Len(t, client.Keys(ctx, s.prefix+"*").Val(), 3, "a refused key wrote nothing")
}

func TestClaimArguments(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	for _, lease := range []time.Duration{0, -time.Second, time.Microsecond} {
		_, err := s.Claim(context.Background(), "order:lease", lease)
		assert.ErrorContains(t, err, "lease", "lease %v", lease)
	}
	c := mustClaim(t, s, "order:lease", time.Millisecond+time.Microsecond, glomo.ClaimAcquired)
	assert.NotEmpty(t, c.Token)
}

func TestForeignValue(t *testing.T) {
	ctx := context.Background()
	s, client := newTestStore(t, Options{})
	require.NoError(t, client.Set(ctx, s.prefix+"order:foreign", "something else", time.Minute).Err())
	for _, twoStep := range []bool{false, true} {
		s.twoStep.Store(twoStep)
		_, err := s.Claim(ctx, "order:foreign", time.Minute)
		assert.ErrorContains(t, err, "did not write", "two steps: %v", twoStep)
	}
}

func TestSyntaxErrorDetected(t *testing.T) {
	client := sharedClient(t)
	// NX with XX is refused the way servers before 7.0 refuse NX with GET.
	err := client.Do(context.Background(), "SET", uniquePrefix(t, "syntax")+"k", "v", "NX", "XX").Err()
	require.Error(t, err)
	assert.True(t, isSyntaxError(err), "%v", err)
	assert.False(t, isSyntaxError(context.Canceled))
	assert.False(t, isSyntaxError(redis.Nil))
}

func TestContextErrors(t *testing.T) {
	s, client := newTestStore(t, Options{})
	held := mustClaim(t, s, "order:ctx-held", time.Minute, glomo.ClaimAcquired)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled", cancelled, context.Canceled},
		{"deadline passed", expired, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Claim(tc.ctx, "order:ctx-free", time.Minute)
			assert.ErrorIs(t, err, tc.want)
			assert.Zero(t, c)
			assert.ErrorIs(t, s.Release(tc.ctx, "order:ctx-held", held.Token), tc.want)
			assert.ErrorIs(t, s.Done(tc.ctx, "order:ctx-held", held.Token), tc.want)
		})
	}
	assert.Zero(t, client.Exists(context.Background(), s.prefix+"order:ctx-free").Val(), "a cancelled claim wrote nothing")
	mustClaim(t, s, "order:ctx-held", time.Minute, glomo.ClaimInProgress)
}

// TestTimeoutInFlight holds the server's writes with CLIENT PAUSE, so
// that commands wait at the server until their deadline passes.
func TestTimeoutInFlight(t *testing.T) {
	srv := startPrivateServer(t)
	client := newClient(t, srv.Addr())
	s, err := New(client, Options{})
	require.NoError(t, err)
	ctx := context.Background()
	held := mustClaim(t, s, "order:paused-held", time.Minute, glomo.ClaimAcquired)

	admin := newClient(t, srv.Addr())
	require.NoError(t, admin.Do(ctx, "CLIENT", "PAUSE", "1500", "WRITE").Err())
	defer admin.Do(ctx, "CLIENT", "UNPAUSE")
	calls := map[string]func(ctx context.Context) error{
		"Claim": func(ctx context.Context) error {
			c, err := s.Claim(ctx, "order:paused", time.Minute)
			assert.Zero(t, c)
			return err
		},
		"Release": func(ctx context.Context) error { return s.Release(ctx, "order:paused-held", held.Token) },
		"Done":    func(ctx context.Context) error { return s.Done(ctx, "order:paused-held", held.Token) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := call(ctx)
			assert.Error(t, err)
			assert.NotErrorIs(t, err, glomo.ErrClaimLost)
			assert.Less(t, time.Since(start), time.Second, "the deadline bounds a command in flight")
		})
	}
}

func TestErrorsHoldNoSecrets(t *testing.T) {
	// A server that wants a password it is not given, and a token that
	// must not appear in any error.
	srv := startPrivateServer(t, "--requirepass", "s3cret-pass")
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), Username: "default", Password: "wr0ng-pass", MaxRetries: -1})
	defer client.Close()
	s, err := New(client, Options{})
	require.NoError(t, err)
	ctx := context.Background()
	const token = "tok3n-value"
	_, claimErr := s.Claim(ctx, "order:secret", time.Minute)
	for _, err := range []error{claimErr, s.Release(ctx, "order:secret", token), s.Done(ctx, "order:secret", token)} {
		require.Error(t, err)
		for _, secret := range []string{"s3cret-pass", "wr0ng-pass", token, "redis://"} {
			assert.NotContains(t, err.Error(), secret)
		}
		assert.True(t, strings.HasPrefix(err.Error(), "glomoredis: "), err.Error())
	}
}

func TestRoundTripsPerFulfilment(t *testing.T) {
	s, client := newTestStore(t, Options{})
	var commands atomic.Int64
	client.AddHook(commandCounter{&commands})
	f, err := glomo.NewFulfilment(func(context.Context, glomo.PaidOrder) error { return nil }, glomo.FulfilmentOptions{Store: s})
	require.NoError(t, err)
	ctx := context.Background()
	// The first Done a server sees loads the script.
	_, err = f.Fulfil(ctx, glomo.PaidOrder{OrderID: "warm-up"})
	require.NoError(t, err)

	for _, tc := range []struct {
		order string
		want  glomo.RunResult
		trips int64
	}{
		{"order_1", glomo.Ran, 2},
		{"order_1", glomo.AlreadyRan, 1},
		{"order_2", glomo.Ran, 2},
	} {
		commands.Store(0)
		got, err := f.Fulfil(ctx, glomo.PaidOrder{OrderID: tc.order})
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
		assert.Equal(t, tc.trips, commands.Load(), "round trips of %s, %v", tc.order, tc.want)
	}
}

// mustClaim claims key and requires the answer to be state.
func mustClaim(t *testing.T, s *Store, key string, lease time.Duration, state glomo.ClaimState) glomo.Claim {
	t.Helper()
	c, err := s.Claim(context.Background(), key, lease)
	require.NoError(t, err)
	require.Equal(t, state, c.State, "claim of %q", key)
	if state == glomo.ClaimAcquired {
		require.Len(t, c.Token, 22, "a token is 128 bits in base64url")
	} else {
		require.Empty(t, c.Token)
	}
	return c
}
