// Package shop is the demo shop of the examples: a small catalogue, an
// order store, and the pages of a Glomo Checkout integration, written
// against net/http only so that every framework demo (net/http, gin, echo,
// chi) serves the same shop.
//
// # The pieces
//
//   - Config says which Glomo to use: Setup starts an embedded glomotest
//     simulator unless GLOMO_SECRET_KEY and GLOMO_PUBLIC_KEY are set, in
//     which case the shop talks to real Glomo (GLOMO_WEBHOOK_SECRET enables
//     webhooks, GLOMO_API_BASE_URL overrides the API root).
//   - New builds a Shop. Its page handlers (Pages) set the site's own
//     strict SitePolicy and Cross-Origin-Opener-Policy: same-origin, as a
//     real site would; the glomo middleware then merges Glomo's hosts and
//     the page nonce into the policy and lets the popup through.
//   - HeaderOptions, ResultHandlerOptions and WebhookOptions are the
//     options the shop hands to the glomo package (or to a framework
//     adapter): the nonce and CSP sources; the expected order from the
//     session cookie, fulfilment once, confirmation through glomoapi and
//     the result rendering; and the webhook hook.
//   - Routes, Mux and Handler assemble the net/http version.
//
// # Reusing it from a framework demo
//
// A framework demo imports this package, builds the shop, and mounts the
// pieces on its router with its adapter:
//
//	cfg, sim, err := shop.Setup(os.Getenv, logger)
//	s, err := shop.New(cfg)
//	// 1. The adapter's header middleware, configured with s.HeaderOptions()...,
//	//    in front of every route (it provides glomo.Nonce to the templates).
//	// 2. Every route of s.Pages() as it is: Method, Path (PathStatic is a
//	//    prefix; PathProducts is the exact "/"), Handler (a plain http.Handler).
//	// 3. The adapter's result handler built from s.ResultHandlerOptions() on
//	//    GET PathResult and POST PathVerify, and its webhook handler built
//	//    from s.WebhookOptions() on POST PathWebhook.
//	// 4. Once listening on url: if sim != nil { sim.SetWebhookURL(url + shop.PathWebhook) }.
//
// The page handlers read everything from the *http.Request (query
// parameters and the session cookie, never router path parameters), so
// they need nothing from the framework. Orders() exposes the state the
// demos' tests assert on.
//
// This is demo code: the order store is in memory, the catalogue is fixed
// and there is a single customer. It shows the integration, not a shop.
package shop
