package glomo

import (
	"container/list"
	"context"
	"sync"
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
	mu        sync.Mutex
	entries   map[string]*list.Element // of *memoryEntry
	order     *list.List               // oldest first
	max       int
	retention time.Duration
	now       func() time.Time
}

type memoryEntry struct {
	key     string
	done    bool
	expires time.Time
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
	return &MemoryEventStore{
		entries:   make(map[string]*list.Element),
		order:     list.New(),
		max:       maxEntries,
		retention: retention,
		now:       time.Now,
	}
}

// Claim implements EventStore.
func (m *MemoryEventStore) Claim(_ context.Context, key string, lease time.Duration) (Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if el, ok := m.entries[key]; ok {
		e := el.Value.(*memoryEntry)
		if now.Before(e.expires) {
			if e.done {
				return ClaimDone, nil
			}
			return ClaimInProgress, nil
		}
		m.remove(el)
	}
	for len(m.entries) >= m.max {
		m.remove(m.order.Front())
	}
	m.entries[key] = m.order.PushBack(&memoryEntry{key: key, expires: now.Add(lease)})
	return ClaimAcquired, nil
}

// Release implements EventStore.
func (m *MemoryEventStore) Release(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.entries[key]; ok && !el.Value.(*memoryEntry).done {
		m.remove(el)
	}
	return nil
}

// Done implements EventStore.
func (m *MemoryEventStore) Done(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	expires := m.now().Add(m.retention)
	if el, ok := m.entries[key]; ok {
		e := el.Value.(*memoryEntry)
		e.done, e.expires = true, expires
		m.order.MoveToBack(el)
		return nil
	}
	for len(m.entries) >= m.max {
		m.remove(m.order.Front())
	}
	m.entries[key] = m.order.PushBack(&memoryEntry{key: key, done: true, expires: expires})
	return nil
}

// Len returns the number of keys held, expired or not.
func (m *MemoryEventStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

func (m *MemoryEventStore) remove(el *list.Element) {
	delete(m.entries, el.Value.(*memoryEntry).key)
	m.order.Remove(el)
}
