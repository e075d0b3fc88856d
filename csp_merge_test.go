package glomo_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The default sources, spelled out independently of the package constants.
const (
	sdk      = "https://glomopay-checkout-sdk.web.app"
	checkout = "https://*.glomopay.com"
	frameAdd = sdk + " " + checkout
)

// TestMergeCSPRules walks the rules of ../shared/CSP-NOTES.md one by one.
func TestMergeCSPRules(t *testing.T) {
	tests := []struct {
		name, policy, want string
	}{
		// Fallback chains and seeding.
		{"default-src only: each governing directive is created, seeded",
			"default-src 'self'",
			"default-src 'self'; script-src 'self' " + sdk + "; frame-src 'self' " + frameAdd + "; connect-src 'self' " + frameAdd},
		{"default-src is never widened",
			"default-src 'self' https://cdn.example",
			"default-src 'self' https://cdn.example; script-src 'self' https://cdn.example " + sdk + "; frame-src 'self' https://cdn.example " + frameAdd + "; connect-src 'self' https://cdn.example " + frameAdd},
		{"script-src present: host added there only",
			"script-src 'self'",
			"script-src 'self' " + sdk},
		{"script-src-elem present too: both receive the host",
			"script-src 'self'; script-src-elem 'self'",
			"script-src 'self' " + sdk + "; script-src-elem 'self' " + sdk},
		{"script-src-elem alone",
			"script-src-elem 'self'",
			"script-src-elem 'self' " + sdk},
		{"script-src-elem without script-src: script-src created from default-src for browsers without -elem",
			"default-src 'self'; script-src-elem 'self'",
			"default-src 'self'; script-src-elem 'self' " + sdk + "; script-src 'self' " + sdk + "; frame-src 'self' " + frameAdd + "; connect-src 'self' " + frameAdd},
		{"script-src-elem 'none' without script-src",
			"default-src 'none'; script-src-elem 'none'",
			"default-src 'none'; script-src-elem " + sdk + "; script-src " + sdk + "; frame-src " + frameAdd + "; connect-src " + frameAdd},
		{"script-src-elem without script-src, default-src already covering",
			"default-src https:; script-src-elem 'self'",
			"default-src https:; script-src-elem 'self' " + sdk},
		{"script-src-elem and child-src without default-src: no script-src, no connect-src",
			"script-src-elem 'self'; child-src 'self'",
			"script-src-elem 'self' " + sdk + "; child-src 'self'; frame-src 'self' " + frameAdd},
		{"script-src-elem already covering, script-src created",
			"default-src 'self'; script-src-elem " + sdk,
			"default-src 'self'; script-src-elem " + sdk + "; script-src 'self' " + sdk + "; frame-src 'self' " + frameAdd + "; connect-src 'self' " + frameAdd},
		{"inline allowances are copied, never added",
			"default-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; script-src-elem 'self'",
			"default-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; script-src-elem 'self' " + sdk + "; script-src 'self' 'unsafe-inline' " + sdk + "; frame-src 'self' 'unsafe-inline' " + frameAdd + "; connect-src 'self' 'unsafe-inline' " + frameAdd},
		{"frames seeded from child-src, not default-src",
			"default-src 'none'; child-src 'self'",
			"default-src 'none'; child-src 'self'; script-src " + sdk + "; frame-src 'self' " + frameAdd + "; connect-src " + frameAdd},
		{"frame-src present wins over child-src",
			"child-src 'none'; frame-src 'self'",
			"child-src 'none'; frame-src 'self' " + frameAdd},
		{"connect-src present",
			"connect-src 'self' wss://ws.example",
			"connect-src 'self' wss://ws.example " + frameAdd},
		{"whole chains absent: nothing added",
			"img-src 'self'; style-src 'self'; report-uri /csp",
			"img-src 'self'; style-src 'self'; report-uri /csp"},
		{"worker-src does not govern frames or scripts",
			"worker-src 'self'",
			"worker-src 'self'"},
		{"empty policy", "", ""},
		{"only semicolons", ";;;", ";;;"},
		{"only whitespace", " \t ", " \t "},

		// 'none'.
		{"'none' dropped when hosts are added",
			"script-src 'none'; frame-src 'NONE'",
			"script-src " + sdk + "; frame-src " + frameAdd},
		{"'none' not copied into a seeded directive",
			"default-src 'none'",
			"default-src 'none'; script-src " + sdk + "; frame-src " + frameAdd + "; connect-src " + frameAdd},
		{"a directive without a value means 'none'",
			"connect-src",
			"connect-src " + frameAdd},

		// Coverage: no duplicates.
		{"* covers https hosts", "default-src *", "default-src *"},
		{"https: covers every host", "script-src https:; frame-src https:; connect-src https:", "script-src https:; frame-src https:; connect-src https:"},
		{"http: covers https too", "connect-src http:", "connect-src http:"},
		{"exact duplicate in another case",
			"script-src HTTPS://GlomoPay-Checkout-SDK.web.app",
			"script-src HTTPS://GlomoPay-Checkout-SDK.web.app"},
		{"wildcard covers the sdk's subdomain? no: different domain",
			"frame-src https://*.glomopay.com",
			"frame-src https://*.glomopay.com " + sdk},
		{"apex does not cover the wildcard",
			"connect-src https://glomopay.com",
			"connect-src https://glomopay.com " + frameAdd},
		{"a narrower host does not cover the wildcard",
			"connect-src https://api.glomopay.com",
			"connect-src https://api.glomopay.com " + frameAdd},
		{"*.web.app covers the sdk origin",
			"script-src https://*.web.app",
			"script-src https://*.web.app"},
		{"http host source covers https",
			"connect-src http://*.glomopay.com",
			"connect-src http://*.glomopay.com " + sdk},
		{"a path-restricted source does not cover the host",
			"script-src https://glomopay-checkout-sdk.web.app/other/",
			"script-src https://glomopay-checkout-sdk.web.app/other/ " + sdk},
		{"an explicit default port covers",
			"script-src https://glomopay-checkout-sdk.web.app:443",
			"script-src https://glomopay-checkout-sdk.web.app:443"},
		{"another port does not",
			"script-src https://glomopay-checkout-sdk.web.app:8443",
			"script-src https://glomopay-checkout-sdk.web.app:8443 " + sdk},
		{"a wildcard port covers",
			"script-src https://glomopay-checkout-sdk.web.app:*",
			"script-src https://glomopay-checkout-sdk.web.app:*"},
		{"a host without a scheme covers https",
			"script-src glomopay-checkout-sdk.web.app; frame-src *.glomopay.com glomopay-checkout-sdk.web.app",
			"script-src glomopay-checkout-sdk.web.app; frame-src *.glomopay.com glomopay-checkout-sdk.web.app"},
		{"'self' covers nothing of Glomo's",
			"script-src 'self' 'unsafe-inline'",
			"script-src 'self' 'unsafe-inline' " + sdk},

		// Parsing: names, duplicates, oddities.
		{"directive names are case-insensitive",
			"DEFAULT-SRC 'self'; Script-Src 'self'",
			"DEFAULT-SRC 'self'; Script-Src 'self' " + sdk + "; frame-src 'self' " + frameAdd + "; connect-src 'self' " + frameAdd},
		{"the first of a repeated directive wins, the second is kept as written",
			"script-src 'self'; script-src 'none'",
			"script-src 'self' " + sdk + "; script-src 'none'"},
		{"a missing ';' makes one odd directive, kept as written",
			"default-src foo script-src 'none'",
			"default-src foo script-src 'none'; script-src foo script-src " + sdk + "; frame-src foo script-src " + frameAdd + "; connect-src foo script-src " + frameAdd},
		{"spacing and the trailing ';' are kept",
			"  script-src\t'self'  ;img-src  data: ;",
			"  script-src\t'self' " + sdk + "  ;img-src  data: ;"},
		{"new directives go before the trailing ';'",
			"default-src 'self';",
			"default-src 'self'; script-src 'self' " + sdk + "; frame-src 'self' " + frameAdd + "; connect-src 'self' " + frameAdd + ";"},
		{"a non-ASCII token is skipped and kept",
			"scrïpt-src 'none'; script-src 'self'",
			"scrïpt-src 'none'; script-src 'self' " + sdk},
		{"unknown directives and reporting are kept in place",
			"upgrade-insecure-requests; script-src 'self'; report-to csp; x-thing 1 2",
			"upgrade-insecure-requests; script-src 'self' " + sdk + "; report-to csp; x-thing 1 2"},

		// Several policies in one header value: each is merged.
		{"every comma-separated policy",
			"script-src 'self', default-src 'none', img-src 'self'",
			"script-src 'self' " + sdk + ", default-src 'none'; script-src " + sdk + "; frame-src " + frameAdd + "; connect-src " + frameAdd + ", img-src 'self'"},

		// Odd tokens at the edges of the grammar. A header value is a
		// comma-separated list of policies: an empty first one does not
		// hide the ones after it.
		{"a leading comma: the policy after it is still merged",
			", script-src 'self'",
			", script-src 'self' " + sdk},
		// CSP3 skips a token that is not an ASCII string; byte 0x80 (U+0080
		// once isomorphic-decoded) is not ASCII, so the second script-src is
		// the effective one and receives the host.
		{"a token holding byte 0x80 is skipped like any non-ASCII token",
			"script-src 'none' \x80; script-src 'self'",
			"script-src 'none' \x80; script-src 'self' " + sdk},
		// "https" without a colon is a host-source naming the host "https"
		// (the scheme-source is "https:"): it does not allow the SDK.
		{"a bare word that is not a scheme-source covers nothing",
			"script-src https",
			"script-src https " + sdk},
		// ":" is neither a scheme-source (a scheme needs a letter) nor a
		// host-source: it allows nothing.
		{"a lone colon covers nothing",
			"script-src :",
			"script-src : " + sdk},
		{"a scheme starting with a digit is no scheme-source",
			"script-src 1https:",
			"script-src 1https: " + sdk},

		// Nonces and strict-dynamic are kept; nothing inline is added.
		{"strict-dynamic kept, host still merged",
			"script-src 'nonce-abc' 'strict-dynamic'",
			"script-src 'nonce-abc' 'strict-dynamic' " + sdk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := glomo.MergeCSP(tt.policy)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)

			again, err := glomo.MergeCSP(got)
			require.NoError(t, err)
			assert.Equal(t, got, again, "merging twice equals merging once")
			assertOnlyGlomoAdded(t, tt.policy, got)
		})
	}
}

