package glomoecho

import (
	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	"github.com/labstack/echo/v4"
)

// Middleware returns echo middleware applying f's fix-ups to every
// response at the moment echo commits its headers: when the response's
// WriteHeader (called by the first Write too), Flush or a write that skips
// the response reaches the writer beneath it, which Middleware replaces.
// The response's Before hooks have all run by then, so the headers they
// set are fixed too. When the handler returns without writing, the
// headers are fixed then, and again if echo's error handler writes.
// Requests that f skips (glomo.WithSkip) pass untouched; a handler exempts
// its response from the COOP fix-up with glomo.ExemptCOOP(c.Response()).
// It panics if f is nil.
func Middleware(f *adapter.Fixer) echo.MiddlewareFunc {
	if f == nil {
		panic("glomoecho: Middleware needs an adapter.Fixer")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if f.Skips(req) {
				return next(c)
			}
			req = f.Prepare(req)
			c.SetRequest(req)
			res := c.Response()
			w := f.NewWriter(res.Writer, req)
			res.Writer = w
			err := next(c)
			if !res.Committed && !w.Committed() {
				// Either net/http sends the headers as they are once this
				// returns, or echo's error handler writes a response
				// through w, which fixes them again; the fix-ups are
				// idempotent.
				w.Fix()
			}
			return err
		}
	}
}

// COOP is echo middleware with the behaviour of glomo.COOP: a
// Cross-Origin-Opener-Policy of same-origin, set by anyone, becomes
// same-origin-allow-popups, and a response without one gets it. It takes
// glomo.WithSkip and glomo.WithLogger, and panics if opts are invalid;
// use adapter.NewCOOP and Middleware to get the error instead.
func COOP(opts ...glomo.Option) echo.MiddlewareFunc {
	return Middleware(must(adapter.NewCOOP(opts...)))
}

// CSP is echo middleware with the behaviour of glomo.CSP: Glomo Checkout's
// sources are merged into every Content-Security-Policy a response carries.
// It panics if opts are invalid; use adapter.NewCSP and Middleware to get
// the error instead.
func CSP(opts ...glomo.Option) echo.MiddlewareFunc { return Middleware(must(adapter.NewCSP(opts...))) }

// Headers is echo middleware applying both COOP and CSP, as glomo.Headers
// does: the one-call setup for a site that shows Glomo Checkout. It panics
// if opts are invalid; use adapter.NewHeaders and Middleware to get the
// error instead.
func Headers(opts ...glomo.Option) echo.MiddlewareFunc {
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
// the inline script that starts the checkout: the one middleware made with
// glomo.WithNonce put in the policy, or "" (see glomo.Nonce).
func Nonce(c echo.Context) string { return glomo.Nonce(c.Request().Context()) }
