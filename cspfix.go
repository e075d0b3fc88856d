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
	// baseline is the merged WithBaseline policy, "" when there is none;
	// baselineNonce the same with a nonce.
	baseline      string
	baselineNonce *mergeTemplate
	logger        *slog.Logger

	cache, nonceCache mergeCache
}

// The marks that stand for per-request nonces in a cache key, so that a
// policy carrying a new nonce in every response is merged once. They hold
// a NUL byte, which a valid header value cannot contain; a value that does
// is merged without the cache.
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
		withNonce, _ := mergePolicyList(*c.baseline, &m.withNonce)
		m.baselineNonce = newMergeTemplate(withNonce)
	}
	return m, nil
}

// fix merges into the CSP headers of h. nonceSource is the request's
// 'nonce-…' source, or "" when none is to be added.
func (m *cspMerger) fix(h http.Header, nonceSource string) {
	if vals := h[headerCSP]; len(vals) > 0 {
		h[headerCSP] = m.mergeAll(vals, nonceSource)
	} else if m.baseline != "" {
		if nonceSource == "" {
			h[headerCSP] = []string{m.baseline}
		} else {
			h[headerCSP] = []string{m.baselineNonce.fill(nonceSource, "")}
		}
	}
	if m.reportOnly {
		if vals := h[headerCSPReportOnly]; len(vals) > 0 {
			h[headerCSPReportOnly] = m.mergeAll(vals, nonceSource)
		}
	}
}

// mergeAll merges every header field. The slice is copied before a change:
// it may be shared beyond this response.
func (m *cspMerger) mergeAll(vals []string, nonceSource string) []string {
	out := vals
	for i, v := range vals {
		merged := m.merge(v, nonceSource)
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
func (m *cspMerger) merge(value, nonceSource string) string {
	if strings.Contains(value, nonceMarkByte) {
		// Not a valid header value; merge it without the cache so that it
		// cannot collide with a key.
		src := m.plain
		src.scriptToken = nonceSource
		merged, _ := mergePolicyList(value, &src)
		return merged
	}
	c, src := &m.cache, &m.plain
	if nonceSource != "" {
		c, src = &m.nonceCache, &m.withNonce
	}
	// A policy without nonces is its own key: try it before scanning.
	// (A policy with nonces is never stored under its own text.)
	if t, ok := c.get(value); ok {
		return t.fill(nonceSource, "")
	}
	key, foreign := maskNonces(value, nonceSource)
	return m.cached(c, key, src).fill(nonceSource, foreign)
}

// maskNonces returns the cache key of a policy: value with the request's
// own nonce source (ours, when not "") and the first other well-formed
// 'nonce-…' source (foreign, such as a site's own per-request nonce)
// replaced by marks, in one pass.
func maskNonces(value, ours string) (key, foreign string) {
	var b strings.Builder
	copied := 0
	for i := 0; ; {
		j := strings.Index(value[i:], nonceSourcePrefix)
		if j < 0 {
			break
		}
		j += i
		k := j + len(nonceSourcePrefix)
		for k < len(value) && isBase64Char(value[k]) {
			k++
		}
		i = j + 1
		if k == j+len(nonceSourcePrefix) || k == len(value) || value[k] != '\'' {
			continue
		}
		src, mark := value[j:k+1], ""
		switch {
		case src == ours:
			mark = ourNonceMark
		case foreign == "" || src == foreign:
			foreign, mark = src, foreignNonceMark
		default:
			continue
		}
		if copied == 0 {
			b.Grow(len(value))
		}
		b.WriteString(value[copied:j])
		b.WriteString(mark)
		copied, i = k+1, k+1
	}
	if copied == 0 {
		return value, ""
	}
	b.WriteString(value[copied:])
	return b.String(), foreign
}

func (m *cspMerger) cached(c *mergeCache, key string, src *mergeSources) *mergeTemplate {
	if t, ok := c.get(key); ok {
		return t
	}
	merged, warnings := mergePolicyList(key, src)
	t := newMergeTemplate(merged)
	c.put(key, t)
	for _, w := range warnings {
		m.logger.Warn("glomo: the Content-Security-Policy blocks Glomo Checkout in a way merging cannot fix", "problem", string(w))
	}
	return t
}

// mergeTemplate is a merged policy cut at its nonce marks, so that a
// request's nonces are filled in with one allocation and no search.
type mergeTemplate struct {
	parts []string // the text between marks
	ours  []bool   // ours[i]: the mark after parts[i] is ourNonceMark
	size  int      // the length of the parts
}

func newMergeTemplate(merged string) *mergeTemplate {
	t := &mergeTemplate{}
	for {
		i, j := strings.Index(merged, ourNonceMark), strings.Index(merged, foreignNonceMark)
		if i < 0 && j < 0 {
			break
		}
		ours := i >= 0 && (j < 0 || i < j)
		at, mark := j, foreignNonceMark
		if ours {
			at, mark = i, ourNonceMark
		}
		t.parts = append(t.parts, merged[:at])
		t.ours = append(t.ours, ours)
		t.size += at
		merged = merged[at+len(mark):]
	}
	t.parts = append(t.parts, merged)
	t.size += len(merged)
	return t
}

// fill returns the policy with the marks replaced by the two sources.
func (t *mergeTemplate) fill(ours, foreign string) string {
	if len(t.ours) == 0 {
		return t.parts[0]
	}
	n := t.size
	for _, o := range t.ours {
		if o {
			n += len(ours)
		} else {
			n += len(foreign)
		}
	}
	var b strings.Builder
	b.Grow(n)
	for i, o := range t.ours {
		b.WriteString(t.parts[i])
		if o {
			b.WriteString(ours)
		} else {
			b.WriteString(foreign)
		}
	}
	b.WriteString(t.parts[len(t.parts)-1])
	return b.String()
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
	m   map[string]*mergeTemplate
}

func (c *mergeCache) get(key string) (*mergeTemplate, bool) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	return v, ok
}

func (c *mergeCache) put(key string, t *mergeTemplate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = make(map[string]*mergeTemplate, min(c.max, 64))
	}
	c.m[key] = t
}
