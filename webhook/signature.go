package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/internal/hexmac"
)

// SignatureHeader is the request header in which Glomo sends the
// signature of a webhook delivery.
const SignatureHeader = "X-Glomopay-Signature"

// Secret is a webhook signing secret from Glomo's dashboard. It is a
// distinct type from the API secret key (a plain string in package glomo)
// so the two cannot be swapped by accident: Glomo signs webhooks with
// this secret, not with the key that authenticates API calls.
//
// Its String, GoString, LogValue and MarshalText methods redact it, so a
// secret that ends up in a format string, a log record or JSON does not
// leak.
type Secret string

// String returns "[redacted]", never the secret.
func (Secret) String() string { return "[redacted]" }

// GoString returns "[redacted]" so %#v does not print the secret either.
func (Secret) GoString() string { return "[redacted]" }

// LogValue implements slog.LogValuer and returns "[redacted]".
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MarshalText returns "[redacted]", so that encoding/json and slog's JSON
// output of a Secret, a []Secret or a struct holding one print no secret.
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Sign returns the signature Glomo sends with body: the lowercase hex
// HMAC-SHA256 of the raw body bytes keyed with secret. Tests and
// simulators use it to build deliveries a handler accepts.
func Sign(body []byte, secret Secret) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is a valid X-Glomopay-Signature for the
// raw body under any of secrets; several secrets let a merchant rotate the
// webhook secret without dropping deliveries. Hex digits of either case
// are accepted and the comparison runs in constant time. The body must be
// the bytes exactly as received: re-encoded JSON does not verify.
//
// It returns nil, or an error matching glomo.ErrNoSecret,
// glomo.ErrMissingSignature, glomo.ErrMalformedSignature or
// glomo.ErrSignatureMismatch with errors.Is, checked in that order.
func Verify(body []byte, signature string, secrets ...Secret) error {
	if err := checkSecrets(secrets); err != nil {
		return err
	}
	if signature == "" {
		return glomo.ErrMissingSignature
	}
	var want [hexmac.Size]byte
	if !hexmac.Decode(&want, signature) {
		return glomo.ErrMalformedSignature
	}
	return verifyMAC(body, &want, secrets)
}

// verifyMAC compares want with the body's HMAC under each secret.
func verifyMAC(body []byte, want *[hexmac.Size]byte, secrets []Secret) error {
	var sum [hexmac.Size]byte
	for _, s := range secrets {
		m := hmac.New(sha256.New, []byte(s))
		m.Write(body)
		if hmac.Equal(m.Sum(sum[:0]), want[:]) {
			return nil
		}
	}
	return glomo.ErrSignatureMismatch
}

// checkSecrets fails closed on a missing or empty secret.
func checkSecrets(secrets []Secret) error {
	if len(secrets) == 0 {
		return fmt.Errorf("%w: no webhook secret", glomo.ErrNoSecret)
	}
	for i, s := range secrets {
		if s == "" {
			return fmt.Errorf("%w: webhook secret %d is empty", glomo.ErrNoSecret, i)
		}
	}
	return nil
}
