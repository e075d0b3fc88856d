package glomofiber

import (
	"context"
	"errors"
	"net/http"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/webhook"
	"github.com/gofiber/fiber/v3"
)

// fiberCtxKey carries the fiber.Ctx in the request that Result, Webhook
// and HTTPHandler hand to net/http handlers, for OnResult and OnWebhook.
type fiberCtxKey struct{}

// Result returns a Fiber handler serving h: the callbackUrl redirect (GET)
// and the posted SDK events (POST) of Glomo Checkout. Mount it for both
// methods, for example with app.Get and app.Post, or app.All to let h
// answer other methods with its 405. h gets Fiber's request as an
// *http.Request: method, URL, headers, and the body exactly as received
// (h's MaxBodyBytes applies, and so does Fiber's BodyLimit before it, see
// the package documentation); its context is c.Context() and carries c.
//
// Bad client input (405 with Allow, 413, 415, 400) and server-side
// failures (500, 503) are answered with c.Status(status).JSON of the
// glomo.ErrorBody glomo's handler writes, its headers included, through
// the app's JSONEncoder; they are answers, not errors, so Fiber's error
// handler does not see them. A classified result is rendered by h's
// OnResult, which [OnResult] lets you write with Fiber; an error render
// returns is returned by this handler, for Fiber's error handler. It
// panics if h is nil.
func Result(h *glomo.ResultHandler) fiber.Handler {
	if h == nil {
		panic("glomofiber: Result needs a ResultHandler")
	}
	return func(c fiber.Ctx) error { return serve(h, c) }
}

// Webhook returns a Fiber handler serving h, Glomo's webhook deliveries
// (POST). The signature is verified over the raw body bytes as fasthttp
// received them, before anything parses them. Refusals (405, 413, 415,
// 400, 401, 409) and failures (500, 503) are answered with
// c.Status(status).JSON(glomo.ErrorBody), as [Result] does. Events
// proving an order paid go to h's Fulfilment; every other event goes to
// h's Handle, which [OnWebhook] lets you write with Fiber. It panics if h
// is nil.
func Webhook(h *webhook.Handler) fiber.Handler {
	if h == nil {
		panic("glomofiber: Webhook needs a webhook.Handler")
	}
	return func(c fiber.Ctx) error { return serve(h, c) }
}

// HTTPHandler returns a Fiber handler serving h, a net/http handler such
// as an existing page of the site, in the way Result and Webhook serve
// glomo's: unlike Fiber's adaptor, its request's context is c.Context(),
// so that glomo.Nonce(r.Context()) returns the nonce of the middleware's
// glomo.WithNonce, and glomo.ExemptCOOP(w) works. Its response (status,
// headers, body) becomes c's; it is buffered, h cannot flush or hijack.
// It panics if h is nil.
func HTTPHandler(h http.Handler) fiber.Handler {
	if h == nil {
		panic("glomofiber: HTTPHandler needs an http.Handler")
	}
	return func(c fiber.Ctx) error { return serve(h, c) }
}

// serve runs h on c's request and returns the error an OnResult render
// reported.
func serve(h http.Handler, c fiber.Ctx) error {
	w := &responseWriter{c: c}
	r := newHTTPRequest(c, context.WithValue(c.Context(), fiberCtxKey{}, c), &w.requestScratch)
	withBody(r, c)
	h.ServeHTTP(w, r)
	w.finish()
	closeIfUnread(r, c)
	return w.err
}

// fiberCtx returns the fiber.Ctx that serve put in ctx.
func fiberCtx(ctx context.Context) (fiber.Ctx, bool) {
	c, ok := ctx.Value(fiberCtxKey{}).(fiber.Ctx)
	return c, ok
}

// OnResult returns a glomo.ResultHandlerOptions.OnResult that renders the
// classified result with Fiber: it copies the headers glomo's handler set
// (Referrer-Policy: no-referrer among them) into c's response, stores the
// payment in c (see [Payment]), sets c's context to the request's, which
// carries it (see glomo.PaymentFromContext), and calls render, whose
// error [Result] returns for Fiber's error handler. The handler must be
// served by [Result]; elsewhere the returned function answers 500 and
// never calls render.
func OnResult(render func(c fiber.Ctx, p glomo.Payment) error) func(http.ResponseWriter, *http.Request, glomo.Payment) {
	return func(w http.ResponseWriter, r *http.Request, p glomo.Payment) {
		rw, ok := w.(*responseWriter)
		c, okc := fiberCtx(r.Context())
		if !ok || !okc || rw.c != c {
			http.Error(w, "glomofiber.OnResult renders only for handlers served by glomofiber.Result", http.StatusInternalServerError)
			return
		}
		rw.handOver()
		c.SetContext(r.Context())
		c.Locals(paymentKey, p)
		rw.err = render(c, p)
	}
}

// Payment returns the payment result that [Result] classified for c's
// request, and whether there is one: set by [OnResult] for render and for
// every handler that runs after it.
func Payment(c fiber.Ctx) (glomo.Payment, bool) {
	if p, ok := c.Locals(paymentKey).(glomo.Payment); ok {
		return p, true
	}
	return glomo.PaymentFromContext(c.Context())
}

// errNoFiberCtx is what OnWebhook's Handle returns when the event did not
// come through Webhook.
var errNoFiberCtx = errors.New("glomofiber.OnWebhook handles only events served by glomofiber.Webhook")

// OnWebhook returns a webhook.Options.Handle that processes the verified
// event with Fiber: it stores the event in c (see [Event]) and calls
// handle with the delivery's fiber.Ctx, whose c.Context() is Handle's
// context (the request's values, Handle's deadline, no cancellation when
// the client leaves) while handle runs; c's context is restored
// afterwards. handle's error, as with any Handle, answers 500 so that
// Glomo retries. handle must not write the response: the webhook handler
// answers the delivery.
//
// The handler must be served by [Webhook]. Served another way, the
// returned function returns an error and never calls handle: a delivery
// then gets 500 and Glomo retries it.
func OnWebhook(handle func(c fiber.Ctx, e webhook.Event) error) func(context.Context, webhook.Event) error {
	return func(ctx context.Context, e webhook.Event) error {
		c, ok := fiberCtx(ctx)
		if !ok {
			return errNoFiberCtx
		}
		prev := c.Context()
		c.SetContext(ctx)
		defer c.SetContext(prev)
		c.Locals(eventKey, e)
		return handle(c, e)
	}
}

// Event returns the verified webhook event that [OnWebhook] handled for
// c's request, and whether there is one: set for handle and for every
// handler that runs after Webhook.
func Event(c fiber.Ctx) (webhook.Event, bool) {
	e, ok := c.Locals(eventKey).(webhook.Event)
	return e, ok
}
