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
//     that govern those loads. [Headers] applies both; [Checkout] renders
//     the guide's inline script with the request's nonce.
//   - Payment results: the result that reaches the server through the
//     browser carries an HMAC-SHA256 signature, which [Verify] checks and
//     [ResultHandler] serves; webhooks (package webhook) prove the same
//     payment again. Both handlers share one [Fulfilment], which runs the
//     merchant's fulfilment hook exactly once per order, whichever proof
//     arrives first, through a [Store] that replicas share (the Redis and
//     PostgreSQL stores are modules of their own; package storetest checks
//     any other).
//
// Every middleware is a plain func(http.Handler) http.Handler and works with
// any router built on net/http; package adapter serves the framework
// adapters, which are modules of their own.
package glomo
