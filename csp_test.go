package glomo_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/unrolled/secure"
)

const (
	headerCSP   = "Content-Security-Policy"
	headerCSPRO = "Content-Security-Policy-Report-Only"
)

func TestCSPMiddleware(t *testing.T) {
	tests := []struct {
		name         string
		opts         []glomo.Option
		upstream     http.Header
		downstream   http.Header
		wantCSP      []string
		wantReportRO []string
	}{
		{"downstream policy merged", nil, nil,
			http.Header{headerCSP: {"script-src 'self'"}},
			[]string{"script-src 'self' " + sdk}, nil},
		{"upstream policy merged", nil,
			http.Header{headerCSP: {"script-src 'self'"}}, nil,
			[]string{"script-src 'self' " + sdk}, nil},
		{"every header field merged", nil, nil,
			http.Header{headerCSP: {"script-src 'self'", "connect-src 'none'", "img-src 'self'"}},
			[]string{"script-src 'self' " + sdk, "connect-src " + frameAdd, "img-src 'self'"}, nil},
		{"no policy: none added", nil, nil, nil, nil, nil},
		{"no policy with a baseline: the baseline, merged",
			[]glomo.Option{glomo.WithBaseline("default-src 'self'; object-src 'none'")}, nil, nil,
			[]string{"default-src 'self'; object-src 'none'; script-src 'self' " + sdk + "; frame-src 'self' " + frameAdd + "; connect-src 'self' " + frameAdd}, nil},
		{"a policy wins over the baseline",
			[]glomo.Option{glomo.WithBaseline("default-src 'self'")}, nil,
			http.Header{headerCSP: {"img-src 'self'"}},
			[]string{"img-src 'self'"}, nil},
		{"report-only untouched by default", nil, nil,
			http.Header{headerCSPRO: {"script-src 'self'"}},
			nil, []string{"script-src 'self'"}},
		{"report-only merged with WithReportOnly",
			[]glomo.Option{glomo.WithReportOnly()}, nil,
			http.Header{headerCSPRO: {"script-src 'self'"}, headerCSP: {"frame-src 'none'"}},
			[]string{"frame-src " + frameAdd}, []string{"script-src 'self' " + sdk}},
		{"skipped request untouched",
			[]glomo.Option{glomo.WithSkip(func(r *http.Request) bool { return true })}, nil,
			http.Header{headerCSP: {"script-src 'self'"}},
			[]string{"script-src 'self'"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := serveThrough(t, glomo.CSP(tt.opts...), tt.upstream, tt.downstream)
			assert.Equal(t, tt.wantCSP, nilIfEmpty(h.Values(headerCSP)))
			assert.Equal(t, tt.wantReportRO, nilIfEmpty(h.Values(headerCSPRO)))
			assert.Empty(t, h.Get("Cross-Origin-Opener-Policy"), "CSP alone does not touch COOP")
		})
	}
}

func TestFixDoesNotMutateSharedHeaderSlices(t *testing.T) {
	sharedCSP := []string{"script-src 'self'"}
	sharedCOOP := []string{"same-origin"}
	handler := glomo.Headers()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()[headerCSP] = sharedCSP
		w.Header()["Cross-Origin-Opener-Policy"] = sharedCOOP
	}))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, "script-src 'self' "+sdk, rec.Header().Get(headerCSP))
	assert.Equal(t, "same-origin-allow-popups", rec.Header().Get("Cross-Origin-Opener-Policy"))
	assert.Equal(t, []string{"script-src 'self'"}, sharedCSP)
	assert.Equal(t, []string{"same-origin"}, sharedCOOP)
}

// fetch gets url and returns the response headers and body.
func fetch(t *testing.T, url string) (http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.Header, string(body)
}

// getNonced fetches url and returns the CSP header and the nonce the page
// printed (the handler writes glomo.Nonce(ctx) as the body).
func getNonced(t *testing.T, url string) (csp, nonce string) {
	t.Helper()
	h, body := fetch(t, url)
	return strings.Join(h.Values(headerCSP), ", "), body
}

var printNonce = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, glomo.Nonce(r.Context()))
})

