// Package e2e holds the end-to-end tests of the demo shop: Chromium, driven
// by chromedp, buys from the shop with Glomo's real host names mapped to a
// glomotest TLS server on loopback, so the page loads the SDK from
// https://glomopay-checkout-sdk.web.app and the glomo middleware's default
// CSP sources are what the browser enforces.
//
// The tests look for Chromium in the CHROMIUM environment variable, then on
// PATH (chromium, chromium-browser, google-chrome); they never download one.
// Without a browser they skip, unless GLOMO_E2E=1, where they fail. With
// GLOMO_SCREENSHOT=path.png the checkout test writes a screenshot of the
// demo checkout there.
//
//	GLOMO_E2E=1 go test -count=1 ./e2e
//
// Add -race where a C compiler is installed: the race detector needs cgo.
package e2e
