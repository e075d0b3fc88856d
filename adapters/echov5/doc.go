// Package glomoechov5 adapts package glomo to version 5 of the echo web
// framework (github.com/labstack/echo/v5), whose handlers take a
// *echo.Context. For echo v4 use package glomoecho
// (github.com/glomokit/glomo/adapters/echo) instead.
//
// The COOP and CSP fix-ups are echo middleware ([Headers], [CSP], [COOP],
// [Middleware]) that correct the headers when echo commits them: the
// middleware puts a writer beneath echo's *echo.Response, which every
// WriteHeader, Write and Flush of the response passes through after echo's
// Before hooks have run, so headers set by the handler, by middleware
// registered before or after this one and by their Before hooks are all
// corrected. When the handler returns without writing, the headers are
// fixed then, and again if echo's error handler writes.
//
// The payment-result and webhook handlers of package glomo become echo
// handlers ([Result], [Webhook]). They return bad client input, and their
// server-side failures, as an [*Error]: an error that implements
// echo.HTTPStatusCoder and json.Marshaler, which echo's default error
// handler sends with glomo's status and JSON body {"error": code,
// "message": text}, exactly as glomo's net/http handlers answer. [OnResult]
// renders a result with echo and [Payment] reads the verified payment from
// the *echo.Context, as [OnWebhook] processes a webhook event with echo and
// [Event] reads it.
//
// # Compatibility
//
// glomoechov5 supports Go 1.25 and later (echo v5 needs it) and echo
// v5.3.1 and later in the v5 series; it is tested with v5.3.1 and v5.4.4.
package glomoechov5
