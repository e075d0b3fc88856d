package webhook_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/glomokit/glomo/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

func mustParse(t testing.TB, body string) webhook.Event {
	t.Helper()
	e, err := webhook.Parse([]byte(body))
	require.NoError(t, err)
	return e
}

func TestParseAccepts(t *testing.T) {
	nested := func(depth int) string {
		return `{"entity_type":"a","event_type":"b","data":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
	}
	for _, tc := range []struct {
		name, body          string
		entity, event, data string // data "" means nil Data
		id, status          string
	}{
		{"canonical payment", `{"data":{"id":"payt_1","status":"success"},"entity_type":"payment","event_type":"success"}`,
			"payment", "success", `{"id":"payt_1","status":"success"}`, "payt_1", "success"},
		{"types before data", `{"entity_type":"orders","event_type":"paid","data":{"id":"order_1","status":"paid"}}`,
			"orders", "paid", `{"id":"order_1","status":"paid"}`, "order_1", "paid"},
		{"whitespace everywhere, kept inside data", "\r\n { \"entity_type\" : \"payment\" ,\t\"event_type\":\"success\", \"data\" : { \"id\" : \"payt_1\" } } \r\n\t",
			"payment", "success", `{ "id" : "payt_1" }`, "payt_1", ""},
		{"escaped member names", `{"entity\u005ftype":"payment","\u0065vent_type":"success","d\u0061ta":{"\u0069d":"payt_1","st\u0061tus":"success"}}`,
			"payment", "success", `{"\u0069d":"payt_1","st\u0061tus":"success"}`, "payt_1", "success"},
		{"escaped values", `{"entity_type":"pay\u006dent","event_type":"succ\u0065ss","data":{"id":"payt_\u0031","status":"in\u005fprogress"}}`,
			"payment", "success", `{"id":"payt_\u0031","status":"in\u005fprogress"}`, "payt_1", "in_progress"},
		{"duplicate entity_type: the last wins", `{"entity_type":"refund","event_type":"success","entity_type":"payment"}`,
			"payment", "success", "", "", ""},
		// Data() is the last data member, as encoding/json reads a raw
		// value; the identity merges their members, as it reads a struct.
		// (Glomo's bodies are canonical JSON, without repeated names.)
		{"duplicate data: the last wins, members merge", `{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"failed"},"data":{"id":"payt_2"}}`,
			"payment", "success", `{"id":"payt_2"}`, "payt_2", "failed"},
		{"duplicate id: the last wins", `{"entity_type":"orders","event_type":"paid","data":{"id":"order_\u0031","id":"order_2"}}`,
			"orders", "paid", `{"id":"order_\u0031","id":"order_2"}`, "order_2", ""},
		{"data null", `{"entity_type":"payment","event_type":"success","data":null}`,
			"payment", "success", "", "", ""},
		{"no data", `{"entity_type":"webhook_test","event_type":"test"}`,
			"webhook_test", "test", "", "", ""},
		{"data an array", `{"entity_type":"a","event_type":"b","data":[{"id":"x"}]}`,
			"a", "b", `[{"id":"x"}]`, "", ""},
		{"data a string", `{"entity_type":"a","event_type":"b","data":"x\"y\\"}`,
			"a", "b", `"x\"y\\"`, "", ""},
		{"id and status of other types", `{"entity_type":"a","event_type":"b","data":{"id":7,"status":["paid"]}}`,
			"a", "b", `{"id":7,"status":["paid"]}`, "", ""},
		{"unknown members ignored", `{"entity_type":"a","event_type":"b","version":2,"extra":{"entity_type":"c"},"data":{}}`,
			"a", "b", `{}`, "", ""},
		// encoding/json matches member names without regard to case.
		{"member names of another case, as encoding/json", `{"Entity_Type":"payment","EVENT_TYPE":"success"}`,
			"payment", "success", "", "", ""},
		{"invalid UTF-8 becomes U+FFFD, as encoding/json", "{\"entity_type\":\"pay\x80\",\"event_type\":\"success\",\"data\":{\"id\":\"payt_\xff\"}}",
			"pay\ufffd", "success", "{\"id\":\"payt_\xff\"}", "payt_\ufffd", ""},
		{"numbers of every form", `{"entity_type":"a","event_type":"b","data":{"n":[0,10,100,-0,-0.5,1.05,1e10,1E+2,2e-03,-10.0e0]}}`,
			"a", "b", `{"n":[0,10,100,-0,-0.5,1.05,1e10,1E+2,2e-03,-10.0e0]}`, "", ""},
		{"data nested deep", nested(maxJSONDepth - 2), "a", "b",
			strings.Repeat("[", maxJSONDepth-2) + strings.Repeat("]", maxJSONDepth-2), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustParse(t, tc.body)
			assert.Equal(t, tc.entity, e.EntityType)
			assert.Equal(t, tc.event, e.EventType)
			if tc.data == "" {
				assert.Nil(t, e.Data())
			} else {
				assert.Equal(t, tc.data, string(e.Data()))
			}
			assert.Equal(t, tc.id, e.ID())
			assert.Equal(t, tc.status, e.Status())
			assert.Equal(t, tc.body, string(e.Raw), "Raw is the body as signed")

			// encoding/json reads the same event.
			ref, ok := reference([]byte(tc.body))
			require.True(t, ok)
			assert.Equal(t, ref.EntityType, e.EntityType)
			assert.Equal(t, ref.EventType, e.EventType)
			assert.Equal(t, string(ref.Data), string(e.Data()))
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"empty", ``},
		{"whitespace", " \r\n\t"},
		{"not JSON", `this is not json at all`},
		{"null", `null`},
		{"an array", `[{"entity_type":"payment","event_type":"success"}]`},
		{"a string", `"{\"entity_type\":\"payment\",\"event_type\":\"success\"}"`},
		{"a number", `12345678`},
		{"a boolean", `true`},
		{"an unterminated object", `{"entity_type":"payment","event_type":"success"`},
		{"truncated", `{"entity_type":"payment","event_type":"succ`},
		{"no types", `{"data":{"id":"payt_1"}}`},
		{"no entity_type", `{"event_type":"success","data":{"id":"payt_1"}}`},
		{"no event_type", `{"entity_type":"payment","data":{"id":"payt_1"}}`},
		{"empty entity_type", `{"entity_type":"","event_type":"success"}`},
		{"empty event_type", `{"entity_type":"payment","event_type":""}`},
		{"null entity_type", `{"entity_type":null,"event_type":"success"}`},
		{"null event_type", `{"entity_type":"payment","event_type":null}`},
		{"numeric entity_type", `{"entity_type":1,"event_type":"success"}`},
		{"object entity_type", `{"entity_type":{"name":"payment"},"event_type":"success"}`},
		{"array event_type", `{"entity_type":"payment","event_type":["success"]}`},
		{"boolean event_type", `{"entity_type":"payment","event_type":true}`},
		{"a repeated entity_type that is not a string", `{"entity_type":"payment","event_type":"success","entity_type":1}`},
		{"a repeated entity_type that is empty", `{"entity_type":"payment","event_type":"success","entity_type":""}`},
		{"a second object after the event", `{"entity_type":"payment","event_type":"success"} {}`},
		{"a byte after the event", `{"entity_type":"payment","event_type":"success"}x`},
		{"a bracket after the event", `{"entity_type":"payment","event_type":"success"}]`},
		{"a NUL after the event", "{\"entity_type\":\"payment\",\"event_type\":\"success\"}\x00"},
		{"a byte order mark", "\ufeff{\"entity_type\":\"payment\",\"event_type\":\"success\"}"},
		{"an invalid escape in a member name", `{"entity_type":"payment","event_type":"success","a\x":1}`},
		{"an invalid escape in a value", `{"entity_type":"pay\ment","event_type":"success"}`},
		{"a raw control byte in a string", "{\"entity_type\":\"pay\nment\",\"event_type\":\"success\"}"},
		{"single quotes", `{'entity_type':'payment','event_type':'success'}`},
		{"a trailing comma", `{"entity_type":"payment","event_type":"success",}`},
		{"a comment", `{"entity_type":"payment",/* x */"event_type":"success"}`},
		{"a number with a leading zero", `{"entity_type":"a","event_type":"b","data":01}`},
		{"NaN", `{"entity_type":"a","event_type":"b","data":NaN}`},
		{"arrays nested deeper than encoding/json allows", `{"entity_type":"a","event_type":"b","data":` +
			strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`},
		{"objects nested deeper than encoding/json allows", `{"entity_type":"a","event_type":"b","data":` +
			strings.Repeat(`{"a":`, maxJSONDepth) + `{}` + strings.Repeat("}", maxJSONDepth) + `}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ok := reference([]byte(tc.body))
			require.False(t, ok, "encoding/json accepts this body: the case is wrong")

			e, err := webhook.Parse([]byte(tc.body))
			require.ErrorIs(t, err, webhook.ErrMalformedEvent)
			assert.NotErrorIs(t, err, webhook.ErrEntityType)
			assert.Zero(t, e)
			if len(tc.body) >= 8 {
				assert.NotContains(t, err.Error(), tc.body[:8], "the error quotes the body")
			}
			assert.NotContains(t, err.Error(), "payment")
			assert.NotContains(t, err.Error(), "success")
		})
	}
}

func TestEventDedupKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    func() webhook.Event
		want string
	}{
		{"payment", func() webhook.Event {
			return mustParse(t, `{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"success"}}`)
		}, "payment|payt_1|success|success"},
		{"the status is part of the key", func() webhook.Event {
			return mustParse(t, `{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"in_progress"}}`)
		}, "payment|payt_1|success|in_progress"},
		{"no status", func() webhook.Event {
			return mustParse(t, `{"entity_type":"refund","event_type":"created","data":{"id":"rfnd_1"}}`)
		}, "refund|rfnd_1|created|"},
		{"id decoded from escapes", func() webhook.Event {
			return mustParse(t, `{"entity_type":"payment","event_type":"failed","data":{"status":"failed","id":"payt_\u0032"}}`)
		}, "payment|payt_2|failed|failed"},
		{"data before the types", func() webhook.Event {
			return mustParse(t, `{"data":{"id":"order_1","status":"paid"},"event_type":"paid","entity_type":"orders"}`)
		}, "orders|order_1|paid|paid"},
		{"the last id wins", func() webhook.Event {
			return mustParse(t, `{"entity_type":"orders","event_type":"paid","data":{"id":"order_\u0031","id":"order_2"}}`)
		}, "orders|order_2|paid|"},
		{"a null status", func() webhook.Event {
			return mustParse(t, `{"entity_type":"orders","event_type":"paid","data":{"status":null,"id":"order_1"}}`)
		}, "orders|order_1|paid|"},
		{"a numeric status", func() webhook.Event {
			return mustParse(t, `{"entity_type":"orders","event_type":"paid","data":{"status":3,"id":"order_1"}}`)
		}, "orders|order_1|paid|"},
		{"a numeric id", func() webhook.Event {
			return mustParse(t, `{"entity_type":"orders","event_type":"paid","data":{"id":7,"status":"paid"}}`)
		}, ""},
		{"no id", func() webhook.Event {
			return mustParse(t, `{"entity_type":"payment","event_type":"success","data":{"status":"success"}}`)
		}, ""},
		{"an empty id", func() webhook.Event {
			return mustParse(t, `{"entity_type":"webhook_test","event_type":"test","data":{"id":""}}`)
		}, ""},
		{"no data", func() webhook.Event {
			return mustParse(t, `{"entity_type":"payment","event_type":"success"}`)
		}, ""},
		{"data not an object", func() webhook.Event {
			return mustParse(t, `{"entity_type":"payment","event_type":"success","data":["payt_1"]}`)
		}, ""},
		{"an id of another entity nested deeper", func() webhook.Event {
			return mustParse(t, `{"entity_type":"payment","event_type":"success","data":{"order":{"id":"order_1"}}}`)
		}, ""},
		{"entity type changed after parsing", func() webhook.Event {
			e := mustParse(t, `{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"success"}}`)
			e.EntityType = "refund"
			return e
		}, "refund|payt_1|success|success"},
		{"event type changed after parsing", func() webhook.Event {
			e := mustParse(t, `{"entity_type":"orders","event_type":"paid","data":{"id":"order_1","status":"paid"}}`)
			e.EventType = "lost"
			return e
		}, "orders|order_1|lost|paid"},
		{"built by hand", func() webhook.Event {
			return webhook.Event{EntityType: "payment", EventType: "success", Raw: []byte(`{"data":{"id":"payt_9","status":"success"}}`)}
		}, "payment|payt_9|success|success"},
		{"built by hand without data", func() webhook.Event {
			return webhook.Event{EntityType: "payment", EventType: "success"}
		}, ""},
		{"balance: payment_id and a string timestamp", func() webhook.Event {
			return mustParse(t, `{"entity_type":"balance","event_type":"credited","data":{"payment_id":"payt_1","timestamp":"2026-09-09T07:00:09Z","amount":5}}`)
		}, `balance|payt_1|credited|"2026-09-09T07:00:09Z"`},
		{"balance: an id does not stand in for payment_id", func() webhook.Event {
			return mustParse(t, `{"entity_type":"balance","event_type":"credited","data":{"id":"bal_1","timestamp":"2026-09-09T07:00:09Z"}}`)
		}, ""},
		{"balance: no timestamp", func() webhook.Event {
			return mustParse(t, `{"entity_type":"balance","event_type":"credited","data":{"id":"bal_1","payment_id":"payt_1"}}`)
		}, ""},
		{"balance: a null timestamp", func() webhook.Event {
			return mustParse(t, `{"entity_type":"balance","event_type":"credited","data":{"payment_id":"payt_1","timestamp":null}}`)
		}, ""},
		{"balance built by hand", func() webhook.Event {
			return webhook.Event{EntityType: "balance", EventType: "debited", Raw: []byte(`{"data":{"payment_id":"payt_2","timestamp":"t1"}}`)}
		}, `balance|payt_2|debited|"t1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e()
			assert.Equal(t, tc.want, e.DedupKey())
			if tc.want != "" && e.EntityType != webhook.EntityBalance {
				parts := strings.Split(tc.want, "|")
				assert.Equal(t, parts[1], e.ID())
				assert.Equal(t, parts[3], e.Status())
			}
		})
	}
}

// Balance events are keyed on payment_id and timestamp, whatever JSON
// type the timestamp has: equal timestamps share a key, different ones
// do not.
func TestEventDedupKeyBalanceTimestamps(t *testing.T) {
	key := func(paymentID, ts string) string {
		return mustParse(t, `{"entity_type":"balance","event_type":"credited","data":{"payment_id":"`+paymentID+`","timestamp":`+ts+`}}`).DedupKey()
	}
	for _, ts := range []string{`1767225600`, `1767225600123`, `"2026-01-01T00:00:00Z"`, `{"seconds":1}`} {
		t.Run(ts, func(t *testing.T) {
			k := key("payt_1", ts)
			require.NotEmpty(t, k)
			assert.True(t, strings.HasPrefix(k, "balance|payt_1|credited|"), k)
			assert.Equal(t, k, key("payt_1", ts), "deterministic")
			assert.NotEqual(t, k, key("payt_2", ts), "the payment is part of the key")
		})
	}
	assert.NotEqual(t, key("payt_1", `1767225600`), key("payt_1", `1767225601`))
	assert.NotEqual(t, key("payt_1", `1767225600123`), key("payt_1", `1767225600124`))
	assert.NotEqual(t, key("payt_1", `"2026-01-01T00:00:00Z"`), key("payt_1", `"2026-01-01T00:00:01Z"`))
	assert.Empty(t, key("", `1767225600`), "no payment_id")
}

// An event built by hand reads the same identity from Data as Parse does.
func TestEventBuiltByHandMatchesParsed(t *testing.T) {
	for _, body := range []string{
		string(paymentBody("payt_1", "success")),
		string(paymentSuccessBody("payt_1", "order_1")),
		string(orderPaidBody("order_1", "payt_1")),
		`{"entity_type":"balance","event_type":"credited","data":{"payment_id":"payt_1","timestamp":1767225600}}`,
		`{"entity_type":"a","event_type":"b","data":{"id":"x","status":"s","id":"y"}}`,
		`{"entity_type":"a","event_type":"b","data":[1]}`,
	} {
		t.Run(body, func(t *testing.T) {
			parsed := mustParse(t, body)
			hand := webhook.Event{EntityType: parsed.EntityType, EventType: parsed.EventType, Raw: parsed.Raw}
			assert.Equal(t, parsed.ID(), hand.ID())
			assert.Equal(t, parsed.Status(), hand.Status())
			assert.Equal(t, parsed.DedupKey(), hand.DedupKey())
			po, pp, pok := parsed.PaidOrder()
			ho, hp, hok := hand.PaidOrder()
			assert.Equal(t, []any{po, pp, pok}, []any{ho, hp, hok})
		})
	}
}

func TestEventPaidOrder(t *testing.T) {
	for _, tc := range []struct {
		name, body         string
		orderID, paymentID string
		ok                 bool
	}{
		{"payment/success naming its order", string(paymentSuccessBody("payt_1", "order_1")), "order_1", "payt_1", true},
		{"payment/success without an order", string(paymentBody("payt_1", "success")), "", "", false},
		{"payment/success with an empty order id", string(paymentSuccessBody("payt_1", "")), "", "", false},
		{"payment/success with a numeric order id", `{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","order_id":12}}`, "", "", false},
		{"payment/success without a payment id", `{"entity_type":"payment","event_type":"success","data":{"order_id":"order_1"}}`, "order_1", "", true},
		{"payment/failed naming its order", `{"entity_type":"payment","event_type":"failed","data":{"id":"payt_1","order_id":"order_1","status":"failed"}}`, "", "", false},
		{"payment/in_progress naming its order", `{"entity_type":"payment","event_type":"in_progress","data":{"id":"payt_1","order_id":"order_1"}}`, "", "", false},
		{"payment/funds_available naming its order", `{"entity_type":"payment","event_type":"funds_available","data":{"id":"payt_1","order_id":"order_1"}}`, "", "", false},
		{"orders/paid", string(orderPaidBody("order_1", "payt_9")), "order_1", "payt_9", true},
		{"orders/paid without a payment", `{"entity_type":"orders","event_type":"paid","data":{"id":"order_1","status":"paid"}}`, "order_1", "", true},
		{"order/paid in the singular", `{"entity_type":"order","event_type":"paid","data":{"id":"order_1"}}`, "order_1", "", true},
		{"orders/paid without an id", `{"entity_type":"orders","event_type":"paid","data":{"payment_id":"payt_1","order_id":"order_1"}}`, "", "", false},
		{"orders/expired", `{"entity_type":"orders","event_type":"expired","data":{"id":"order_1","status":"expired"}}`, "", "", false},
		{"orders/success", `{"entity_type":"orders","event_type":"success","data":{"id":"order_1"}}`, "", "", false},
		{"payment/paid", `{"entity_type":"payment","event_type":"paid","data":{"id":"payt_1","order_id":"order_1"}}`, "", "", false},
		{"refund/success naming an order", `{"entity_type":"refund","event_type":"success","data":{"id":"rfnd_1","order_id":"order_1"}}`, "", "", false},
		{"payment_link/paid", `{"entity_type":"payment_link","event_type":"paid","data":{"id":"plink_1"}}`, "", "", false},
		{"types of another case", `{"entity_type":"Payment","event_type":"SUCCESS","data":{"id":"payt_1","order_id":"order_1"}}`, "", "", false},
		{"the dashboard's test", `{"entity_type":"webhook_test","event_type":"test","data":{"id":"order_1"}}`, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orderID, paymentID, ok := mustParse(t, tc.body).PaidOrder()
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.orderID, orderID)
			if tc.ok {
				assert.Equal(t, tc.paymentID, paymentID)
			}
		})
	}
}

