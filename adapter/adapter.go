// Package adapter is for authors of framework adapters: frameworks that
// commit response headers their own way (gin, echo, Fiber) apply the
// fix-ups of glomo.COOP, glomo.CSP and glomo.Headers through a Fixer,
// just before their headers go out. Merchants use the middleware of
// package glomo, or an adapter module, instead.
//
// A response writer that applies a Fixer embeds an Exemption, which gives
// it the ExemptCOOP method glomo.ExemptCOOP looks for. A writer whose
// framework renders errors its own way has a method
// RespondError(status int, body glomo.ErrorBody), which glomo.WriteError,
// and so the result and webhook handlers, call instead of writing the JSON
// error body themselves.
package adapter

import (
	"errors"
	"net/http"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/internal/fixhook"
)

// Fixer applies the header fix-ups configured by glomo's options. It is
// safe for concurrent use.
type Fixer struct {
	f fixhook.Fixer
}

// NewCOOP returns the Fixer of glomo.COOP.
func NewCOOP(opts ...glomo.Option) (*Fixer, error) { return newFixer(fixhook.COOP, opts) }

// NewCSP returns the Fixer of glomo.CSP.
func NewCSP(opts ...glomo.Option) (*Fixer, error) { return newFixer(fixhook.CSP, opts) }

// NewHeaders returns the Fixer of glomo.Headers.
func NewHeaders(opts ...glomo.Option) (*Fixer, error) { return newFixer(fixhook.Headers, opts) }

func newFixer(kind fixhook.Kind, opts []glomo.Option) (*Fixer, error) {
	if fixhook.New == nil {
		return nil, errors.New("adapter: package glomo is not initialised")
	}
	f, err := fixhook.New(kind, opts)
	if err != nil {
		return nil, err
	}
	return &Fixer{f: f}, nil
}

// Skips reports whether the response to r is to be left untouched, as
// glomo.WithSkip says. An adapter checks it first and, when it is true,
// neither prepares the request nor fixes the response.
func (f *Fixer) Skips(r *http.Request) bool { return f.f.Skips(r) }

// Prepare returns the request to hand to the next handler, once per
// request: with glomo.WithNonce it carries the request's CSP nonce
// (glomo.Nonce), otherwise it is r itself.
func (f *Fixer) Prepare(r *http.Request) *http.Request { return f.f.Prepare(r) }

// Fix corrects h, the header map of the response to r (the request Prepare
// returned), now: just before the framework writes the headers. e is the
// response's Exemption (nil when the writer has none): once ExemptCOOP was
// called, the COOP headers stay as the application wrote them. Fix is
// idempotent, so an adapter may fix the headers when the handler returns
// and again when the framework's error handler writes.
func (f *Fixer) Fix(h http.Header, r *http.Request, e *Exemption) {
	f.f.Fix(h, r, e != nil && e.exempt)
}

// Exemption records glomo.ExemptCOOP for one response. Embed it in the
// response writer that applies a Fixer.
type Exemption struct {
	exempt bool
}

// ExemptCOOP marks the response exempt from the COOP fix-up; glomo.ExemptCOOP
// calls it.
func (e *Exemption) ExemptCOOP() { e.exempt = true }
