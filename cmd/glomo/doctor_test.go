package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The guide's recommended policy, as its nginx line sends it.
const guideCSP = "default-src 'self'; script-src 'self' 'unsafe-inline' https://glomopay-checkout-sdk.web.app; frame-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com; connect-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com; style-src 'self' 'unsafe-inline';"

// h is shorthand for a header map with one line per value.
type h = map[string][]string

// doctorCase is one page configuration from the guide's troubleshooting.
type doctorCase struct {
	name    string
	headers h
	body    string
	code    int
	rules   []string // rules that must be reported
	absent  []string // rules that must not be
	golden  bool
	check   func(t *testing.T, rep Report)
}

func doctorCases() []doctorCase {
	snippet := page("", guideSnippet(""))
	return []doctorCase{
		{name: "coop-same-origin", headers: h{"Cross-Origin-Opener-Policy": {"same-origin"}}, body: snippet, code: exitFail,
			rules: []string{"coop-severs-popup"}, absent: []string{"coep-isolation-lost"}, golden: true,
			check: func(t *testing.T, rep Report) {
				assert.True(t, rep.COOP.SeversPopup)
				assert.Equal(t, "same-origin", rep.COOP.Effective)
				assert.Equal(t, "same-origin-allow-popups", rep.COOP.Fix)
				f := finding(t, rep, "coop-severs-popup")
				assert.Equal(t, "Cross-Origin-Opener-Policy", f.Header)
				assert.Equal(t, `add_header Cross-Origin-Opener-Policy "same-origin-allow-popups";`, fixFor(t, f, "nginx"))
				assert.Equal(t, `Header set Cross-Origin-Opener-Policy "same-origin-allow-popups"`, fixFor(t, f, "apache"))
			}},
		{name: "coop-same-origin-params", headers: h{"Cross-Origin-Opener-Policy": {`same-origin; report-to="coop"`}}, body: snippet, code: exitFail,
			rules: []string{"coop-severs-popup"},
			check: func(t *testing.T, rep Report) {
				assert.Equal(t, `same-origin-allow-popups; report-to="coop"`, rep.COOP.Fix)
			}},
		{name: "coop-allow-popups", headers: h{"Cross-Origin-Opener-Policy": {"same-origin-allow-popups"}}, body: snippet, code: exitOK,
			absent: []string{"coop-severs-popup"}, golden: true,
			check: func(t *testing.T, rep Report) {
				assert.Equal(t, "same-origin-allow-popups", rep.COOP.Effective)
				assert.False(t, rep.COOP.SeversPopup)
			}},
		{name: "coop-uppercase-is-invalid", headers: h{"Cross-Origin-Opener-Policy": {"SAME-ORIGIN"}}, body: snippet, code: exitOK,
			absent: []string{"coop-severs-popup"},
			check:  func(t *testing.T, rep Report) { assert.Equal(t, "unsafe-none", rep.COOP.Effective) }},
		{name: "coop-two-lines", headers: h{"Cross-Origin-Opener-Policy": {"same-origin", "same-origin"}}, body: snippet, code: exitOK,
			rules: []string{"coop-multiple"}, absent: []string{"coop-severs-popup"},
			check: func(t *testing.T, rep Report) { assert.Equal(t, "unsafe-none", rep.COOP.Effective) }},
		{name: "coop-coep-isolated", headers: h{"Cross-Origin-Opener-Policy": {"same-origin"}, "Cross-Origin-Embedder-Policy": {"require-corp"}}, body: snippet, code: exitFail,
			rules: []string{"coop-severs-popup", "coep-isolation-lost"}, golden: true,
			check: func(t *testing.T, rep Report) {
				assert.True(t, rep.COOP.CrossOriginIsolated)
				assert.Equal(t, SeverityWarning, finding(t, rep, "coep-isolation-lost").Severity)
			}},
		{name: "coop-report-only", headers: h{"Cross-Origin-Opener-Policy-Report-Only": {"same-origin"}}, body: snippet, code: exitOK,
			rules: []string{"coop-report-only"}, absent: []string{"coop-severs-popup"},
			check: func(t *testing.T, rep Report) {
				f := finding(t, rep, "coop-report-only")
				assert.Equal(t, SeverityWarning, f.Severity)
				assert.Equal(t, "same-origin-allow-popups", f.Value)
				assert.Equal(t, "unsafe-none", rep.COOP.Effective)
			}},
		{name: "csp-default-self", headers: h{"Content-Security-Policy": {"default-src 'self'"}}, body: snippet, code: exitFail,
			rules: []string{"csp-blocks-script", "csp-blocks-frame", "csp-blocks-connect", "inline-script-blocked"}, golden: true,
			check: func(t *testing.T, rep Report) {
				require.Len(t, rep.Policies, 1)
				p := rep.Policies[0]
				assert.Equal(t, Load{Allowed: false, Directive: "default-src"}, p.Script)
				assert.Equal(t, Load{Allowed: false, Directive: "default-src"}, p.Frame)
				assert.Equal(t, Load{Allowed: false, Directive: "default-src"}, p.Connect)
				assert.Equal(t, "default-src 'self'; script-src 'self' https://glomopay-checkout-sdk.web.app; frame-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com; connect-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com", p.Merged)
				require.Len(t, p.Changes, 3)
				assert.Equal(t, Change{Directive: "script-src", Created: true, SeededFrom: "default-src", Added: []string{"https://glomopay-checkout-sdk.web.app"}, Removed: []string{}}, p.Changes[0])
				assert.True(t, rep.GlomoScripts[0].Blocked)
			}},
		{name: "csp-blocks-script-only", headers: h{"Content-Security-Policy": {"script-src 'self' 'nonce-abc'; frame-src https:; connect-src *"}}, body: page("", guideSnippet(` nonce="abc"`)), code: exitFail,
			rules: []string{"csp-blocks-script"}, absent: []string{"csp-blocks-frame", "csp-blocks-connect", "inline-script-blocked"},
			check: func(t *testing.T, rep Report) {
				p := rep.Policies[0]
				assert.Equal(t, "script-src", p.Script.Directive)
				assert.True(t, p.Frame.Allowed)
				assert.True(t, p.Connect.Allowed)
				assert.Equal(t, []Change{{Directive: "script-src", Added: []string{"https://glomopay-checkout-sdk.web.app"}, Removed: []string{}}}, p.Changes)
			}},
		{name: "csp-blocks-frame-only", headers: h{"Content-Security-Policy": {"script-src 'self' 'unsafe-inline' https://glomopay-checkout-sdk.web.app; frame-src 'none'"}}, body: snippet, code: exitFail,
			rules: []string{"csp-blocks-frame"}, absent: []string{"csp-blocks-script", "csp-blocks-connect", "inline-script-blocked"},
			check: func(t *testing.T, rep Report) {
				p := rep.Policies[0]
				assert.Equal(t, Load{Allowed: true}, p.Connect, "no connect-src nor default-src: unrestricted")
				assert.Equal(t, []Change{{Directive: "frame-src", Added: []string{"https://glomopay-checkout-sdk.web.app", "https://*.glomopay.com"}, Removed: []string{"'none'"}}}, p.Changes)
			}},
		{name: "csp-blocks-connect-only", headers: h{"Content-Security-Policy": {"default-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com 'unsafe-inline'; connect-src 'self'"}}, body: snippet, code: exitFail,
			rules: []string{"csp-blocks-connect"}, absent: []string{"csp-blocks-script", "csp-blocks-frame", "inline-script-blocked"},
			check: func(t *testing.T, rep Report) {
				assert.Equal(t, "connect-src", rep.Policies[0].Connect.Directive)
				assert.Equal(t, "default-src", rep.Policies[0].Script.Directive)
			}},
		{name: "guide-recommended", headers: h{"Content-Security-Policy": {guideCSP}, "Cross-Origin-Opener-Policy": {"same-origin-allow-popups"}}, body: snippet, code: exitOK,
			absent: []string{"csp-blocks-script", "csp-blocks-frame", "csp-blocks-connect", "inline-script-blocked"}, golden: true,
			check: func(t *testing.T, rep Report) {
				p := rep.Policies[0]
				assert.Equal(t, p.Policy, p.Merged, "nothing to merge")
				assert.Empty(t, p.Changes)
				assert.Equal(t, "script-src", p.Script.Directive)
				assert.Equal(t, "frame-src", p.Frame.Directive)
				assert.Equal(t, "connect-src", p.Connect.Directive)
				assert.Equal(t, "ok", rep.Verdict)
			}},
		{name: "two-fields-and-comma", headers: h{"Content-Security-Policy": {"default-src 'self' https:, img-src 'self'", "frame-src 'self'"}}, body: snippet, code: exitFail,
			rules: []string{"csp-blocks-frame", "inline-script-blocked"}, golden: true,
			check: func(t *testing.T, rep Report) {
				require.Len(t, rep.Policies, 3)
				assert.Equal(t, [2]int{0, 0}, [2]int{rep.Policies[0].Field, rep.Policies[0].Index})
				assert.Equal(t, [2]int{0, 1}, [2]int{rep.Policies[1].Field, rep.Policies[1].Index})
				assert.Equal(t, [2]int{1, 0}, [2]int{rep.Policies[2].Field, rep.Policies[2].Index})
				assert.True(t, rep.Policies[0].Script.Allowed, "https: covers the SDK")
				assert.Equal(t, Load{Allowed: true}, rep.Policies[1].Script, "img-src only: scripts unrestricted")
				assert.False(t, rep.Policies[2].Frame.Allowed)
				assert.Equal(t, "frame-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com", rep.Policies[2].MergedField)
				f := finding(t, rep, "csp-blocks-frame")
				assert.Equal(t, 2, f.Policy)
			}},
		{name: "meta-csp", body: page(`<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'unsafe-inline'">`, guideSnippet("")), code: exitFail,
			rules: []string{"csp-meta", "csp-blocks-script", "csp-blocks-frame", "csp-blocks-connect"}, absent: []string{"inline-script-blocked"}, golden: true,
			check: func(t *testing.T, rep Report) {
				require.Len(t, rep.Policies, 1)
				assert.Equal(t, "meta", rep.Policies[0].Source)
				f := finding(t, rep, "csp-blocks-script")
				assert.Contains(t, fixFor(t, f, "html"), `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'unsafe-inline' https://glomopay-checkout-sdk.web.app;`)
				assert.Contains(t, finding(t, rep, "csp-meta").Message, "no server middleware")
			}},
		{name: "meta-csp-in-body-is-ignored", body: "<!doctype html><html><head></head><body><p>x</p><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">" + guideSnippet("") + "</body></html>", code: exitOK,
			absent: []string{"csp-meta"},
			check:  func(t *testing.T, rep Report) { assert.Empty(t, rep.Policies) }},
		{name: "report-only-alone", headers: h{"Content-Security-Policy-Report-Only": {"default-src 'self'"}}, body: snippet, code: exitOK,
			rules: []string{"csp-report-only-blocks"}, absent: []string{"csp-blocks-script", "inline-script-blocked"}, golden: true,
			check: func(t *testing.T, rep Report) {
				assert.False(t, rep.Policies[0].Enforced)
				f := finding(t, rep, "csp-report-only-blocks")
				assert.Equal(t, SeverityWarning, f.Severity)
				assert.Equal(t, "Content-Security-Policy-Report-Only", f.Header)
			}},
		{name: "inline-without-nonce", headers: h{"Content-Security-Policy": {"script-src 'self' 'nonce-r4nd0m' https://glomopay-checkout-sdk.web.app 'unsafe-inline'"}}, body: snippet, code: exitFail,
			rules: []string{"inline-script-blocked"}, absent: []string{"csp-blocks-script"}, golden: true,
			check: func(t *testing.T, rep Report) {
				assert.Contains(t, finding(t, rep, "inline-script-blocked").Message, "has no nonce attribute")
				assert.False(t, rep.GlomoScripts[0].Nonce)
			}},
		{name: "inline-wrong-nonce", headers: h{"Content-Security-Policy": {"script-src 'self' 'nonce-r4nd0m' https://glomopay-checkout-sdk.web.app"}}, body: page("", guideSnippet(` nonce="other"`)), code: exitFail,
			rules: []string{"inline-script-blocked"},
			check: func(t *testing.T, rep Report) {
				assert.Contains(t, finding(t, rep, "inline-script-blocked").Message, "does not list")
			}},
		{name: "inline-with-nonce", headers: h{"Content-Security-Policy": {"script-src 'self' 'nonce-r4nd0m' https://glomopay-checkout-sdk.web.app"}}, body: page("", guideSnippet(` nonce="r4nd0m"`)), code: exitOK,
			absent: []string{"inline-script-blocked", "csp-blocks-script"},
			check: func(t *testing.T, rep Report) {
				require.Len(t, rep.GlomoScripts, 1)
				assert.True(t, rep.GlomoScripts[0].Nonce)
				assert.False(t, rep.GlomoScripts[0].Blocked)
			}},
		{name: "inline-with-hash", headers: h{"Content-Security-Policy": {"script-src https://glomopay-checkout-sdk.web.app " + scriptHashes("\nimport 'https://glomopay-checkout-sdk.web.app/index.js';\n")[0]}}, body: page("", "<script type=\"module\">\nimport 'https://glomopay-checkout-sdk.web.app/index.js';\n</script>"), code: exitOK,
			absent: []string{"inline-script-blocked"}},
		{name: "strict-dynamic", headers: h{"Content-Security-Policy": {"script-src 'nonce-r4nd0m' 'strict-dynamic'; object-src 'none'"}}, body: snippet, code: exitFail,
			rules: []string{"csp-strict-dynamic", "inline-script-blocked"}, absent: []string{"csp-blocks-script"}, golden: true,
			check: func(t *testing.T, rep Report) {
				assert.Equal(t, SeverityError, finding(t, rep, "csp-strict-dynamic").Severity)
				assert.False(t, rep.Policies[0].Script.Allowed)
			}},
		{name: "strict-dynamic-with-nonce", headers: h{"Content-Security-Policy": {"script-src 'nonce-r4nd0m' 'strict-dynamic'; object-src 'none'"}}, body: page("", guideSnippet(` nonce="r4nd0m"`)), code: exitOK,
			rules: []string{"csp-strict-dynamic"}, absent: []string{"inline-script-blocked", "csp-blocks-script"},
			check: func(t *testing.T, rep Report) {
				// The nonce'd snippet's static import is trusted: the SDK loads.
				assert.Equal(t, SeverityInfo, finding(t, rep, "csp-strict-dynamic").Severity)
				assert.True(t, rep.Policies[0].Script.Allowed)
			}},
		{name: "sandbox", headers: h{"Content-Security-Policy": {"sandbox allow-forms allow-same-origin"}}, body: snippet, code: exitFail,
			rules: []string{"csp-sandbox"},
			check: func(t *testing.T, rep Report) {
				n := 0
				for _, f := range rep.Findings {
					if f.Rule == "csp-sandbox" {
						n++
					}
				}
				assert.Equal(t, 2, n, "no allow-scripts and no allow-popups")
			}},
		{name: "sandbox-allowing", headers: h{"Content-Security-Policy": {"sandbox allow-scripts allow-popups allow-same-origin"}}, body: snippet, code: exitOK,
			absent: []string{"csp-sandbox"}},
		{name: "trusted-types", headers: h{"Content-Security-Policy": {"require-trusted-types-for 'script'"}}, body: snippet, code: exitOK,
			rules: []string{"csp-trusted-types"}},
		{name: "no-glomo", body: page("", "<p>hello</p>"), code: exitOK, rules: []string{"no-glomo-script"}},
		{name: "not-found-page", headers: h{}, body: snippet, code: exitOK},
	}
}

