package glomo

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebhookEventDedupKey(t *testing.T) {
	parse := func(body string) WebhookEvent {
		e, err := ParseWebhookEvent([]byte(body))
		require.NoError(t, err)
		return e
	}
	for _, tc := range []struct {
		name string
		e    func() WebhookEvent
		want string
	}{
		{"parsed", func() WebhookEvent {
			return parse(`{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"success"}}`)
		}, "payment|payt_1|success|success"},
		{"id decoded from escapes", func() WebhookEvent {
			return parse(`{"entity_type":"payment","event_type":"failed","data":{"status":"failed","id":"payt_\u0032"}}`)
		}, "payment|payt_2|failed|failed"},
		{"data before the types", func() WebhookEvent {
			return parse(`{"data":{"id":"order_1","status":"paid"},"event_type":"paid","entity_type":"orders"}`)
		}, "orders|order_1|paid|paid"},
		{"last id wins", func() WebhookEvent {
			return parse(`{"entity_type":"orders","event_type":"paid","data":{"id":"order_\u0031","id":"order_2"}}`)
		}, "orders|order_2|paid|"},
		{"a later non-string id replaces a string one", func() WebhookEvent {
			return parse(`{"entity_type":"orders","event_type":"paid","data":{"id":"order_1","status":"paid","id":7}}`)
		}, ""},
		{"a later null status replaces a string one", func() WebhookEvent {
			return parse(`{"entity_type":"orders","event_type":"paid","data":{"status":"paid","id":"order_1","status":null}}`)
		}, "orders|order_1|paid|"},
		{"entity type changed after parsing", func() WebhookEvent {
			e := parse(`{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"success"}}`)
			e.EntityType = "refund"
			return e
		}, "refund|payt_1|success|success"},
		{"event type changed to one of the same length", func() WebhookEvent {
			e := parse(`{"entity_type":"orders","event_type":"paid","data":{"id":"order_1","status":"paid"}}`)
			e.EventType = "lost"
			return e
		}, "orders|order_1|lost|paid"},
		{"no id", func() WebhookEvent {
			return parse(`{"entity_type":"webhook_test","event_type":"test","data":{"id":""}}`)
		}, ""},
		{"built by hand", func() WebhookEvent {
			return WebhookEvent{EntityType: "payment", EventType: "success", Data: []byte(`{"id":"payt_9","status":"success"}`)}
		}, "payment|payt_9|success|success"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e()
			assert.Equal(t, tc.want, e.DedupKey())
			if tc.want != "" {
				assert.Equal(t, strings.Split(tc.want, "|")[1], e.ID())
			}
		})
	}
}

func TestWebhookEventAccessors(t *testing.T) {
	const (
		payment = `{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","payin_id":"payin_1","order_id":"order_1","status":"success","amount":1999,"currency":"USD","error_code":"","created_at":"2026-01-02T03:04:05Z"}}`
		order   = `{"entity_type":"orders","event_type":"paid","data":{"id":"order_1","status":"paid","amount":500,"currency":"INR","customer_id":"cust_1","reference_number":"ref-7"}}`
	)
	wantPayment := WebhookPayment{ID: "payt_1", PayinID: "payin_1", OrderID: "order_1", Status: "success", Amount: 1999, Currency: "USD", CreatedAt: "2026-01-02T03:04:05Z"}
	wantOrder := WebhookOrder{ID: "order_1", Status: "paid", Amount: 500, Currency: "INR", CustomerID: "cust_1", ReferenceNumber: "ref-7"}
	for _, tc := range []struct {
		name       string
		body       string
		payment    *WebhookPayment // nil: Payment fails with paymentErr
		paymentErr error
		order      *WebhookOrder // nil: Order fails with orderErr
		orderErr   error
	}{
		{"payment", payment, &wantPayment, nil, nil, ErrWebhookEntityType},
		{"orders", order, nil, ErrWebhookEntityType, &wantOrder, nil},
		{"order in the singular", strings.Replace(order, `"orders"`, `"order"`, 1), nil, ErrWebhookEntityType, &wantOrder, nil},
		{"another entity", strings.Replace(payment, `"payment"`, `"refund"`, 1), nil, ErrWebhookEntityType, nil, ErrWebhookEntityType},
		{"payment amount of the wrong type", strings.Replace(payment, `1999`, `"1999"`, 1), nil, ErrWebhookMalformedEvent, nil, ErrWebhookEntityType},
		{"order data not an object", `{"entity_type":"orders","event_type":"paid","data":["order_1"]}`, nil, ErrWebhookEntityType, nil, ErrWebhookMalformedEvent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseWebhookEvent([]byte(tc.body))
			require.NoError(t, err)

			p, err := e.Payment()
			if tc.payment != nil {
				require.NoError(t, err)
				assert.Equal(t, *tc.payment, p)
			} else {
				require.ErrorIs(t, err, tc.paymentErr)
				assert.Zero(t, p)
			}

			o, err := e.Order()
			if tc.order != nil {
				require.NoError(t, err)
				assert.Equal(t, *tc.order, o)
			} else {
				require.ErrorIs(t, err, tc.orderErr)
				assert.Zero(t, o)
			}
		})
	}
}
