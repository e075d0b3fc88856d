package glomo

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestMerger(t testing.TB, opts ...CSPOption) *cspMerger {
	t.Helper()
	c, err := newCSPConfig(opts)
	require.NoError(t, err)
	m, err := newCSPMerger(c)
	require.NoError(t, err)
	return m
}

// directMerge merges without the cache or nonce marks: the reference the
// cached path must equal.
func directMerge(t testing.TB, policy, nonce string) string {
	t.Helper()
	c, err := newCSPConfig(nil)
	require.NoError(t, err)
	token := ""
	if nonce != "" {
		token = "'nonce-" + nonce + "'"
	}
	s, err := c.sources(token)
	require.NoError(t, err)
	merged, _ := mergePolicyList(policy, &s)
	return merged
}

func TestMergeCacheIsBounded(t *testing.T) {
	m := newTestMerger(t, WithCacheSize(8))
	for i := 0; i < 100; i++ {
		policy := fmt.Sprintf("script-src 'self' https://cdn%d.example", i)
		h := http.Header{headerCSP: {policy}}
		m.fix(h, "")
		assert.Equal(t, directMerge(t, policy, ""), h.Get(headerCSP))
		assert.LessOrEqual(t, len(m.cache.m), 8)
	}
}

func TestPerRequestNoncesShareOneCacheEntry(t *testing.T) {
	m := newTestMerger(t)
	for i := 0; i < 50; i++ {
		ours, foreign := newNonce(), newNonce()
		policy := "default-src 'self'; script-src 'self' 'nonce-" + foreign + "'; style-src 'nonce-" + foreign + "'"
		got := m.merge(policy, ours)
		assert.Equal(t, directMerge(t, policy, ours), got)
		assert.Contains(t, got, "'nonce-"+ours+"'")
		assert.Equal(t, 2, strings.Count(got, "'nonce-"+foreign+"'"))
	}
	assert.Len(t, m.nonceCache.m, 1)
}

func TestCachedMergeEqualsDirectMerge(t *testing.T) {
	policies := []string{
		"",
		"script-src 'self'",
		"script-src 'self' 'unsafe-inline'",
		"script-src 'nonce-N' 'strict-dynamic'",
		"script-src 'nonce-N'; script-src-elem 'nonce-OTHER'",
		"default-src 'none', script-src 'nonce-N' 'nonce-x'",
		"script-src 'nonce-' 'nonce-a;b' x'nonce-N'",
		"script-src 'self' '\x00glomo'",
		"script-src 'nonce-\x00glomo'",
	}
	m := newTestMerger(t)
	for _, p := range policies {
		for _, nonce := range []string{"", "N", "abc+/=="} {
			t.Run(fmt.Sprintf("%q/%s", p, nonce), func(t *testing.T) {
				want := directMerge(t, p, nonce)
				assert.Equal(t, want, m.merge(p, nonce))
				assert.Equal(t, want, m.merge(p, nonce), "from the cache")
			})
		}
	}
}

func TestFirstNonceSource(t *testing.T) {
	tests := map[string]string{
		"script-src 'nonce-abc'":          "'nonce-abc'",
		"script-src 'nonce-' 'nonce-b=='": "'nonce-b=='",
		"script-src 'nonce-a;b'":          "",
		"script-src 'nonce-abc":           "",
		"":                                "",
		"'nonce-x' 'nonce-y'":             "'nonce-x'",
	}
	for in, want := range tests {
		assert.Equal(t, want, firstNonceSource(in), in)
	}
}
