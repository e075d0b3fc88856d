// Package glomofiber adapts package glomo to Fiber v3
// (github.com/gofiber/fiber/v3), which is built on fasthttp rather than
// net/http: handlers set headers on fasthttp's response, so neither glomo's
// net/http middleware nor Fiber's net/http adaptor can fix them.
//
// # Headers
//
// The COOP and CSP fix-ups are Fiber middleware ([Headers], [CSP], [COOP],
// [Middleware]). Register one first, with app.Use, before every other
// handler (recover too):
//
//	app := fiber.New()
//	app.Use(glomofiber.Headers(glomo.WithNonce()))
//	app.Use(recover.New())
//
// fasthttp writes a response's headers after the handler chain and Fiber's
// error handler have returned, for streamed bodies (c.SendStream,
// c.SendStreamWriter) as for the others. The middleware therefore fixes
// them when everything after it has returned: it calls the app's error
// handler itself when the chain returned an error (as Fiber's logger
// middleware does) and returns nil. What it covers, precisely:
//
//   - headers set by the handlers and middleware registered after it,
//     through c.Set, c.Append or c.Response().Header, before or after
//     their c.Next;
//   - headers set by middleware registered before it, before it calls
//     c.Next;
//   - the response of the app's error handler (and of a mounted app's) for
//     errors from the chain after it: a handler's error, Fiber's 404 and
//     405, a panic that recover, registered after it, turned into an
//     error;
//   - c.SendStream and stream-writer bodies: their headers go out when the
//     stream starts, after the middleware ran;
//   - net/http pages served by [HTTPHandler] or Fiber's adaptor, whose
//     headers are in Fiber's response when they return.
//
// Not covered: headers set inside a stream writer (sent too late for
// anyone), writes by middleware registered before it after its c.Next
// returned, the error handler's response to an error such a middleware
// returns, and responses fasthttp writes without running the routes (a
// request it cannot parse; a body over Config.BodyLimit, for which Fiber
// runs the Use middleware and then its error handler with a 413).
//
// The fix-up works on an *http.Request built from the Fiber request (method,
// URL, Host, RemoteAddr, every header; no body), which glomo.WithSkip's
// function receives, and on the five response fields it reads and writes
// (Content-Security-Policy and its -Report-Only, Cross-Origin-Opener-Policy
// and its -Report-Only, Cross-Origin-Embedder-Policy), every repeated value
// kept. [Nonce] reads the nonce of glomo.WithNonce for templates, and so
// does glomo.Nonce(c.Context()); [ExemptCOOP] is glomo.ExemptCOOP for a
// fiber.Ctx.
//
// # Results and webhooks
//
// [Result] and [Webhook] run glomo's net/http handlers on Fiber's request:
// its method, URL, headers and the body bytes exactly as received (the
// webhook signature is verified over those bytes before anything parses
// them), with c.Context() as the request's context. Their responses
// become c's. Their refusals of bad input (405 with Allow, 413, 415, 400,
// 401) and their 5xx answers are glomo's JSON [glomo.ErrorBody], sent with
// c.Status(status).JSON(body): an answer, not an error, because Fiber's
// error path (a *fiber.Error) carries only a message and the default error
// handler would send it as text. [OnResult] renders a result with Fiber
// (its error goes to Fiber's error handler) and [Payment] reads it, as
// [OnWebhook] handles an event with Fiber and [Event] reads it.
//
// Two body limits apply. fasthttp refuses a body over the app's
// Config.BodyLimit (4 MiB by default) while reading it, before any
// handler runs, and Fiber's error handler answers 413 (the default one as
// text, "Request Entity Too Large"). Under that limit, glomo's own limit
// (ResultHandlerOptions.MaxBodyBytes, 64 KiB by default;
// webhook.Options.MaxBodyBytes, 1 MiB) gets glomo's 413 body_too_large
// JSON. Keep BodyLimit above glomo's limits, as the defaults are, so that
// glomo's answer is the one clients see.
//
// # Compatibility
//
// glomofiber supports Go 1.25 and later (Fiber v3 needs it) and Fiber
// v3.0.0 and later in the v3 series, with the fasthttp Fiber requires
// (v1.69.0 and later); it is tested with Fiber v3.0.0 and v3.1.0.
package glomofiber