func TestNonce(t *testing.T) {
	t.Run("fresh per request, 128 bits, in the governing script directive", func(t *testing.T) {
		srv := httptest.NewServer(glomo.CSP(glomo.WithNonce())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(headerCSP, "default-src 'self'; img-src 'self'")
			printNonce(w, r)
		})))
		defer srv.Close()
		seen := map[string]bool{}
		for i := 0; i < 5; i++ {
			csp, nonce := getNonced(t, srv.URL)
			raw, err := base64.RawURLEncoding.DecodeString(nonce)
			require.NoError(t, err)
			assert.GreaterOrEqual(t, len(raw), 16)
			assert.False(t, seen[nonce], "nonces repeat")
			seen[nonce] = true
			assert.Equal(t, "default-src 'self'; img-src 'self'; script-src 'self' "+sdk+" 'nonce-"+nonce+"'; frame-src 'self' "+frameAdd+"; connect-src 'self' "+frameAdd, csp)
		}
	})

	// A nonce would turn off the 'unsafe-inline' a directive relies on,
	// unless a nonce or hash has turned it off already.
	for _, tc := range []struct {
		name, policy string
		nonceAdded   bool
	}{
		{"not added where the directive relies on 'unsafe-inline'", "script-src 'self' 'unsafe-inline'", false},
		{"added beside 'unsafe-inline' and a sha256 hash", "script-src 'unsafe-inline' 'sha256-YWJj'", true},
		{"added beside 'unsafe-inline' and a sha384 hash", "script-src 'unsafe-inline' 'sha384-YWJj'", true},
		{"added beside 'unsafe-inline' and a sha512 hash", "script-src 'unsafe-inline' 'SHA512-YWJj'", true},
		{"added beside 'unsafe-inline' and a nonce", "script-src 'unsafe-inline' 'Nonce-YWJj'", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(glomo.CSP(glomo.WithNonce())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set(headerCSP, tc.policy)
				printNonce(w, r)
			})))
			defer srv.Close()
			csp, nonce := getNonced(t, srv.URL)
			require.NotEmpty(t, nonce)
			want := tc.policy + " " + sdk
			if tc.nonceAdded {
				want += " 'nonce-" + nonce + "'"
			}
			assert.Equal(t, want, csp)
		})
	}

	t.Run("added next to an existing nonce, never 'unsafe-inline'", func(t *testing.T) {
		srv := httptest.NewServer(glomo.CSP(glomo.WithNonce())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(headerCSP, "script-src 'nonce-fromthesite' 'strict-dynamic'")
			printNonce(w, r)
		})))
		defer srv.Close()
		csp, nonce := getNonced(t, srv.URL)
		assert.Equal(t, "script-src 'nonce-fromthesite' 'strict-dynamic' "+sdk+" 'nonce-"+nonce+"'", csp)
	})

	t.Run("in the baseline", func(t *testing.T) {
		srv := httptest.NewServer(glomo.CSP(glomo.WithNonce(), glomo.WithBaseline("script-src 'self'"))(printNonce))
		defer srv.Close()
		csp, nonce := getNonced(t, srv.URL)
		assert.Equal(t, "script-src 'self' "+sdk+" 'nonce-"+nonce+"'", csp)
	})

	t.Run("empty without WithNonce", func(t *testing.T) {
		srv := httptest.NewServer(glomo.CSP()(printNonce))
		defer srv.Close()
		_, nonce := getNonced(t, srv.URL)
		assert.Empty(t, nonce)
	})
}

