package main

import (
	"net/url"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo/glomotest"
)

// requireChromium skips the test without a browser, or fails it when
// GLOMO_E2E=1 says the browser tests must run.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := findChromium(os.Getenv); err != nil {
		if os.Getenv("GLOMO_E2E") == "1" {
			t.Fatalf("GLOMO_E2E=1 but %v", err)
		}
		t.Skipf("browser test skipped: %v", err)
	}
}

func TestDoctorBrowser(t *testing.T) {
	requireChromium(t)
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	sim := glomotest.NewTLSServer(glomotest.Options{})
	t.Cleanup(sim.Close)
	u, err := url.Parse(sim.URL())
	require.NoError(t, err)
	simRules := "MAP glomopay-checkout-sdk.web.app " + u.Host + ", MAP *.glomopay.com " + u.Host

	snippet := page("", guideSnippet(""))
	tests := []struct {
		name    string
		headers h
		body    string
		sim     bool // map Glomo's hosts to glomotest instead of the built-in stand-in
		code    int
		script  string
		frame   string
		connect string
		popup   string
		rules   []string
	}{
		{name: "coop same-origin severs", headers: h{"Cross-Origin-Opener-Policy": {"same-origin"}}, body: snippet, code: exitFail,
			script: "allowed", frame: "allowed", connect: "allowed", popup: "severed", rules: []string{"coop-severs-popup", "browser-popup-severed"}},
		{name: "coop allow-popups", headers: h{"Cross-Origin-Opener-Policy": {"same-origin-allow-popups"}}, body: snippet, code: exitOK,
			script: "allowed", frame: "allowed", connect: "allowed", popup: "allowed"},
		{name: "csp default-src self", headers: h{"Content-Security-Policy": {"default-src 'self' 'unsafe-inline'"}}, body: snippet, code: exitFail,
			script: "blocked", frame: "blocked", connect: "blocked", popup: "allowed",
			rules: []string{"csp-blocks-script", "browser-script-blocked", "browser-frame-blocked", "browser-connect-blocked"}},
		{name: "guide csp with glomotest", headers: h{"Content-Security-Policy": {guideCSP}}, body: snippet, sim: true, code: exitOK,
			script: "allowed", frame: "allowed", connect: "allowed", popup: "allowed"},
		{name: "frame only blocked with glomotest", headers: h{"Content-Security-Policy": {"frame-src 'self'"}}, body: snippet, sim: true, code: exitFail,
			script: "allowed", frame: "blocked", connect: "allowed", popup: "allowed", rules: []string{"csp-blocks-frame", "browser-frame-blocked"}},
		{name: "report-only blocks nothing", headers: h{"Content-Security-Policy-Report-Only": {"default-src 'self'"}}, body: snippet, code: exitOK,
			script: "allowed", frame: "allowed", connect: "allowed", popup: "allowed", rules: []string{"csp-report-only-blocks"}},
		{name: "sandbox without popups", headers: h{"Content-Security-Policy": {"sandbox allow-scripts allow-same-origin"}}, body: snippet, code: exitFail,
			popup: "no-popup", rules: []string{"csp-sandbox", "browser-popup-blocked"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, serve(tt.headers, tt.body))
			args := []string{"doctor", "-json", "-browser", "-timeout", "20s"}
			if tt.sim {
				args = append(args, "-x-glomo-host-rules", simRules)
			}
			first := len(sim.Requests())
			r := runGlomo(t, map[string]string{"CHROMIUM": os.Getenv("CHROMIUM"), "PATH": os.Getenv("PATH")}, "", append(args, srv.URL+"/checkout")...)
			require.Equal(t, tt.code, r.code, r.stdout+r.stderr)
			rep := decodeReport(t, r.stdout)
			require.NotNil(t, rep.Browser)
			assert.NotEmpty(t, rep.Browser.Version)
			check := func(want string, p Probe, what string) {
				if want != "" {
					assert.Equal(t, want, p.Outcome, "%s: %+v", what, p)
				}
			}
			check(tt.script, rep.Browser.Script, "script")
			check(tt.frame, rep.Browser.Frame, "frame")
			check(tt.connect, rep.Browser.Connect, "connect")
			check(tt.popup, rep.Browser.Popup, "popup")
			for _, rule := range tt.rules {
				assert.Contains(t, rulesOf(rep), rule)
			}
			if tt.sim {
				// A load the CSP allowed reached glomotest; a blocked one did not.
				kinds := map[glomotest.RequestKind]int{}
				for _, req := range sim.Requests()[first:] {
					kinds[req.Kind]++
				}
				if tt.script == "allowed" {
					assert.Positive(t, kinds[glomotest.KindScript], "%v", kinds)
				}
				if tt.frame == "blocked" {
					assert.Zero(t, kinds[glomotest.KindFrame], "%v", kinds)
				}
			}
		})
	}
}

func TestDoctorBrowserMissing(t *testing.T) {
	srv := newServer(t, serve(nil, page("", guideSnippet(""))))
	r := runGlomo(t, map[string]string{"CHROMIUM": "/nonexistent/chromium"}, "", "doctor", "-browser", srv.URL)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "CHROMIUM=/nonexistent/chromium")
}
