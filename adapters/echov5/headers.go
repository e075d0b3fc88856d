package glomoechov5

import (
	"net/http"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	"github.com/labstack/echo/v5"
)

// Middleware returns echo middleware applying f's fix-ups to every
// response at the moment its headers go out: at the first WriteHeader,
// Write or Flush that reaches the writer beneath echo's *echo.Response,
// which runs after the Response's Before hooks. When the handler returns
// without writing, the headers are fixed then, and again if echo's error
// handler writes. Requests that f skips (glomo.WithSkip) pass untouched; a
// handler exempts its response from the COOP fix-up with
// glomo.ExemptCOOP(c.Response()). It panics if f is nil.
//
// Headers that middleware registered before this one sets after the chain
// returns, on a response nothing wrote, are sent by net/http unfixed: no
// writer sees them go out. Register Middleware outside such middleware.
func Middleware(f *adapter.Fixer) echo.MiddlewareFunc {
	if f == nil {
		panic("glomoechov5: Middleware needs an adapter.Fixer")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			req := c.Request()
			if f.Skips(req) {
				return next(c)
			}
			req = f.Prepare(req)
			c.SetRequest(req)
			w := install(c, f, req)
			err := next(c)
			if w != nil && !w.Committed() {
				// Either net/http sends the headers as they are once this
				// returns, or echo's error handler writes a response,
				// which passes through w again; the fix-ups are idempotent.
				w.Fix()
			}
			return err
		}
	}
}

// install puts an adapter.Writer for f and req beneath c's *echo.Response
// and returns it: after every Before hook, echo's Response writes,
// flushes and hijacks through it. When c's writer does not unwrap to one
// (a middleware replaced it with a writer that hides it), the Writer wraps
// c's writer instead and becomes c's response. A response already
// committed gets none: its headers are gone.
func install(c *echo.Context, f *adapter.Fixer, req *http.Request) *adapter.Writer {
	if res, err := echo.UnwrapResponse(c.Response()); err == nil {
		if res.Committed {
			return nil
		}
		w := f.NewWriter(res.ResponseWriter, req)
		res.ResponseWriter = w
		return w
	}
	w := f.NewWriter(c.Response(), req)
	c.SetResponse(w)
	return w
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
func Nonce(c *echo.Context) string { return glomo.Nonce(c.Request().Context()) }
