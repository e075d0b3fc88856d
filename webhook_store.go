package glomo

import (
	"context"
	"time"
)

// Claim is the answer of EventStore.Claim.
type Claim int

const (
	// ClaimAcquired means the caller now owns the event and must call Done
	// or Release.
	ClaimAcquired Claim = iota + 1
	// ClaimInProgress means another delivery of the same event holds an
	// unexpired claim and is being processed.
	ClaimInProgress
	// ClaimDone means the event was processed successfully before.
	ClaimDone
)

// EventStore remembers which webhook events were processed, so that
// Glomo's at-least-once deliveries run the merchant's callback once.
//
// The in-memory default (NewMemoryEventStore) serves a single process. Run
// several replicas behind a load balancer and you need a shared store; the
// three methods map onto Redis as
//
//	Claim:   SET key "processing" NX PX lease; on failure GET key ("done" -> ClaimDone, else ClaimInProgress)
//	Release: DEL key (when it still says "processing")
//	Done:    SET key "done" EX retention
//
// or onto SQL as an INSERT ... ON CONFLICT on a table keyed by the event key.
// Implementations must be safe for concurrent use and Claim must be atomic.
type EventStore interface {
	// Claim atomically marks key as being processed for at most lease, after
	// which a crashed owner's claim lapses and a retry may claim it.
	Claim(ctx context.Context, key string, lease time.Duration) (Claim, error)
	// Release drops a claim whose processing failed, so that Glomo's retry
	// of the same event is processed.
	Release(ctx context.Context, key string) error
	// Done records that key was processed; later deliveries get ClaimDone
	// until the store forgets it.
	Done(ctx context.Context, key string) error
}

// Defaults of NewMemoryEventStore.
const (
	// DefaultEventStoreSize bounds the in-memory store's entries.
	DefaultEventStoreSize = 100_000
	// DefaultEventRetention outlasts Glomo's retry schedule (about four
	// days in live mode), so a late retry of a processed event is still
	// recognised.
	DefaultEventRetention = 5 * 24 * time.Hour
)

// MemoryEventStore is a bounded in-memory EventStore. When full it forgets
// the oldest entries first; a forgotten event that Glomo delivers again is
// processed again, which is why callbacks must stay idempotent anyway.
type MemoryEventStore struct {
	table     claimTable
	retention time.Duration
}

var _ EventStore = (*MemoryEventStore)(nil)

// NewMemoryEventStore returns a store of at most maxEntries keys that
// remembers processed events for retention. Zero or negative values select
// DefaultEventStoreSize and DefaultEventRetention.
func NewMemoryEventStore(maxEntries int, retention time.Duration) *MemoryEventStore {
	if maxEntries <= 0 {
		maxEntries = DefaultEventStoreSize
	}
	if retention <= 0 {
		retention = DefaultEventRetention
	}
	return &MemoryEventStore{table: newClaimTable(maxEntries), retention: retention}
}

// Claim implements EventStore.
func (m *MemoryEventStore) Claim(_ context.Context, key string, lease time.Duration) (Claim, error) {
	return m.table.claim(key, lease), nil
}

// Release implements EventStore.
func (m *MemoryEventStore) Release(_ context.Context, key string) error {
	m.table.release(key)
	return nil
}

// Done implements EventStore.
func (m *MemoryEventStore) Done(_ context.Context, key string) error {
	m.table.done(key, m.retention)
	return nil
}

// Len returns the number of keys held, expired or not.
func (m *MemoryEventStore) Len() int { return m.table.len() }
