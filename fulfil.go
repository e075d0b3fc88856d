package glomo

import (
	"context"
	"time"
)

// FulfilStore records which orders have been fulfilled, so that the
// merchant's Fulfil hook runs once per order although the same success may
// arrive by redirect, by post, confirmed server-side, and again on every
// reload. The key is the order id the merchant's server created; an order
// is paid once, and keying on it alone means no payment id a browser sends
// can make a paid order fulfil a second time.
//
// A store shared by several replicas (Redis, SQL) must make Claim atomic
// across all of them, for example Redis "SET key claimed NX PX ttl" or an
// SQL "INSERT ... ON CONFLICT DO NOTHING" whose affected-row count is the
// answer. A claim should expire after a while (minutes) so that a replica
// that dies mid-fulfilment does not block the order forever; a done mark
// should live at least as long as the browser may resend the result (a day
// is plenty: after that the webhook has long been the source of truth).
//
// All methods must be safe for concurrent use.
type FulfilStore interface {
	// Claim atomically claims key for fulfilment. It returns true for
	// exactly one caller while the key is neither claimed nor done; every
	// other caller gets false.
	Claim(ctx context.Context, key string) (claimed bool, err error)
	// Release drops a claim whose fulfilment failed, so that a later
	// delivery of the same result can try again.
	Release(ctx context.Context, key string) error
	// Done marks a claimed key as fulfilled; later claims return false.
	Done(ctx context.Context, key string) error
}

// fulfilKey names an order in a FulfilStore.
func fulfilKey(orderID string) string {
	return "order|" + orderID
}

// MemoryStore is a FulfilStore for a single process: bounded, with expiry.
// It is the default when ResultHandlerOptions.Fulfil is set without a
// Store. Several replicas need a shared store instead (see [FulfilStore]).
type MemoryStore struct {
	table claimTable
	ttl   time.Duration
}

// Default sizes of the MemoryStore a ResultHandler makes when it needs one.
const (
	DefaultMemoryStoreEntries = 10000
	DefaultMemoryStoreTTL     = 24 * time.Hour
)

var _ FulfilStore = (*MemoryStore)(nil)

// NewMemoryStore returns a MemoryStore holding at most maxEntries keys,
// each for ttl after it was claimed or marked done. When it is full the
// oldest entry is dropped: a bound on memory is worth more than remembering
// a payment that is days old. Values below 1 select
// DefaultMemoryStoreEntries and DefaultMemoryStoreTTL.
func NewMemoryStore(maxEntries int, ttl time.Duration) *MemoryStore {
	if maxEntries < 1 {
		maxEntries = DefaultMemoryStoreEntries
	}
	if ttl <= 0 {
		ttl = DefaultMemoryStoreTTL
	}
	return &MemoryStore{table: newClaimTable(maxEntries), ttl: ttl}
}

// Claim implements FulfilStore.
func (s *MemoryStore) Claim(_ context.Context, key string) (bool, error) {
	return s.table.claim(key, s.ttl) == ClaimAcquired, nil
}

// Release implements FulfilStore. Releasing a key that is done does
// nothing: a finished fulfilment cannot be undone by a late error.
func (s *MemoryStore) Release(_ context.Context, key string) error {
	s.table.release(key)
	return nil
}

// Done implements FulfilStore. The key is kept for a full ttl from now.
func (s *MemoryStore) Done(_ context.Context, key string) error {
	s.table.done(key, s.ttl)
	return nil
}

// Len returns the number of keys held, expired ones included until they
// are claimed again or evicted.
func (s *MemoryStore) Len() int { return s.table.len() }
