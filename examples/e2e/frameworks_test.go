package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo/examples/internal/routers"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/glomokit/glomo/glomotest"
)

// onRouter serves the shop as a framework demo does, through its router.
func onRouter(t *testing.T, router func(*shop.Shop) (http.Handler, error)) variant {
	return func(s *shop.Shop) http.Handler {
		h, err := router(s)
		require.NoError(t, err)
		return h
	}
}

// onFiber serves the shop on the Fiber demo's app, natively on loopback,
// behind a reverse proxy the test server holds.
func onFiber(t *testing.T) variant {
	return func(s *shop.Shop) http.Handler {
		h, stop, err := routers.FiberOverHTTP(s)
		require.NoError(t, err)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			assert.NoError(t, stop(ctx))
		})
		return h
	}
}

// TestCheckoutOnEachFramework pays in the browser through every framework
// demo: each adapter's header middleware must keep the popup connected
// and let the SDK, the iframe and the API calls through the shop's strict
// policy with its nonce, and its result and webhook handlers must fulfil
// the order once; then the callbackUrl redirect of a second order.
func TestCheckoutOnEachFramework(t *testing.T) {
	for _, fw := range []struct {
		name  string
		serve func(t *testing.T) variant
	}{
		{"gin", func(t *testing.T) variant { return onRouter(t, routers.Gin) }},
		{"echo", func(t *testing.T) variant { return onRouter(t, routers.Echo) }},
		{"echov5", func(t *testing.T) variant { return onRouter(t, routers.EchoV5) }},
		{"chi", func(t *testing.T) variant { return onRouter(t, routers.Chi) }},
		{"fiber", onFiber},
	} {
		t.Run(fw.name, func(t *testing.T) {
			e := newEnv(t, fw.serve(t))
			id := e.buy("mug", "")
			popup := e.openCheckout()
			e.wait(root("glomoFrame") + " === 'loaded'")
			e.wait(root("glomoApi") + " === 'ok'")
			assert.Equal(t, "open", eval[string](e, root("glomoPopup")), "the popup must stay connected")
			assert.Equal(t, "", eval[string](e, root("cspBlocked")+" || ''"), "no CSP violation")
			for kind, host := range map[glomotest.RequestKind]string{
				glomotest.KindScript:  "glomopay-checkout-sdk.web.app",
				glomotest.KindFrame:   "glomopay-checkout-sdk.web.app",
				glomotest.KindConnect: "api.glomopay.com",
			} {
				assert.Equal(t, host, e.hostOf(kind), "host of the %s load", kind)
			}
			pay(t, popup, chromedp.Click(chromedp.CSS("#glomo-pay-success")))
			e.wait("location.pathname === '/order' && document.getElementById('order-status').dataset.status === 'paid'")
			o := e.settleWebhooks(id)
			assert.Equal(t, shop.StatusPaid, o.Status)
			assert.Equal(t, "success", o.BrowserOutcome, "the server verified the posted success")
			assert.Equal(t, 1, o.Fulfilments, "fulfilled once across the post and the webhooks")

			id = e.buy("tee", "redirect")
			popup = e.openCheckout()
			pay(t, popup, chromedp.Click(chromedp.CSS("#glomo-pay-success")))
			e.wait("location.pathname === '/payment-result' && !!document.getElementById('result-outcome')")
			assert.Equal(t, "success", eval[string](e, "document.getElementById('result-outcome').dataset.outcome"))
			o = e.settleWebhooks(id)
			assert.Equal(t, shop.StatusPaid, o.Status)
			assert.Equal(t, 1, o.Fulfilments)
		})
	}
}
