package glomo_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRewriteCOOP follows how Chromium parses the header: a structured-field
// item whose token is case-sensitive; only what it reads as same-origin is
// rewritten, everything it rejects (read as unsafe-none) stays.
// TestCOOPReadAsChromiumReadsIt in examples/e2e checks these readings
// against Chromium itself.
func TestRewriteCOOP(t *testing.T) {
	tests := []struct {
		in, want string
		changed  bool
	}{
		{"same-origin", "same-origin-allow-popups", true},
		// Parameters are kept as written, whatever they hold.
		{"same-origin;a=1", "same-origin-allow-popups;a=1", true},
		{"same-origin;a", "same-origin-allow-popups;a", true},
		{"same-origin;ab=?1", "same-origin-allow-popups;ab=?1", true},
		{"same-origin;x=a!b", "same-origin-allow-popups;x=a!b", true},
		{"same-origin;x=ab!", "same-origin-allow-popups;x=ab!", true},
		{"same-origin;x=-1.5", "same-origin-allow-popups;x=-1.5", true},
		{"same-origin;x=-.5", "same-origin-allow-popups;x=-.5", true},
		{"same-origin;x=-.", "same-origin-allow-popups;x=-.", true},
		{"  same-origin\t ", "same-origin-allow-popups", true},
		{`same-origin; report-to="coop"`, `same-origin-allow-popups; report-to="coop"`, true},
		{`same-origin;report-to="coop"`, `same-origin-allow-popups;report-to="coop"`, true},
		{"same-origin;report-to=x", "same-origin-allow-popups;report-to=x", true},
		{"same-origin;x=1.;y=123456789012.5;z=:aGk:", "same-origin-allow-popups;x=1.;y=123456789012.5;z=:aGk:", true},
		{"same-origin;   report-to=x", "same-origin-allow-popups;   report-to=x", true},
		{`same-origin;report-to="a \"b\" \\";x;y=?1;z=-12.5;w=:aGk=:;*k=tok/en:1`,
			`same-origin-allow-popups;report-to="a \"b\" \\";x;y=?1;z=-12.5;w=:aGk=:;*k=tok/en:1`, true},

		// Parameters at the limits of RFC 8941's grammar.
		{"same-origin;x", "same-origin-allow-popups;x", true},
		{"same-origin;report_to.v2-x*=1", "same-origin-allow-popups;report_to.v2-x*=1", true},
		{"same-origin;x=?0", "same-origin-allow-popups;x=?0", true},
		{"same-origin;x=::", "same-origin-allow-popups;x=::", true},
		{"same-origin;x=:+/+/:", "same-origin-allow-popups;x=:+/+/:", true},
		{"same-origin;x=123456", "same-origin-allow-popups;x=123456", true},
		{"same-origin;x=123456789012345", "same-origin-allow-popups;x=123456789012345", true},
		{"same-origin;x=-123456789012345", "same-origin-allow-popups;x=-123456789012345", true},
		{"same-origin;x=-123456789012.5", "same-origin-allow-popups;x=-123456789012.5", true},
		{"same-origin;x=1.123", "same-origin-allow-popups;x=1.123", true},

		// Malformed: a browser reads unsafe-none, popups already work, and
		// the value is left alone.
		{"SAME-ORIGIN", "SAME-ORIGIN", false},
		{"Same-Origin", "Same-Origin", false},
		{`same-origin ;report-to="coop"`, `same-origin ;report-to="coop"`, false},
		{`same-origin ; report-to="coop"`, `same-origin ; report-to="coop"`, false},
		{"same-origin, same-origin", "same-origin, same-origin", false},
		{`"same-origin"`, `"same-origin"`, false},
		{"same-origin x", "same-origin x", false},

		// Malformed parameters after same-origin: a browser reads
		// unsafe-none before and after the rewrite, which keeps the
		// parameters as written (TestCOOPReadAsChromiumReadsIt checks it).
		{"same-origin;x=.5", "same-origin-allow-popups;x=.5", true},
		{"same-origin;x=-", "same-origin-allow-popups;x=-", true},
		{"same-origin;x=1.2.3", "same-origin-allow-popups;x=1.2.3", true},
		{`same-origin;x="a\`, `same-origin-allow-popups;x="a\`, true},
		{"same-origin;x=?", "same-origin-allow-popups;x=?", true},
		{"same-origin;x=:YQ", "same-origin-allow-popups;x=:YQ", true},
		{"same-origin;\treport-to=x", "same-origin-allow-popups;\treport-to=x", true},
		{`same-origin; Report-To="coop"`, `same-origin-allow-popups; Report-To="coop"`, true},
		{`same-origin; report-to="coop`, `same-origin-allow-popups; report-to="coop`, true},
		{`same-origin; report-to="a\x"`, `same-origin-allow-popups; report-to="a\x"`, true},
		{"same-origin;", "same-origin-allow-popups;", true},
		{"same-origin;x=", "same-origin-allow-popups;x=", true},
		{"same-origin;x=?2", "same-origin-allow-popups;x=?2", true},
		{"same-origin;x=1234567890123456", "same-origin-allow-popups;x=1234567890123456", true},
		{"same-origin;x=1.2345", "same-origin-allow-popups;x=1.2345", true},
		{"same-origin;x=1234567890123.5", "same-origin-allow-popups;x=1234567890123.5", true},
		{"same-origin;x=:aG=k:", "same-origin-allow-popups;x=:aG=k:", true},
		{"same-origin;x=@123", "same-origin-allow-popups;x=@123", true},
		{"same-origin;x=:a*b:", "same-origin-allow-popups;x=:a*b:", true},

		// Other policies.
		{"same-origin-allow-popups", "same-origin-allow-popups", false},
		{`same-origin-allow-popups; report-to="x"`, `same-origin-allow-popups; report-to="x"`, false},
		{"unsafe-none", "unsafe-none", false},
		{"noopener-allow-popups", "noopener-allow-popups", false},
		{"", "", false},
		{"same-origin-x", "same-origin-x", false},
		{"garbage;;;", "garbage;;;", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, changed := glomo.RewriteCOOP(tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.changed, changed)
		})
	}
}

