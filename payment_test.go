package glomo_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPaymentJSONRoundTrip(t *testing.T) {
	for o := glomo.OutcomeUnknown; o <= glomo.OutcomePending; o++ {
		for _, s := range []glomo.Source{0, glomo.SourceRedirect, glomo.SourcePost} {
			in := glomo.Payment{Outcome: o, Source: s, OrderID: "order_1", PaymentID: "payt_1", Duplicate: true}
			b, err := json.Marshal(in)
			require.NoError(t, err)
			var out glomo.Payment
			require.NoError(t, json.Unmarshal(b, &out), "%s", b)
			assert.Equal(t, in, out)
		}
	}
}

func TestPaymentUnmarshalRefusesUnknownWords(t *testing.T) {
	for _, body := range []string{
		`{"outcome":"paid"}`, `{"outcome":"Success"}`, `{"outcome":""}`, `{"outcome":1}`,
		`{"source":"webhook"}`, `{"source":""}`,
	} {
		var p glomo.Payment
		assert.Error(t, json.Unmarshal([]byte(body), &p), body)
	}
}

// The handler's own answers decode into a Payment.
func TestHandlerAnswerDecodes(t *testing.T) {
	rec := httptest.NewRecorder()
	body, _ := json.Marshal(glomotest.SignedSuccess(testOrder, testPayment, testSecret))
	newHandler(t).ServeHTTP(rec, jsonReq(string(body)))
	require.Equal(t, 200, rec.Code)
	var p glomo.Payment
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	assert.Equal(t, glomo.OutcomeSuccess, p.Outcome)
	assert.Equal(t, glomo.SourcePost, p.Source)
	assert.Equal(t, testOrder, p.OrderID)
	assert.Equal(t, testPayment, p.PaymentID)
}
