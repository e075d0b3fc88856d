package glomo

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The known-answer vector from Glomo's webhook documentation
// (testdata/webhook-payout-success.txt).
const (
	vectorSecret    WebhookSecret = "whsec_2f1c9b7a4d6e8031"
	vectorSignature string        = "d5b5a68b9729f41c4a46f1e94c750bf10fb32f345a5467cbfec7739df83f2c02"
)

func vectorBody(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/webhook-payout-success.body")
	require.NoError(t, err)
	require.Len(t, b, 223, "the vector body must be byte-identical to the shared copy")
	return b
}

func TestSignWebhookKnownAnswer(t *testing.T) {
	assert.Equal(t, vectorSignature, SignWebhook(vectorBody(t), vectorSecret))
}

func TestVerifyWebhook(t *testing.T) {
	body := vectorBody(t)
	other := SignWebhook([]byte(`{"entity_type":"payment"}`), vectorSecret)
	tests := []struct {
		name    string
		body    []byte
		sig     string
		secrets []WebhookSecret
		want    error
	}{
		{"known answer", body, vectorSignature, []WebhookSecret{vectorSecret}, nil},
		{"uppercase hex", body, strings.ToUpper(vectorSignature), []WebhookSecret{vectorSecret}, nil},
		{"rotation: old secret second", body, vectorSignature, []WebhookSecret{"whsec_new", vectorSecret}, nil},
		{"wrong secret", body, vectorSignature, []WebhookSecret{"whsec_other"}, ErrWebhookSignature},
		{"signature of another body", body, other, []WebhookSecret{vectorSecret}, ErrWebhookSignature},
		{"body changed by one byte", append(append([]byte(nil), body...), ' '), vectorSignature, []WebhookSecret{vectorSecret}, ErrWebhookSignature},
		{"empty signature", body, "", []WebhookSecret{vectorSecret}, ErrWebhookMissingSignature},
		{"truncated signature", body, vectorSignature[:63], []WebhookSecret{vectorSecret}, ErrWebhookMalformedSignature},
		{"sha256= prefix", body, "sha256=" + vectorSignature[:57], []WebhookSecret{vectorSecret}, ErrWebhookMalformedSignature},
		{"non-hex", body, strings.Repeat("z", 64), []WebhookSecret{vectorSecret}, ErrWebhookMalformedSignature},
		{"no secret", body, vectorSignature, nil, ErrWebhookNoSecret},
		{"empty secret", body, vectorSignature, []WebhookSecret{vectorSecret, ""}, ErrWebhookNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyWebhook(tt.body, tt.sig, tt.secrets...)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

func TestWebhookSecretRedacted(t *testing.T) {
	s := WebhookSecret("whsec_do_not_print")
	for _, got := range []string{s.String(), s.GoString(), s.LogValue().String()} {
		assert.NotContains(t, got, "do_not_print")
	}
}

func TestWebhookSignatureHeaderIsCanonical(t *testing.T) {
	// The handler indexes the header map with this constant directly.
	assert.Equal(t, http.CanonicalHeaderKey(WebhookSignatureHeader), WebhookSignatureHeader)
}
