package glomo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Store records which pieces of work (fulfilling an order, processing a
// webhook event) are being done and which are done, so that each runs once
// although its proofs arrive several times, concurrently, and on different
// replicas. Keys are opaque to the store (see [MaxKeyBytes]).
//
// A key is in one of three states: free, claimed under a token until the
// claim's lease ends, or done until the store's retention ends. The rules
// every implementation must follow, which [storetest.Run] checks:
//
//   - Claim on a free key, or on one whose lease or retention has ended,
//     claims it for lease under a fresh token, unique across all claims of
//     all replicas, and returns ClaimAcquired with that token. Exactly one
//     of any number of concurrent Claims of a key acquires it.
//   - Claim on a key held under a live lease returns ClaimInProgress; on a
//     done key, ClaimDone. Neither returns a token.
//   - Release with the token of the live claim frees the key. Done with
//     that token marks it done, for the store's retention from now.
//   - Release or Done with any other token (a lapsed lease's, one another
//     claim has since replaced, or a made-up one) changes nothing and
//     returns an error matching [ErrClaimLost]: an owner that outlived its
//     lease can neither free nor complete a claim it no longer holds.
//   - Done with the token that already marked the key done returns nil, so
//     that a store may complete a claim inside the fulfilment's own
//     transaction and the caller's Done after it still succeeds. Release
//     never undoes a done mark: on a done key it returns ErrClaimLost.
//   - Any failure to reach the store or to be sure of an answer is an
//     error, never a ClaimAcquired: a claim that was not made must not run
//     the work. Errors never hold a connection password.
//
// All methods are safe for concurrent use.
type Store interface {
	// Claim tries to claim key for lease.
	Claim(ctx context.Context, key string, lease time.Duration) (Claim, error)
	// Release frees the claim held under token, so that the next proof
	// may try the work again.
	Release(ctx context.Context, key, token string) error
	// Done marks the claim held under token done.
	Done(ctx context.Context, key, token string) error
}

// Claim is the answer of [Store.Claim].
type Claim struct {
	// State says whether the caller now holds the key.
	State ClaimState
	// Token identifies the caller's claim when State is ClaimAcquired;
	// Release and Done need it. Empty otherwise.
	Token string
}

// ClaimState is the state of a key as Claim found it.
type ClaimState int

const (
	// ClaimAcquired means the caller now holds the key and must call
	// Done or Release with the claim's token.
	ClaimAcquired ClaimState = iota + 1
	// ClaimInProgress means another claim of the key is live.
	ClaimInProgress
	// ClaimDone means the work was done before.
	ClaimDone
)

// String returns "acquired", "in_progress" or "done".
func (s ClaimState) String() string {
	switch s {
	case ClaimAcquired:
		return "acquired"
	case ClaimInProgress:
		return "in_progress"
	case ClaimDone:
		return "done"
	default:
		return "unknown"
	}
}

// ErrClaimLost is returned by [Store.Release] and [Store.Done] for a token
// that does not hold the key's claim (any more).
var ErrClaimLost = errors.New("glomo: the claim is no longer held")

// MaxKeyBytes bounds the keys the package hands a Store: an order id or
// an event's identity longer than a store should index is replaced by its
// SHA-256 (see [StoreKey]).
const MaxKeyBytes = 200

// StoreKey returns the store key of the work named kind and id, such as
// ("order", "order_123"): kind, a colon and id, or, when that would be
// longer than MaxKeyBytes, kind, ":sha256:" and the id's SHA-256 in hex.
// Ids come from the merchant's server or from verified webhooks, never
// secrets or signatures.
func StoreKey(kind, id string) string {
	if len(kind)+1+len(id) <= MaxKeyBytes {
		return kind + ":" + id
	}
	sum := sha256.Sum256([]byte(id))
	return kind + ":sha256:" + hex.EncodeToString(sum[:])
}