// finding returns the first finding with the rule.
func finding(t *testing.T, rep Report, rule string) Finding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Rule == rule {
			return f
		}
	}
	t.Fatalf("no finding %s in %+v", rule, rep.Findings)
	return Finding{}
}

func fixFor(t *testing.T, f Finding, stack string) string {
	t.Helper()
	for _, fx := range f.Fixes {
		if fx.Stack == stack {
			return fx.Text
		}
	}
	t.Fatalf("finding %s has no fix for %s: %+v", f.Rule, stack, f.Fixes)
	return ""
}

func rulesOf(rep Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Rule)
	}
	return out
}

func decodeReport(t *testing.T, out string) Report {
	t.Helper()
	var rep Report
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&rep), out)
	return rep
}

func TestDoctorConfigurations(t *testing.T) {
	for _, tc := range doctorCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, serve(tc.headers, tc.body))
			r := runGlomo(t, nil, "", "doctor", "-json", srv.URL+"/checkout")
			require.Equal(t, tc.code, r.code, r.stdout+r.stderr)
			rep := decodeReport(t, r.stdout)
			assert.Equal(t, SchemaVersion, rep.SchemaVersion)
			assert.Equal(t, tc.code, rep.ExitCode)
			assert.Equal(t, srv.URL+"/checkout", rep.FinalURL)
			assert.Equal(t, 200, rep.Status)
			for _, rule := range tc.rules {
				assert.Contains(t, rulesOf(rep), rule)
			}
			for _, rule := range tc.absent {
				assert.NotContains(t, rulesOf(rep), rule)
			}
			for _, f := range rep.Findings {
				assert.Contains(t, []string{SeverityError, SeverityWarning, SeverityInfo}, f.Severity)
			}
			if tc.check != nil {
				tc.check(t, rep)
			}
			// The text output reaches the same verdict.
			text := runGlomo(t, nil, "", "doctor", srv.URL+"/checkout")
			assert.Equal(t, tc.code, text.code)
			if tc.code == exitOK {
				assert.Contains(t, text.stdout, "Verdict: Glomo Checkout would work")
			} else {
				assert.Contains(t, text.stdout, "Verdict: Glomo Checkout would NOT work")
			}
			if tc.golden {
				golden(t, "doctor-"+tc.name, runGlomo(t, nil, "", "doctor", "-stack", "nginx", srv.URL+"/checkout").stdout)
			}
		})
	}
}

