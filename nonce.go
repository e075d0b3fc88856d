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

// nonceContext carries a request's nonce. It is its own context value, so
// that adding a nonce to a request costs one allocation.
type nonceContext struct {
	context.Context
	// source is the nonce as a CSP source: 'nonce-…'.
	source string
}

// Value returns the nonceContext itself for nonceKey.
func (c *nonceContext) Value(key any) any {
	if key == (nonceKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// nonce returns the nonce without its quotes and prefix.
func (c *nonceContext) nonce() string { return c.source[len(nonceSourcePrefix) : len(c.source)-1] }

const nonceSourcePrefix = "'nonce-"

// Nonce returns the CSP nonce of the request whose context is ctx, for the
// nonce attribute of the inline <script type="module"> that starts the
// checkout: the one the middleware made with WithNonce added to the policy,
// else the one unrolled/secure made, else "" (the middleware is missing or
// has no WithNonce, and the page must not rely on a nonce).
//
//	<script type="module" nonce="{{.Nonce}}">…</script>
func Nonce(ctx context.Context) string {
	if c, ok := ctx.Value(nonceKey{}).(*nonceContext); ok {
		return c.nonce()
	}
	return secure.CSPNonce(ctx)
}

// requestNonceSource is the 'nonce-…' source Prepare put on r, or "".
func requestNonceSource(r *http.Request) string {
	if c, ok := r.Context().Value(nonceKey{}).(*nonceContext); ok {
		return c.source
	}
	return ""
}

// withRequestNonce returns r carrying a nonce: kept if r already has ours,
// reused from unrolled/secure, or fresh.
func withRequestNonce(r *http.Request) *http.Request {
	ctx := r.Context()
	if _, ok := ctx.Value(nonceKey{}).(*nonceContext); ok {
		return r
	}
	var source string
	if n := secure.CSPNonce(ctx); n != "" {
		source = nonceSourcePrefix + n + "'"
	} else {
		source = newNonceSource()
	}
	return r.WithContext(&nonceContext{Context: ctx, source: source})
}

// nonceBytes is the nonce's entropy: 128 bits, as CSP asks.
const nonceBytes = 16

// newNonceSource returns a fresh random nonce as a CSP source; the nonce is
// base64url without padding (valid in a nonce-source and in an HTML
// attribute).
func newNonceSource() string {
	var raw [nonceBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a page without
		// an unpredictable nonce must not be served.
		panic("glomo: crypto/rand failed: " + err.Error())
	}
	var buf [len(nonceSourcePrefix) + (nonceBytes*8+5)/6 + 1]byte
	n := copy(buf[:], nonceSourcePrefix)
	base64.RawURLEncoding.Encode(buf[n:], raw[:])
	buf[len(buf)-1] = '\''
	return string(buf[:])
}
