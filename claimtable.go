package glomo

import (
	"container/list"
	"sync"
	"time"
)

// claimTable is the bounded, expiring key table behind MemoryStore and
// MemoryEventStore. Each key is either claimed (being processed) or done,
// until its expiry. When the table is full the entry changed longest ago is
// dropped first: a bound on memory is worth more than remembering an old key.
type claimTable struct {
	mu      sync.Mutex
	max     int
	now     func() time.Time
	entries map[string]*list.Element // of *claimEntry
	order   *list.List               // least recently changed first
}

type claimEntry struct {
	key     string
	done    bool
	expires time.Time
}

func newClaimTable(maxEntries int) claimTable {
	return claimTable{
		max:     maxEntries,
		now:     time.Now,
		entries: make(map[string]*list.Element),
		order:   list.New(),
	}
}

// claim claims key for lease unless it holds an unexpired claim or done mark.
func (t *claimTable) claim(key string, lease time.Duration) Claim {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if el, ok := t.entries[key]; ok {
		e := el.Value.(*claimEntry)
		if now.Before(e.expires) {
			if e.done {
				return ClaimDone
			}
			return ClaimInProgress
		}
		t.remove(el)
	}
	t.insert(&claimEntry{key: key, expires: now.Add(lease)})
	return ClaimAcquired
}

// release drops key unless it is done: a late error cannot undo a finished
// piece of work.
func (t *claimTable) release(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.entries[key]; ok && !el.Value.(*claimEntry).done {
		t.remove(el)
	}
}

// done marks key done for retention from now, claimed before or not.
func (t *claimTable) done(key string, retention time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	expires := t.now().Add(retention)
	if el, ok := t.entries[key]; ok {
		e := el.Value.(*claimEntry)
		e.done, e.expires = true, expires
		t.order.MoveToBack(el)
		return
	}
	t.insert(&claimEntry{key: key, done: true, expires: expires})
}

func (t *claimTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

func (t *claimTable) insert(e *claimEntry) {
	for len(t.entries) >= t.max {
		t.remove(t.order.Front())
	}
	t.entries[e.key] = t.order.PushBack(e)
}

func (t *claimTable) remove(el *list.Element) {
	delete(t.entries, el.Value.(*claimEntry).key)
	t.order.Remove(el)
}
