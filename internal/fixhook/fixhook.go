// Package fixhook connects package adapter to the header engine of
// package glomo without putting that engine in the merchant's view.
package fixhook

import "net/http"

// Kind selects which fix-ups a Fixer applies.
type Kind int

// The kinds of glomo.COOP, glomo.CSP and glomo.Headers.
const (
	COOP Kind = iota + 1
	CSP
	Headers
)

// Fixer is the engine behind the header middleware.
type Fixer interface {
	Skips(r *http.Request) bool
	Prepare(r *http.Request) *http.Request
	Fix(h http.Header, r *http.Request, keepCOOP bool)
}

// New builds a Fixer of kind from opts, a []glomo.Option. Package glomo
// sets it when it is initialised.
var New func(kind Kind, opts any) (Fixer, error)
