package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/glomokit/glomo/glomotest"
)

// order returns the shop's record of the order, failing if it has none.
func (e *env) order(id string) shop.Order {
	e.t.Helper()
	o, ok := e.shop.Orders().Get(id)
	require.True(e.t, ok, "the shop has no order %s", id)
	return o
}

// settleWebhooks waits until the shop's Handle has processed the order's
// webhook events listed in want (the proofs of payment, payment/success
// and orders/paid, go to the fulfilment hook instead), and the simulator
// has nothing left to send, the duplicates included; it returns the order
// then.
func (e *env) settleWebhooks(id string, want ...string) shop.Order {
	e.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for len(e.order(id).Webhooks) < len(want) {
		select {
		case <-e.ctx.Done():
			e.t.Fatalf("waiting for webhooks %v: %v; processed: %v", want, e.ctx.Err(), e.order(id).Webhooks)
		case <-tick.C:
		}
	}
	require.NoError(e.t, e.sim.WaitIdle(e.ctx))
	o := e.order(id)
	require.Equal(e.t, want, o.Webhooks, "each webhook event processed once, in order")
	return o
}

// pay clicks a button in the payment popup.
func pay(t *testing.T, popup context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(popup, steps...))
}

func TestCheckoutWithMiddleware(t *testing.T) {
	e := newEnv(t, withGlomo)
	id := e.buy("mug", "")
	popup := e.openCheckout()

	e.wait(root("glomoFrame") + " === 'loaded'")
	e.wait(root("glomoApi") + " === 'ok'")
	assert.Equal(t, "open", eval[string](e, root("glomoPopup")), "the popup must stay connected")
	assert.Equal(t, "", eval[string](e, root("cspBlocked")+" || ''"), "no CSP violation")

	// The SDK's loads went to Glomo's real host names, through the
	// middleware's default CSP sources.
	for kind, host := range map[glomotest.RequestKind]string{
		glomotest.KindScript:  "glomopay-checkout-sdk.web.app",
		glomotest.KindFrame:   "glomopay-checkout-sdk.web.app",
		glomotest.KindConnect: "api.glomopay.com",
		glomotest.KindPopup:   "checkout.glomopay.com",
	} {
		assert.Equal(t, host, e.hostOf(kind), "host of the %s load", kind)
	}

	if path := os.Getenv("GLOMO_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(e.ctx, chromedp.CaptureScreenshot())
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, png, 0o644))
		t.Logf("wrote the checkout screenshot to %s (%d bytes)", path, len(png))
	}

	pay(t, popup, chromedp.Click(chromedp.CSS("#glomo-pay-success")))
	e.wait("location.pathname === '/order' && document.getElementById('order-status').dataset.status === 'paid'")

	o := e.order(id)
	assert.Equal(t, shop.StatusPaid, o.Status)
	assert.Equal(t, "success", o.BrowserOutcome, "the server verified the posted success")
	// The webhook may beat the browser: either fulfils, once.
	assert.Contains(t, []string{"post", "webhook"}, o.FulfilledBy)
	assert.NotEmpty(t, o.PaymentID)

	// payment/success and orders/paid, each delivered twice
	// (DuplicateWebhooks), are proofs of the same payment: all accepted,
	// and the order is still fulfilled once.
	before := len(e.sim.Deliveries())
	o = e.settleWebhooks(id)
	for _, d := range e.sim.Deliveries()[before:] {
		assert.True(t, d.OK(), "delivery %d/%s/%s answered %d", d.Event, d.EntityType, d.EventType, d.StatusCode)
	}
	assert.Equal(t, 1, o.Fulfilments, "fulfilled once across the post and the webhooks")
}

func TestCheckoutCallbackURL(t *testing.T) {
	e := newEnv(t, withGlomo)
	id := e.buy("tee", "redirect")
	popup := e.openCheckout()
	pay(t, popup, chromedp.Click(chromedp.CSS("#glomo-pay-success")))

	e.wait("location.pathname === '/payment-result' && !!document.getElementById('result-outcome')")
	assert.Equal(t, "success", eval[string](e, "document.getElementById('result-outcome').dataset.outcome"))
	assert.Equal(t, "signature", e.text("#result-verified"))
	o := e.order(id)
	assert.Equal(t, shop.StatusPaid, o.Status)
	assert.Equal(t, "success", o.BrowserOutcome)
	assert.Contains(t, []string{"redirect", "webhook"}, o.FulfilledBy)

	// A reload brings the same signed result again: still fulfilled once.
	e.do(chromedp.Evaluate[chromedp.Void]("document.getElementById('result-outcome').id = 'stale'"), chromedp.Reload())
	e.wait("!!document.getElementById('result-outcome')")
	assert.Equal(t, "success", eval[string](e, "document.getElementById('result-outcome').dataset.outcome"))
	o = e.settleWebhooks(id)
	assert.Equal(t, 1, o.Fulfilments, "the redirect and its reload ran the fulfilment hook once")
}

