// Package glomochi adapts package glomo to the chi router
// (github.com/go-chi/chi/v5).
//
// chi middleware is plain net/http middleware, so glomo's own COOP, CSP
// and Headers work as they are:
//
//	r := chi.NewRouter()
//	r.Use(glomo.Headers())
//
// They compose with chi's middleware (Compress, WrapResponseWriter and the
// middleware built on it, Recoverer) in either order, and glomo.ExemptCOOP
// finds them through chi's wrapped writers. What this package adds is
// [Mount], which registers the payment-result, verify and webhook endpoints
// (glomo's ResultHandler and package webhook's Handler, sharing one
// glomo.Fulfilment) on a chi.Router, each for its method, answering other
// methods with glomo's JSON error body.
//
// # Compatibility
//
// glomochi supports Go 1.22 and later and chi v5.2.2 and later in the v5
// series (tested with v5.2.2 and v5.5.0; chi v5.3 and later need a newer
// Go themselves).
package glomochi