// assertOnlyGlomoAdded checks, directive by directive, that a merge added
// nothing but Glomo's default sources: every source of a merged directive
// comes from the directive as written or, for a created one, from the
// fallback it was seeded from. So no 'unsafe-inline' (or anything else)
// appears where the site did not have it.
func assertOnlyGlomoAdded(t interface {
	assert.TestingT
	Helper()
}, policy, merged string) {
	t.Helper()
	seededFrom := map[string][]string{
		"script-src":  {"default-src"},
		"frame-src":   {"child-src", "default-src"},
		"connect-src": {"default-src"},
	}
	in, out := strings.Split(policy, ","), strings.Split(merged, ",")
	if !assert.Len(t, out, len(in), "policy count") {
		return
	}
	for i := range in {
		before, after := directiveMap(in[i]), directiveMap(out[i])
		for name, values := range after {
			origin, ok := before[name]
			for _, fb := range seededFrom[name] {
				if ok {
					break
				}
				origin, ok = before[fb]
			}
			if !assert.True(t, ok, "directive %s created without a fallback: %q", name, out[i]) {
				continue
			}
			for _, v := range values {
				if v == sdk || v == checkout {
					continue
				}
				assert.Contains(t, origin, v, "%s: %q not from the site's policy %q", name, v, in[i])
			}
		}
	}
}

