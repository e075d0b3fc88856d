package glomofiber

import (
	"net/http"
	"sync"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	"github.com/gofiber/fiber/v3"
	"github.com/valyala/fasthttp"
)

// localsKey is the type of this package's keys in c.Locals.
type localsKey int

const (
	exchangeKey localsKey = iota // *exchange, set by Middleware
	paymentKey                   // glomo.Payment, set by OnResult
	eventKey                     // webhook.Event, set by OnWebhook
)

// exchange is what Middleware keeps for one request: the request glomo's
// Fixer prepared, and the response's COOP exemption.
type exchange struct {
	adapter.Exemption
	req *http.Request
	requestScratch
	// fixed backs the response header values fixHeaders lends the Fixer.
	fixed [8]string
}

// Middleware returns Fiber middleware applying f's fix-ups to every
// response. Register it first, with app.Use, before every other handler
// (recover included), because it fixes the headers when the rest of the
// chain has returned and Fiber's error handler has run, which is when
// fasthttp writes them:
//
//   - headers set by the handlers and middleware after it, through c.Set,
//     c.Append or c.Response().Header, before or after their c.Next, are
//     fixed; so are those that middleware before it set before calling
//     c.Next;
//   - when the chain after it returns an error (a handler's, a recovered
//     panic's when recover is registered after it, Fiber's 404 and 405),
//     it calls the app's error handler itself, as Fiber's logger
//     middleware does, fixes what that handler wrote and returns nil; a
//     failing error handler gets a bare 500, as Fiber gives it;
//   - streamed bodies (c.SendStream, c.SendStreamWriter,
//     Response().SetBodyStream and SetBodyStreamWriter) get fixed headers:
//     fasthttp writes the headers only after the handlers returned, before
//     it starts the stream.
//
// Not fixed: headers set once the stream writer runs (too late for
// anyone, they are not sent), writes by middleware registered before
// Middleware after their c.Next returns, and responses fasthttp writes
// without running the routes (a request it cannot parse, or a body over
// Fiber's BodyLimit: there Fiber runs the Use middleware, so this one
// calls the error handler for the unmatched route before Fiber calls it
// with the real error).
//
// Requests that f skips (glomo.WithSkip, which gets the request as an
// *http.Request) pass untouched, errors included; a handler exempts its
// response from the COOP fix-up with [ExemptCOOP]. With glomo.WithNonce
// the nonce is in [Nonce] and in glomo.Nonce(c.Context()). It panics if f
// is nil.
func Middleware(f *adapter.Fixer) fiber.Handler {
	if f == nil {
		panic("glomofiber: Middleware needs an adapter.Fixer")
	}
	return func(c fiber.Ctx) error {
		ex := &exchange{}
		ctx := c.Context()
		r := newHTTPRequest(c, ctx, &ex.requestScratch)
		if f.Skips(r) {
			return c.Next()
		}
		ex.req = f.Prepare(r)
		if pctx := ex.req.Context(); pctx != ctx {
			c.SetContext(pctx)
		}
		c.Locals(exchangeKey, ex)
		if err := c.Next(); err != nil {
			if err := c.App().ErrorHandler(c, err); err != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError) // never fails
			}
		}
		fixHeaders(&c.Response().Header, f, ex)
		return nil
	}
}

// fixedKeys are the response header fields a Fixer reads or writes; only
// these are carried between fasthttp's header and the http.Header the
// Fixer gets.
var fixedKeys = [...]string{
	"Content-Security-Policy",
	"Content-Security-Policy-Report-Only",
	"Cross-Origin-Opener-Policy",
	"Cross-Origin-Opener-Policy-Report-Only",
	"Cross-Origin-Embedder-Policy",
}

// headerPool holds the http.Header maps fixHeaders lends the Fixer, which
// does not keep them.
var headerPool = sync.Pool{New: func() any { return make(http.Header, len(fixedKeys)) }}

