// Package glomo is server-side middleware for Glomo Checkout.
//
// It removes the three problems merchants hit when they embed Glomo Checkout
// in a Go web application:
//
//   - COOP: a Cross-Origin-Opener-Policy of same-origin severs the checkout
//     popup. [COOP] rewrites it to same-origin-allow-popups on the way out,
//     whoever set it.
//   - CSP: a Content-Security-Policy that does not list Glomo's hosts blocks
//     the SDK script, the checkout iframe and its API calls. [CSP] merges the
//     hosts into the policy the site already sends, only into the directives
//     that govern those loads.
//   - Signatures: the payment result that reaches the server through the
//     browser carries an HMAC-SHA256 signature. [Verify] checks it, and the
//     payment-result and webhook handlers build on it.
//
// Every middleware is a plain func(http.Handler) http.Handler and works with
// any router built on net/http.
package glomo
