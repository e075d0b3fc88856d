package glomoecho

import (
	"github.com/glomokit/glomo"
	"github.com/labstack/echo/v4"
)

// Middleware returns echo middleware applying f's fix-ups (see
// glomo.HeaderFixer) to every response at the moment echo commits its
// headers: in the response's Before hook, which runs at WriteHeader and the
// first Write, and on a Flush or a write that reaches the response's writer
// directly, which skip that hook. When the handler returns without writing,
// the headers are fixed then, and again if echo's error handler writes.
// Requests that f skips (COOPOptions.Skip, WithSkip) pass untouched; a
// handler exempts its response from the COOP fix-up with
// glomo.ExemptCOOP(c.Response()). It panics if f is nil.
func Middleware(f *glomo.HeaderFixer) echo.MiddlewareFunc {
	if f == nil {
		panic("glomoecho: Middleware needs a HeaderFixer")
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
			w := &commitWriter{ResponseWriter: res.Writer, fix: f, req: req}
			res.Writer = w
			res.Before(w.commit)
			err := next(c)
			if !res.Committed && !w.committed {
				// Either net/http sends the headers as they are once this
				// returns, or echo's error handler writes a response, which
				// runs the Before hook again; the fix-ups are idempotent.
				w.fixHeaders()
			}
			return err
		}
	}
}

// COOP is echo middleware with the behaviour of glomo.COOP: a
// Cross-Origin-Opener-Policy of same-origin, set by anyone, becomes
// same-origin-allow-popups, and a response without one gets it.
func COOP() echo.MiddlewareFunc { return NewCOOP(glomo.COOPOptions{}) }

// NewCOOP is COOP configured by opts.
func NewCOOP(opts glomo.COOPOptions) echo.MiddlewareFunc {
	return Middleware(glomo.NewCOOPFixer(opts))
}

// CSP is echo middleware with the behaviour of glomo.CSP: Glomo Checkout's
// sources are merged into every Content-Security-Policy a response carries.
// It panics if opts are invalid; use glomo.NewCSP and Middleware to get the
// error instead.
func CSP(opts ...glomo.CSPOption) echo.MiddlewareFunc {
	f, err := glomo.NewCSP(opts...)
	if err != nil {
		panic(err)
	}
	return Middleware(f)
}

// Headers is echo middleware applying both COOP and CSP, as glomo.Headers
// does: the one-call setup for a site that shows Glomo Checkout. It panics
// if opts are invalid; use glomo.NewHeaders and Middleware to get the error
// instead.
func Headers(opts ...glomo.CSPOption) echo.MiddlewareFunc {
	f, err := glomo.NewHeaders(opts...)
	if err != nil {
		panic(err)
	}
	return Middleware(f)
}

// Nonce returns the CSP nonce of c's request, for the nonce attribute of
// the inline script that starts the checkout: the one middleware made with
// glomo.WithNonce put in the policy, or "" (see glomo.Nonce).
func Nonce(c echo.Context) string { return glomo.Nonce(c.Request().Context()) }
