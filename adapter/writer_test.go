package adapter_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plainWriter is a ResponseWriter that can neither flush nor hijack.
type plainWriter struct{ rec *httptest.ResponseRecorder }

func (p plainWriter) Header() http.Header         { return p.rec.Header() }
func (p plainWriter) Write(b []byte) (int, error) { return p.rec.Write(b) }
func (p plainWriter) WriteHeader(code int)        { p.rec.WriteHeader(code) }

func TestWriterCommitsOnce(t *testing.T) {
	f, err := adapter.NewHeaders()
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, tc := range []struct {
		name   string
		commit func(w *adapter.Writer)
	}{
		{"WriteHeader", func(w *adapter.Writer) { w.WriteHeader(http.StatusOK) }},
		{"Write", func(w *adapter.Writer) { _, _ = w.Write([]byte("x")) }},
		{"Flush", func(w *adapter.Writer) { w.Flush() }},
		{"ResponseController.Flush", func(w *adapter.Writer) { require.NoError(t, http.NewResponseController(w).Flush()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			w := f.NewWriter(rec, r)
			w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
			w.Header().Set("Content-Security-Policy", "script-src 'self'")
			tc.commit(w)
			assert.True(t, w.Committed())
			// Headers set after the commit are not fixed: they did not go out.
			w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
			_, _ = w.Write([]byte("more"))
			assert.Equal(t, glomo.COOPAllowPopups, rec.Result().Header.Get("Cross-Origin-Opener-Policy"))
			assert.Equal(t, "script-src 'self' "+glomo.SDKOrigin, rec.Result().Header.Get("Content-Security-Policy"))
		})
	}
}

func TestWriterInformationalAndUnwritten(t *testing.T) {
	f, err := adapter.NewCOOP()
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	w := f.NewWriter(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	w.WriteHeader(http.StatusEarlyHints)
	assert.False(t, w.Committed(), "a 1xx leaves the final headers open")
	w.Fix()
	w.Fix()
	assert.False(t, w.Committed(), "Fix does not commit")
	assert.Equal(t, []string{glomo.COOPAllowPopups}, w.Header().Values("Cross-Origin-Opener-Policy"), "fixing twice changes nothing")
}

func TestWriterWithoutFlushOrHijack(t *testing.T) {
	f, err := adapter.NewCOOP()
	require.NoError(t, err)
	w := f.NewWriter(plainWriter{httptest.NewRecorder()}, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.True(t, errors.Is(w.FlushError(), http.ErrNotSupported))
	assert.False(t, w.Committed(), "a failed flush does not freeze the headers")
	_, _, err = w.Hijack()
	assert.ErrorIs(t, err, http.ErrNotSupported)
	assert.False(t, w.Committed())
}

func TestWriterExemption(t *testing.T) {
	f, err := adapter.NewHeaders()
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	w := f.NewWriter(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	// A framework's writer above it unwraps to it.
	assert.True(t, glomo.ExemptCOOP(struct {
		http.ResponseWriter
		unwrap
	}{w, unwrap{w}}))
	w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
	w.WriteHeader(http.StatusOK)
	assert.Equal(t, "same-origin", rec.Result().Header.Get("Cross-Origin-Opener-Policy"))
	assert.Same(t, rec, w.Unwrap())
}

// unwrap gives an outer writer an Unwrap method.
type unwrap struct{ w http.ResponseWriter }

func (u unwrap) Unwrap() http.ResponseWriter { return u.w }
