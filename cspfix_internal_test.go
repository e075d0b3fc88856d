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

// sourceOf is nonce as the 'nonce-…' source merge takes, "" for none.
func sourceOf(nonce string) string {
	if nonce == "" {
		return ""
	}
	return "'nonce-" + nonce + "'"
}

// freshNonce is a new random nonce value.
func freshNonce() string {
	s := newNonceSource()
	return s[len("'nonce-") : len(s)-1]
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
		ours, foreign := freshNonce(), freshNonce()
		policy := "default-src 'self'; script-src 'self' 'nonce-" + foreign + "'; style-src 'nonce-" + foreign + "'"
		got := m.merge(policy, sourceOf(ours))
		assert.Equal(t, directMerge(t, policy, ours), got)
		assert.Contains(t, got, "'nonce-"+ours+"'")
		assert.Equal(t, 2, strings.Count(got, "'nonce-"+foreign+"'"))
	}
	assert.Len(t, m.nonceCache.m, 1)

	// Without WithNonce, a site's own per-request nonce is masked too.
	for i := 0; i < 50; i++ {
		site := freshNonce()
		policy := "default-src 'self'; script-src 'self' 'nonce-" + site + "'"
		assert.Equal(t, directMerge(t, policy, ""), m.merge(policy, ""))
	}
	assert.Len(t, m.cache.m, 1)
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
				assert.Equal(t, want, m.merge(p, sourceOf(nonce)))
				assert.Equal(t, want, m.merge(p, sourceOf(nonce)), "from the cache")
			})
		}
	}
}

func TestMaskNonces(t *testing.T) {
	const o, f = ourNonceMark, foreignNonceMark
	tests := []struct {
		value, ours, wantKey, wantForeign string
	}{
		{"script-src 'self'", "'nonce-N'", "script-src 'self'", ""},
		{"script-src 'nonce-N'", "'nonce-N'", "script-src " + o, ""},
		{"script-src 'nonce-abc'", "", "script-src " + f, "'nonce-abc'"},
		{"script-src 'nonce-a' 'nonce-N'; style-src 'nonce-a' 'nonce-b'", "'nonce-N'",
			"script-src " + f + " " + o + "; style-src " + f + " 'nonce-b'", "'nonce-a'"},
		{"script-src 'nonce-' 'nonce-b=='", "", "script-src 'nonce-' " + f, "'nonce-b=='"},
		{"script-src 'nonce-a;b'", "", "script-src 'nonce-a;b'", ""},
		{"script-src 'nonce-abc", "", "script-src 'nonce-abc", ""},
		{"x'nonce-N'y", "'nonce-N'", "x" + o + "y", ""},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		key, foreign := maskNonces(tt.value, tt.ours)
		assert.Equal(t, tt.wantKey, key, tt.value)
		assert.Equal(t, tt.wantForeign, foreign, tt.value)
	}
}