func TestEventAccessors(t *testing.T) {
	const (
		payment = `{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","payin_id":"payin_1","order_id":"order_1","status":"success","amount":1999,"currency":"USD","compliance_status":"approved","error_code":"","created_at":"2026-01-02T03:04:05Z","unknown":{"x":1}}}`
		order   = `{"entity_type":"orders","event_type":"paid","data":{"id":"order_1","status":"paid","amount":500,"currency":"INR","customer_id":"cust_1","reference_number":"ref-7","created_at":"2026-01-02T03:04:05Z"}}`
	)
	wantPayment := webhook.Payment{ID: "payt_1", PayinID: "payin_1", OrderID: "order_1", Status: "success", Amount: 1999, Currency: "USD", ComplianceStatus: "approved", CreatedAt: "2026-01-02T03:04:05Z"}
	wantOrder := webhook.Order{ID: "order_1", Status: "paid", Amount: 500, Currency: "INR", CustomerID: "cust_1", ReferenceNumber: "ref-7", CreatedAt: "2026-01-02T03:04:05Z"}
	declined := webhook.Payment{ID: "payt_2", Status: "failed", Amount: 10, Currency: "EUR", ErrorCode: "PAYMENT_DECLINED", ErrorMessage: "declined"}
	for _, tc := range []struct {
		name       string
		body       string
		payment    *webhook.Payment // nil: Payment fails with paymentErr
		paymentErr error
		order      *webhook.Order // nil: Order fails with orderErr
		orderErr   error
	}{
		{"payment", payment, &wantPayment, nil, nil, webhook.ErrEntityType},
		{"failed payment", `{"entity_type":"payment","event_type":"failed","data":{"id":"payt_2","status":"failed","amount":10,"currency":"EUR","error_code":"PAYMENT_DECLINED","error_message":"declined"}}`,
			&declined, nil, nil, webhook.ErrEntityType},
		{"orders", order, nil, webhook.ErrEntityType, &wantOrder, nil},
		{"order in the singular", strings.Replace(order, `"orders"`, `"order"`, 1), nil, webhook.ErrEntityType, &wantOrder, nil},
		{"another entity", strings.Replace(payment, `"payment"`, `"refund"`, 1), nil, webhook.ErrEntityType, nil, webhook.ErrEntityType},
		{"the entity type of another case", strings.Replace(payment, `"payment"`, `"Payment"`, 1), nil, webhook.ErrEntityType, nil, webhook.ErrEntityType},
		{"payment amount of the wrong type", strings.Replace(payment, `1999`, `"1999"`, 1), nil, webhook.ErrMalformedEvent, nil, webhook.ErrEntityType},
		{"payment amount not an integer", strings.Replace(payment, `1999`, `19.99`, 1), nil, webhook.ErrMalformedEvent, nil, webhook.ErrEntityType},
		{"payment data not an object", `{"entity_type":"payment","event_type":"success","data":"payt_1"}`, nil, webhook.ErrMalformedEvent, nil, webhook.ErrEntityType},
		{"payment without data", `{"entity_type":"payment","event_type":"success"}`, nil, webhook.ErrMalformedEvent, nil, webhook.ErrEntityType},
		{"order data not an object", `{"entity_type":"orders","event_type":"paid","data":["order_1"]}`, nil, webhook.ErrEntityType, nil, webhook.ErrMalformedEvent},
		{"order status of the wrong type", `{"entity_type":"orders","event_type":"paid","data":{"id":"order_1","status":1}}`, nil, webhook.ErrEntityType, nil, webhook.ErrMalformedEvent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustParse(t, tc.body)
			p, err := e.Payment()
			assertDecoded(t, p, err, tc.payment, tc.paymentErr)
			o, err := e.Order()
			assertDecoded(t, o, err, tc.order, tc.orderErr)
		})
	}
}