// TestCheckoutCallbackURLWithoutPaymentID pays through the guide's
// redirect, ?status=success&orderId=...&signature=... without paymentId,
// which the shop cannot verify and confirms through the API; then the
// signed SDK result of the same payment arrives as well. One paid order:
// the fulfilment hook must run once.
func TestCheckoutCallbackURLWithoutPaymentID(t *testing.T) {
	sim := glomotest.NewServer(glomotest.Options{CallbackWithoutPaymentID: true, DuplicateWebhooks: true})
	t.Cleanup(sim.Close)
	e := newEnvWith(t, withGlomo, sim, shop.SimulatorConfig(sim))
	id := e.buy("mug", "redirect")
	popup := e.openCheckout()
	pay(t, popup, chromedp.Click(chromedp.CSS("#glomo-pay-success")))

	e.wait("location.pathname === '/payment-result' && !!document.getElementById('result-outcome')")
	assert.False(t, eval[bool](e, "new URLSearchParams(location.search).has('paymentId')"), "the guide's redirect")
	assert.True(t, eval[bool](e, "new URLSearchParams(location.search).has('signature')"))
	assert.Equal(t, "success", eval[string](e, "document.getElementById('result-outcome').dataset.outcome"))
	assert.Equal(t, "server-side look-up", e.text("#result-verified"))
	o := e.settleWebhooks(id)
	assert.Equal(t, shop.StatusPaid, o.Status)
	assert.Equal(t, 1, o.Fulfilments)
	paymentID := ""
	for _, d := range sim.Deliveries() {
		var ev struct {
			EntityType string `json:"entity_type"`
			Data       struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if json.Unmarshal(d.Body, &ev) == nil && ev.EntityType == "payment" {
			paymentID = ev.Data.ID
		}
	}
	require.NotEmpty(t, paymentID, "the payment/success webhook names the payment")

	// The signed SDK result of the same payment, posted from the page.
	payload, err := json.Marshal(glomotest.SignedSuccess(id, paymentID, sim.SecretKey()))
	require.NoError(t, err)
	status, err := chromedp.Run(e.ctx, chromedp.Evaluate[int](`fetch('`+shop.PathVerify+`', {method: 'POST',
		headers: {'Content-Type': 'application/json'}, body: JSON.stringify(`+string(payload)+`)}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	o = e.order(id)
	assert.Equal(t, 1, o.Fulfilments, "the signed result of an order already confirmed paid must not run the fulfilment hook again")
}

func TestCheckoutFailureThenRetry(t *testing.T) {
	e := newEnv(t, withGlomo)
	id := e.buy("book", "")
	popup := e.openCheckout()
	pay(t, popup,
		chromedp.SetValue(chromedp.CSS("#glomo-error-code"), "CARD_EXPIRED"),
		chromedp.Click(chromedp.CSS("#glomo-pay-fail")),
	)
	// The shop verified the (unsigned) failure and shows the order.
	e.wait("location.pathname === '/order' && !!document.getElementById('order-error')")
	assert.Equal(t, "CARD_EXPIRED", eval[string](e, "document.getElementById('order-error').dataset.error"))
	assert.Contains(t, e.text("#order-error"), "expired")

	o := e.settleWebhooks(id, "payment/failed")
	assert.Equal(t, shop.StatusAwaitingPayment, o.Status, "a failed card payment leaves the order payable")
	assert.Equal(t, "CARD_EXPIRED", o.LastError)
	assert.Equal(t, "failure_hint", o.BrowserOutcome, "an unsigned failure is only a hint")
	assert.Zero(t, o.Fulfilments)

	// The buyer tries again from the order page, and pays.
	e.do(chromedp.Click(chromedp.CSS("#pay-again")))
	e.wait("location.pathname === '/checkout' && !!document.getElementById('buy-button')")
	popup = e.openCheckout()
	pay(t, popup, chromedp.Click(chromedp.CSS("#glomo-pay-success")))
	e.wait("location.pathname === '/order' && document.getElementById('order-status').dataset.status === 'paid'")
	o = e.settleWebhooks(id, "payment/failed")
	assert.Equal(t, 1, o.Fulfilments)
}

func TestCheckoutBankTransfer(t *testing.T) {
	e := newEnv(t, withGlomo)
	id := e.buy("mug", "")
	popup := e.openCheckout()
	pay(t, popup,
		chromedp.SetValue(chromedp.CSS("#glomo-sender-account"), "000987654321"),
		chromedp.SetValue(chromedp.CSS("#glomo-transaction-reference"), "UTR-E2E-1"),
		chromedp.Click(chromedp.CSS("#glomo-pay-bank-transfer")),
	)
	e.wait("location.pathname === '/order' && document.getElementById('order-status').dataset.status === 'awaiting_transfer'")

	o := e.settleWebhooks(id, "payment/in_progress", "orders/under_review")
	assert.Equal(t, shop.StatusAwaitingTransfer, o.Status, "the buyer's word is not a payment")
	assert.Equal(t, "bank_transfer_submitted", o.BrowserOutcome)
	assert.Zero(t, o.Fulfilments)
	require.NotEmpty(t, o.PaymentID, "the in_progress webhook names the payment")

	// The money arrives: only the webhook can tell the shop.
	_, err := e.sim.SettleBankTransfer(o.PaymentID, true)
	require.NoError(t, err)
	o = e.settleWebhooks(id, "payment/in_progress", "orders/under_review")
	assert.Equal(t, shop.StatusPaid, o.Status)
	assert.Equal(t, "webhook", o.FulfilledBy)
	assert.Equal(t, 1, o.Fulfilments, "only the webhook knew the money arrived")

	e.do(chromedp.Reload())
	e.wait("document.getElementById('order-status').dataset.status === 'paid'")
}

// TestCheckoutWithoutMiddleware shows that the browser really enforces
// the site's own headers, so the tests above would fail without the
// middleware.
func TestCheckoutWithoutMiddleware(t *testing.T) {
	tests := []struct {
		name  string
		serve variant
		check func(t *testing.T, e *env)
	}{
		{
			name:  "site headers as they are",
			serve: func(s *shop.Shop) http.Handler { return s.Mux() },
			check: func(t *testing.T, e *env) {
				// The strict policy refuses the inline snippet, so the SDK is
				// never even requested.
				e.wait("(" + root("cspBlocked") + " || '').includes('script-src-elem')")
				e.do(chromedp.Click(chromedp.CSS("#buy-button")))
				assert.Nil(t, eval[any](e, root("glomoSdk")), "the SDK must not have run")
				kinds := e.requestKinds()
				for _, k := range []glomotest.RequestKind{glomotest.KindScript, glomotest.KindFrame, glomotest.KindConnect, glomotest.KindPopup} {
					assert.Zero(t, kinds[k], "a %s load reached Glomo", k)
				}
			},
		},
		{
			name: "script allowed, frames, connections and COOP as they are",
			serve: func(s *shop.Shop) http.Handler {
				// What a merchant gets from adding only the script host.
				return glomo.CSP(glomo.WithNonce(), glomo.WithFrameSources(), glomo.WithConnectSources())(s.Mux())
			},
			check: func(t *testing.T, e *env) {
				e.wait(root("glomoSdk") + " === 'loaded'")
				e.do(chromedp.Click(chromedp.CSS("#buy-button")))
				e.wait(root("glomoPopup") + " === 'severed'")
				e.wait(root("glomoApi") + " === 'error'")
				e.wait("(" + root("cspBlocked") + " || '').includes('frame-src')")
				blocked := eval[string](e, root("cspBlocked"))
				assert.Contains(t, blocked, "connect-src")
				assert.Equal(t, "pending", eval[string](e, root("glomoFrame")), "the iframe never ran")
				kinds := e.requestKinds()
				assert.Equal(t, 1, kinds[glomotest.KindScript], "the SDK itself was allowed")
				assert.Zero(t, kinds[glomotest.KindFrame], "the CSP let the iframe through")
				assert.Zero(t, kinds[glomotest.KindConnect], "the CSP let the API fetch through")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.serve)
			id := e.buy("mug", "")
			tt.check(t, e)
			o := e.order(id)
			assert.Equal(t, shop.StatusAwaitingPayment, o.Status)
			assert.Zero(t, o.Fulfilments)
		})
	}
}

// TestDemoWithEmbeddedSimulator pays in the configuration of `go run
// ./examples/nethttp` without keys: a plain HTTP simulator on its own
// loopback port, no host mapping, the SDK imported from the simulator and
// its origin added to the CSP sources. That is what a human's browser
// gets, without certificate warnings.
func TestDemoWithEmbeddedSimulator(t *testing.T) {
	cfg, sim, err := shop.Setup(func(string) string { return "" }, nil)
	require.NoError(t, err)
	require.NotNil(t, sim, "no keys in the environment: the simulator is embedded")
	t.Cleanup(sim.Close)
	require.True(t, strings.HasPrefix(sim.URL(), "http://127.0.0.1:"))

	e := newEnvWith(t, withGlomo, sim, cfg)
	id := e.buy("tee", "")
	popup := e.openCheckout()
	e.wait(root("glomoFrame") + " === 'loaded'")
	e.wait(root("glomoApi") + " === 'ok'")
	simHost := strings.TrimPrefix(sim.URL(), "http://")
	for _, kind := range []glomotest.RequestKind{glomotest.KindScript, glomotest.KindFrame, glomotest.KindConnect, glomotest.KindPopup} {
		assert.Equal(t, simHost, e.hostOf(kind), "host of the %s load", kind)
	}
	pay(t, popup, chromedp.Click(chromedp.CSS("#glomo-pay-success")))
	e.wait("location.pathname === '/order' && document.getElementById('order-status').dataset.status === 'paid'")
	o := e.settleWebhooks(id)
	assert.Equal(t, "success", o.BrowserOutcome)
	assert.Equal(t, 1, o.Fulfilments)
}