func TestDoctorStacks(t *testing.T) {
	srv := newServer(t, serve(h{"Content-Security-Policy": {"default-src 'self'"}, "Cross-Origin-Opener-Policy": {"same-origin"}}, page("", guideSnippet(""))))
	r := runGlomo(t, nil, "", "doctor", "-json", srv.URL)
	require.Equal(t, exitFail, r.code)
	rep := decodeReport(t, r.stdout)
	f := finding(t, rep, "csp-blocks-script")
	merged := rep.Policies[0].MergedField
	want := map[string]string{
		"nginx":   `add_header Content-Security-Policy "` + merged + `";`,
		"apache":  `Header set Content-Security-Policy "` + merged + `"`,
		"express": `res.setHeader('Content-Security-Policy', "` + merged + `");`,
		"nextjs":  `key: 'Content-Security-Policy', value: "` + merged + `"`,
		"django":  `response["Content-Security-Policy"] = "` + merged + `"`,
		"rails":   `config.action_dispatch.default_headers["Content-Security-Policy"] = "` + merged + `"`,
		"iis":     `<add name="Content-Security-Policy" value="` + merged + `" />`,
		"go":      `glomo.Headers()`,
	}
	for _, s := range stacks {
		t.Run(s, func(t *testing.T) {
			assert.Contains(t, fixFor(t, f, s), want[s])
			one := decodeReport(t, runGlomo(t, nil, "", "doctor", "-json", "-stack", s, srv.URL).stdout)
			fx := finding(t, one, "coop-severs-popup").Fixes
			require.Len(t, fx, 1)
			assert.Equal(t, s, fx[0].Stack)
		})
	}
	r = runGlomo(t, nil, "", "doctor", "-stack", "cobol", srv.URL)
	assert.Equal(t, exitUsage, r.code)
}

func TestDoctorRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/final", serve(h{"Cross-Origin-Opener-Policy": {"same-origin"}}, page("", guideSnippet(""))))
	mux.Handle("/a", http.RedirectHandler("/b", http.StatusMovedPermanently))
	mux.Handle("/b", http.RedirectHandler("/final", http.StatusFound))
	mux.Handle("/loop1", http.RedirectHandler("/loop2", http.StatusFound))
	mux.Handle("/loop2", http.RedirectHandler("/loop1", http.StatusFound))
	mux.HandleFunc("/many/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		_, _ = fmt.Sscanf(r.URL.Path, "/many/%d", &n)
		http.Redirect(w, r, fmt.Sprintf("/many/%d", n+1), http.StatusTemporaryRedirect)
	})
	mux.Handle("/ftp", http.RedirectHandler("ftp://example.invalid/", http.StatusFound))
	srv := newServer(t, mux)

	t.Run("chain", func(t *testing.T) {
		r := runGlomo(t, nil, "", "doctor", "-json", srv.URL+"/a")
		require.Equal(t, exitFail, r.code)
		rep := decodeReport(t, r.stdout)
		assert.Equal(t, []Hop{
			{URL: srv.URL + "/a", Status: 301, Location: srv.URL + "/b"},
			{URL: srv.URL + "/b", Status: 302, Location: srv.URL + "/final"},
		}, rep.Redirects)
		assert.Equal(t, srv.URL+"/final", rep.FinalURL)
		assert.Contains(t, rulesOf(rep), "coop-severs-popup")
		golden(t, "doctor-redirects", runGlomo(t, nil, "", "doctor", "-stack", "go", srv.URL+"/a").stdout)
	})
	for _, tc := range []struct{ name, path, want string }{
		{"loop", "/loop1", "redirect loop"},
		{"too many", "/many/0", "too many redirects"},
		{"non-http", "/ftp", "non-HTTP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runGlomo(t, nil, "", "doctor", "-json", srv.URL+tc.path)
			assert.Equal(t, exitUsage, r.code)
			rep := decodeReport(t, r.stdout)
			assert.Equal(t, "unchecked", rep.Verdict)
			assert.Contains(t, rep.Error, tc.want)
			assert.Contains(t, r.stderr, tc.want)
			assert.LessOrEqual(t, len(rep.Redirects), maxRedirects)
		})
	}
}

