package glomo

import (
	"encoding/json"
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
		{"entity type changed to one of the same length", func() WebhookEvent {
			e := parse(`{"entity_type":"orders","event_type":"paid","data":{"id":"order_1","status":"paid"}}`)
			e.EntityType = "refund"
			return e
		}, "refund|order_1|paid|paid"},
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
			assertDecoded(t, p, err, tc.payment, tc.paymentErr)
			o, err := e.Order()
			assertDecoded(t, o, err, tc.order, tc.orderErr)
		})
	}
}

// assertDecoded checks an accessor's result: want when it is not nil,
// else an error matching wantErr and the zero value.
func assertDecoded[T any](t *testing.T, got T, err error, want *T, wantErr error) {
	t.Helper()
	if want != nil {
		require.NoError(t, err)
		assert.Equal(t, *want, got)
		return
	}
	require.ErrorIs(t, err, wantErr)
	assert.Zero(t, got)
}

func TestParseWebhookEventRejects(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"no entity_type", `{"event_type":"success","data":{"id":"payt_1"}}`},
		{"no event_type", `{"entity_type":"payment","data":{"id":"payt_1"}}`},
		{"empty entity_type", `{"entity_type":"","event_type":"success"}`},
		{"empty event_type", `{"entity_type":"payment","event_type":""}`},
		{"null entity_type", `{"entity_type":null,"event_type":"success"}`},
		{"a repeated entity_type that is not a string", `{"entity_type":"payment","event_type":"success","entity_type":1}`},
		{"a second object after the event", `{"entity_type":"payment","event_type":"success"} {}`},
		{"a byte after the event", `{"entity_type":"payment","event_type":"success"}x`},
		{"a bracket after the event", `{"entity_type":"payment","event_type":"success"}]`},
		{"an invalid escape in a member name", `{"entity_type":"payment","event_type":"success","a\x":1}`},
		{"arrays nested deeper than maxJSONDepth", `{"entity_type":"a","event_type":"b","n":` +
			strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1) + `}`},
		{"objects nested deeper than maxJSONDepth", `{"entity_type":"a","event_type":"b","n":` +
			strings.Repeat(`{"a":`, maxJSONDepth) + `{}` + strings.Repeat("}", maxJSONDepth) + `}`},
		{"a number with a leading zero", `{"entity_type":"a","event_type":"b","n":01}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseWebhookEvent([]byte(tc.body))
			require.ErrorIs(t, err, ErrWebhookMalformedEvent)
			assert.Zero(t, e)
		})
	}
}

func TestParseWebhookEventAccepts(t *testing.T) {
	longID := "payt_" + strings.Repeat("9", 2*shortString)
	for _, tc := range []struct {
		name, body                string
		entity, event, id, status string
	}{
		{"whitespace after the event", "{\"entity_type\":\"payment\",\"event_type\":\"success\",\"data\":{\"id\":\"payt_1\"}} \r\n\t",
			"payment", "success", "payt_1", ""},
		{"escaped member names", `{"entity\u005ftype":"payment","\u0065vent_type":"success","d\u0061ta":{"\u0069d":"payt_1","st\u0061tus":"success"}}`,
			"payment", "success", "payt_1", "success"},
		{"a long id with a byte that is not UTF-8", `{"entity_type":"payment","event_type":"success","data":{"id":"` + longID + "\x80" + `"}}`,
			"payment", "success", longID + "\ufffd", ""},
		{"a long id with DEL", `{"entity_type":"payment","event_type":"success","data":{"id":"` + longID + "\x7f" + `"}}`,
			"payment", "success", longID + "\x7f", ""},
		{"numbers of every form", `{"entity_type":"a","event_type":"b","n":[0,10,100,-0,-0.5,1.05,1e10,1E+2,2e-03,-10.0e0]}`,
			"a", "b", "", ""},
		{"objects nested as deep as maxJSONDepth", `{"entity_type":"a","event_type":"b","n":` +
			strings.Repeat(`{"a":`, maxJSONDepth-1) + `{}` + strings.Repeat("}", maxJSONDepth-1) + `}`,
			"a", "b", "", ""},
		{"nested as deep as maxJSONDepth", `{"entity_type":"a","event_type":"b","n":` +
			strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`,
			"a", "b", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseWebhookEvent([]byte(tc.body))
			require.NoError(t, err)
			assert.Equal(t, tc.entity, e.EntityType)
			assert.Equal(t, tc.event, e.EventType)
			assert.Equal(t, tc.id, e.ID())
			assert.Equal(t, tc.status, e.Status())

			// encoding/json reads the same identity.
			var ref struct {
				EntityType string `json:"entity_type"`
				EventType  string `json:"event_type"`
				Data       struct{ ID, Status string }
			}
			require.NoError(t, json.Unmarshal([]byte(tc.body), &ref))
			assert.Equal(t, ref.EntityType, e.EntityType)
			assert.Equal(t, ref.EventType, e.EventType)
			assert.Equal(t, ref.Data.ID, e.ID())
			assert.Equal(t, ref.Data.Status, e.Status())
		})
	}
}
