package glomo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Sign returns the checkout signature Glomo attaches to a payment result:
// the lowercase hex HMAC-SHA256 of orderID|paymentID|status keyed with the
// secret key. Merchants' tests use it to build signed results.
func Sign(orderID, paymentID, status, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(orderID + "|" + paymentID + "|" + status))
	return hex.EncodeToString(m.Sum(nil))
}
