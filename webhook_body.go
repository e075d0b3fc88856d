package glomo

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"math"
	"net/http"
	"sync"
)

var errBodyTooLarge = errors.New("body too large")

// hashChunk is how much of the body is read before it is hashed, so each
// piece is hashed while it is still in the CPU's cache.
const hashChunk = 32 << 10

// macSet holds one HMAC-SHA256 state per webhook secret. crypto/hmac keeps
// the keyed state after the first Reset, so a recycled set skips the key
// schedule and the allocations of hmac.New on every delivery.
type macSet struct {
	macs []hash.Hash
	sum  [sha256.Size]byte
}

// newMACSet returns a macSet keyed with secrets, in order, ready to write.
func newMACSet(secrets []WebhookSecret) *macSet {
	set := &macSet{macs: make([]hash.Hash, len(secrets))}
	for i, s := range secrets {
		set.macs[i] = hmac.New(sha256.New, []byte(s))
	}
	return set
}

// newMACPool returns a pool of macSets keyed with secrets.
func newMACPool(secrets []WebhookSecret) *sync.Pool {
	return &sync.Pool{New: func() any { return newMACSet(secrets) }}
}

func (set *macSet) reset() {
	for _, m := range set.macs {
		m.Reset()
	}
}

func (set *macSet) write(p []byte) {
	for _, m := range set.macs {
		m.Write(p)
	}
}

// matches reports whether want is the HMAC of what was written under any
// of the secrets. Each comparison runs in constant time.
func (set *macSet) matches(want *[sha256.Size]byte) bool {
	ok := false
	for _, m := range set.macs {
		if hmac.Equal(m.Sum(set.sum[:0]), want[:]) {
			ok = true
		}
	}
	return ok
}

// bodyGrowth is the factor by which the body buffer grows when full. A
// client that declared more than it sent holds at most that many times
// what it sent; a 1 MiB body is copied twice while the buffer grows, 288
// KiB in all.
const bodyGrowth = 8

// readSignedBody reads the whole body into one buffer, hashing it as it
// arrives, and reports whether it carries the signature want. The body is
// held in memory once: the hash reads the buffer, it keeps no copy. The
// buffer starts at hashChunk and grows by bodyGrowth with what arrives, up
// to the Content-Length the client declared (which net/http enforces) or,
// without one, to the cap: a client that declares a large body and sends
// little holds little memory. Outgrown buffers are garbage until the next
// collection. With ReuseBuffers, slot is where the buffer goes back to
// the pool through putBuffer; otherwise it is nil.
func (h *WebhookHandler) readSignedBody(r *http.Request, want *[sha256.Size]byte) (body []byte, slot *[]byte, signed bool, err error) {
	macs := h.macs.Get().(*macSet)
	defer h.macs.Put(macs)
	macs.reset()
	if r.Body == nil {
		return nil, nil, macs.matches(want), nil
	}
	// limit is the length that ends the read: the declared length, or one
	// byte past the cap, which proves the body too large.
	declared := r.ContentLength >= 0
	limit := h.maxBody
	if declared {
		limit = r.ContentLength
	} else if limit < math.MaxInt64 {
		limit++
	}
	if limit > math.MaxInt {
		// Only where int is 32 bits: no slice can hold such a body.
		if declared {
			return nil, nil, false, errBodyTooLarge
		}
		limit = math.MaxInt
	}
	b, slot := h.getBuffer(int(min(limit, hashChunk)))
	for int64(len(b)) < limit {
		if len(b) == cap(b) {
			b = growBuffer(b, int(min(bodyGrowth*int64(cap(b)), limit))) // limit <= math.MaxInt
		}
		end := int(min(int64(cap(b)), int64(len(b)+hashChunk), limit))
		n, rerr := r.Body.Read(b[len(b):end])
		macs.write(b[len(b) : len(b)+n])
		b = b[:len(b)+n]
		if rerr == io.EOF && declared && int64(len(b)) < limit {
			rerr = io.ErrUnexpectedEOF
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			h.putBuffer(slot, b)
			return nil, nil, false, rerr
		}
	}
	if int64(len(b)) > h.maxBody {
		h.putBuffer(slot, b)
		return nil, nil, false, errBodyTooLarge
	}
	return b, slot, macs.matches(want), nil
}

// growBuffer returns a buffer holding b with capacity n, which must exceed
// len(b).
func growBuffer(b []byte, n int) []byte {
	nb := make([]byte, len(b), n)
	copy(nb, b)
	return nb
}

// getBuffer returns an empty buffer of capacity n or more; with
// ReuseBuffers it comes from the pool, with the slot to return it in.
func (h *WebhookHandler) getBuffer(n int) (b []byte, slot *[]byte) {
	if !h.reuse {
		return make([]byte, 0, n), nil
	}
	slot, _ = h.bufs.Get().(*[]byte)
	if slot == nil {
		slot = new([]byte)
	}
	if cap(*slot) < n {
		*slot = make([]byte, 0, n)
	}
	return (*slot)[:0], slot
}

// putBuffer returns b, which may have outgrown the buffer the slot held,
// to the pool. It does nothing without a slot or for a buffer over the cap.
func (h *WebhookHandler) putBuffer(slot *[]byte, b []byte) {
	if slot != nil && int64(cap(b))-1 <= h.maxBody {
		*slot = b[:0]
		h.bufs.Put(slot)
	}
}
