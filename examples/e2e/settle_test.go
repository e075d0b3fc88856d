package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/glomokit/glomo/glomotest"
)

// TestSettleBankTransferFromOrderPage pays by bank transfer in the demo's
// configuration (the embedded simulator) and lets the human play the bank
// with the order page's buttons: the simulator sends the webhook, and the
// order page shows what it said.
func TestSettleBankTransferFromOrderPage(t *testing.T) {
	tests := []struct {
		name       string
		button     string
		wantStatus string
		wantError  string
		wantHooks  []string
	}{
		{"received", "#settle-received", shop.StatusPaid, "", []string{"payment/in_progress", "orders/under_review"}},
		{"never arrived", "#settle-rejected", shop.StatusAwaitingPayment, "BANK_TRANSFER_NOT_RECEIVED",
			[]string{"payment/in_progress", "orders/under_review", "payment/failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := glomotest.NewServer(glomotest.Options{})
			t.Cleanup(sim.Close)
			e := newEnvWith(t, withGlomo, sim, shop.SimulatorConfig(sim))
			id := e.buy("mug", "")
			popup := e.openCheckout()
			pay(t, popup, chromedp.Click(chromedp.CSS("#glomo-pay-bank-transfer")))
			e.wait("location.pathname === '/order' && document.getElementById('order-status').dataset.status === 'awaiting_transfer'")
			e.settleWebhooks(id, "payment/in_progress", "orders/under_review")
			e.do(chromedp.Reload())
			e.wait("!!document.getElementById('settle-received')")
			assert.Equal(t, "", eval[string](e, root("cspBlocked")+" || ''"), "the settle form is within the shop's CSP")

			e.do(chromedp.Click(chromedp.CSS(tt.button)))
			e.wait("location.pathname === '/order' && document.getElementById('order-status').dataset.status === " + jsString(t, tt.wantStatus))
			assert.False(t, eval[bool](e, "!!document.getElementById('settle-received')"), "nothing left to settle")
			o := e.settleWebhooks(id, tt.wantHooks...)
			assert.Equal(t, tt.wantStatus, o.Status)
			assert.Equal(t, tt.wantError, o.LastError)
			if tt.wantError != "" {
				assert.Equal(t, tt.wantError, eval[string](e, "document.getElementById('order-error').dataset.error"))
				assert.Zero(t, o.Fulfilments)
			} else {
				assert.Equal(t, 1, o.Fulfilments)
				assert.Equal(t, "webhook", o.FulfilledBy)
			}
			require.Equal(t, "", eval[string](e, root("cspBlocked")+" || ''"))
		})
	}
}