// TestUnrolledSecure runs secure outside and inside our middleware, the two
// orders users write.
func TestUnrolledSecure(t *testing.T) {
	sec := secure.New(secure.Options{
		ContentSecurityPolicy:   "default-src 'self'; script-src 'self' $NONCE",
		CrossOriginOpenerPolicy: "same-origin",
	})
	site := func(w http.ResponseWriter, r *http.Request) { printNonce(w, r) }

	t.Run("secure outside: its nonce is reused", func(t *testing.T) {
		srv := httptest.NewServer(sec.Handler(glomo.Headers(glomo.WithNonce())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			assert.Equal(t, secure.CSPNonce(r.Context()), glomo.Nonce(r.Context()))
			site(w, r)
		}))))
		defer srv.Close()
		h, nonce := fetch(t, srv.URL)
		require.NotEmpty(t, nonce)
		assert.Equal(t, "same-origin-allow-popups", h.Get("Cross-Origin-Opener-Policy"))
		assert.Equal(t, "default-src 'self'; script-src 'self' 'nonce-"+nonce+"' "+sdk+"; frame-src 'self' "+frameAdd+"; connect-src 'self' "+frameAdd,
			h.Get(headerCSP))
	})

	t.Run("secure inside: our nonce is added next to secure's", func(t *testing.T) {
		var secureNonce string
		srv := httptest.NewServer(glomo.Headers(glomo.WithNonce())(sec.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			secureNonce = secure.CSPNonce(r.Context())
			site(w, r)
		}))))
		defer srv.Close()
		h, nonce := fetch(t, srv.URL)
		require.NotEmpty(t, nonce)
		assert.NotEqual(t, secureNonce, nonce)
		assert.Equal(t, "same-origin-allow-popups", h.Get("Cross-Origin-Opener-Policy"))
		assert.Equal(t, "default-src 'self'; script-src 'self' 'nonce-"+secureNonce+"' "+sdk+" 'nonce-"+nonce+"'; frame-src 'self' "+frameAdd+"; connect-src 'self' "+frameAdd,
			h.Get(headerCSP))
	})

	t.Run("SecureOptions merges a static configuration once", func(t *testing.T) {
		opts, err := glomo.SecureOptions(secure.Options{
			ContentSecurityPolicy:           "default-src 'self'",
			ContentSecurityPolicyReportOnly: "script-src 'self'",
			CrossOriginOpenerPolicy:         `same-origin; report-to="coop"`,
			FrameDeny:                       true,
		}, glomo.WithNonce(), glomo.WithReportOnly())
		require.NoError(t, err)
		assert.Equal(t, "default-src 'self'; script-src 'self' "+sdk+" $NONCE; frame-src 'self' "+frameAdd+"; connect-src 'self' "+frameAdd, opts.ContentSecurityPolicy)
		assert.Equal(t, "script-src 'self' "+sdk+" $NONCE", opts.ContentSecurityPolicyReportOnly)
		assert.Equal(t, `same-origin-allow-popups; report-to="coop"`, opts.CrossOriginOpenerPolicy)
		assert.True(t, opts.FrameDeny, "other fields kept")

		// secure replaces $NONCE and Nonce returns its value.
		srv := httptest.NewServer(secure.New(opts).Handler(printNonce))
		defer srv.Close()
		csp, nonce := getNonced(t, srv.URL)
		require.NotEmpty(t, nonce)
		assert.Contains(t, csp, "script-src 'self' "+sdk+" 'nonce-"+nonce+"';")
	})

	t.Run("SecureOptions without COOP sets allow-popups; bad options fail", func(t *testing.T) {
		opts, err := glomo.SecureOptions(secure.Options{})
		require.NoError(t, err)
		assert.Equal(t, "same-origin-allow-popups", opts.CrossOriginOpenerPolicy)
		assert.Empty(t, opts.ContentSecurityPolicy, "no policy is invented")

		_, err = glomo.SecureOptions(secure.Options{}, glomo.WithExtraSources("self"))
		assert.ErrorIs(t, err, glomo.ErrInvalidSource)
	})
}

