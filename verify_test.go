package glomo_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Known-answer vectors. The signatures were computed outside Go with
//
//	printf '%s|%s|%s' ORDER PAYMENT STATUS | openssl dgst -sha256 -hmac SECRET
//
// so that a bug shared by Sign and Verify cannot hide.
var knownAnswers = []struct {
	name                   string
	order, payment, status string
	secret, signature      string
}{
	{
		name:  "guide sample ids",
		order: "order_679a16457aP6K", payment: "payment_679a16457aP6K", status: "success",
		secret:    "your_secret_key",
		signature: "e1b643322f39bd51dcd5b9634f2496d6ea06ba23735be67d6ccc616fe30ffbea",
	},
	{
		name:  "failed status",
		order: "order_Q2w3E4r5T6", payment: "payt_9ZyXwV8u", status: "failed",
		secret:    "sk_test_rotated_2024",
		signature: "bd099f6d6e5a442ad3a593f97ceef017e41e18efc1dd4e9f934b0aa5633089b5",
	},
	{
		name:  "one-byte key",
		order: "order_A", payment: "payt_B", status: "success",
		secret:    "k",
		signature: "43f9b3d3b38c64bed3e027d807c9cf360b5ce61f588fb0702d112b5a3ae11195",
	},
}

func TestVerifyKnownAnswers(t *testing.T) {
	for _, tc := range knownAnswers {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.signature, glomo.Sign(tc.order, tc.payment, tc.status, tc.secret))
			require.NoError(t, glomo.Verify(tc.order, tc.payment, tc.status, tc.signature, tc.secret))
			require.NoError(t, glomo.Verify(tc.order, tc.payment, tc.status, strings.ToUpper(tc.signature), tc.secret),
				"upper-case hex is accepted")
		})
	}
}

