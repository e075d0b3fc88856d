package webhook_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignKnownAnswer(t *testing.T) {
	assert.Equal(t, vectorSignature, webhook.Sign(vectorBody(t), vectorSecret))
}

// The package's copy of the vector must stay byte-identical to the shared
// one it was taken from.
func TestVectorMatchesSharedCopy(t *testing.T) {
	for _, name := range []string{"webhook-payout-success.body", "webhook-payout-success.txt"} {
		t.Run(name, func(t *testing.T) {
			shared, err := os.ReadFile("../../shared/testdata/" + name)
			if os.IsNotExist(err) {
				t.Skip("../shared/testdata is not present")
			}
			require.NoError(t, err)
			own, err := os.ReadFile("testdata/" + name)
			require.NoError(t, err)
			assert.Equal(t, shared, own)
		})
	}
	txt, err := os.ReadFile("testdata/webhook-payout-success.txt")
	require.NoError(t, err)
	assert.Contains(t, string(txt), vectorSignature)
	assert.Contains(t, string(txt), string(vectorSecret))
}

func TestVerify(t *testing.T) {
	body := vectorBody(t)
	other := webhook.Sign([]byte(`{"entity_type":"payment"}`), vectorSecret)
	one := []webhook.Secret{vectorSecret}
	flipped := []byte(vectorSignature)
	flipped[10] ^= 1
	tests := []struct {
		name    string
		body    []byte
		sig     string
		secrets []webhook.Secret
		want    error
	}{
		{"known answer", body, vectorSignature, one, nil},
		{"uppercase hex", body, strings.ToUpper(vectorSignature), one, nil},
		{"mixed-case hex", body, strings.ToUpper(vectorSignature[:32]) + vectorSignature[32:], one, nil},
		{"rotation: the signing secret second", body, vectorSignature, []webhook.Secret{"whsec_new", vectorSecret}, nil},
		{"rotation: the signing secret first", body, vectorSignature, []webhook.Secret{vectorSecret, "whsec_new"}, nil},
		{"wrong secret", body, vectorSignature, []webhook.Secret{"whsec_other"}, glomo.ErrSignatureMismatch},
		{"two wrong secrets", body, vectorSignature, []webhook.Secret{"whsec_other", "whsec_another"}, glomo.ErrSignatureMismatch},
		{"secret with a byte more", body, vectorSignature, []webhook.Secret{vectorSecret + "1"}, glomo.ErrSignatureMismatch},
		{"signature of another body", body, other, one, glomo.ErrSignatureMismatch},
		{"one bit flipped", body, string(flipped), one, glomo.ErrSignatureMismatch},
		{"body changed by one byte", append(bytes.Clone(body), ' '), vectorSignature, one, glomo.ErrSignatureMismatch},
		{"body re-encoded", bytes.ReplaceAll(body, []byte(`,`), []byte(`, `)), vectorSignature, one, glomo.ErrSignatureMismatch},
		{"empty body", nil, vectorSignature, one, glomo.ErrSignatureMismatch},
		{"empty signature", body, "", one, glomo.ErrMissingSignature},
		{"truncated signature", body, vectorSignature[:63], one, glomo.ErrMalformedSignature},
		{"signature a digit long", body, vectorSignature + "0", one, glomo.ErrMalformedSignature},
		{"signature twice", body, vectorSignature + vectorSignature, one, glomo.ErrMalformedSignature},
		{"sha256= prefix", body, "sha256=" + vectorSignature, one, glomo.ErrMalformedSignature},
		{"sha256= prefix, 64 bytes", body, "sha256=" + vectorSignature[:57], one, glomo.ErrMalformedSignature},
		{"non-hex", body, strings.Repeat("z", 64), one, glomo.ErrMalformedSignature},
		{"a space inside", body, vectorSignature[:31] + " " + vectorSignature[32:], one, glomo.ErrMalformedSignature},
		{"surrounding spaces", body, " " + vectorSignature + " ", one, glomo.ErrMalformedSignature},
		{"base64 of the MAC", body, base64.StdEncoding.EncodeToString(mustHex(t, vectorSignature)), one, glomo.ErrMalformedSignature},
		{"no secret", body, vectorSignature, nil, glomo.ErrNoSecret},
		{"empty secret list", body, vectorSignature, []webhook.Secret{}, glomo.ErrNoSecret},
		{"an empty secret among good ones", body, vectorSignature, []webhook.Secret{vectorSecret, ""}, glomo.ErrNoSecret},
		// The secrets are checked first: an empty one fails closed even
		// with no signature at all.
		{"no secret and no signature", body, "", nil, glomo.ErrNoSecret},
		{"no signature before a malformed one", body, "", one, glomo.ErrMissingSignature},
	}
	sentinels := []error{glomo.ErrNoSecret, glomo.ErrMissingSignature, glomo.ErrMalformedSignature, glomo.ErrSignatureMismatch}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.body, tt.sig, tt.secrets...)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			for _, s := range sentinels {
				if s != tt.want {
					assert.NotErrorIs(t, err, s, "exactly one sentinel")
				}
			}
			for _, s := range tt.secrets {
				if s != "" {
					assert.NotContains(t, err.Error(), string(s), "the error quotes a secret")
				}
			}
			if len(tt.sig) >= 8 {
				assert.NotContains(t, err.Error(), tt.sig[:8], "the error quotes the signature")
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for i := 0; i < 64; i++ {
		body := make([]byte, i*37)
		_, _ = rand.Read(body)
		key := make([]byte, 1+i%40)
		_, _ = rand.Read(key)
		secret := webhook.Secret(key)
		sig := webhook.Sign(body, secret)
		require.Len(t, sig, 64)
		require.Equal(t, strings.ToLower(sig), sig, "Sign returns lowercase hex")
		_, err := hex.DecodeString(sig)
		require.NoError(t, err)
		require.NoError(t, webhook.Verify(body, sig, secret), "round %d", i)
		require.NoError(t, webhook.Verify(body, strings.ToUpper(sig), secret), "round %d", i)
		require.ErrorIs(t, webhook.Verify(body, sig, secret+"x"), glomo.ErrSignatureMismatch)
		if len(body) > 0 {
			changed := bytes.Clone(body)
			changed[len(changed)/2] ^= 0x01
			require.ErrorIs(t, webhook.Verify(changed, sig, secret), glomo.ErrSignatureMismatch)
		}
	}
	// Sign is deterministic and depends on both inputs.
	assert.Equal(t, webhook.Sign([]byte("a"), "k"), webhook.Sign([]byte("a"), "k"))
	assert.NotEqual(t, webhook.Sign([]byte("a"), "k"), webhook.Sign([]byte("b"), "k"))
	assert.NotEqual(t, webhook.Sign([]byte("a"), "k"), webhook.Sign([]byte("a"), "l"))
}

