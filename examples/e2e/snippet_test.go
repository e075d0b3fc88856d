package e2e_test

import (
	"context"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo"
)

// fakeSDK stands in for GlomoCheckoutApi: it records what the checkout
// script does with it on window.__fake, and lets the test fire its events.
const fakeSDK = `
const fake = window.__fake = { options: null, on: [], opened: 0, handlers: {} };
fake.emit = (event, payload) => { for (const fn of fake.handlers[event] || []) fn(payload); };
export class GlomoCheckoutApi {
  constructor(options) { fake.options = options; }
  on(event, fn) { fake.on.push(event); (fake.handlers[event] = fake.handlers[event] || []).push(fn); return this; }
  open() { fake.opened++; }
}
`

// Hostile values: each tries to end the script, open a comment or a new
// JavaScript line, or break out of a string.
const (
	hostileOrder = "order_\"';</script><script>window.__pwned=1</script>\u2028window.__pwned=2"
	hostileKey   = "live_</SCRIPT ><!--<script>\u2029'\"\\"
	hostileToken = "tok\"</script>&amp;"
)

// snippetPage is a merchant page with the checkout script, either rendered
// by glomo.Checkout.Script (inline) or calling the merchant-served
// glomo-checkout.js (module), under a strict CSP with glomo's nonce.
var snippetPage = template.Must(template.New("p").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>snippet</title>
<script type="module" nonce="{{.Nonce}}">
document.addEventListener('securitypolicyviolation', (e) => {
  document.documentElement.dataset.cspBlocked = ((document.documentElement.dataset.cspBlocked || '') + ' ' + e.effectiveDirective).trim();
});
</script></head><body>
<button id="buy-button">Buy Now</button>
{{if .Module}}<script type="module" nonce="{{.Nonce}}">
import { GlomoCheckoutApi } from "/fake-sdk.js";
import { mountCheckout } from "/glomo-checkout.js";
mountCheckout(GlomoCheckoutApi, {{.Options}});
</script>{{else}}{{.Checkout.Script .Nonce}}{{end}}
</body></html>`))

// posted is what the page posted to the result endpoint.
type posted struct {
	body map[string]any
	csrf string
	ct   string
}

// snippetSite serves the merchant page and records the posts.
type snippetSite struct {
	mu    sync.Mutex
	posts []posted
	srv   *httptest.Server
}

func newSnippetSite(t *testing.T) *snippetSite {
	t.Helper()
	site := &snippetSite{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fake-sdk.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = io.WriteString(w, fakeSDK)
	})
	mux.HandleFunc("GET /glomo-checkout.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = io.WriteString(w, glomo.CheckoutModule)
	})
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		c := glomo.Checkout{
			OrderID:    hostileOrder,
			PublicKey:  hostileKey,
			ResultURL:  "/verify",
			NextURL:    "/next",
			CSRFHeader: "X-CSRF-Token",
			CSRFToken:  hostileToken,
			SDKURL:     site.srv.URL + "/fake-sdk.js",
		}
		if r.URL.Query().Get("callback") == "1" {
			c.CallbackURL = site.srv.URL + "/payment-result"
		}
		opts := map[string]any{"orderId": c.OrderID, "publicKey": c.PublicKey, "resultUrl": c.ResultURL,
			"nextUrl": c.NextURL, "csrfHeader": c.CSRFHeader, "csrfToken": c.CSRFToken}
		if c.CallbackURL != "" {
			opts["callbackUrl"] = c.CallbackURL
		}
		var buf strings.Builder
		if err := snippetPage.Execute(&buf, map[string]any{
			"Nonce": glomo.Nonce(r.Context()), "Checkout": c, "Options": opts,
			"Module": r.URL.Query().Get("module") == "1",
		}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'")
		_, _ = io.WriteString(w, buf.String())
	})
	mux.HandleFunc("POST /verify", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&body)
		site.mu.Lock()
		site.posts = append(site.posts, posted{body: body, csrf: r.Header.Get("X-CSRF-Token"), ct: r.Header.Get("Content-Type")})
		site.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"outcome":"pending"}`)
	})
	mux.HandleFunc("GET /next", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!doctype html><title>next</title><p id=next>next</p>")
	})
	site.srv = httptest.NewServer(glomo.Headers(glomo.WithNonce())(mux))
	t.Cleanup(site.srv.Close)
	return site
}

func (s *snippetSite) posted() []posted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]posted(nil), s.posts...)
}

// newTab opens a browser tab of its own for a test that needs no shop.
func newTab(t *testing.T) *env {
	t.Helper()
	require.NoError(t, startBrowser(requireChromium(t)))
	tab, closeTab := chromedp.NewContext(browser.ctx)
	t.Cleanup(closeTab)
	ctx, cancel := context.WithTimeout(tab, testTimeout)
	t.Cleanup(cancel)
	return &env{t: t, ctx: ctx}
}

