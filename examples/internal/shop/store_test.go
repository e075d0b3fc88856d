package shop_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/glomokit/glomo/webhook"
)

func TestOrderStoreBounded(t *testing.T) {
	s := shop.NewOrderStore(2)
	s.Add("s1", shop.Order{ID: "order_1"})
	s.Add("s2", shop.Order{ID: "order_2"})
	s.Add("s3", shop.Order{ID: "order_3"})

	tests := []struct {
		session, order string
		exists         bool
	}{
		{"s1", "order_1", false},
		{"s2", "order_2", true},
		{"s3", "order_3", true},
	}
	for _, tt := range tests {
		t.Run(tt.order, func(t *testing.T) {
			_, ok := s.Get(tt.order)
			assert.Equal(t, tt.exists, ok)
			cur, ok := s.Current(tt.session)
			assert.Equal(t, tt.exists, ok)
			if ok {
				assert.Equal(t, tt.order, cur)
			}
			assert.Equal(t, tt.exists, s.Owns(tt.session, tt.order))
		})
	}
	assert.False(t, s.Owns("", "order_2"), "no session owns nothing")
}

// The shop counts every run of the fulfilment hook: deduplication is the
// library's job, and a second run must show.
func TestOrderStoreCountsFulfilments(t *testing.T) {
	s := shop.NewOrderStore(0)
	s.Add("s", shop.Order{ID: "order_1"})
	s.Fulfil("order_1", "payt_1", "webhook")
	o, _ := s.Get("order_1")
	assert.Equal(t, 1, o.Fulfilments)
	assert.Equal(t, shop.StatusPaid, o.Status)
	assert.Equal(t, "webhook", o.FulfilledBy)
	s.Fulfil("order_1", "payt_1", "post")
	o, _ = s.Get("order_1")
	assert.Equal(t, 2, o.Fulfilments)
	assert.Equal(t, "webhook", o.FulfilledBy, "the first proof is kept")
	s.Fulfil("order_unknown", "payt_1", "post")
	_, ok := s.Get("order_unknown")
	assert.False(t, ok)
}

func TestOrderStoreNeverUndoesAPayment(t *testing.T) {
	tests := []struct {
		name  string
		apply func(s *shop.OrderStore)
	}{
		{"a late failure hint", func(s *shop.OrderStore) {
			s.RecordResult(glomo.Payment{OrderID: "order_1", Outcome: glomo.OutcomeFailureHint, ErrorCode: "PAYMENT_DECLINED"})
		}},
		{"a late bank transfer claim", func(s *shop.OrderStore) {
			s.RecordResult(glomo.Payment{OrderID: "order_1", Outcome: glomo.OutcomeBankTransferSubmitted})
		}},
		{"a late in_progress webhook", func(s *shop.OrderStore) {
			require.True(t, s.RecordWebhook("order_1", "payt_2", "", webhook.EntityPayment, "in_progress"))
		}},
		{"a late failed webhook", func(s *shop.OrderStore) {
			require.True(t, s.RecordWebhook("order_1", "payt_2", "CARD_EXPIRED", webhook.EntityPayment, "failed"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shop.NewOrderStore(0)
			s.Add("s", shop.Order{ID: "order_1"})
			s.Fulfil("order_1", "payt_1", "post")
			tt.apply(s)
			o, _ := s.Get("order_1")
			assert.Equal(t, shop.StatusPaid, o.Status)
			assert.Equal(t, "payt_1", o.PaymentID)
			assert.Empty(t, o.LastError)
		})
	}
}

func TestRecordWebhookUnknownOrder(t *testing.T) {
	s := shop.NewOrderStore(0)
	assert.False(t, s.RecordWebhook("order_nope", "", "", webhook.EntityOrders, "paid"))
}

// TestBrowserNeverOverwritesTheWebhook plays a declined card in both
// orders of arrival: the verified webhook's error code and status win over
// the browser's unsigned hint and over the signed callbackUrl failure,
// which names no code; a later attempt (another payment) is recorded.
func TestBrowserNeverOverwritesTheWebhook(t *testing.T) {
	const order, payment = "order_1", "payt_1"
	webhookFailed := func(s *shop.OrderStore) {
		s.RecordWebhook(order, payment, "PAYMENT_DECLINED", webhook.EntityPayment, "failed")
	}
	redirectFailed := func(s *shop.OrderStore) { // signed, no error code
		s.RecordResult(glomo.Payment{OrderID: order, PaymentID: payment, Status: "failed",
			Outcome: glomo.OutcomeFailure, Source: glomo.SourceRedirect})
	}
	hintFailed := func(code string) func(s *shop.OrderStore) {
		return func(s *shop.OrderStore) {
			s.RecordResult(glomo.Payment{OrderID: order, PaymentID: payment, ErrorCode: code,
				Outcome: glomo.OutcomeFailureHint, Source: glomo.SourcePost})
		}
	}
	transferHint := func(s *shop.OrderStore) {
		s.RecordResult(glomo.Payment{OrderID: order, Outcome: glomo.OutcomeBankTransferSubmitted, Source: glomo.SourcePost})
	}
	tests := []struct {
		name       string
		steps      []func(*shop.OrderStore)
		wantStatus string
		wantError  string
		verified   bool
	}{
		{"redirect, then webhook", []func(*shop.OrderStore){redirectFailed, webhookFailed}, shop.StatusAwaitingPayment, "PAYMENT_DECLINED", true},
		{"webhook, then redirect", []func(*shop.OrderStore){webhookFailed, redirectFailed}, shop.StatusAwaitingPayment, "PAYMENT_DECLINED", true},
		{"hint, then webhook", []func(*shop.OrderStore){hintFailed("CARD_EXPIRED"), webhookFailed}, shop.StatusAwaitingPayment, "PAYMENT_DECLINED", true},
		{"webhook, then a lying hint", []func(*shop.OrderStore){webhookFailed, hintFailed("CARD_EXPIRED")}, shop.StatusAwaitingPayment, "PAYMENT_DECLINED", true},
		{"the redirect alone", []func(*shop.OrderStore){redirectFailed}, shop.StatusAwaitingPayment, "PAYMENT_FAILED", false},
		{"transfer in progress, then a failure hint", []func(*shop.OrderStore){
			func(s *shop.OrderStore) { s.RecordWebhook(order, payment, "", webhook.EntityPayment, "in_progress") },
			hintFailed("PAYMENT_DECLINED"),
		}, shop.StatusAwaitingTransfer, "", true},
		{"declined, then a bank transfer (a new attempt)", []func(*shop.OrderStore){webhookFailed, transferHint}, shop.StatusAwaitingTransfer, "PAYMENT_DECLINED", false},
		{"declined, then another card declined", []func(*shop.OrderStore){webhookFailed, func(s *shop.OrderStore) {
			s.RecordResult(glomo.Payment{OrderID: order, PaymentID: "payt_2", ErrorCode: "CARD_EXPIRED",
				Outcome: glomo.OutcomeFailureHint, Source: glomo.SourcePost})
		}}, shop.StatusAwaitingPayment, "CARD_EXPIRED", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shop.NewOrderStore(0)
			s.Add("s", shop.Order{ID: order})
			for _, step := range tt.steps {
				step(s)
			}
			o, _ := s.Get(order)
			assert.Equal(t, tt.wantStatus, o.Status)
			assert.Equal(t, tt.wantError, o.LastError)
			assert.Equal(t, tt.verified, o.LastErrorVerified)
		})
	}
}
