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
