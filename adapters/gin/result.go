package glomogin

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/glomokit/glomo"
)

// Keys of the verified payment and webhook event in a *gin.Context.
const (
	paymentKey = "github.com/glomokit/glomo/adapters/gin.Payment"
	eventKey   = "github.com/glomokit/glomo/adapters/gin.WebhookEvent"
)

// ginContextKey carries the *gin.Context in the request that Result and
// Webhook hand to glomo's handlers, for OnResult and OnWebhook.
type ginContextKey struct{}

// Result returns a gin handler serving h: the callbackUrl redirect (GET)
// and the posted SDK events (POST) of Glomo Checkout. Mount it for both
// methods, for example with r.Any or with r.GET and r.POST. Bad client
// input is answered with c.AbortWithStatusJSON(status, glomo.ErrorBody),
// the body glomo's handler writes; a classified result is rendered by h's
// OnResult, which [OnResult] lets you write with gin.
func Result(h *glomo.ResultHandler) gin.HandlerFunc {
	if h == nil {
		panic("glomogin: Result needs a ResultHandler")
	}
	return func(c *gin.Context) {
		r := c.Request.WithContext(context.WithValue(c.Request.Context(), ginContextKey{}, c))
		h.ServeHTTP(responder{c.Writer, c}, r)
	}
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

// ErrAsyncWebhook is returned by [Webhook] for a glomo.WebhookHandler
// built with WebhookOptions.Async.
var ErrAsyncWebhook = errors.New("glomogin: Webhook serves only a synchronous WebhookHandler: " +
	"an Async one acknowledges an event before Handle runs, when gin has recycled the delivery's context")

// Webhook returns a gin handler serving h, Glomo's webhook deliveries
// (POST). Refusals are answered with c.AbortWithStatusJSON(status,
// glomo.ErrorBody). The verified event goes to h's Handle function, which
// [OnWebhook] lets you write with gin.
//
// h must be synchronous: for a nil h, or one built with
// WebhookOptions.Async, Webhook returns an error (ErrAsyncWebhook for
// Async) instead of a handler. An Async handler answers 202 and runs
// Handle later, after gin has recycled the delivery's context, so a
// Handle written with OnWebhook would fail on every event that Glomo had
// already been told was received. Mount an Async handler whose Handle
// does not use OnWebhook with gin.WrapH(h).
func Webhook(h *glomo.WebhookHandler) (gin.HandlerFunc, error) {
	if h == nil {
		return nil, errors.New("glomogin: Webhook needs a WebhookHandler")
	}
	if h.Async() {
		return nil, ErrAsyncWebhook
	}
	return func(c *gin.Context) {
		r := c.Request.WithContext(context.WithValue(c.Request.Context(), ginContextKey{}, c))
		h.ServeHTTP(responder{c.Writer, c}, r)
	}, nil
}

// errNoGinContext is what OnWebhook's Handle returns when the event did not
// come through Webhook in the synchronous mode.
var errNoGinContext = errors.New("glomogin.OnWebhook handles only events served by glomogin.Webhook without Async")

// OnWebhook returns a glomo.WebhookOptions.Handle that processes the
// verified event with gin: it stores the event in c (see [Event]) and calls
// handle with the delivery's *gin.Context, whose c.Request.Context() carries
// Handle's deadline while handle runs. handle's error, as with any Handle,
// answers 500 so that Glomo retries.
//
// The handler must be served by [Webhook], which refuses an Async handler
// when it is built. Served another way (gin.WrapH), the returned function
// returns an error and never calls handle: a delivery then gets 500 and
// Glomo retries it. Never use OnWebhook for an Async handler served
// another way: its events would be acknowledged and then dropped.
func OnWebhook(handle func(c *gin.Context, e glomo.WebhookEvent) error) func(context.Context, glomo.WebhookEvent) error {
	return func(ctx context.Context, e glomo.WebhookEvent) error {
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
func Event(c *gin.Context) (glomo.WebhookEvent, bool) {
	v, ok := c.Get(eventKey)
	if !ok {
		return glomo.WebhookEvent{}, false
	}
	e, ok := v.(glomo.WebhookEvent)
	return e, ok
}

// responder is the ResponseWriter glomo's handlers get: c's writer, with
// their error responses sent through c.AbortWithStatusJSON.
type responder struct {
	gin.ResponseWriter
	c *gin.Context
}

var _ glomo.ErrorResponder = responder{}

// RespondError aborts the chain and sends body as JSON with status.
func (w responder) RespondError(status int, body glomo.ErrorBody) {
	w.c.AbortWithStatusJSON(status, body)
}