// failureRecorder is an assert.TestingT that records a failure.
type failureRecorder struct{ failed bool }

func (f *failureRecorder) Errorf(string, ...any) { f.failed = true }
func (f *failureRecorder) Helper()               {}

func TestAssertOnlyGlomoAddedCanFail(t *testing.T) {
	tests := []struct {
		name, policy, merged string
		fails                bool
	}{
		{"a correct merge", "default-src 'self'", "default-src 'self'; script-src 'self' " + sdk, false},
		{"'unsafe-inline' added", "script-src 'self'", "script-src 'self' 'unsafe-inline' " + sdk, true},
		{"'unsafe-inline' added though elsewhere in the policy",
			"style-src 'unsafe-inline'; script-src 'self'", "style-src 'unsafe-inline'; script-src 'self' 'unsafe-inline' " + sdk, true},
		{"'unsafe-inline' added to a seeded directive",
			"default-src 'self'; style-src 'unsafe-inline'", "default-src 'self'; style-src 'unsafe-inline'; script-src 'self' 'unsafe-inline' " + sdk, true},
		{"another host added", "connect-src 'self'", "connect-src 'self' https://evil.example", true},
		{"directive created without a fallback", "img-src 'self'", "img-src 'self'; script-src " + sdk, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec failureRecorder
			assertOnlyGlomoAdded(&rec, tt.policy, tt.merged)
			assert.Equal(t, tt.fails, rec.failed)
		})
	}
}

