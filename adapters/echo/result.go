package glomoecho

import (
	"context"
	"errors"
	"net/http"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/webhook"
	"github.com/labstack/echo/v4"
)

// Keys of the verified payment and webhook event in an echo.Context.
const (
	paymentKey = "github.com/glomokit/glomo/adapters/echo.Payment"
	eventKey   = "github.com/glomokit/glomo/adapters/echo.Event"
)

// responderKey carries the request's responder in the request that Result
// and Webhook hand to glomo's handlers, for OnResult and OnWebhook.
type responderKey struct{}

// Result returns an echo handler serving h: the callbackUrl redirect (GET)
// and the posted SDK events (POST) of Glomo Checkout. Register it for both
// methods, for example with e.Match or e.GET and e.POST. For bad client
// input it returns an *echo.HTTPError whose Message is the glomo.ErrorBody
// glomo's handler would write (echo's default error handler sends it as
// that JSON body); a classified result is rendered by h's OnResult, which
// [OnResult] lets you write with echo. It panics if h is nil.
func Result(h *glomo.ResultHandler) echo.HandlerFunc {
	if h == nil {
		panic("glomoecho: Result needs a ResultHandler")
	}
	return func(c echo.Context) error { return serve(h, c) }
}

// serve runs h on c's request, carrying the responder, and returns the
// error the responder recorded.
func serve(h http.Handler, c echo.Context) error {
	w := &responder{ResponseWriter: c.Response(), c: c}
	r := c.Request()
	h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), responderKey{}, w)))
	return w.err
}

// OnResult returns a glomo.ResultHandlerOptions.OnResult that renders the
// classified result with echo: it stores the payment in c (see [Payment]),
// sets c's request to the one carrying it (see glomo.PaymentFromContext)
// and calls render; [Result] returns render's error to echo. The handler
// must be served by Result; elsewhere the returned function answers 500
// and never calls render.
func OnResult(render func(c echo.Context, p glomo.Payment) error) func(http.ResponseWriter, *http.Request, glomo.Payment) {
	return func(w http.ResponseWriter, r *http.Request, p glomo.Payment) {
		rw, ok := r.Context().Value(responderKey{}).(*responder)
		if !ok {
			http.Error(w, "glomoecho.OnResult renders only for handlers served by glomoecho.Result", http.StatusInternalServerError)
			return
		}
		rw.c.SetRequest(r)
		rw.c.Set(paymentKey, p)
		rw.err = render(rw.c, p)
	}
}

// Payment returns the payment result that [Result] classified for c's
// request, and whether there is one: set by [OnResult] for render and for
// the middleware around Result once it returns.
func Payment(c echo.Context) (glomo.Payment, bool) {
	if p, ok := c.Get(paymentKey).(glomo.Payment); ok {
		return p, true
	}
	if c.Request() == nil {
		return glomo.Payment{}, false
	}
	return glomo.PaymentFromContext(c.Request().Context())
}

// Webhook returns an echo handler serving h, Glomo's webhook deliveries
// (POST). Refusals and failures are returned as an *echo.HTTPError whose
// Message is a glomo.ErrorBody. Events proving an order paid go to h's
// Fulfilment; every other event goes to h's Handle, which [OnWebhook] lets
// you write with echo. It panics if h is nil.
func Webhook(h *webhook.Handler) echo.HandlerFunc {
	if h == nil {
		panic("glomoecho: Webhook needs a webhook.Handler")
	}
	return func(c echo.Context) error { return serve(h, c) }
}

// errNoEchoContext is what OnWebhook's Handle returns when the event did
// not come through Webhook.
var errNoEchoContext = errors.New("glomoecho.OnWebhook handles only events served by glomoecho.Webhook")

// OnWebhook returns a webhook.Options.Handle that processes the verified
// event with echo: it stores the event in c (see [Event]) and calls handle
// with the delivery's echo.Context, whose request context is Handle's
// context (the request's values, Handle's deadline, no cancellation when
// the client leaves) while handle runs; c's request is restored
// afterwards. handle's error, as with any Handle, answers 500 so that
// Glomo retries.
//
// The handler must be served by [Webhook]. Served another way
// (echo.WrapHandler), the returned function returns an error and never
// calls handle: a delivery then gets 500 and Glomo retries it.
func OnWebhook(handle func(c echo.Context, e webhook.Event) error) func(context.Context, webhook.Event) error {
	return func(ctx context.Context, e webhook.Event) error {
		rw, ok := ctx.Value(responderKey{}).(*responder)
		if !ok {
			return errNoEchoContext
		}
		c := rw.c
		req := c.Request()
		c.SetRequest(req.WithContext(ctx))
		defer c.SetRequest(req)
		c.Set(eventKey, e)
		return handle(c, e)
	}
}

// Event returns the verified webhook event that [OnWebhook] handled for
// c's request, and whether there is one: set for handle and for the
// middleware around Webhook once it returns.
func Event(c echo.Context) (webhook.Event, bool) {
	e, ok := c.Get(eventKey).(webhook.Event)
	return e, ok
}

// responder is the ResponseWriter glomo's handlers get: c's response, with
// their error responses turned into the error the echo handler returns.
type responder struct {
	http.ResponseWriter
	c   echo.Context
	err error
}

// glomo.WriteError looks for this method structurally; keep it in step.
var _ interface {
	RespondError(status int, body glomo.ErrorBody)
} = (*responder)(nil)

// RespondError records an *echo.HTTPError for the handler to return;
// glomo.WriteError calls it.
func (w *responder) RespondError(status int, body glomo.ErrorBody) {
	w.err = &echo.HTTPError{Code: status, Message: body}
}

// Unwrap returns c's response, so that glomo.ExemptCOOP and
// http.ResponseController find the writers beneath.
func (w *responder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
