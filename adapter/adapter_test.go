package adapter_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCOOPFixerSkipsAndFixes(t *testing.T) {
	f, err := adapter.NewCOOP(glomo.WithSkip(func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/isolated/")
	}))
	require.NoError(t, err)
	page := httptest.NewRequest(http.MethodGet, "/checkout", nil)
	isolated := httptest.NewRequest(http.MethodGet, "/isolated/game", nil)
	assert.False(t, f.Skips(page))
	assert.True(t, f.Skips(isolated))
	assert.Same(t, page, f.Prepare(page), "COOP alone needs no nonce")

	h := http.Header{}
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Content-Security-Policy", "script-src 'self'")
	f.Fix(h, page, nil)
	assert.Equal(t, glomo.COOPAllowPopups, h.Get("Cross-Origin-Opener-Policy"))
	assert.Equal(t, "script-src 'self'", h.Get("Content-Security-Policy"), "a COOP fixer leaves CSP alone")

	csp, err := adapter.NewCSP()
	require.NoError(t, err)
	assert.False(t, csp.Skips(page), "no WithSkip: nothing is skipped")
	csp.Fix(h, page, nil)
	assert.Equal(t, "script-src 'self' "+glomo.SDKOrigin, h.Get("Content-Security-Policy"))
}

func TestExemption(t *testing.T) {
	f, err := adapter.NewHeaders()
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "/", nil)

	var e adapter.Exemption
	h := http.Header{"Cross-Origin-Opener-Policy": {"same-origin"}, "Content-Security-Policy": {"script-src 'self'"}}
	f.Fix(h, r, &e)
	assert.Equal(t, glomo.COOPAllowPopups, h.Get("Cross-Origin-Opener-Policy"), "not exempt yet")

	e.ExemptCOOP()
	h = http.Header{"Cross-Origin-Opener-Policy": {"same-origin"}, "Content-Security-Policy": {"script-src 'self'"}}
	f.Fix(h, r, &e)
	assert.Equal(t, "same-origin", h.Get("Cross-Origin-Opener-Policy"), "exempt: COOP kept")
	assert.Equal(t, "script-src 'self' "+glomo.SDKOrigin, h.Get("Content-Security-Policy"), "exempt: CSP still merged")
}

// exemptWriter is a framework writer embedding an Exemption.
type exemptWriter struct {
	http.ResponseWriter
	adapter.Exemption
}

func TestExemptCOOPFindsAnEmbeddedExemption(t *testing.T) {
	w := &exemptWriter{ResponseWriter: httptest.NewRecorder()}
	assert.True(t, glomo.ExemptCOOP(w))
	f, err := adapter.NewCOOP()
	require.NoError(t, err)
	h := http.Header{"Cross-Origin-Opener-Policy": {"same-origin"}}
	f.Fix(h, httptest.NewRequest(http.MethodGet, "/", nil), &w.Exemption)
	assert.Equal(t, "same-origin", h.Get("Cross-Origin-Opener-Policy"))
}

func TestConfigurationErrors(t *testing.T) {
	tests := []struct {
		name string
		new  func() (*adapter.Fixer, error)
	}{
		{"COOP with a CSP option", func() (*adapter.Fixer, error) { return adapter.NewCOOP(glomo.WithNonce()) }},
		{"CSP with an invalid source", func() (*adapter.Fixer, error) { return adapter.NewCSP(glomo.WithExtraSources("'self'")) }},
		{"Headers with a nil option", func() (*adapter.Fixer, error) { return adapter.NewHeaders(nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := tt.new()
			assert.Error(t, err)
			assert.Nil(t, f)
		})
	}
}
