package glomoecho

import (
	"context"
	"net/http"

	"github.com/glomokit/glomo"
	"github.com/labstack/echo/v4"
)

// paymentKey is the echo context key of the verified payment.
const paymentKey = "github.com/glomokit/glomo/adapters/echo.Payment"

// responderKey carries the request's responder in the request that Result
// hands to the glomo.ResultHandler, for OnResult.
type responderKey struct{}

// Result returns an echo handler serving h: the callbackUrl redirect (GET)
// and the posted SDK events (POST) of Glomo Checkout. Register it for both
// methods, for example with e.Match or e.GET and e.POST. For bad client
// input it returns an *echo.HTTPError whose Message is the glomo.ErrorBody
// glomo's handler would write (echo's default error handler sends it as
// that JSON body); a classified result is rendered by h's OnResult, which
// [OnResult] lets you write with echo.
func Result(h *glomo.ResultHandler) echo.HandlerFunc {
	if h == nil {
		panic("glomoecho: Result needs a ResultHandler")
	}
	return func(c echo.Context) error {
		w := &responder{ResponseWriter: c.Response(), c: c}
		r := c.Request()
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), responderKey{}, w)))
		return w.err
	}
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
// (POST). Refusals are returned as an *echo.HTTPError whose Message is a
// glomo.ErrorBody. The verified event goes to h's Handle function; glomo
// does not expose it to the request's handlers.
func Webhook(h *glomo.WebhookHandler) echo.HandlerFunc {
	if h == nil {
		panic("glomoecho: Webhook needs a WebhookHandler")
	}
	return func(c echo.Context) error {
		w := &responder{ResponseWriter: c.Response(), c: c}
		h.ServeHTTP(w, c.Request())
		return w.err
	}
}

// responder is the ResponseWriter glomo's handlers get: c's response, with
// their error responses turned into the error the echo handler returns.
type responder struct {
	http.ResponseWriter
	c   echo.Context
	err error
}

var _ glomo.ErrorResponder = (*responder)(nil)

// RespondError records an *echo.HTTPError for the handler to return.
func (w *responder) RespondError(status int, body glomo.ErrorBody) {
	w.err = &echo.HTTPError{Code: status, Message: body}
}