// TestSecureOptionsThroughSecure runs the options SecureOptions returns
// through a real secure.Secure: the headers must be the merged policies as
// written, with $NONCE replaced, whether or not secure formats them with
// fmt.Sprintf. NONCE in a want stands for the request's nonce.
func TestSecureOptionsThroughSecure(t *testing.T) {
	const merged = "; frame-src 'self' " + frameAdd + "; connect-src 'self' " + frameAdd
	tests := []struct {
		name            string
		in              secure.Options
		opts            []glomo.Option
		wantCSP, wantRO string
		wantSecureNonce bool
	}{
		{"'%' in the policy, nonce added",
			secure.Options{ContentSecurityPolicy: "default-src 'self'; report-uri https://r.example/csp?site=a%2Fb"},
			[]glomo.Option{glomo.WithNonce()},
			"default-src 'self'; report-uri https://r.example/csp?site=a%2Fb; script-src 'self' " + sdk + " 'nonce-NONCE'" + merged, "", true},
		{"'%' in the report-only policy, nonce added to the policy only",
			secure.Options{ContentSecurityPolicy: "script-src 'self'", ContentSecurityPolicyReportOnly: "default-src 'self'; report-uri /csp?p=100%25&q=%s%d"},
			[]glomo.Option{glomo.WithNonce()},
			"script-src 'self' " + sdk + " 'nonce-NONCE'", "default-src 'self'; report-uri /csp?p=100%25&q=%s%d", true},
		{"'%' in both, nonce added to both",
			secure.Options{ContentSecurityPolicy: "script-src 'self'; report-uri /a%2F", ContentSecurityPolicyReportOnly: "script-src 'none'; report-uri /b%2F"},
			[]glomo.Option{glomo.WithNonce(), glomo.WithReportOnly()},
			"script-src 'self' " + sdk + " 'nonce-NONCE'; report-uri /a%2F", "script-src " + sdk + " 'nonce-NONCE'; report-uri /b%2F", true},
		{"the site's own $NONCE, no WithNonce",
			secure.Options{ContentSecurityPolicy: "script-src 'self' $NONCE; report-uri /r?x=%41%%"},
			nil,
			"script-src 'self' 'nonce-NONCE' " + sdk + "; report-uri /r?x=%41%%", "", true},
		{"$NONCE only in the report-only policy; the policy relies on 'unsafe-inline'",
			secure.Options{ContentSecurityPolicy: "script-src 'unsafe-inline'; report-uri /r?a=%2F", ContentSecurityPolicyReportOnly: "script-src 'self' $NONCE"},
			[]glomo.Option{glomo.WithNonce(), glomo.WithReportOnly()},
			"script-src 'unsafe-inline' " + sdk + "; report-uri /r?a=%2F", "script-src 'self' 'nonce-NONCE' " + sdk, true},
		{"no nonce anywhere: secure does not format",
			secure.Options{ContentSecurityPolicy: "default-src 'self'; report-uri /r?a=%2F", ContentSecurityPolicyReportOnly: "img-src %"},
			nil,
			"default-src 'self'; report-uri /r?a=%2F; script-src 'self' " + sdk + merged, "img-src %", false},
		{"a literal %[1]s, which secure formats",
			secure.Options{ContentSecurityPolicy: "script-src 'self'; report-uri /r?%[1]s"},
			nil,
			"script-src 'self' " + sdk + "; report-uri /r?%[1]s", "", true},
		{"the baseline, when secure has no policy",
			secure.Options{},
			[]glomo.Option{glomo.WithNonce(), glomo.WithBaseline("default-src 'self'; report-uri /r?a=%2F")},
			"default-src 'self'; report-uri /r?a=%2F; script-src 'self' " + sdk + " 'nonce-NONCE'" + merged, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := glomo.SecureOptions(tt.in, tt.opts...)
			require.NoError(t, err)
			srv := httptest.NewServer(secure.New(opts).Handler(printNonce))
			defer srv.Close()
			h, nonce := fetch(t, srv.URL)
			assert.Equal(t, tt.wantSecureNonce, nonce != "", "secure made a nonce")
			assert.Equal(t, strings.ReplaceAll(tt.wantCSP, "NONCE", nonce), h.Get(headerCSP))
			assert.Equal(t, strings.ReplaceAll(tt.wantRO, "NONCE", nonce), h.Get(headerCSPRO))
		})
	}
}