// TestCheckoutSnippet runs glomo.Checkout's script, and the same code
// served as glomo-checkout.js, in Chromium with hostile order ids, keys
// and tokens: the values must reach the SDK unchanged and run nothing; the
// button opens the checkout; the SDK's events are posted with the CSRF
// header and the browser moves on, or, with callbackUrl, only the bank
// transfer event is handled.
func TestCheckoutSnippet(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		wantOn     []string
		fire       string
		notHandled string
	}{
		{"inline, SDK events", "", []string{"payment.success", "payment.failure", "payment.bank_transfer_submitted", "checkout.closed"},
			"payment.success", ""},
		{"inline, callbackUrl", "?callback=1", []string{"payment.bank_transfer_submitted", "checkout.closed"},
			"payment.bank_transfer_submitted", "payment.success"},
		{"served module, SDK events", "?module=1", []string{"payment.success", "payment.failure", "payment.bank_transfer_submitted", "checkout.closed"},
			"payment.failure", ""},
		{"served module, callbackUrl", "?module=1&callback=1", []string{"payment.bank_transfer_submitted", "checkout.closed"},
			"payment.bank_transfer_submitted", "payment.failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := newSnippetSite(t)
			e := newTab(t)
			e.do(chromedp.Navigate(site.srv.URL + "/page" + tt.query))
			e.wait("!!window.__fake && window.__fake.options !== null")

			var opts map[string]string
			require.NoError(t, json.Unmarshal([]byte(eval[string](e, "JSON.stringify(window.__fake.options)")), &opts))
			assert.Equal(t, hostileOrder, opts["orderId"], "the order id reaches the SDK unchanged")
			assert.Equal(t, hostileKey, opts["publicKey"])
			if strings.Contains(tt.query, "callback=1") {
				assert.Equal(t, site.srv.URL+"/payment-result", opts["callbackUrl"])
			} else {
				assert.NotContains(t, opts, "callbackUrl")
			}
			assert.Len(t, opts, map[bool]int{true: 3, false: 2}[strings.Contains(tt.query, "callback=1")], "only the SDK's options: %v", opts)
			assert.Nil(t, eval[any](e, "window.__pwned"), "no injected script ran")
			assert.Equal(t, "", eval[string](e, root("cspBlocked")+" || ''"), "nothing the CSP had to block")
			assert.Equal(t, 2, eval[int](e, "document.scripts.length"), "the page's own script and the checkout's, no injected one")
			assert.Equal(t, 0, eval[int](e, "document.querySelectorAll('script:not([nonce])').length"), "every script has the nonce")

			var on []string
			require.NoError(t, json.Unmarshal([]byte(eval[string](e, "JSON.stringify(window.__fake.on)")), &on))
			assert.Equal(t, tt.wantOn, on)

			e.do(chromedp.Click(chromedp.CSS("#buy-button")))
			e.wait("window.__fake.opened === 1")

			if tt.notHandled != "" {
				e.do(chromedp.Evaluate[chromedp.Void]("window.__fake.emit(" + jsString(t, tt.notHandled) + ", {orderId: 'x'})"))
			}
			payload := map[string]any{"orderId": hostileOrder, "paymentId": "payt_1", "status": "success",
				"signature": strings.Repeat("a", 64), "event": "forged"}
			raw, err := json.Marshal(payload)
			require.NoError(t, err)
			e.do(chromedp.Evaluate[chromedp.Void]("window.__fake.emit(" + jsString(t, tt.fire) + ", " + string(raw) + ")"))
			e.wait("location.pathname === '/next'")

			posts := site.posted()
			require.Len(t, posts, 1, "one post, for the event fired")
			p := posts[0]
			assert.Equal(t, tt.fire, p.body["event"], "the event name is the script's, not the payload's")
			assert.Equal(t, hostileOrder, p.body["orderId"])
			assert.Equal(t, "payt_1", p.body["paymentId"])
			assert.Equal(t, hostileToken, p.csrf, "the CSRF header")
			assert.Equal(t, "application/json", p.ct)
		})
	}
}

func jsString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	return string(b)
}

// TestCheckoutSnippetRefusesAtExecution shows a refused Checkout in a real
// page: the template stops with the error, and the merchant's handler
// answers 500 instead of a page with a broken script.
func TestCheckoutSnippetRefusesAtExecution(t *testing.T) {
	for _, c := range []glomo.Checkout{
		{PublicKey: "live_1", ResultURL: "/verify"},
		{OrderID: "order_1", ResultURL: "/verify"},
		{OrderID: "order_1", PublicKey: "live_1", ResultURL: "http://shop.example/verify"},
	} {
		var buf strings.Builder
		err := snippetPage.Execute(&buf, map[string]any{"Nonce": "bm9uY2U", "Checkout": c})
		require.ErrorIs(t, err, glomo.ErrInvalidCheckout)
		assert.NotContains(t, buf.String(), "mountCheckout")
	}
}
