// Package glomoecho adapts package glomo to the echo web framework
// (github.com/labstack/echo/v4).
//
// The COOP and CSP fix-ups are echo middleware ([Headers], [CSP], [COOP],
// [Middleware]) that correct the headers when echo commits them, through
// the response's Before hook and, for a Flush (which skips Before hooks),
// through the response's writer; so headers set by the handler after the
// middleware ran are corrected too. The payment-result and webhook
// handlers of package glomo become echo handlers ([Result], [Webhook])
// that return bad client input as an *echo.HTTPError whose Message is a
// glomo.ErrorBody, which echo's default error handler sends as glomo's
// JSON body {"error": code, "message": text}. [OnResult] renders a result
// with echo and [Payment] reads the verified payment from the echo.Context,
// as [OnWebhook] processes a webhook event with echo and [Event] reads it.
//
// # Compatibility
//
// glomoecho supports Go 1.22 and later and echo v4.12.0 and later in the
// v4 series (tested with v4.12.0 and v4.16.0). Echo v5 is not supported: its
// handlers take a *echo.Context struct and it needs Go 1.25, so it would be
// a module of its own.
package glomoecho
