package glomoredis

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/glomokit/glomo"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix of a Store whose Options name none.
const DefaultPrefix = "glomo:"

// Values of a Redis key: the claim's or done mark's state, a colon, and
// the token of the claim that wrote it.
const (
	claimedPrefix = "c:"
	donePrefix    = "d:"
)

// claimAttempts bounds the SET NX and GET pairs of a Claim on a server
// without SET NX GET, for a key that keeps vanishing between the two.
const claimAttempts = 3

// Options configures New.
type Options struct {
	// Prefix is put before every glomo key to make its Redis key, so that
	// several applications can share a server. It must not contain "{" or
	// "}": a Redis Cluster hash tag in the prefix would pin every order to
	// one slot or split a key's slot from its tag. Default DefaultPrefix.
	Prefix string
	// Retention is how long a done mark is kept. It should outlast
	// Glomo's retries (about four days in live mode); Redis keeps
	// expirations in milliseconds, so it must be at least one. Default
	// glomo.DefaultRetention.
	Retention time.Duration
}

// Store is a [glomo.Store] kept in Redis, shared by every replica that
// uses the same server (single node, Sentinel or Cluster) and prefix.
// Each glomo key is one Redis string key: "c:<token>" while claimed, with
// the lease as its expiry, then "d:<token>" with the retention as its
// expiry. Build one with New; it is safe for concurrent use.
type Store struct {
	client      redis.UniversalClient
	prefix      string
	retentionMs string
	// twoStep is set once the server refused SET NX GET (Redis before
	// 7.0): Claim then sends SET NX and, when that fails, GET.
	twoStep atomic.Bool
}

var _ glomo.Store = (*Store)(nil)

// New returns a Store using client, which the caller keeps and closes.
// A nil client, a negative Retention or one below a millisecond, and a
// Prefix with "{" or "}" are errors. Clients built with
// ContextTimeoutEnabled apply a context's deadline to a command in
// flight, not only to the wait for a connection.
func New(client redis.UniversalClient, opts Options) (*Store, error) {
	if isNil(client) {
		return nil, errors.New("glomoredis: New needs a Redis client")
	}
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, fmt.Errorf("glomoredis: Options.Prefix %q must not contain { or }: they would form a Redis Cluster hash tag", opts.Prefix)
	}
	if opts.Retention < 0 {
		return nil, fmt.Errorf("glomoredis: Options.Retention %v must not be negative", opts.Retention)
	}
	if opts.Retention > 0 && opts.Retention < time.Millisecond {
		return nil, fmt.Errorf("glomoredis: Options.Retention %v is shorter than Redis's millisecond", opts.Retention)
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Retention == 0 {
		opts.Retention = glomo.DefaultRetention
	}
	return &Store{
		client:      client,
		prefix:      opts.Prefix,
		retentionMs: strconv.FormatInt(opts.Retention.Milliseconds(), 10),
	}, nil
}

// isNil reports whether client is nil, also when it is a nil pointer in
// a non-nil interface, such as a (*redis.Client)(nil).
func isNil(client redis.UniversalClient) bool {
	if client == nil {
		return true
	}
	v := reflect.ValueOf(client)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// Claim implements glomo.Store in one round trip: SET NX PX, which also
// returns the key's value when it does not set it (GET). Keys longer than
// glomo.MaxKeyBytes and leases shorter than a millisecond are errors.
func (s *Store) Claim(ctx context.Context, key string, lease time.Duration) (glomo.Claim, error) {
	rkey, err := s.redisKey("claim", key)
	if err != nil {
		return glomo.Claim{}, err
	}
	if lease < time.Millisecond {
		return glomo.Claim{}, fmt.Errorf("glomoredis: claim: lease %v is shorter than Redis's millisecond", lease)
	}
	token, err := newToken()
	if err != nil {
		return glomo.Claim{}, fmt.Errorf("glomoredis: claim: making a token: %w", err)
	}
	held := claimedPrefix + token
	if !s.twoStep.Load() {
		old, err := s.client.SetArgs(ctx, rkey, held, redis.SetArgs{Mode: "NX", TTL: lease, Get: true}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			// No old value: the key was free and this SET claimed it.
			return glomo.Claim{State: glomo.ClaimAcquired, Token: token}, nil
		case err == nil:
			return claimOf(old, held, token)
		case !isSyntaxError(err):
			return glomo.Claim{}, fmt.Errorf("glomoredis: claim: %w", err)
		}
		// A server before 7.0 refuses NX with GET, without setting
		// anything; from now on this store asks in two steps.
		s.twoStep.Store(true)
	}
	return s.claimTwoSteps(ctx, rkey, held, token, lease)
}

// claimTwoSteps claims rkey with SET NX and, when another value holds it,
// reads that value with GET. A key that lapsed between the two is tried
// again, a bounded number of times.
func (s *Store) claimTwoSteps(ctx context.Context, rkey, held, token string, lease time.Duration) (glomo.Claim, error) {
	for attempt := 0; attempt < claimAttempts; attempt++ {
		set, err := s.client.SetNX(ctx, rkey, held, lease).Result()
		if err != nil {
			return glomo.Claim{}, fmt.Errorf("glomoredis: claim: %w", err)
		}
		if set {
			return glomo.Claim{State: glomo.ClaimAcquired, Token: token}, nil
		}
		old, err := s.client.Get(ctx, rkey).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return glomo.Claim{}, fmt.Errorf("glomoredis: claim: %w", err)
		}
		return claimOf(old, held, token)
	}
	return glomo.Claim{}, fmt.Errorf("glomoredis: claim: the key changed between SET and GET %d times in a row", claimAttempts)
}