// directiveMap parses one policy simply: the first directive of each
// lowercased name, with its sources as written.
func directiveMap(policy string) map[string][]string {
	m := map[string][]string{}
	for _, tok := range strings.Split(policy, ";") {
		fields := strings.Fields(tok)
		if len(fields) == 0 {
			continue
		}
		name := strings.ToLower(fields[0])
		if _, dup := m[name]; !dup {
			m[name] = fields[1:]
		}
	}
	return m
}

func TestMergeCSPOptions(t *testing.T) {
	tests := []struct {
		name   string
		opts   []glomo.Option
		policy string
		want   string
	}{
		{"script sources replaced",
			[]glomo.Option{glomo.WithScriptSources("https://sdk.sandbox.example")},
			"script-src 'self'; frame-src 'self'",
			"script-src 'self' https://sdk.sandbox.example; frame-src 'self' " + frameAdd},
		{"frame and connect sources replaced",
			[]glomo.Option{glomo.WithFrameSources("https://pay.sandbox.example"), glomo.WithConnectSources("https://api.sandbox.example:8443")},
			"default-src 'self'",
			"default-src 'self'; script-src 'self' " + sdk + "; frame-src 'self' https://pay.sandbox.example; connect-src 'self' https://api.sandbox.example:8443"},
		{"extra sources extend every kind",
			[]glomo.Option{glomo.WithExtraSources("http://127.0.0.1:9000")},
			"default-src 'self'",
			"default-src 'self'; script-src 'self' " + sdk + " http://127.0.0.1:9000; frame-src 'self' " + frameAdd + " http://127.0.0.1:9000; connect-src 'self' " + frameAdd + " http://127.0.0.1:9000"},
		{"empty replacement adds nothing of that kind",
			[]glomo.Option{glomo.WithScriptSources()},
			"script-src 'self'; connect-src 'self'",
			"script-src 'self'; connect-src 'self' " + frameAdd},
		{"duplicate sources are added once",
			[]glomo.Option{glomo.WithExtraSources(sdk, "HTTPS://GLOMOPAY-CHECKOUT-SDK.WEB.APP")},
			"script-src 'self'",
			"script-src 'self' " + sdk},
		{"WithNonce is ignored by the pure function",
			[]glomo.Option{glomo.WithNonce()},
			"script-src 'self'",
			"script-src 'self' " + sdk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := glomo.MergeCSP(tt.policy, tt.opts...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestInvalidOptionsFailAtConstruction(t *testing.T) {
	invalidSources := []string{
		"", "self", "'self'", "none", "unsafe-inline", "'nonce-abc'",
		"https://a.example;script-src *", "https://a.example,b", "https://a.example b",
		"https://a.example\r\nX-Evil: 1", "https://a.example\x00", "https://é.example",
		"*", "https:", "https://*", "a.example", "https://a.example/\"x", "https://a.example/%2C",
		"https://a.example/\\", "https://a..example", "https://a.example:99999", "https://a.example:65536", "https://a.example:000443",
		"https://[::1]:8443",
	}
	for _, src := range invalidSources {
		t.Run("source "+strings.ToValidUTF8(src, "?"), func(t *testing.T) {
			for _, opt := range []glomo.Option{
				glomo.WithScriptSources(src), glomo.WithFrameSources(src),
				glomo.WithConnectSources(src), glomo.WithExtraSources(src),
			} {
				_, err := glomo.MergeCSP("default-src 'self'", opt)
				assert.ErrorIs(t, err, glomo.ErrInvalidSource)
				_, err = glomo.NewCSP(opt)
				assert.ErrorIs(t, err, glomo.ErrInvalidSource)
				_, err = glomo.NewHeaders(opt)
				assert.ErrorIs(t, err, glomo.ErrInvalidSource)
				assert.Panics(t, func() { glomo.CSP(opt) })
				assert.Panics(t, func() { glomo.Headers(opt) })
			}
		})
	}

	other := []struct {
		name string
		opt  glomo.Option
		is   error
	}{
		{"empty baseline", glomo.WithBaseline(""), glomo.ErrInvalidBaseline},
		{"baseline without a directive", glomo.WithBaseline(" ; ;"), glomo.ErrInvalidBaseline},
		{"baseline with CR LF", glomo.WithBaseline("default-src 'self'\r\nSet-Cookie: x=1"), glomo.ErrInvalidBaseline},
		{"baseline with non-ASCII", glomo.WithBaseline("default-src 'sélf'"), glomo.ErrInvalidBaseline},
		{"baseline with DEL", glomo.WithBaseline("default-src 'self'\x7f"), glomo.ErrInvalidBaseline},
		{"cache size zero", glomo.WithCacheSize(0), nil},
		{"nil option", nil, nil},
	}
	for _, tt := range other {
		t.Run(tt.name, func(t *testing.T) {
			_, err := glomo.NewCSP(tt.opt)
			require.Error(t, err)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			_, err = glomo.MergeCSP("default-src 'self'", tt.opt)
			require.Error(t, err)
		})
	}

	t.Run("limits of the valid options pass", func(t *testing.T) {
		for name, opt := range map[string]glomo.Option{
			"cache size one":        glomo.WithCacheSize(1),
			"baseline with a tab":   glomo.WithBaseline("default-src\t'self'"),
			"baseline with a tilde": glomo.WithBaseline("default-src https://a.example/~shop/"),
		} {
			_, err := glomo.NewCSP(opt)
			assert.NoError(t, err, name)
		}
	})
	t.Run("valid sources pass", func(t *testing.T) {
		for _, src := range []string{"https://a.example", "https://*.a.example", "http://127.0.0.1:8080", "https://a.example/sdk/", "wss://ws.a.example", "https://a.example:65535", "https://a.example:*"} {
			_, err := glomo.MergeCSP("script-src 'self'", glomo.WithExtraSources(src))
			assert.NoError(t, err, src)
		}
	})
	t.Run("every invalid source is reported", func(t *testing.T) {
		_, err := glomo.NewCSP(glomo.WithExtraSources("self", "https://ok.example", "a b"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), `"self"`)
		assert.Contains(t, err.Error(), `"a b"`)
		assert.True(t, errors.Is(err, glomo.ErrInvalidSource))
	})
}

// TestMergeCSPWildcardCoversHTTPOnly pins what '*' covers: by CSP3's
// "does url match expression", '*' matches http and https URLs (and the
// page's own scheme, https), so an http or https source needs no copy, but
// a wss source does.
func TestMergeCSPWildcardCoversHTTPOnly(t *testing.T) {
	tests := []struct {
		name, source, want string
	}{
		{"https covered", "https://api.a.example", "connect-src *"},
		{"http covered", "http://127.0.0.1:9000", "connect-src *"},
		{"wss not covered", "wss://ws.a.example", "connect-src * wss://ws.a.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := glomo.MergeCSP("connect-src *", glomo.WithConnectSources(tt.source))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestSourceOptionsFollowTheGrammar pins which source options are accepted:
// a host-source whose scheme follows RFC 3986 (ALPHA *( ALPHA / DIGIT / "+"
// / "-" / "." )) and whose port is digits passes; a source with a space,
// DEL or ';' anywhere (even in its path) would corrupt the header or smuggle
// in another source or directive, and is an ErrInvalidSource, as is a
// malformed scheme or port.
func TestSourceOptionsFollowTheGrammar(t *testing.T) {
	valid := []string{
		"svn+ssh://a.example",
		"x-pay://a.example",
		"x.pay://a.example",
		"h://a.example",
		"h2://a.example",
	}
	for _, src := range valid {
		t.Run("valid "+src, func(t *testing.T) {
			got, err := glomo.MergeCSP("script-src 'self'", glomo.WithScriptSources(src))
			require.NoError(t, err)
			assert.Equal(t, "script-src 'self' "+src, got)
		})
	}

	invalid := []struct{ name, src string }{
		{"space in the path adds a '*' source", "https://a.example/ *"},
		{"space in the path adds a scheme source", "https://a.example/ https:"},
		{"DEL in the path", "https://a.example/\x7f"},
		{"';' in the path starts a directive", "https://a.example/;sandbox"},
		{"'_' in the scheme", "ht_tp://a.example"},
		{"'*' in the scheme", "ht*p://a.example"},
		{"scheme starting with a digit", "1https://a.example"},
		{"scheme starting with '+'", "+https://a.example"},
		{"port with a letter", "https://a.example:8x"},
		{"port with a sign", "https://a.example:+443"},
	}
	for _, tt := range invalid {
		t.Run("invalid "+tt.name, func(t *testing.T) {
			_, err := glomo.MergeCSP("script-src 'self'", glomo.WithExtraSources(tt.src))
			assert.ErrorIs(t, err, glomo.ErrInvalidSource)
			_, err = glomo.NewCSP(glomo.WithScriptSources(tt.src))
			assert.ErrorIs(t, err, glomo.ErrInvalidSource)
		})
	}
}

// TestFixAddsNoReportOnlyHeader pins that WithReportOnly merges into an
// existing Content-Security-Policy-Report-Only but never adds that header
// (not even an empty key) to a response without one: adapters copy the
// header map to their framework key by key.
func TestFixAddsNoReportOnlyHeader(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
	}{
		{"enforced policy only", http.Header{headerCSP: {"script-src 'self'"}}},
		{"no policy at all", http.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := adapter.NewCSP(glomo.WithReportOnly())
			require.NoError(t, err)
			f.Fix(tt.h, httptest.NewRequest(http.MethodGet, "/", nil), nil)
			assert.NotContains(t, tt.h, headerCSPRO)
		})
	}
}

// TestCSPWarningOncePerDistinctPolicy pins that the merge cache keeps every
// distinct policy it has seen (up to its size): alternating between two
// policies that need a warning logs it once for each, as WithLogger
// promises ("logged when a policy is first merged"), not once per response.
func TestCSPWarningOncePerDistinctPolicy(t *testing.T) {
	tests := []struct {
		name     string
		policies []string
	}{
		{"two policies alternating", []string{
			"script-src 'strict-dynamic' https://a.example",
			"script-src 'strict-dynamic' https://b.example",
		}},
		{"three policies alternating", []string{
			"script-src 'strict-dynamic'",
			"sandbox allow-scripts",
			"require-trusted-types-for 'script'",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs lockedBuffer
			f, err := adapter.NewCSP(glomo.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			require.NoError(t, err)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for i := 0; i < 3; i++ {
				for _, p := range tt.policies {
					f.Fix(http.Header{headerCSP: {p}}, r, nil)
				}
			}
			assert.Equal(t, len(tt.policies), strings.Count(logs.String(), "level=WARN"), logs.String())
		})
	}
}
