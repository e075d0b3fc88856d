// Package glomoecho adapts package glomo to the echo web framework
// (github.com/labstack/echo/v4).
//
// The COOP and CSP fix-ups are echo middleware ([Headers], [CSP], [COOP],
// and [Middleware] for a Fixer from package adapter) that correct the
// headers when echo commits them, in the writer beneath echo's Response
// (after the response's Before hooks ran); so headers set by the handler
// after the middleware ran, or by a Before hook, are corrected too.
//
// glomo's payment-result handler and the webhook handler of package
// webhook become echo handlers ([Result], [Webhook]) that return bad input
// and failures as an *echo.HTTPError whose Message is a glomo.ErrorBody,
// which echo's default error handler sends as glomo's JSON body
// {"error": code, "message": text}. Give both the same glomo.Fulfilment:
// an order is fulfilled once, whether the signed result or the webhook
// arrives first. [OnResult] renders a result with echo and [Payment] reads
// the verified payment from the echo.Context; [OnWebhook] processes the
// other webhook events with echo and [Event] reads them.
//
// # Compatibility
//
// glomoecho supports Go 1.22 and later and echo v4.12.0 and later in the
// v4 series (tested with v4.12.0 and v4.16.0). Echo v5 is not supported: its
// handlers take a *echo.Context struct and it needs Go 1.25, so it would be
// a module of its own.
package glomoecho