// claimOf returns the answer of a Claim that found old in the key. Old
// equals held only when this call's own SET succeeded and a retry after a
// lost reply read it back: the token is unique to the call.
func claimOf(old, held, token string) (glomo.Claim, error) {
	switch {
	case old == held:
		return glomo.Claim{State: glomo.ClaimAcquired, Token: token}, nil
	case strings.HasPrefix(old, donePrefix):
		return glomo.Claim{State: glomo.ClaimDone}, nil
	case strings.HasPrefix(old, claimedPrefix):
		return glomo.Claim{State: glomo.ClaimInProgress}, nil
	default:
		return glomo.Claim{}, errors.New("glomoredis: claim: the key holds a value this store did not write; is the prefix shared with other data?")
	}
}

// isSyntaxError reports whether err is Redis's answer to options it does
// not know or cannot combine, such as NX with GET before Redis 7.0.
func isSyntaxError(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr) && strings.HasPrefix(rerr.Error(), "ERR syntax error")
}

// releaseScript deletes KEYS[1] when it holds the claim ARGV[1].
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	redis.call('DEL', KEYS[1])
	return 1
end
return 0
`)

// doneScript turns the claim ARGV[1] of KEYS[1] into the done mark
// ARGV[2] for ARGV[3] milliseconds. A key already holding that mark is
// left as it is, so that Done is idempotent for the completing token.
var doneScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
	redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
	return 1
end
if v == ARGV[2] then
	return 1
end
return 0
`)

// Release implements glomo.Store in one round trip.
func (s *Store) Release(ctx context.Context, key, token string) error {
	rkey, err := s.redisKey("release", key)
	if err != nil {
		return err
	}
	if token == "" {
		return fmt.Errorf("glomoredis: release: %w", glomo.ErrClaimLost)
	}
	freed, err := releaseScript.Run(ctx, s.client, []string{rkey}, claimedPrefix+token).Int64()
	if err != nil {
		return fmt.Errorf("glomoredis: release: %w", err)
	}
	if freed != 1 {
		return fmt.Errorf("glomoredis: release: %w", glomo.ErrClaimLost)
	}
	return nil
}

// Done implements glomo.Store in one round trip (two the first time a
// server runs it, to load the script).
func (s *Store) Done(ctx context.Context, key, token string) error {
	rkey, err := s.redisKey("done", key)
	if err != nil {
		return err
	}
	if token == "" {
		return fmt.Errorf("glomoredis: done: %w", glomo.ErrClaimLost)
	}
	marked, err := doneScript.Run(ctx, s.client, []string{rkey}, claimedPrefix+token, donePrefix+token, s.retentionMs).Int64()
	if err != nil {
		return fmt.Errorf("glomoredis: done: %w", err)
	}
	if marked != 1 {
		return fmt.Errorf("glomoredis: done: %w", glomo.ErrClaimLost)
	}
	return nil
}

// redisKey returns the Redis key of key, refusing keys longer than
// glomo.MaxKeyBytes so that every Redis key is bounded.
func (s *Store) redisKey(op, key string) (string, error) {
	if len(key) > glomo.MaxKeyBytes {
		return "", fmt.Errorf("glomoredis: %s: a key of %d bytes is longer than glomo.MaxKeyBytes; build keys with glomo.StoreKey", op, len(key))
	}
	return s.prefix + key, nil
}

// newToken returns a random claim token (128 bits, base64url).
func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