func TestDoctorHeadersOnlyToOrigin(t *testing.T) {
	var otherSaw, pageSaw atomic.Value
	other := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherSaw.Store(r.Header.Get("Authorization") + "|" + r.Header.Get("Cookie"))
		serve(nil, page("", guideSnippet(""))).ServeHTTP(w, r)
	}))
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pageSaw.Store(r.Header.Get("Authorization") + "|" + r.Header.Get("Cookie") + "|" + r.Header.Get("Accept") + "|" + r.UserAgent())
		http.Redirect(w, r, other.URL+"/page", http.StatusFound)
	}))
	r := runGlomo(t, nil, "", "doctor", "-header", "Authorization: Basic dXNlcjpwdw==", "-cookie", "session=s3cr3t", "-cookie", "b=2", srv.URL)
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	got := pageSaw.Load().(string)
	assert.True(t, strings.HasPrefix(got, "Basic dXNlcjpwdw==|session=s3cr3t; b=2|text/html"), got)
	assert.Contains(t, got, "glomo-doctor")
	assert.Equal(t, "|", otherSaw.Load(), "another origin gets neither the header nor the cookie")
}

func TestDoctorBadInput(t *testing.T) {
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		return "http://" + addr + "/"
	}()
	tlsSrv := httptest.NewTLSServer(serve(h{"Cross-Origin-Opener-Policy": {"same-origin"}}, page("", guideSnippet(""))))
	t.Cleanup(tlsSrv.Close)
	slow := make(chan struct{})
	slowSrv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-slow:
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(func() { close(slow) })
	slowBody := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html><head>")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	binary := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte{0x89, 'P', 'N', 'G', 0, 1, 2, 3})
	}))
	sniffed := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil
		_, _ = w.Write([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0})
	}))
	jsonSrv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	huge := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		_, _ = io.WriteString(w, "<!doctype html><html><head></head><body>"+guideSnippet(""))
		chunk := strings.Repeat("<p>padding</p>", 1024)
		for i := 0; i < 700 && r.Context().Err() == nil; i++ { // about 9.8 MiB
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	}))

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unreachable", []string{closed}, exitUsage, "cannot connect"},
		{"tls untrusted", []string{tlsSrv.URL}, exitUsage, "TLS error"},
		{"tls insecure", []string{"-insecure", tlsSrv.URL}, exitFail, ""},
		{"tls to plain server", []string{strings.Replace(slowBody.URL, "http://", "https://", 1)}, exitUsage, "HTTP response to HTTPS"},
		{"slow headers", []string{"-timeout", "200ms", slowSrv.URL}, exitUsage, "timeout"},
		{"slow body", []string{"-timeout", "200ms", slowBody.URL}, exitUsage, "timeout"},
		{"binary", []string{binary.URL}, exitUsage, "not an HTML page"},
		{"sniffed binary", []string{sniffed.URL}, exitUsage, "not an HTML page"},
		{"json", []string{jsonSrv.URL}, exitUsage, "not an HTML page"},
		{"huge body", []string{huge.URL}, exitFail, ""},
		{"no url", nil, exitUsage, "one URL expected"},
		{"two urls", []string{"http://127.0.0.1/", "http://127.0.0.1/"}, exitUsage, "one URL expected"},
		{"relative url", []string{"/checkout"}, exitUsage, "absolute"},
		{"ftp url", []string{"ftp://127.0.0.1/"}, exitUsage, "absolute"},
		{"header with newline", []string{"-header", "X-A: b\r\nX-Injected: 1", closed}, exitUsage, "control characters"},
		{"header with NUL", []string{"-header", "X-A: b\x00", closed}, exitUsage, "control characters"},
		{"header without colon", []string{"-header", "X-A b", closed}, exitUsage, "Name: value"},
		{"header bad name", []string{"-header", "X A: b", closed}, exitUsage, "invalid header name"},
		{"cookie with newline", []string{"-cookie", "a=b\nc", closed}, exitUsage, "control characters"},
		{"cookie without =", []string{"-cookie", "ab", closed}, exitUsage, "name=value"},
		{"zero timeout", []string{"-timeout", "0s", closed}, exitUsage, "positive"},
		{"bad flag", []string{"-frobnicate", closed}, exitUsage, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := runGlomo(t, nil, "", append([]string{"doctor"}, tt.args...)...)
			assert.Equal(t, tt.code, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			assert.Less(t, time.Since(start), 10*time.Second)
		})
	}
	t.Run("huge body is capped", func(t *testing.T) {
		rep := decodeReport(t, runGlomo(t, nil, "", "doctor", "-json", huge.URL).stdout)
		assert.True(t, rep.BodyTruncated)
		assert.Equal(t, maxBody, rep.BodyBytes)
		assert.Contains(t, rulesOf(rep), "body-truncated")
		assert.Contains(t, rulesOf(rep), "coop-severs-popup")
		assert.Len(t, rep.GlomoScripts, 1)
	})
	t.Run("tls error as JSON", func(t *testing.T) {
		r := runGlomo(t, nil, "", "doctor", "-json", tlsSrv.URL)
		rep := decodeReport(t, r.stdout)
		assert.Equal(t, exitUsage, rep.ExitCode)
		assert.Equal(t, "unchecked", rep.Verdict)
		assert.Contains(t, rep.Error, "-insecure")
		golden(t, "doctor-tls-error", runGlomo(t, nil, "", "doctor", tlsSrv.URL).stdout)
	})
}

func TestDoctorNon2xx(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, page("", "<form>login</form>"))
	}))
	r := runGlomo(t, nil, "", "doctor", "-json", srv.URL)
	assert.Equal(t, exitOK, r.code)
	rep := decodeReport(t, r.stdout)
	assert.Equal(t, 403, rep.Status)
	assert.Equal(t, SeverityWarning, finding(t, rep, "http-status").Severity)
}