// assertDecoded checks an accessor's result: want when it is not nil,
// else an error matching wantErr (and not the other sentinel) and the
// zero value.
func assertDecoded[T any](t *testing.T, got T, err error, want *T, wantErr error) {
	t.Helper()
	if want != nil {
		require.NoError(t, err)
		assert.Equal(t, *want, got)
		return
	}
	require.ErrorIs(t, err, wantErr)
	other := webhook.ErrMalformedEvent
	if wantErr == webhook.ErrMalformedEvent {
		other = webhook.ErrEntityType
	}
	assert.NotErrorIs(t, err, other)
	assert.Zero(t, got)
}

func TestIsTerminalStatus(t *testing.T) {
	for _, tt := range []struct {
		entity, status string
		want           bool
	}{
		{"payment", "success", true}, {"payment", "failed", true},
		{"payment", "in_progress", false}, {"payment", "action_required", false},
		{"payment", "under_review", false}, {"payment", "paid", false}, {"payment", "", false},
		{"orders", "paid", true}, {"orders", "expired", true}, {"orders", "cancelled", true},
		{"orders", "failed", true}, {"orders", "active", false}, {"orders", "action_required", false},
		{"orders", "under_review", false}, {"orders", "success", false},
		{"order", "paid", true}, {"order", "active", false},
		{"refund", "success", false}, {"payout", "success", false}, {"balance", "failed", false},
		{"Payment", "success", false}, {"payment", "SUCCESS", false}, {"", "success", false},
	} {
		t.Run(tt.entity+"/"+tt.status, func(t *testing.T) {
			assert.Equal(t, tt.want, webhook.IsTerminalStatus(tt.entity, tt.status))
		})
	}
}

