package glomo

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
)

// cspMerger merges into the CSP headers of responses, caching the result
// per distinct policy.
type cspMerger struct {
	plain      mergeSources // no nonce
	withNonce  mergeSources // scriptToken is ourNonceMark
	reportOnly bool
	// baselines are the merged WithBaseline policy without and with the
	// nonce mark; "" when there is no baseline.
	baseline, baselineNonce string
	logger                  *slog.Logger

	cache, nonceCache mergeCache
}

// The marks that stand for per-request nonces in a cache key, so that a
// policy carrying a new nonce in every response is merged once. They hold
// a NUL byte, which no header value a server sends can contain.
const (
	ourNonceMark     = "'nonce-\x00glomo'"
	foreignNonceMark = "'nonce-\x00other'"
	nonceMarkByte    = "\x00"
)

func newCSPMerger(c *cspConfig) (*cspMerger, error) {
	plain, err := c.sources("")
	if err != nil {
		return nil, err
	}
	withNonce, _ := c.sources(ourNonceMark)
	m := &cspMerger{
		plain:      plain,
		withNonce:  withNonce,
		reportOnly: c.reportOnly,
		logger:     c.logger,
		cache:      mergeCache{max: c.cacheSize},
		nonceCache: mergeCache{max: c.cacheSize},
	}
	if m.logger == nil {
		m.logger = slog.Default()
	}
	if c.baseline != nil {
		m.baseline, _ = mergePolicyList(*c.baseline, &m.plain)
		m.baselineNonce, _ = mergePolicyList(*c.baseline, &m.withNonce)
	}
	return m, nil
}

// fix merges into the CSP headers of h. nonce is the request's nonce, or
// "" when none is to be added.
func (m *cspMerger) fix(h http.Header, nonce string) {
	if vals := h[headerCSP]; len(vals) > 0 {
		h[headerCSP] = m.mergeAll(vals, nonce)
	} else if m.baseline != "" {
		if nonce == "" {
			h[headerCSP] = []string{m.baseline}
		} else {
			h[headerCSP] = []string{strings.ReplaceAll(m.baselineNonce, ourNonceMark, "'nonce-"+nonce+"'")}
		}
	}
	if m.reportOnly {
		if vals := h[headerCSPReportOnly]; len(vals) > 0 {
			h[headerCSPReportOnly] = m.mergeAll(vals, nonce)
		}
	}
}

// mergeAll merges every header field. The slice is copied before a change:
// it may be shared beyond this response.
func (m *cspMerger) mergeAll(vals []string, nonce string) []string {
	out := vals
	for i, v := range vals {
		merged := m.merge(v, nonce)
		if merged == v {
			continue
		}
		if &out[0] == &vals[0] {
			out = append([]string(nil), vals...)
		}
		out[i] = merged
	}
	return out
}

// merge merges one header value, from the cache when it has been seen.
func (m *cspMerger) merge(value, nonce string) string {
	if strings.Contains(value, nonceMarkByte) {
		// Not a valid header value; merge it without the cache so that it
		// cannot collide with a key.
		src := m.plain
		if nonce != "" {
			src.scriptToken = "'nonce-" + nonce + "'"
		}
		merged, _ := mergePolicyList(value, &src)
		return merged
	}
	if nonce == "" {
		return m.cached(&m.cache, value, &m.plain)
	}
	ours := "'nonce-" + nonce + "'"
	key := strings.ReplaceAll(value, ours, ourNonceMark)
	foreign := firstNonceSource(key)
	if foreign != "" {
		key = strings.ReplaceAll(key, foreign, foreignNonceMark)
	}
	merged := m.cached(&m.nonceCache, key, &m.withNonce)
	if foreign != "" {
		merged = strings.ReplaceAll(merged, foreignNonceMark, foreign)
	}
	return strings.ReplaceAll(merged, ourNonceMark, ours)
}

func (m *cspMerger) cached(c *mergeCache, key string, src *mergeSources) string {
	if merged, ok := c.get(key); ok {
		return merged
	}
	merged, warnings := mergePolicyList(key, src)
	c.put(key, merged)
	for _, w := range warnings {
		m.logger.Warn("glomo: the Content-Security-Policy blocks Glomo Checkout in a way merging cannot fix", "problem", string(w))
	}
	return merged
}

// firstNonceSource returns the first well-formed 'nonce-…' source in a
// policy, or "".
func firstNonceSource(policy string) string {
	const prefix = "'nonce-"
	for start := 0; ; {
		i := strings.Index(policy[start:], prefix)
		if i < 0 {
			return ""
		}
		i += start
		j := i + len(prefix)
		for j < len(policy) && isBase64Char(policy[j]) {
			j++
		}
		if j > i+len(prefix) && j < len(policy) && policy[j] == '\'' {
			return policy[i : j+1]
		}
		start = i + 1
	}
}

// isBase64Char reports whether c may appear in a CSP base64-value.
func isBase64Char(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '+' || c == '/' || c == '-' || c == '_' || c == '='
}

// mergeCache maps policies to their merged form. It is bounded: when full
// it starts over, so that no stream of distinct policies grows it.
type mergeCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]string
}

func (c *mergeCache) get(key string) (string, bool) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	return v, ok
}

func (c *mergeCache) put(key, merged string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = make(map[string]string, min(c.max, 64))
	}
	c.m[key] = merged
}
