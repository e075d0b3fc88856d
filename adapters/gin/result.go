package glomogin

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/glomokit/glomo"
)

// paymentKey is the gin context key of the verified payment.
const paymentKey = "github.com/glomokit/glomo/adapters/gin.Payment"

// ginContextKey carries the *gin.Context in the request that Result hands
// to the glomo.ResultHandler, for OnResult.
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

// Webhook returns a gin handler serving h, Glomo's webhook deliveries
// (POST). Refusals are answered with c.AbortWithStatusJSON(status,
// glomo.ErrorBody). The verified event goes to h's Handle function; glomo
// does not expose it to the request's handlers.
func Webhook(h *glomo.WebhookHandler) gin.HandlerFunc {
	if h == nil {
		panic("glomogin: Webhook needs a WebhookHandler")
	}
	return func(c *gin.Context) {
		h.ServeHTTP(responder{c.Writer, c}, c.Request)
	}
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
