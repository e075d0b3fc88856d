package glomo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/unrolled/secure"
)

// nonceKey is the context key of the request's CSP nonce.
type nonceKey struct{}

// Nonce returns the CSP nonce of the request whose context is ctx, for the
// nonce attribute of the inline <script type="module"> that starts the
// checkout: the one a HeaderFixer made with WithNonce added to the policy,
// else the one unrolled/secure made, else "".
//
//	<script type="module" nonce="{{.Nonce}}">…</script>
func Nonce(ctx context.Context) string {
	if n, ok := ctx.Value(nonceKey{}).(string); ok {
		return n
	}
	return secure.CSPNonce(ctx)
}

// requestNonce is the nonce Prepare put on r, or "".
func requestNonce(r *http.Request) string {
	n, _ := r.Context().Value(nonceKey{}).(string)
	return n
}

// withRequestNonce returns r carrying a nonce: kept if r already has ours,
// reused from unrolled/secure, or fresh.
func withRequestNonce(r *http.Request) *http.Request {
	ctx := r.Context()
	if _, ok := ctx.Value(nonceKey{}).(string); ok {
		return r
	}
	n := secure.CSPNonce(ctx)
	if n == "" {
		n = newNonce()
	}
	return r.WithContext(context.WithValue(ctx, nonceKey{}, n))
}

// nonceBytes is the nonce's entropy: 128 bits, as CSP asks.
const nonceBytes = 16

// newNonce returns a fresh random nonce, base64url without padding (valid
// in a CSP nonce-source and in an HTML attribute).
func newNonce() string {
	var b [nonceBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a page without
		// an unpredictable nonce must not be served.
		panic("glomo: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
