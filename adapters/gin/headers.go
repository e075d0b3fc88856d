package glomogin

import (
	"github.com/gin-gonic/gin"
	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
)

// Middleware returns gin middleware applying f's fix-ups to every
// response at the moment gin commits its headers: at WriteHeaderNow, the
// first Write or WriteString, or Flush, or, when the handlers return
// without writing, just before gin sends the headers itself. Headers set
// by the handlers after it in the chain are therefore corrected too.
// Requests that f skips (glomo.WithSkip) pass untouched; a handler exempts
// its response from the COOP fix-up with glomo.ExemptCOOP(c.Writer). It
// panics if f is nil.
func Middleware(f *adapter.Fixer) gin.HandlerFunc {
	if f == nil {
		panic("glomogin: Middleware needs an adapter.Fixer")
	}
	return func(c *gin.Context) {
		if f.Skips(c.Request) {
			c.Next()
			return
		}
		c.Request = f.Prepare(c.Request)
		w := &commitWriter{ResponseWriter: c.Writer, fix: f, req: c.Request}
		c.Writer = w
		c.Next()
		// gin sends the headers of a response nobody wrote to straight to
		// its own writer, after the chain returns, so fix them now. c.Writer
		// stays w: middleware before this one may still write (an error
		// renderer, say), and w fixes the headers again then; the fix-ups
		// are idempotent.
		if !w.committed && !w.ResponseWriter.Written() {
			w.fixHeaders()
		}
	}
}

// COOP is gin middleware with the behaviour of glomo.COOP: a
// Cross-Origin-Opener-Policy of same-origin, set by anyone, becomes
// same-origin-allow-popups, and a response without one gets it. It takes
// glomo.WithSkip and glomo.WithLogger, and panics if opts are invalid;
// use adapter.NewCOOP and Middleware to get the error instead.
func COOP(opts ...glomo.Option) gin.HandlerFunc { return Middleware(must(adapter.NewCOOP(opts...))) }

// CSP is gin middleware with the behaviour of glomo.CSP: Glomo Checkout's
// sources are merged into every Content-Security-Policy a response carries.
// It panics if opts are invalid; use adapter.NewCSP and Middleware to get
// the error instead.
func CSP(opts ...glomo.Option) gin.HandlerFunc { return Middleware(must(adapter.NewCSP(opts...))) }

// Headers is gin middleware applying both COOP and CSP, as glomo.Headers
// does: the one-call setup for a site that shows Glomo Checkout. It panics
// if opts are invalid; use adapter.NewHeaders and Middleware to get the
// error instead.
func Headers(opts ...glomo.Option) gin.HandlerFunc {
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
func Nonce(c *gin.Context) string { return glomo.Nonce(c.Request.Context()) }
