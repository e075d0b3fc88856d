// Package glomoapi is a small client for Glomo's server API: create an
// order, look up an order or a payment, and confirm a payment result
// server-side for the glomo package's payment-result handler.
//
// It uses only the standard library. Every call takes a context and the
// underlying http.Client has a timeout (DefaultTimeout) as a backstop.
//
// Errors: a response Glomo sent with a non-2xx status is an *APIError
// carrying the status and Glomo's flat {"error", "message"} body; anything
// else (a timeout, a refused connection, an HTML error page from a proxy
// with a 2xx status, a body over the size cap) is a wrapped error that
// matches ErrTransport or ErrResponse with errors.Is. Nothing panics on a
// bad response.
//
// Retries: the client never retries. Creating an order twice charges no
// one but leaves two orders; with a request_id Glomo rejects the repeat
// with a 400, so a caller that retries CreateOrder must set RequestID and
// treat that 400 as "already created". Lookups are safe to retry.
//
// The secret key is kept in an unexported field, is sent only in the
// Authorization header, and never appears in errors or in %v output.
package glomoapi
