// Package glomoapi is a small client for Glomo's server API: create an
// order, look up an order or a payment, and confirm a payment result
// server-side for the glomo package's payment-result handler.
//
// It uses only the standard library. Every call takes a context and the
// underlying http.Client has a timeout (DefaultTimeout) as a backstop.
//
// Errors: a response Glomo sent with a non-2xx status is an *APIError
// carrying the status and Glomo's flat {"error", "message"} body, each
// field cut to one line of at most MaxErrorFieldBytes so that logging the
// error is safe whatever the body held; anything
// else (a timeout, a refused connection, an HTML error page from a proxy
// with a 2xx status, a body over the size cap) is a wrapped error that
// matches ErrTransport or ErrResponse with errors.Is. Nothing panics on a
// bad response.
//
// A 2xx response is used only if it names the object asked for: a body of
// null or {}, or one about another order or payment, is an error matching
// ErrResponse rather than an empty Order or Payment.
//
// # Retries
//
// The client never retries. GetOrder and GetPayment are safe to retry.
// CreateOrder is not, by itself: when it fails with ErrTransport, a
// timeout or a 5xx, the order may or may not have been created. What Glomo
// documents is only this: a request whose request_id was used before is
// rejected with a 400. It does not document that this 400 returns the
// existing order, nor a way to tell it from a 400 for an invalid request
// (APIError.Detail holds the body's optional "code", but no code is
// documented for a repeated request_id), nor a way to find an order by its
// request_id. So a caller can:
//
//   - generate the RequestID once per order of its own and store it with
//     that order before calling CreateOrder, and store the returned order
//     id as soon as it has it;
//   - after an ambiguous failure, retry with the same RequestID: a success
//     returns the order, and no retry can create a second one;
//   - treat a 400 to such a retry as unresolved, neither "already
//     created" (the API gives no order id to continue with) nor "invalid"
//     (it may be the repeat). Reconcile before creating an order under a
//     new RequestID; the API has no search, so that happens outside it
//     (Glomo's dashboard or support), which a ReferenceNumber carrying
//     your own order id makes easier. Once you know an order id, GetOrder
//     tells its status.
//
// An order nobody pays charges no one: if you choose instead to create a
// new order under a new RequestID at once, the cost is a possible stray
// unpaid order, not money.
//
// The secret key is kept behind a pointer in the Client, is sent only in
// the Authorization header, and never appears in errors or in fmt output
// of a Client, a *Client or a struct holding either.
package glomoapi