// TestSecureOptionsOptions: the options SecureOptions honours, and the one
// it refuses.
func TestSecureOptionsOptions(t *testing.T) {
	t.Run("merge warnings and the loss of isolation go to WithLogger's logger", func(t *testing.T) {
		var logs lockedBuffer
		_, err := glomo.SecureOptions(secure.Options{
			ContentSecurityPolicy:           "script-src 'nonce-a' 'strict-dynamic'; sandbox allow-scripts",
			ContentSecurityPolicyReportOnly: "script-src 'strict-dynamic'",
			CrossOriginOpenerPolicy:         "same-origin",
			CrossOriginEmbedderPolicy:       "require-corp",
		}, glomo.WithReportOnly(), glomo.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)
		out := logs.String()
		assert.Equal(t, 3, strings.Count(out, "level=WARN"), out)
		assert.Equal(t, 1, strings.Count(out, "strict-dynamic"), "each problem once: %s", out)
		assert.Contains(t, out, "allow-popups")
		assert.Contains(t, out, "loses cross-origin isolation")
	})

	t.Run("nothing to say, nothing logged", func(t *testing.T) {
		var logs lockedBuffer
		_, err := glomo.SecureOptions(secure.Options{
			ContentSecurityPolicy:     "default-src 'self'",
			CrossOriginOpenerPolicy:   "same-origin",
			CrossOriginEmbedderPolicy: "unsafe-none",
		}, glomo.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)
		assert.Empty(t, logs.String())
	})

	t.Run("WithSkip cannot apply to static headers: an error", func(t *testing.T) {
		_, err := glomo.SecureOptions(secure.Options{}, glomo.WithSkip(func(*http.Request) bool { return true }))
		assert.ErrorIs(t, err, glomo.ErrUnsupportedOption)
	})

	t.Run("a malformed COOP is left alone", func(t *testing.T) {
		opts, err := glomo.SecureOptions(secure.Options{CrossOriginOpenerPolicy: "SAME-ORIGIN"})
		require.NoError(t, err)
		assert.Equal(t, "SAME-ORIGIN", opts.CrossOriginOpenerPolicy)
	})
}

func TestCSPWarnings(t *testing.T) {
	tests := []struct {
		name, policy, want string
	}{
		{"strict-dynamic", "script-src 'nonce-a' 'strict-dynamic'", "strict-dynamic"},
		{"strict-dynamic through default-src", "default-src 'self' 'strict-dynamic'", "strict-dynamic"},
		{"sandbox without allow-popups", "sandbox allow-scripts", "allow-popups"},
		{"sandbox without allow-scripts", "sandbox allow-popups", "allow-scripts"},
		{"trusted types", "require-trusted-types-for 'script'", "require-trusted-types-for"},
		{"in the second policy of a list", "img-src 'self', sandbox allow-scripts", "allow-popups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs lockedBuffer
			handler := glomo.CSP(glomo.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set(headerCSP, tt.policy)
			}))
			for i := 0; i < 3; i++ {
				handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
			}
			assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), "once per distinct policy: %s", logs.String())
			assert.Contains(t, logs.String(), tt.want)
		})
	}

	t.Run("a policy Glomo works under logs nothing", func(t *testing.T) {
		var logs lockedBuffer
		handler := glomo.CSP(glomo.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(headerCSP, "default-src 'self'; sandbox allow-scripts allow-popups allow-same-origin")
		}))
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		assert.Empty(t, logs.String())
	})
}

func TestFixForAdapters(t *testing.T) {
	f, err := adapter.NewHeaders(glomo.WithNonce())
	require.NoError(t, err)
	r := f.Prepare(httptest.NewRequest(http.MethodGet, "/", nil))
	nonce := glomo.Nonce(r.Context())
	require.NotEmpty(t, nonce)
	assert.Same(t, r, f.Prepare(r), "a prepared request keeps its nonce")
	derived, cancel := context.WithCancel(r.Context())
	cancel()
	assert.Equal(t, nonce, glomo.Nonce(derived), "derived contexts keep the nonce")
	assert.ErrorIs(t, derived.Err(), context.Canceled)

	h := http.Header{headerCSP: {"script-src 'self'"}}
	f.Fix(h, r, nil)
	assert.Equal(t, "script-src 'self' "+sdk+" 'nonce-"+nonce+"'", h.Get(headerCSP))
	assert.Equal(t, "same-origin-allow-popups", h.Get("Cross-Origin-Opener-Policy"))

	f.Fix(h, r, nil)
	assert.Equal(t, "script-src 'self' "+sdk+" 'nonce-"+nonce+"'", h.Get(headerCSP), "fixing twice changes nothing")

	plain, err := adapter.NewCSP()
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	assert.Same(t, req, plain.Prepare(req), "no nonce, no new request")
}
