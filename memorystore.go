package glomo

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// Defaults of NewMemoryStore.
const (
	// DefaultMemoryStoreEntries bounds a MemoryStore's keys.
	DefaultMemoryStoreEntries = 100_000
	// DefaultRetention is how long a done mark is kept unless a store is
	// told otherwise: longer than Glomo's retry schedule (about four days
	// in live mode), so that a late retry of finished work is recognised.
	DefaultRetention = 5 * 24 * time.Hour
)

// MemoryStore is a [Store] for a single process: bounded and expiring.
// When full it forgets the entry changed longest ago: a bound on memory is
// worth more than remembering days-old work. Several replicas need a
// shared store instead, such as the Redis and PostgreSQL stores of this
// project.
type MemoryStore struct {
	mu        sync.Mutex
	max       int
	retention time.Duration
	now       func() time.Time
	entries   map[string]*list.Element // of *memoryEntry
	order     *list.List               // least recently changed first
}

type memoryEntry struct {
	key     string
	token   string
	done    bool
	expires time.Time
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns a MemoryStore holding at most maxEntries keys
// that keeps done marks for retention. Values below 1 select
// DefaultMemoryStoreEntries and DefaultRetention.
func NewMemoryStore(maxEntries int, retention time.Duration) *MemoryStore {
	if maxEntries < 1 {
		maxEntries = DefaultMemoryStoreEntries
	}
	if retention <= 0 {
		retention = DefaultRetention
	}
	return &MemoryStore{
		max:       maxEntries,
		retention: retention,
		now:       time.Now,
		entries:   make(map[string]*list.Element),
		order:     list.New(),
	}
}

// Claim implements Store.
func (s *MemoryStore) Claim(_ context.Context, key string, lease time.Duration) (Claim, error) {
	token, err := newToken()
	if err != nil {
		return Claim{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if el, ok := s.entries[key]; ok {
		e := el.Value.(*memoryEntry)
		if now.Before(e.expires) {
			if e.done {
				return Claim{State: ClaimDone}, nil
			}
			return Claim{State: ClaimInProgress}, nil
		}
		s.remove(el)
	}
	for len(s.entries) >= s.max {
		s.remove(s.order.Front())
	}
	s.entries[key] = s.order.PushBack(&memoryEntry{key: key, token: token, expires: now.Add(lease)})
	return Claim{State: ClaimAcquired, Token: token}, nil
}

// Release implements Store.
func (s *MemoryStore) Release(_ context.Context, key, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, e := s.live(key, token)
	if e == nil || e.done {
		return ErrClaimLost
	}
	s.remove(el)
	return nil
}

// Done implements Store.
func (s *MemoryStore) Done(_ context.Context, key, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, e := s.live(key, token)
	if e == nil {
		return ErrClaimLost
	}
	if !e.done {
		e.done, e.expires = true, s.now().Add(s.retention)
		s.order.MoveToBack(el)
	}
	return nil
}

// Len returns the number of keys held, expired ones included until they
// are claimed again or evicted.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// live returns key's entry when token holds it and it has not expired.
func (s *MemoryStore) live(key, token string) (*list.Element, *memoryEntry) {
	el, ok := s.entries[key]
	if !ok || token == "" {
		return nil, nil
	}
	e := el.Value.(*memoryEntry)
	if e.token != token || !s.now().Before(e.expires) {
		return nil, nil
	}
	return el, e
}

func (s *MemoryStore) remove(el *list.Element) {
	delete(s.entries, el.Value.(*memoryEntry).key)
	s.order.Remove(el)
}

// newToken returns a random claim token (128 bits, base64url).
func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
