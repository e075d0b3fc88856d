package glomo

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestMerger(t testing.TB, opts ...Option) *cspMerger {
	t.Helper()
	c, err := newConfig(opts)
	require.NoError(t, err)
	m, err := newCSPMerger(c)
	require.NoError(t, err)
	return m
}

// directMerge merges without the cache or nonce marks: the reference the
// cached path must equal.
func directMerge(t testing.TB, policy, nonce string) string {
	t.Helper()
	c, err := newConfig(nil)
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
		"script-src 'NONCE-N' 'Nonce-x'; style-src 'nonce-x' 'NONCE-N'",
		"default-src 'nonce-a' 'nonce-b'; script-src-elem 'nonce-b' 'nonce-c'",
		"default-src 'self' 'unsafe-inline' 'nonce-a'; frame-src 'nonce-a', script-src 'nonce-b'",
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

// foreignNonceMark is the mark maskNonces writes for the i-th distinct
// foreign nonce.
func foreignNonceMark(i int) string { return nonceMarkPrefix + strconv.Itoa(i) + "'" }

func TestMaskNonces(t *testing.T) {
	o, f0, f1 := ourNonceMark, foreignNonceMark(0), foreignNonceMark(1)
	tests := []struct {
		value, ours, wantKey string
		wantForeign          []string
	}{
		{"script-src 'self'", "'nonce-N'", "script-src 'self'", nil},
		{"script-src 'nonce-N'", "'nonce-N'", "script-src " + o, nil},
		{"script-src 'nonce-abc'", "", "script-src " + f0, []string{"'nonce-abc'"}},
		{"script-src 'nonce-a' 'nonce-N'; style-src 'nonce-a' 'nonce-b'", "'nonce-N'",
			"script-src " + f0 + " " + o + "; style-src " + f0 + " " + f1, []string{"'nonce-a'", "'nonce-b'"}},
		{"script-src 'NONCE-abc' 'Nonce-d'", "", "script-src " + f0 + " " + f1, []string{"'NONCE-abc'", "'Nonce-d'"}},
		{"script-src 'NONCE-N'", "'nonce-N'", "script-src " + f0, []string{"'NONCE-N'"}},
		{"script-src 'nonce-' 'nonce-b=='", "", "script-src 'nonce-' " + f0, []string{"'nonce-b=='"}},
		{"script-src 'nonce-a;b'", "", "script-src 'nonce-a;b'", nil},
		{"script-src 'nonce-abc", "", "script-src 'nonce-abc", nil},
		{"script-src 'nonc", "", "script-src 'nonc", nil},
		{"x'nonce-N'y", "'nonce-N'", "x" + o + "y", nil},
		{"'self''nonce-a'", "", "'self'" + f0, []string{"'nonce-a'"}},
		{"", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			key, foreign := maskNonces(tt.value, tt.ours, nil)
			assert.Equal(t, tt.wantKey, key)
			assert.Equal(t, tt.wantForeign, foreign)
		})
	}
}

// TestSiteNoncesHitTheCache: a site's own per-request nonces, in any case
// and however many, make one cache entry and one warning, not one per
// request.
func TestSiteNoncesHitTheCache(t *testing.T) {
	tests := []struct {
		name   string
		policy func() string
		ours   bool
	}{
		{"uppercase keyword", func() string {
			return "script-src 'NONCE-" + freshNonce() + "' 'strict-dynamic'"
		}, false},
		{"two nonces", func() string {
			return "script-src 'nonce-" + freshNonce() + "' 'strict-dynamic'; style-src 'nonce-" + freshNonce() + "'"
		}, false},
		{"two nonces in mixed case, and ours", func() string {
			n := freshNonce()
			return "default-src 'self' 'Nonce-" + n + "'; script-src-elem 'nonce-" + freshNonce() + "' 'strict-dynamic' 'NONCE-" + n + "'"
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			m := newTestMerger(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			for i := 0; i < 5; i++ {
				policy, ours := tt.policy(), ""
				if tt.ours {
					ours = freshNonce()
				}
				h := http.Header{headerCSP: {policy}}
				m.fix(h, sourceOf(ours))
				require.Equal(t, directMerge(t, policy, ours), h.Get(headerCSP))
			}
			assert.Len(t, m.cache.m, boolToInt(!tt.ours), "one entry without our nonce")
			assert.Len(t, m.nonceCache.m, boolToInt(tt.ours), "one entry with our nonce")
			assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), logs.String())
		})
	}
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestCachedMergeOfAdjacentNonceTokens pins the cached path on nonce-like
// text that runs together, such as two nonce sources with no space between
// them or a nonce source followed by more text: such a token is no source
// expression (a nonce-source is the whole token), so it is kept as written
// and the SDK host is added after it, with no cache mark left in the header
// and no panic.
func TestCachedMergeOfAdjacentNonceTokens(t *testing.T) {
	const sdk = "https://glomopay-checkout-sdk.web.app"
	tests := []struct{ policy, want string }{
		{"script-src 'nonce-a''nonce-b'", "script-src 'nonce-a''nonce-b' " + sdk},
		{"script-src 'nonce-a'nonce-b'", "script-src 'nonce-a'nonce-b' " + sdk},
		{"script-src 'nonce-a'nonce-b''nonce-c'", "script-src 'nonce-a'nonce-b''nonce-c' " + sdk},
		{"'nonce-a'; script-src 'self'", "'nonce-a'; script-src 'self' " + sdk},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			m := newTestMerger(t)
			for i := 0; i < 2; i++ { // a miss, then a hit
				h := http.Header{headerCSP: {tt.policy}}
				assert.NotPanics(t, func() { m.fix(h, "") })
				assert.Equal(t, tt.want, h.Get(headerCSP))
			}
			ours := freshNonce()
			h := http.Header{headerCSP: {tt.policy}}
			assert.NotPanics(t, func() { m.fix(h, sourceOf(ours)) })
			got := h.Get(headerCSP)
			assert.Equal(t, directMerge(t, tt.policy, ours), got)
			assert.True(t, strings.HasPrefix(got, tt.want), "site's text and the host kept: %q", got)
			assert.NotContains(t, got, nonceMarkByte)
		})
	}
}