func TestShouldApplyStatus(t *testing.T) {
	for _, tt := range []struct {
		entity, stored, incoming string
		want                     bool
	}{
		{"payment", "", "in_progress", true},
		{"payment", "", "success", true},
		{"payment", "in_progress", "success", true},
		{"payment", "in_progress", "failed", true},
		{"payment", "action_required", "in_progress", true},
		{"payment", "success", "in_progress", false}, // a late, out-of-order event
		{"payment", "success", "failed", false},
		{"payment", "failed", "success", false},
		{"payment", "success", "success", false},
		{"orders", "active", "paid", true},
		{"orders", "under_review", "paid", true},
		{"orders", "paid", "active", false},
		{"orders", "expired", "paid", false},
		{"orders", "cancelled", "active", false},
		{"order", "paid", "active", false},
		{"refund", "success", "pending", true}, // a life cycle the package does not model
		{"subscription", "cancelled", "active", true},
	} {
		t.Run(tt.entity+"/"+tt.stored+"->"+tt.incoming, func(t *testing.T) {
			assert.Equal(t, tt.want, webhook.ShouldApplyStatus(tt.entity, tt.stored, tt.incoming))
		})
	}
}

func TestEntityAndEventConstants(t *testing.T) {
	// Glomo's wire values (GLOMO-PROTOCOL.md): a typo here misroutes
	// every event.
	assert.Equal(t, "payment", webhook.EntityPayment)
	assert.Equal(t, "orders", webhook.EntityOrders)
	assert.Equal(t, "balance", webhook.EntityBalance)
	assert.Equal(t, "webhook_test", webhook.EntityWebhookTest)
	assert.Equal(t, "success", webhook.EventPaymentSuccess)
	assert.Equal(t, "paid", webhook.EventOrderPaid)
}

// Parse keeps Data as the raw bytes, so a member Glomo adds later is not
// lost to a caller that decodes Data itself.
func TestParseDataKeepsEveryMember(t *testing.T) {
	e := mustParse(t, `{"entity_type":"subscription","event_type":"renewed","data":{"id":"sub_1","new":[1,2,{"x":null}],"plan":{"interval":"month"}}}`)
	var d struct {
		ID   string `json:"id"`
		New  []any  `json:"new"`
		Plan struct {
			Interval string `json:"interval"`
		} `json:"plan"`
	}
	require.NoError(t, json.Unmarshal(e.Data(), &d))
	assert.Equal(t, "sub_1", d.ID)
	assert.Equal(t, []any{1.0, 2.0, map[string]any{"x": nil}}, d.New)
	assert.Equal(t, "month", d.Plan.Interval)
}