// FuzzRewriteCOOP checks that a rewrite keeps the parameters, is itself a
// value that is left alone, and only ever starts from same-origin.
func FuzzRewriteCOOP(f *testing.F) {
	for _, s := range []string{
		"same-origin", `same-origin; report-to="coop"`, "same-origin;a=1.5;b=?0;c=:aGk=:", "SAME-ORIGIN",
		"same-origin ;x", "unsafe-none", `"same-origin"`, "same-origin;x=\"\\\"\"", "same-origin, unsafe-none",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got, changed := glomo.RewriteCOOP(value)
		if !changed {
			require.Equal(t, value, got)
			return
		}
		trimmed := strings.Trim(value, " \t")
		require.True(t, strings.HasPrefix(trimmed, "same-origin"), "rewrote %q", value)
		require.Equal(t, "same-origin-allow-popups"+strings.TrimPrefix(trimmed, "same-origin"), got)
		again, changed := glomo.RewriteCOOP(got)
		require.False(t, changed, "rewrote its own output %q", got)
		require.Equal(t, got, again)
	})
}

// serveThrough runs a request through mw around a handler that sets the
// given headers (downstream) after an outer middleware set upstream ones.
func serveThrough(t *testing.T, mw func(http.Handler) http.Handler, upstream, downstream http.Header) http.Header {
	t.Helper()
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range downstream {
			w.Header()[k] = append([]string(nil), v...)
		}
		_, _ = w.Write([]byte("ok"))
	})
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range upstream {
			w.Header()[k] = append([]string(nil), v...)
		}
		mw(inner).ServeHTTP(w, r)
	})
	srv := httptest.NewServer(outer)
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.Header
}

