package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo"
)

// TestCOOPReadAsChromiumReadsIt serves each Cross-Origin-Opener-Policy
// value, as written and as glomo.RewriteCOOP rewrites it, with
// Cross-Origin-Embedder-Policy: require-corp, and asks Chromium whether
// the page is cross-origin isolated, which it is exactly when it read the
// value as same-origin, the policy that severs the checkout popup.
// RewriteCOOP must rewrite every value Chromium reads as same-origin, and
// Chromium must never read a rewritten value as same-origin. A value it
// reads otherwise may be rewritten only when it starts with same-origin
// and ';' (malformed parameters, read as unsafe-none before and after).
func TestCOOPReadAsChromiumReadsIt(t *testing.T) {
	chromium := requireChromium(t)
	require.NoError(t, startBrowser(chromium))

	values := []string{
		"same-origin",
		" same-origin\t",
		`same-origin; report-to="coop"`,
		"same-origin;x",
		"same-origin;report_to.v2-x*=1",
		"same-origin;x=?0",
		"same-origin;x=::",
		"same-origin;x=:+/+/:",
		"same-origin;x=123456789012345",
		"same-origin;x=-123456789012345",
		"same-origin;x=-123456789012.5",
		"same-origin;x=1.123",
		"same-origin;x=1.",
		`same-origin;x="a \"b\" \\";y=tok/en:1`,

		"SAME-ORIGIN",
		"same-origin ;x",
		"same-origin;\tx",
		"same-origin; X=1",
		"same-origin;",
		"same-origin;x=",
		"same-origin;x=.5",
		"same-origin;x=-",
		"same-origin;x=1.2.3",
		"same-origin;x=1.2345",
		"same-origin;x=1234567890123456",
		"same-origin;x=1234567890123.5",
		`same-origin;x="a\`,
		`same-origin;x="a\x"`,
		"same-origin;x=?",
		"same-origin;x=?2",
		"same-origin;x=:YQ",
		"same-origin;x=:aG=k:",
		"same-origin, same-origin",
		`"same-origin"`,

		"same-origin-allow-popups",
		"unsafe-none",
		"noopener-allow-popups",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(r.URL.Query().Get("i"))
		if err != nil || i < 0 || i >= len(values) {
			http.NotFound(w, r)
			return
		}
		v := values[i]
		if r.URL.Query().Has("rewritten") {
			v, _ = glomo.RewriteCOOP(v)
		}
		w.Header()["Cross-Origin-Opener-Policy"] = []string{v}
		w.Header()["Cross-Origin-Embedder-Policy"] = []string{"require-corp"}
		fmt.Fprint(w, "<!doctype html><title>COOP</title>")
	}))
	defer srv.Close()

	tab, cancelTab := chromedp.NewContext(browser.ctx)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, testTimeout)
	defer cancel()
	readsSameOrigin := func(t *testing.T, query string) bool {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?"+query)))
		isolated, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("self.crossOriginIsolated"))
		require.NoError(t, err)
		return isolated
	}
	for i, v := range values {
		t.Run(strconv.Quote(v), func(t *testing.T) {
			before := readsSameOrigin(t, fmt.Sprintf("i=%d", i))
			after := readsSameOrigin(t, fmt.Sprintf("i=%d&rewritten", i))
			_, rewritten := glomo.RewriteCOOP(v)
			assert.False(t, after, "Chromium reads the rewritten value as same-origin: the popup would be severed")
			if before {
				assert.True(t, rewritten, "Chromium reads same-origin, RewriteCOOP left it")
			} else if rewritten {
				assert.True(t, strings.HasPrefix(strings.TrimLeft(v, " \t"), "same-origin;"),
					"RewriteCOOP changed a value Chromium does not read as same-origin")
			}
		})
	}
}
