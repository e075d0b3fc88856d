package glomo

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/glomokit/glomo/internal/fixhook"
)

// fixer corrects the COOP and CSP headers of responses; COOP, CSP and
// Headers build one, and package adapter hands it to frameworks. It is
// safe for concurrent use.
type fixer struct {
	coop   bool
	csp    *cspMerger // nil when CSP is left alone
	nonce  bool
	skip   func(*http.Request) bool
	logger *slog.Logger
}

func init() {
	fixhook.New = func(kind fixhook.Kind, opts any) (fixhook.Fixer, error) {
		o, ok := opts.([]Option)
		if !ok {
			return nil, fmt.Errorf("glomo: options of type %T", opts)
		}
		return newFixer(kind, o)
	}
}

// newFixer checks opts for kind and builds its fixer.
func newFixer(kind fixhook.Kind, opts []Option) (*fixer, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	f := &fixer{coop: kind != fixhook.CSP, skip: c.skip, logger: c.logger}
	if kind == fixhook.COOP {
		if c.setsCSP() {
			return nil, fmt.Errorf("%w: COOP takes only WithSkip and WithLogger; use Headers for the CSP options", ErrUnsupportedOption)
		}
		return f, nil
	}
	if f.csp, err = newCSPMerger(c); err != nil {
		return nil, err
	}
	f.nonce = c.nonce
	return f, nil
}

// middleware returns the net/http middleware of kind.
func middleware(kind fixhook.Kind, opts []Option) (func(http.Handler) http.Handler, error) {
	f, err := newFixer(kind, opts)
	if err != nil {
		return nil, err
	}
	return f.handler, nil
}

// mustMiddleware is middleware, panicking on a configuration error.
func mustMiddleware(kind fixhook.Kind, opts []Option) func(http.Handler) http.Handler {
	m, err := middleware(kind, opts)
	if err != nil {
		panic(err)
	}
	return m
}

// Headers is middleware applying both COOP and CSP, configured by opts:
// the one-call setup for a site that shows Glomo Checkout. It panics if
// opts are invalid, as regexp.MustCompile does; NewHeaders returns the
// error instead.
//
//	http.ListenAndServe("127.0.0.1:8080", glomo.Headers()(mux))
func Headers(opts ...Option) func(http.Handler) http.Handler {
	return mustMiddleware(fixhook.Headers, opts)
}

// NewHeaders is Headers returning a configuration error instead of
// panicking.
func NewHeaders(opts ...Option) (func(http.Handler) http.Handler, error) {
	return middleware(fixhook.Headers, opts)
}

// handler wraps next so that every response's headers are fixed at the
// moment they are committed: at the first Write, WriteHeader (other than
// 1xx), Flush or ReadFrom, or when next returns without writing. It
// therefore sees headers set by middleware outside it (such as
// unrolled/secure) and by next itself. The ResponseWriter next gets has
// exactly the optional interfaces of the one it wraps (http.Flusher,
// http.Hijacker, io.ReaderFrom, http.Pusher and the deprecated
// http.CloseNotifier) and an Unwrap method for http.ResponseController.
func (f *fixer) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.Skips(r) {
			next.ServeHTTP(w, r)
			return
		}
		serveCommitted(f, w, f.Prepare(r), next)
	})
}

// Skips reports whether the response to r is to be left untouched.
func (f *fixer) Skips(r *http.Request) bool { return f.skip != nil && f.skip(r) }

// Prepare returns the request to hand to the next handler: with WithNonce
// it carries the request's CSP nonce (see Nonce), otherwise it is r.
func (f *fixer) Prepare(r *http.Request) *http.Request {
	if !f.nonce {
		return r
	}
	return withRequestNonce(r)
}

// Fix corrects h, the header map of the response to r, now; keepCOOP
// leaves the COOP headers as they are (ExemptCOOP).
func (f *fixer) Fix(h http.Header, r *http.Request, keepCOOP bool) {
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

// ErrUnsupportedOption is returned (wrapped) for an option that the
// function it is given to cannot honour, such as WithNonce in COOP or
// WithSkip in SecureOptions.
var ErrUnsupportedOption = errors.New("glomo: option not supported here")