// fixHeaders applies f to the fixedKeys of h, the response's header, and
// writes back only the fields whose values changed, every value of a
// repeated field kept in order.
func fixHeaders(h *fasthttp.ResponseHeader, f *adapter.Fixer, ex *exchange) {
	m := headerPool.Get().(http.Header)
	defer func() {
		clear(m)
		headerPool.Put(m)
	}()
	var before [len(fixedKeys)][]string
	backing := ex.fixed[:0]
	for i, k := range fixedKeys {
		from := len(backing)
		for _, v := range h.PeekAll(k) {
			backing = append(backing, string(v)) // beyond 8 values, it allocates
		}
		if len(backing) > from {
			before[i] = backing[from:len(backing):len(backing)]
			// The Fixer may replace the slice, never edit it in place;
			// the full slice expression makes sure an append copies.
			m[k] = before[i]
		}
	}
	f.Fix(m, ex.req, &ex.Exemption)
	// fasthttp's Del moves the header's last field into the deleted one's
	// place, so a field it deletes must not be one just added: one value
	// replacing one is set in place (the usual case, which keeps every
	// field's order), and other changes delete all first, then add.
	var readd [len(fixedKeys)]bool
	for i, k := range fixedKeys {
		after := m[k]
		switch {
		case equal(before[i], after):
		case len(before[i]) == 1 && len(after) == 1:
			h.Set(k, after[0])
		default:
			h.Del(k)
			readd[i] = true
		}
	}
	for i, k := range fixedKeys {
		if readd[i] {
			for _, v := range m[k] {
				h.Add(k, v)
			}
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// COOP is Fiber middleware with the behaviour of glomo.COOP: a
// Cross-Origin-Opener-Policy of same-origin, set by anyone, becomes
// same-origin-allow-popups, and a response without one gets it. It takes
// glomo.WithSkip and glomo.WithLogger, and panics if opts are invalid;
// use adapter.NewCOOP and [Middleware] to get the error instead. Register
// it first (see Middleware).
func COOP(opts ...glomo.Option) fiber.Handler { return Middleware(must(adapter.NewCOOP(opts...))) }

// CSP is Fiber middleware with the behaviour of glomo.CSP: Glomo
// Checkout's sources are merged into every Content-Security-Policy a
// response carries. It panics if opts are invalid; use adapter.NewCSP and
// [Middleware] to get the error instead. Register it first (see
// Middleware).
func CSP(opts ...glomo.Option) fiber.Handler { return Middleware(must(adapter.NewCSP(opts...))) }

// Headers is Fiber middleware applying both COOP and CSP, as glomo.Headers
// does: the one-call setup for a site that shows Glomo Checkout. It panics
// if opts are invalid; use adapter.NewHeaders and [Middleware] to get the
// error instead. Register it first (see Middleware).
func Headers(opts ...glomo.Option) fiber.Handler {
	return Middleware(must(adapter.NewHeaders(opts...)))
}

// must panics on a configuration error, as glomo's middleware does.
func must(f *adapter.Fixer, err error) *adapter.Fixer {
	if err != nil {
		panic(err)
	}
	return f
}

// Nonce returns the CSP nonce of c's request, for the nonce attribute of
// the inline script that starts the checkout: the one the middleware made
// with glomo.WithNonce put in the policy, or "" when there is none (no
// middleware, no WithNonce, or a skipped request).
//
//	<script type="module" nonce="{{.Nonce}}">…</script>
func Nonce(c fiber.Ctx) string {
	if ex, ok := c.Locals(exchangeKey).(*exchange); ok {
		return glomo.Nonce(ex.req.Context())
	}
	return ""
}

// ExemptCOOP exempts the response to c from the COOP fix-up of the
// middleware: its Cross-Origin-Opener-Policy headers stay as the
// application set them, for a page that needs cross-origin isolation and
// never shows the checkout. The CSP merge still applies. It is Fiber's
// glomo.ExemptCOOP, which needs an http.ResponseWriter Fiber does not
// have; a net/http handler served by [HTTPHandler] may call
// glomo.ExemptCOOP(w) instead. Without the middleware it does nothing.
func ExemptCOOP(c fiber.Ctx) {
	if ex, ok := c.Locals(exchangeKey).(*exchange); ok {
		ex.ExemptCOOP()
	}
}
