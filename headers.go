package glomo

import (
	"log/slog"
	"net/http"
)

// HeaderFixer corrects the COOP and CSP headers of responses so that Glomo
// Checkout works, as configured by NewCOOP, NewCSP or NewHeaders. Its
// Handler method is net/http middleware; Prepare and Fix serve framework
// adapters that commit headers their own way. A HeaderFixer is safe for
// concurrent use.
type HeaderFixer struct {
	coop   bool
	csp    *cspMerger // nil when CSP is left alone
	nonce  bool
	skip   func(*http.Request) bool
	logger *slog.Logger
}

// Handler returns next wrapped so that every response's headers are fixed
// at the moment they are committed: at the first Write, WriteHeader (other
// than 1xx), Flush or ReadFrom, or when next returns without writing. It
// therefore sees headers set by middleware outside it (such as
// unrolled/secure) and by next itself. The ResponseWriter next gets has
// exactly the optional interfaces of the one it wraps (http.Flusher,
// http.Hijacker, io.ReaderFrom, http.Pusher and the deprecated
// http.CloseNotifier) and an Unwrap method for http.ResponseController.
func (f *HeaderFixer) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.Skips(r) {
			next.ServeHTTP(w, r)
			return
		}
		serveCommitted(f, w, f.Prepare(r), next)
	})
}

// Skips reports whether the response to r is to be left untouched, as
// COOPOptions.Skip or WithSkip say. Handler checks it itself; adapters
// check it before Prepare and skip Prepare and Fix when it is true.
func (f *HeaderFixer) Skips(r *http.Request) bool { return f.skip != nil && f.skip(r) }

// Prepare returns the request to hand to the next handler. With WithNonce
// it carries the request's CSP nonce in its context (see Nonce): the one
// unrolled/secure already made for this request, or a fresh one. Otherwise
// it is r itself. Handler calls it; adapters call it once per request.
func (f *HeaderFixer) Prepare(r *http.Request) *http.Request {
	if !f.nonce {
		return r
	}
	return withRequestNonce(r)
}

// Fix corrects h, the header map of the response to r, now. Adapters call
// it just before their framework writes the headers, with the request that
// Prepare returned; net/http users want Handler instead.
func (f *HeaderFixer) Fix(h http.Header, r *http.Request) { f.fix(h, r, false) }

// COOPExemption records ExemptCOOP for one response. Response writers that
// apply a HeaderFixer embed it, which makes them COOPExempters, and fix
// their headers with FixHeaders.
type COOPExemption struct {
	exempt bool
}

// ExemptCOOP implements COOPExempter.
func (e *COOPExemption) ExemptCOOP() { e.exempt = true }

// FixHeaders is f.Fix for this response: once ExemptCOOP was called, the
// CSP fix-up still applies and the COOP headers stay as the application
// wrote them.
func (e *COOPExemption) FixHeaders(f *HeaderFixer, h http.Header, r *http.Request) {
	f.fix(h, r, e.exempt)
}

func (f *HeaderFixer) fix(h http.Header, r *http.Request, keepCOOP bool) {
	if f.coop && !keepCOOP {
		fixCOOPHeaders(h, f.logger)
	}
	if f.csp != nil {
		source := ""
		if f.nonce {
			source = requestNonceSource(r)
		}
		f.csp.fix(h, source)
	}
}

// NewHeaders returns a HeaderFixer that applies both COOP and CSP fix-ups:
// the one-call setup for a site that shows Glomo Checkout.
func NewHeaders(opts ...CSPOption) (*HeaderFixer, error) {
	f, err := NewCSP(opts...)
	if err != nil {
		return nil, err
	}
	f.coop = true
	return f, nil
}

// Headers is middleware applying both COOP and CSP, configured by opts. It
// panics if opts are invalid, as regexp.MustCompile does; use NewHeaders to
// get the error instead.
//
//	http.ListenAndServe("127.0.0.1:8080", glomo.Headers()(mux))
func Headers(opts ...CSPOption) func(http.Handler) http.Handler {
	f, err := NewHeaders(opts...)
	if err != nil {
		panic(err)
	}
	return f.Handler
}