func TestVerifyRotation(t *testing.T) {
	kat := knownAnswers[0]
	tests := []struct {
		name    string
		secrets []string
		want    error
	}{
		{"only the current key", []string{kat.secret}, nil},
		{"old key first", []string{"new_secret", kat.secret}, nil},
		{"old key last of three", []string{"a", "b", kat.secret}, nil},
		{"empty keys skipped", []string{"", kat.secret, ""}, nil},
		{"no key matches", []string{"a", "b"}, glomo.ErrSignatureMismatch},
		{"no keys", nil, glomo.ErrNoSecret},
		{"only empty keys", []string{"", ""}, glomo.ErrNoSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := glomo.Verify(kat.order, kat.payment, kat.status, kat.signature, tc.secrets...)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestVerifyEmptySecretNeverMatches(t *testing.T) {
	sig := glomo.Sign("order_1", "payt_1", "success", "")
	require.ErrorIs(t, glomo.Verify("order_1", "payt_1", "success", sig, ""), glomo.ErrNoSecret)
	require.ErrorIs(t, glomo.Verify("order_1", "payt_1", "success", sig, "", "x"), glomo.ErrSignatureMismatch)
}

func TestVerifyMutations(t *testing.T) {
	kat := knownAnswers[0]
	o, p, s, sig := kat.order, kat.payment, kat.status, kat.signature
	flip := func(str string, i int) string {
		b := []byte(str)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return string(b)
	}
	tests := []struct {
		name                        string
		order, payment, status, sig string
		want                        error
	}{
		{"order changed", "order_679a16457aP6L", p, s, sig, glomo.ErrSignatureMismatch},
		{"payment changed", o, "payment_679a16457aP6L", s, sig, glomo.ErrSignatureMismatch},
		{"status changed", o, p, "failed", sig, glomo.ErrSignatureMismatch},
		{"order and payment swapped", p, o, s, sig, glomo.ErrSignatureMismatch},
		{"payment and status swapped", o, s, p, sig, glomo.ErrSignatureMismatch},
		{"order truncated", o[:len(o)-1], p, s, sig, glomo.ErrSignatureMismatch},
		{"payment truncated", o, p[:len(p)-1], s, sig, glomo.ErrSignatureMismatch},
		{"status truncated", o, p, "succes", sig, glomo.ErrSignatureMismatch},
		{"order upper-cased", strings.ToUpper(o), p, s, sig, glomo.ErrSignatureMismatch},
		{"payment upper-cased", o, strings.ToUpper(p), s, sig, glomo.ErrSignatureMismatch},
		{"status upper-cased", o, p, "SUCCESS", sig, glomo.ErrSignatureMismatch},
		{"separator moved between fields", o + "|" + p[:3], p[3:], s, sig, glomo.ErrMissingField},
		{"status with trailing space", o, p, s + " ", sig, glomo.ErrSignatureMismatch},
		{"first hex digit flipped", o, p, s, flip(sig, 0), glomo.ErrSignatureMismatch},
		{"last hex digit flipped", o, p, s, flip(sig, 63), glomo.ErrSignatureMismatch},
		{"signature truncated by one", o, p, s, sig[:63], glomo.ErrMalformedSignature},
		{"signature truncated by a byte", o, p, s, sig[:62], glomo.ErrMalformedSignature},
		{"signature extended", o, p, s, sig + "00", glomo.ErrMalformedSignature},
		{"signature extended by one", o, p, s, sig + "0", glomo.ErrMalformedSignature},
		{"signature non-hex", o, p, s, "z" + sig[1:], glomo.ErrMalformedSignature},
		{"signature with sha256= prefix", o, p, s, "sha256=" + sig, glomo.ErrMalformedSignature},
		{"signature with space", o, p, s, " " + sig[1:], glomo.ErrMalformedSignature},
		{"signature base64", o, p, s, "4bZDMi8vvVHc1bljTySW1uoGuiNzXb5nzcxhb+MP++o=", glomo.ErrMalformedSignature},
		{"signature empty", o, p, s, "", glomo.ErrMalformedSignature},
		{"signature all zero", o, p, s, strings.Repeat("0", 64), glomo.ErrSignatureMismatch},
		{"empty order", "", p, s, sig, glomo.ErrMissingField},
		{"empty payment", o, "", s, sig, glomo.ErrMissingField},
		{"empty status", o, p, "", sig, glomo.ErrMissingField},
		{"pipe in order", o + "|", p, s, sig, glomo.ErrMissingField},
		{"pipe in payment", o, "|" + p, s, sig, glomo.ErrMissingField},
		{"pipe in status", o, p, "suc|cess", sig, glomo.ErrMissingField},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := glomo.Verify(tc.order, tc.payment, tc.status, tc.sig, kat.secret)
			require.ErrorIs(t, err, tc.want)
			for _, other := range []error{glomo.ErrSignatureMismatch, glomo.ErrMalformedSignature, glomo.ErrMissingField, glomo.ErrNoSecret} {
				if other != tc.want {
					assert.False(t, errors.Is(err, other), "error also matches %v", other)
				}
			}
			assert.NotContains(t, err.Error(), kat.secret)
			if tc.sig != "" {
				assert.NotContains(t, err.Error(), tc.sig)
			}
		})
	}
}

func TestVerifyFieldErrorNamesField(t *testing.T) {
	err := glomo.Verify("order_1", "", "success", strings.Repeat("a", 64), "s")
	require.ErrorIs(t, err, glomo.ErrMissingField)
	assert.Contains(t, err.Error(), "payment id")
}

func TestVerifyAllocations(t *testing.T) {
	kat := knownAnswers[0]
	// Warm the pool so the steady state is measured.
	require.NoError(t, glomo.Verify(kat.order, kat.payment, kat.status, kat.signature, kat.secret))
	allocs := testing.AllocsPerRun(100, func() {
		_ = glomo.Verify(kat.order, kat.payment, kat.status, kat.signature, kat.secret)
	})
	// hmac.New itself allocates; Verify must add nothing on top of it.
	raw := testing.AllocsPerRun(100, func() { rawHMAC(kat.secret, []byte(kat.order+"|"+kat.payment+"|"+kat.status), kat.signature) })
	assert.LessOrEqual(t, allocs, raw, "Verify allocates more than a raw HMAC")
}
