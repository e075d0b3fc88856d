package glomo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
)

// WebhookSignatureHeader is the request header in which Glomo sends the
// signature of a webhook delivery.
const WebhookSignatureHeader = "X-Glomopay-Signature"

// WebhookSecret is a webhook signing secret from Glomo's dashboard. It is a
// distinct type from the API secret key (a plain string elsewhere) so the two
// cannot be swapped by accident: Glomo signs webhooks with this secret, not
// with the key that authenticates API calls.
//
// Its String, GoString and LogValue methods redact it, so a secret that ends
// up in a format string or a log record does not leak.
type WebhookSecret string

// String returns "[redacted]", never the secret.
func (WebhookSecret) String() string { return "[redacted]" }

// GoString returns "[redacted]" so %#v does not print the secret either.
func (WebhookSecret) GoString() string { return "[redacted]" }

// LogValue implements slog.LogValuer and returns "[redacted]".
func (WebhookSecret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Sentinel errors of webhook verification; test with errors.Is.
var (
	// ErrWebhookNoSecret means no webhook secret, or an empty one, was
	// given. It is a configuration error: an empty key would let anyone
	// who guesses it forge events, so verification fails closed.
	ErrWebhookNoSecret = errors.New("glomo: no usable webhook secret configured")
	// ErrWebhookMissingSignature means the X-Glomopay-Signature header was
	// absent or empty.
	ErrWebhookMissingSignature = errors.New("glomo: missing webhook signature")
	// ErrWebhookMalformedSignature means the signature is not 64 hex digits
	// (or the header was sent more than once).
	ErrWebhookMalformedSignature = errors.New("glomo: malformed webhook signature")
	// ErrWebhookSignature means the signature is well formed but matches
	// none of the secrets: the body was not signed by Glomo with them.
	ErrWebhookSignature = errors.New("glomo: webhook signature does not match")
)

// SignWebhook returns the signature Glomo sends with body: the lowercase hex
// HMAC-SHA256 of the raw body bytes keyed with secret. Use it in tests and
// simulators to build deliveries your handler will accept.
func SignWebhook(body []byte, secret WebhookSecret) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook reports whether signature is a valid X-Glomopay-Signature for
// the raw body under any of secrets. Several secrets let a merchant rotate
// the webhook secret without dropping deliveries. Hex digits of either case
// are accepted and the comparison runs in constant time.
//
// It returns nil on success, or an error that matches one of
// ErrWebhookNoSecret, ErrWebhookMissingSignature,
// ErrWebhookMalformedSignature or ErrWebhookSignature with errors.Is. The
// body must be the bytes exactly as received: re-encoded JSON does not verify.
func VerifyWebhook(body []byte, signature string, secrets ...WebhookSecret) error {
	if err := checkWebhookSecrets(secrets); err != nil {
		return err
	}
	if signature == "" {
		return ErrWebhookMissingSignature
	}
	var want [sha256.Size]byte
	if !decodeWebhookSignature(&want, signature) {
		return ErrWebhookMalformedSignature
	}
	// Comparing decoded bytes makes upper- and lowercase hex equal without
	// a case-folding step that could take variable time.
	macs := newMACSet(secrets)
	macs.write(body)
	if !macs.matches(&want) {
		return ErrWebhookSignature
	}
	return nil
}

// decodeWebhookSignature decodes a signature of exactly 64 hex digits, of
// either case, into dst.
func decodeWebhookSignature(dst *[sha256.Size]byte, signature string) bool {
	if len(signature) != hex.EncodedLen(len(dst)) {
		return false
	}
	_, err := hex.Decode(dst[:], []byte(signature))
	return err == nil
}

// checkWebhookSecrets fails closed on a missing or empty secret.
func checkWebhookSecrets(secrets []WebhookSecret) error {
	if len(secrets) == 0 {
		return ErrWebhookNoSecret
	}
	for i, s := range secrets {
		if s == "" {
			return fmt.Errorf("%w: secret %d is empty", ErrWebhookNoSecret, i)
		}
	}
	return nil
}
