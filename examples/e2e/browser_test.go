package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/glomokit/glomo/glomotest"
)

// testTimeout bounds each browser test; a healthy one takes a few seconds.
const testTimeout = 90 * time.Second

// findChromium returns the browser to drive: $CHROMIUM, else the first of
// the usual names on PATH.
func findChromium() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("CHROMIUM=%s: %w", p, err)
		}
		return path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: set CHROMIUM or put chromium on PATH (Debian: apt-get install chromium)")
}

// requireChromium skips the test without a browser, or fails it when
// GLOMO_E2E=1 says the browser tests must run.
func requireChromium(t *testing.T) string {
	t.Helper()
	p, err := findChromium()
	if err != nil {
		if os.Getenv("GLOMO_E2E") == "1" {
			t.Fatalf("GLOMO_E2E=1 but %v", err)
		}
		t.Skipf("browser test skipped: %v", err)
	}
	return p
}

// browser is the Chromium and the glomotest TLS server that all tests
// share: Chromium maps Glomo's host names to that server's port when it
// starts, and starting it costs seconds. Tests run one at a time, each in
// its own tab with its own shop.
var browser struct {
	once    sync.Once
	err     error
	sim     *glomotest.Server
	ctx     context.Context // a browser context that has run
	cleanup []func()
}

// TestMain stops the shared browser and simulator after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(browser.cleanup) - 1; i >= 0; i-- {
		browser.cleanup[i]()
	}
	os.Exit(code)
}

// startBrowser starts the shared simulator and Chromium once.
func startBrowser(chromium string) error {
	browser.once.Do(func() {
		// Every webhook twice, as Glomo may: the shop must process each once.
		sim := glomotest.NewTLSServer(glomotest.Options{DuplicateWebhooks: true})
		browser.cleanup = append(browser.cleanup, sim.Close)
		browser.sim = sim
		u, err := url.Parse(sim.URL())
		if err != nil {
			browser.err = err
			return
		}
		rules := fmt.Sprintf("MAP glomopay-checkout-sdk.web.app %[1]s, MAP *.glomopay.com %[1]s", u.Host)
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chromium),
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("host-resolver-rules", rules),
			chromedp.Flag("ignore-certificate-errors", true),
			chromedp.WindowSize(1000, 720),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		browser.cleanup = append(browser.cleanup, cancelAlloc)
		ctx, cancel := chromedp.NewContext(allocCtx)
		browser.cleanup = append(browser.cleanup, cancel)
		startCtx, cancelStart := context.WithTimeout(ctx, time.Minute)
		defer cancelStart()
		// Starting the browser under a timeout would stop it when the
		// timeout ends, so start it on ctx and wait for it here.
		started := make(chan error, 1)
		go func() { started <- chromedp.Do(ctx) }()
		select {
		case browser.err = <-started:
		case <-startCtx.Done():
			browser.err = errors.New("Chromium did not start within a minute")
		}
		if browser.err != nil {
			browser.err = fmt.Errorf("starting %s: %w", chromium, browser.err)
		}
		browser.ctx = ctx
	})
	return browser.err
}

// env is one browser test's world: the shared simulator standing in for
// Glomo's hosts, the shop served by a variant handler, and a new tab.
type env struct {
	t     *testing.T
	sim   *glomotest.Server
	shop  *shop.Shop
	url   string          // the shop's base URL
	ctx   context.Context // the tab, bounded by testTimeout
	first int             // the simulator's first request of this test
}

// variant builds the handler under test from the shop.
type variant func(s *shop.Shop) http.Handler

// withGlomo is the shop as the demo serves it.
func withGlomo(s *shop.Shop) http.Handler { return s.Handler() }

// newEnv serves the shop through serve, configured against the shared
// simulator with Glomo's real host names: the SDK from DefaultSDKURL and
// the middleware's default CSP sources.
func newEnv(t *testing.T, serve variant) *env {
	t.Helper()
	require.NoError(t, startBrowser(requireChromium(t)))
	sim := browser.sim
	return newEnvWith(t, serve, sim, shop.Config{
		SecretKey:     sim.SecretKey(),
		PublicKey:     sim.PublicKey(),
		WebhookSecret: sim.WebhookSecret(),
		APIBaseURL:    sim.APIBaseURL(),
		HTTPClient:    sim.Client(),
	})
}

