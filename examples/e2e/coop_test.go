package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo"
)

// TestCOOPReadAsChromiumReadsIt serves each Cross-Origin-Opener-Policy
// value with Cross-Origin-Embedder-Policy: require-corp, and asks Chromium
// whether the page is cross-origin isolated, which it is exactly when it
// read the value as same-origin. glomo.RewriteCOOP must rewrite exactly
// those values: rewriting one Chromium reads as unsafe-none would isolate
// a page that was not, and missing one would leave the popup severed.
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
		w.Header()["Cross-Origin-Opener-Policy"] = []string{values[i]}
		w.Header()["Cross-Origin-Embedder-Policy"] = []string{"require-corp"}
		fmt.Fprint(w, "<!doctype html><title>COOP</title>")
	}))
	defer srv.Close()

	tab, cancelTab := chromedp.NewContext(browser.ctx)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, testTimeout)
	defer cancel()
	for i, v := range values {
		t.Run(strconv.Quote(v), func(t *testing.T) {
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/?i=%d", srv.URL, i))))
			isolated, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("self.crossOriginIsolated"))
			require.NoError(t, err)
			_, rewritten := glomo.RewriteCOOP(v)
			assert.Equal(t, isolated, rewritten, "Chromium read same-origin: %v; RewriteCOOP rewrote: %v", isolated, rewritten)
		})
	}
}
