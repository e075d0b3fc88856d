package webhook_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/glomokit/glomo/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for defects found while the package's tests were
// written, each fixed since.

// Secret redacts itself when encoded as JSON too: json.Marshal, and
// slog's JSONHandler for a []Secret or a struct holding one.
func TestSecretRedactedInJSON(t *testing.T) {
	s := webhook.Secret("whsec_do_not_print")
	for name, v := range map[string]any{
		"secret":            s,
		"slice of secrets":  []webhook.Secret{s},
		"struct of secrets": struct{ Secrets []webhook.Secret }{[]webhook.Secret{s}},
	} {
		t.Run(name, func(t *testing.T) {
			j, err := json.Marshal(v)
			require.NoError(t, err)
			assert.NotContains(t, string(j), "do_not_print")

			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "value", v)
			assert.NotContains(t, buf.String(), "do_not_print")
		})
	}
}

// A balance event's dedupe key keeps data.timestamp's JSON text: integer
// timestamps above 2^53, such as nanoseconds, would lose their low digits
// as a float64, and a second balance event of one payment would be
// answered "duplicate" without reaching Handle.
func TestBalanceTimestampPrecision(t *testing.T) {
	balance := func(ts string) []byte {
		return []byte(`{"entity_type":"balance","event_type":"credited","data":{"payment_id":"payt_1","timestamp":` + ts + `}}`)
	}
	first, second := balance(`1767225600123456789`), balance(`1767225600123456790`)
	assert.NotEqual(t, mustParse(t, string(first)).DedupKey(), mustParse(t, string(second)).DedupKey())

	hs := newHarness(t)
	requireStatus(t, hs.send(first), "processed")
	requireStatus(t, hs.send(second), "processed")
	assert.EqualValues(t, 2, hs.handled.Load(), "the second balance event was lost as a duplicate")
}

// Parse's error for a body that is valid JSON but not an object says so,
// without Go's description of an internal struct type.
func TestParseErrorNamesNoGoType(t *testing.T) {
	for _, body := range []string{`[]`, `"s"`, `1`, `true`} {
		_, err := webhook.Parse([]byte(body))
		require.ErrorIs(t, err, webhook.ErrMalformedEvent)
		assert.Contains(t, err.Error(), "not one JSON object", body)
		assert.NotContains(t, err.Error(), "struct {", body)
	}
}

// A data member repeated with a value of another type is read as
// encoding/json reads it into a struct: the mismatched value is skipped
// and the earlier string stays. Glomo's bodies are canonical JSON,
// without repeated names, and signed; the test pins the documented
// reading.
func TestLaterNonStringIDKeepsEarlierString(t *testing.T) {
	e := mustParse(t, `{"entity_type":"orders","event_type":"paid","data":{"id":"order_1","status":"paid","id":7}}`)
	assert.Equal(t, "order_1", e.ID())
	assert.Equal(t, "orders|order_1|paid|paid", e.DedupKey())
	e = mustParse(t, `{"entity_type":"orders","event_type":"paid","data":{"status":"paid","id":"order_1","status":null}}`)
	assert.Equal(t, "paid", e.Status(), "null leaves a string field as it was, as encoding/json does")
}