// newEnvWith serves the shop configured by cfg through serve, in a new tab,
// with sim's webhooks pointed at it.
func newEnvWith(t *testing.T, serve variant, sim *glomotest.Server, cfg shop.Config) *env {
	t.Helper()
	require.NoError(t, startBrowser(requireChromium(t)))
	// Let the previous test's webhooks finish before this shop takes them.
	idleCtx, cancelIdle := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelIdle()
	require.NoError(t, sim.WaitIdle(idleCtx))

	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := shop.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(serve(s))
	t.Cleanup(srv.Close)
	sim.SetWebhookURL(srv.URL + shop.PathWebhook)
	t.Cleanup(func() { sim.SetWebhookURL("") })

	tab, closeTab := chromedp.NewContext(browser.ctx)
	t.Cleanup(closeTab)
	ctx, cancel := context.WithTimeout(tab, testTimeout)
	t.Cleanup(cancel)
	// Shops on other ports of 127.0.0.1 share the host's cookies.
	require.NoError(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
		return err
	})))
	return &env{t: t, sim: sim, shop: s, url: srv.URL, ctx: ctx, first: len(sim.Requests())}
}

// do runs browser steps in the tab and fails the test on error.
func (e *env) do(steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	require.NoError(e.t, chromedp.Do(e.ctx, steps...))
}

// text returns the text of the element sel. It reads it with script
// rather than through DOM node ids, which a navigation makes stale.
func (e *env) text(sel string) string {
	e.t.Helper()
	q, err := json.Marshal(sel)
	require.NoError(e.t, err)
	return strings.TrimSpace(eval[string](e, "document.querySelector("+string(q)+").textContent"))
}

// eval evaluates a JavaScript expression in the tab.
func eval[T any](e *env, expr string) T {
	e.t.Helper()
	v, err := chromedp.Run(e.ctx, chromedp.Evaluate[T](expr))
	require.NoError(e.t, err, "evaluating %s", expr)
	return v
}

// waitJS waits, in ctx, until the expression is true in the tab's current
// page. It survives navigations, unlike a Poll inside one document.
func waitJS(ctx context.Context, t *testing.T, expr string) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(ectx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v (last evaluation error: %v)", expr, ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// wait is waitJS in the test's tab.
func (e *env) wait(expr string) {
	e.t.Helper()
	waitJS(e.ctx, e.t, expr)
}

// root is the expression for a data attribute of the document element.
func root(name string) string { return "document.documentElement.dataset." + name }

// buy starts on the product page, buys the product and waits for the
// checkout page (in the given mode, "" for SDK events); it returns the
// order id.
func (e *env) buy(sku, mode string) string {
	e.t.Helper()
	const onCheckout = "location.pathname === '/checkout' && !!document.getElementById('buy-button')"
	e.do(chromedp.Navigate(e.url+"/"), chromedp.Click(chromedp.CSS("#buy-"+sku)))
	e.wait(onCheckout)
	id := e.text("#order-id")
	require.True(e.t, strings.HasPrefix(id, "order_"), "order id %q", id)
	if mode != "" {
		e.do(chromedp.Navigate(e.url + shop.PathCheckout + "?order=" + url.QueryEscape(id) + "&mode=" + mode))
		e.wait(onCheckout)
	}
	return id
}

// openCheckout clicks the guide's Buy Now button and returns a context for
// the payment popup it opens.
func (e *env) openCheckout() context.Context {
	e.t.Helper()
	e.wait(root("glomoSdk") + " === 'loaded'")
	popup := chromedp.WaitNewTarget(e.ctx, func(info *target.Info) bool {
		return info.Type == "page" && strings.Contains(info.URL, "/checkout/pay")
	})
	e.do(chromedp.Click(chromedp.CSS("#buy-button")))
	var id target.ID
	select {
	case id = <-popup:
	case <-e.ctx.Done():
		e.t.Fatalf("the payment popup did not open: %v", e.ctx.Err())
	}
	require.NotEmpty(e.t, id, "the payment popup did not open")
	pctx, cancel := chromedp.NewContext(e.ctx, chromedp.WithTargetID(id))
	e.t.Cleanup(cancel)
	require.NoError(e.t, chromedp.Do(pctx, chromedp.WaitVisible(chromedp.CSS("#glomo-pay-success"))))
	return pctx
}

// requests returns the simulator's requests of this test.
func (e *env) requests() []glomotest.Request { return e.sim.Requests()[e.first:] }

// requestKinds counts this test's simulator requests by kind.
func (e *env) requestKinds() map[glomotest.RequestKind]int {
	n := map[glomotest.RequestKind]int{}
	for _, r := range e.requests() {
		n[r.Kind]++
	}
	return n
}

// hostOf returns the Host of this test's first request of the kind.
func (e *env) hostOf(kind glomotest.RequestKind) string {
	for _, r := range e.requests() {
		if r.Kind == kind {
			return r.Host
		}
	}
	return ""
}