func TestCOOPMiddleware(t *testing.T) {
	const coop, ro = "Cross-Origin-Opener-Policy", "Cross-Origin-Opener-Policy-Report-Only"
	tests := []struct {
		name       string
		set        http.Header
		wantCOOP   []string
		wantReport []string
	}{
		{"absent: set", nil, []string{"same-origin-allow-popups"}, nil},
		{"same-origin rewritten", http.Header{coop: {"same-origin"}}, []string{"same-origin-allow-popups"}, nil},
		{"parameters kept", http.Header{coop: {`same-origin; report-to="coop"`}}, []string{`same-origin-allow-popups; report-to="coop"`}, nil},
		{"malformed same-origin untouched", http.Header{coop: {"Same-Origin"}}, []string{"Same-Origin"}, nil},
		{"several field lines untouched", http.Header{coop: {"same-origin", "same-origin"}, ro: {"same-origin", "unsafe-none"}},
			[]string{"same-origin", "same-origin"}, []string{"same-origin", "unsafe-none"}},
		{"allow-popups untouched", http.Header{coop: {"same-origin-allow-popups"}}, []string{"same-origin-allow-popups"}, nil},
		{"unsafe-none untouched", http.Header{coop: {"unsafe-none"}}, []string{"unsafe-none"}, nil},
		{"noopener-allow-popups untouched", http.Header{coop: {"noopener-allow-popups"}}, []string{"noopener-allow-popups"}, nil},
		{"report-only rewritten too", http.Header{ro: {`same-origin; report-to="r"`}},
			[]string{"same-origin-allow-popups"}, []string{`same-origin-allow-popups; report-to="r"`}},
		{"report-only allow-popups untouched", http.Header{coop: {"unsafe-none"}, ro: {"same-origin-allow-popups"}},
			[]string{"unsafe-none"}, []string{"same-origin-allow-popups"}},
	}
	for _, tt := range tests {
		for _, where := range []string{"upstream", "downstream"} {
			t.Run(tt.name+"/"+where, func(t *testing.T) {
				var h http.Header
				if where == "upstream" {
					h = serveThrough(t, glomo.COOP(), tt.set, nil)
				} else {
					h = serveThrough(t, glomo.COOP(), nil, tt.set)
				}
				assert.Equal(t, tt.wantCOOP, h.Values(coop))
				assert.Equal(t, tt.wantReport, nilIfEmpty(h.Values(ro)))
			})
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestCOOPCrossOriginIsolation(t *testing.T) {
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	isolated := http.Header{
		"Cross-Origin-Opener-Policy":   {"same-origin"},
		"Cross-Origin-Embedder-Policy": {"require-corp"},
	}

	t.Run("rewritten, and the loss of isolation is logged once per process", func(t *testing.T) {
		glomo.ResetIsolationWarning()
		mw := glomo.COOP(glomo.WithLogger(logger))
		for i := 0; i < 3; i++ {
			h := serveThrough(t, mw, nil, isolated)
			assert.Equal(t, "same-origin-allow-popups", h.Get("Cross-Origin-Opener-Policy"))
		}
		assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), logs.String())
		assert.Contains(t, logs.String(), "loses cross-origin isolation")
		assert.Contains(t, logs.String(), "coep=require-corp")
	})

	t.Run("malformed COEP is not isolating: rewritten silently", func(t *testing.T) {
		glomo.ResetIsolationWarning()
		var quiet lockedBuffer
		mw := glomo.COOP(glomo.WithLogger(slog.New(slog.NewTextHandler(&quiet, nil))))
		for _, coep := range [][]string{{"Require-Corp"}, {"require-corp", "require-corp"}} {
			h := serveThrough(t, mw, nil, http.Header{"Cross-Origin-Opener-Policy": {"same-origin"}, "Cross-Origin-Embedder-Policy": coep})
			assert.Equal(t, "same-origin-allow-popups", h.Get("Cross-Origin-Opener-Policy"))
		}
		assert.Empty(t, quiet.String())
	})

	t.Run("same-origin without COEP is rewritten silently", func(t *testing.T) {
		glomo.ResetIsolationWarning()
		var quiet lockedBuffer
		mw := glomo.COOP(glomo.WithLogger(slog.New(slog.NewTextHandler(&quiet, nil))))
		h := serveThrough(t, mw, nil, http.Header{"Cross-Origin-Opener-Policy": {"same-origin"}, "Cross-Origin-Embedder-Policy": {"unsafe-none"}})
		assert.Equal(t, "same-origin-allow-popups", h.Get("Cross-Origin-Opener-Policy"))
		assert.Empty(t, quiet.String())
	})

	t.Run("Skip exempts a route", func(t *testing.T) {
		mw := glomo.COOP(glomo.WithLogger(logger), glomo.WithSkip(func(r *http.Request) bool { return r.URL.Path == "/" }))
		h := serveThrough(t, mw, nil, isolated)
		assert.Equal(t, "same-origin", h.Get("Cross-Origin-Opener-Policy"))
	})

	t.Run("ExemptCOOP exempts one response", func(t *testing.T) {
		var found bool
		handler := glomo.COOP()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			found = glomo.ExemptCOOP(w)
			w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
			w.Header().Set("Cross-Origin-Embedder-Policy", "credentialless")
		}))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		assert.True(t, found)
		assert.Equal(t, "same-origin", rec.Header().Get("Cross-Origin-Opener-Policy"))
	})

	t.Run("ExemptCOOP also reaches through Headers and outer wrappers", func(t *testing.T) {
		handler := glomo.Headers()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.True(t, glomo.ExemptCOOP(w))
			w.Header().Set("Content-Security-Policy", "script-src 'self'")
		}))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		assert.Empty(t, rec.Header().Get("Cross-Origin-Opener-Policy"), "exempt: nothing set")
		assert.Equal(t, "script-src 'self' "+sdk, rec.Header().Get("Content-Security-Policy"), "CSP still merged")
	})

	t.Run("ExemptCOOP without the middleware reports false", func(t *testing.T) {
		assert.False(t, glomo.ExemptCOOP(httptest.NewRecorder()))
	})
}