func TestSecretRedacted(t *testing.T) {
	const raw = "whsec_do_not_print"
	s := webhook.Secret(raw)
	assert.Equal(t, "[redacted]", s.String())
	assert.Equal(t, "[redacted]", s.GoString())
	assert.Equal(t, slog.KindString, s.LogValue().Kind())
	assert.Equal(t, "[redacted]", s.LogValue().String())
	for _, format := range []string{"%v", "%s", "%q", "%+v", "%#v", "%x", "%X"} {
		t.Run(format, func(t *testing.T) {
			got := fmt.Sprintf(format, s)
			assert.NotContains(t, got, "do_not_print")
			assert.NotContains(t, got, hex.EncodeToString([]byte(raw))[:12])
		})
	}
	t.Run("inside a struct and a slice", func(t *testing.T) {
		opts := webhook.Options{Secrets: []webhook.Secret{s, s}}
		for _, format := range []string{"%v", "%+v", "%#v"} {
			assert.NotContains(t, fmt.Sprintf(format, opts), "do_not_print", format)
			assert.NotContains(t, fmt.Sprintf(format, opts.Secrets), "do_not_print", format)
		}
	})
	t.Run("slog text and JSON", func(t *testing.T) {
		var buf bytes.Buffer
		for _, l := range []*slog.Logger{
			slog.New(slog.NewTextHandler(&buf, nil)),
			slog.New(slog.NewJSONHandler(&buf, nil)),
		} {
			l.Info("config", "secret", s, slog.Any("any", s), slog.Group("g", "secret", s))
		}
		assert.NotContains(t, buf.String(), "do_not_print")
		assert.Equal(t, 6, strings.Count(buf.String(), "[redacted]"), buf.String())
	})
}

func TestSignatureHeaderIsCanonical(t *testing.T) {
	assert.Equal(t, "X-Glomopay-Signature", webhook.SignatureHeader)
	assert.Equal(t, http.CanonicalHeaderKey(webhook.SignatureHeader), webhook.SignatureHeader)
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}
