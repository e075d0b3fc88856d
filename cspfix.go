package glomo

import (
	"log/slog"
	"net/http"
	"strconv"
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
// policy carrying new nonces in every response is merged once. They hold a
// NUL byte, which a valid header value cannot contain; a value that does is
// merged without the cache. The request's own nonce is ourNonceMark; every
// other distinct nonce source (a site's own per-request nonces) is
// nonceMarkPrefix, its index among them and a quote.
const (
	nonceMarkPrefix = "'nonce-\x00"
	ourNonceMark    = nonceMarkPrefix + "glomo'"
	nonceMarkByte   = "\x00"
)

func newCSPMerger(c *config) (*cspMerger, error) {
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
			h[headerCSP] = []string{m.baselineNonce.fill(nonceSource, nil)}
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
		return t.fill(nonceSource, nil)
	}
	var buf [4]string // room for the foreign nonces of most policies
	key, foreign := maskNonces(value, nonceSource, buf[:0])
	return m.cached(c, key, src).fill(nonceSource, foreign)
}

// maskNonces returns the cache key of a policy: value with every
// well-formed nonce source ('nonce-…', the keyword in any case) replaced by
// a mark, in one pass. The request's own source (ours, when not "") becomes
// ourNonceMark; the others (foreign, such as a site's own per-request
// nonces) are appended to foreign once each, and the i-th becomes
// nonceMarkPrefix, i and a quote: one key for every request whatever the
// nonces' values, and the template knows which value goes where.
func maskNonces(value, ours string, foreign []string) (key string, _ []string) {
	var b strings.Builder
	copied := 0
	for i := 0; ; {
		q := strings.IndexByte(value[i:], '\'')
		if q < 0 {
			break
		}
		j := i + q
		i = j + 1
		if len(value)-j < len(nonceSourcePrefix) || !strings.EqualFold(value[j+1:j+len(nonceSourcePrefix)], nonceSourcePrefix[1:]) {
			continue
		}
		k := j + len(nonceSourcePrefix)
		for k < len(value) && isBase64Char(value[k]) {
			k++
		}
		if k == j+len(nonceSourcePrefix) || k == len(value) || value[k] != '\'' {
			continue
		}
		if copied == 0 {
			b.Grow(len(value))
		}
		b.WriteString(value[copied:j])
		if src := value[j : k+1]; src == ours {
			b.WriteString(ourNonceMark)
		} else {
			n := 0
			for n < len(foreign) && foreign[n] != src {
				n++
			}
			if n == len(foreign) {
				foreign = append(foreign, src)
			}
			b.WriteString(nonceMarkPrefix)
			b.WriteString(strconv.Itoa(n))
			b.WriteByte('\'')
		}
		copied, i = k+1, k+1
	}
	if copied == 0 {
		return value, foreign
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
		logCSPWarning(m.logger, w)
	}
	return t
}

// logCSPWarning logs what a policy needs that merging cannot fix.
func logCSPWarning(logger *slog.Logger, w cspWarning) {
	logger.Warn("glomo: the Content-Security-Policy blocks Glomo Checkout in a way merging cannot fix", "problem", string(w))
}

// mergeTemplate is a merged policy cut at its nonce marks, so that a
// request's nonces are filled in with one allocation and no search.
type mergeTemplate struct {
	parts []string // the text between marks
	marks []int    // marks[i], after parts[i]: -1 for ours, else a foreign index
	size  int      // the length of the parts
}

func newMergeTemplate(merged string) *mergeTemplate {
	t := &mergeTemplate{}
	for {
		at := strings.Index(merged, nonceMarkPrefix)
		if at < 0 {
			break
		}
		rest := merged[at+len(nonceMarkPrefix):]
		end := strings.IndexByte(rest, '\'')
		mark := -1
		if rest[:end+1] != ourNonceMark[len(nonceMarkPrefix):] {
			// Only maskNonces wrote marks: the rest is a foreign index.
			mark, _ = strconv.Atoi(rest[:end])
		}
		t.parts = append(t.parts, merged[:at])
		t.marks = append(t.marks, mark)
		t.size += at
		merged = rest[end+1:]
	}
	t.parts = append(t.parts, merged)
	t.size += len(merged)
	return t
}

// fill returns the policy with the marks replaced by the request's own
// nonce source and the foreign ones.
func (t *mergeTemplate) fill(ours string, foreign []string) string {
	if len(t.marks) == 0 {
		return t.parts[0]
	}
	n := t.size
	for _, mk := range t.marks {
		if mk < 0 {
			n += len(ours)
		} else {
			n += len(foreign[mk])
		}
	}
	var b strings.Builder
	b.Grow(n)
	for i, mk := range t.marks {
		b.WriteString(t.parts[i])
		if mk < 0 {
			b.WriteString(ours)
		} else {
			b.WriteString(foreign[mk])
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
