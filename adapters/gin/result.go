package glomogin

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/webhook"
)

// Keys of the verified payment and webhook event in a *gin.Context.
const (
	paymentKey = "github.com/glomokit/glomo/adapters/gin.Payment"
	eventKey   = "github.com/glomokit/glomo/adapters/gin.Event"
)

// ginContextKey carries the *gin.Context in the request that Result and
// Webhook hand to glomo's handlers, for OnResult and OnWebhook.
type ginContextKey struct{}

// serve runs h on c's request, carrying c, with errors answered through
// c.AbortWithStatusJSON.
func serve(h http.Handler, c *gin.Context) {
	r := c.Request.WithContext(context.WithValue(c.Request.Context(), ginContextKey{}, c))
	h.ServeHTTP(responder{c.Writer, c}, r)
}

// Result returns a gin handler serving h: the callbackUrl redirect (GET)
// and the posted SDK events (POST) of Glomo Checkout. Mount it for both
// methods, for example with r.Any or with r.GET and r.POST. Bad client
// input is answered with c.AbortWithStatusJSON(status, glomo.ErrorBody),
// the body glomo's handler writes; a classified result is rendered by h's
// OnResult, which [OnResult] lets you write with gin. It panics if h is
// nil.
func Result(h *glomo.ResultHandler) gin.HandlerFunc {
	if h == nil {
		panic("glomogin: Result needs a ResultHandler")
	}
	return func(c *gin.Context) { serve(h, c) }
}

// OnResult returns a glomo.ResultHandlerOptions.OnResult that renders the
// classified result with gin: it stores the payment in c (see [Payment]),
// sets c.Request to the request carrying it (see glomo.PaymentFromContext)
// and calls render. The handler must be served by [Result]; elsewhere the
// returned function answers 500 and never calls render.
//
// render may write the response itself, or call c.Next to let the
// handlers after Result in the route's chain do it.
func OnResult(render func(c *gin.Context, p glomo.Payment)) func(http.ResponseWriter, *http.Request, glomo.Payment) {
	return func(w http.ResponseWriter, r *http.Request, p glomo.Payment) {
		c, ok := r.Context().Value(ginContextKey{}).(*gin.Context)
		if !ok {
			http.Error(w, "glomogin.OnResult renders only for handlers served by glomogin.Result", http.StatusInternalServerError)
			return
		}
		c.Request = r
		c.Set(paymentKey, p)
		render(c, p)
	}
}

// Payment returns the payment result that [Result] classified for c's
// request, and whether there is one: set by [OnResult] for render and for
// every handler and middleware that runs after it.
func Payment(c *gin.Context) (glomo.Payment, bool) {
	if v, ok := c.Get(paymentKey); ok {
		p, ok := v.(glomo.Payment)
		return p, ok
	}
	if c.Request == nil {
		return glomo.Payment{}, false
	}
	return glomo.PaymentFromContext(c.Request.Context())
}

// Webhook returns a gin handler serving h, Glomo's webhook deliveries
// (POST). Refusals and failures are answered with
// c.AbortWithStatusJSON(status, glomo.ErrorBody). Events proving an order
// paid go to h's Fulfilment; every other event goes to h's Handle, which
// [OnWebhook] lets you write with gin. It panics if h is nil.
func Webhook(h *webhook.Handler) gin.HandlerFunc {
	if h == nil {
		panic("glomogin: Webhook needs a webhook.Handler")
	}
	return func(c *gin.Context) { serve(h, c) }
}

// errNoGinContext is what OnWebhook's Handle returns when the event did not
// come through Webhook.
var errNoGinContext = errors.New("glomogin.OnWebhook handles only events served by glomogin.Webhook")

// OnWebhook returns a webhook.Options.Handle that processes the verified
// event with gin: it stores the event in c (see [Event]) and calls handle
// with the delivery's *gin.Context, whose c.Request.Context() is Handle's
// context (the request's values, Handle's deadline, no cancellation when
// the client leaves) while handle runs; c.Request is restored afterwards.
// handle's error, as with any Handle, answers 500 so that Glomo retries.
//
// The handler must be served by [Webhook]. Served another way (gin.WrapH),
// the returned function returns an error and never calls handle: a
// delivery then gets 500 and Glomo retries it.
func OnWebhook(handle func(c *gin.Context, e webhook.Event) error) func(context.Context, webhook.Event) error {
	return func(ctx context.Context, e webhook.Event) error {
		c, ok := ctx.Value(ginContextKey{}).(*gin.Context)
		if !ok {
			return errNoGinContext
		}
		req := c.Request
		c.Request = req.WithContext(ctx)
		defer func() { c.Request = req }()
		c.Set(eventKey, e)
		return handle(c, e)
	}
}

// Event returns the verified webhook event that [OnWebhook] handled for
// c's request, and whether there is one: set for handle and for every
// handler and middleware that runs after it.
func Event(c *gin.Context) (webhook.Event, bool) {
	v, ok := c.Get(eventKey)
	if !ok {
		return webhook.Event{}, false
	}
	e, ok := v.(webhook.Event)
	return e, ok
}

// responder is the ResponseWriter glomo's handlers get: c's writer, with
// their error responses sent through c.AbortWithStatusJSON.
type responder struct {
	gin.ResponseWriter
	c *gin.Context
}

// glomo.WriteError looks for this method structurally; keep it in step.
var _ interface {
	RespondError(status int, body glomo.ErrorBody)
} = responder{}

// RespondError aborts the chain and sends body as JSON with status;
// glomo.WriteError calls it.
func (w responder) RespondError(status int, body glomo.ErrorBody) {
	w.c.AbortWithStatusJSON(status, body)
}

// Unwrap returns c's writer, so that glomo.ExemptCOOP and
// http.ResponseController find the writers beneath.
func (w responder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
