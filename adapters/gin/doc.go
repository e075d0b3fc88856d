// Package glomogin adapts package glomo to the gin web framework
// (github.com/gin-gonic/gin).
//
// The COOP and CSP fix-ups are gin middleware ([Headers], [CSP], [COOP],
// and [Middleware] for a Fixer from package adapter) that correct the
// headers when gin commits them, so that headers set by later handlers,
// through c.Header or c.Writer.Header(), are corrected too.
//
// glomo's payment-result handler and the webhook handler of package
// webhook become gin handlers ([Result], [Webhook]) that answer bad input
// and failures through c.AbortWithStatusJSON with glomo's JSON error body
// {"error": code, "message": text}. Give both the same glomo.Fulfilment:
// an order is fulfilled once, whether the signed result or the webhook
// arrives first. [OnResult] renders a result with gin and [Payment] reads
// the verified payment from the *gin.Context; [OnWebhook] processes the
// other webhook events with gin and [Event] reads them.
//
// # Compatibility
//
// glomogin supports Go 1.22 and later and gin v1.10.1 and later in the
// v1 series (tested with v1.10.1 and v1.12.0; gin v1.11 and later need a
// newer Go themselves).
package glomogin
