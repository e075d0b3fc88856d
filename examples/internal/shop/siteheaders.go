package shop

import "net/http"

// SitePolicy is the shop's own Content-Security-Policy, the strict kind a
// careful site sends before it adds a payment form: scripts and styles
// from itself only, no inline script, no frames. Served as it is, it blocks
// the guide's inline snippet, the SDK, its iframe and its API calls;
// glomo.Headers merges what the checkout needs into it (and adds the
// page's nonce) without loosening anything else.
const SitePolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; frame-src 'none'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// SiteCOOP is the shop's own Cross-Origin-Opener-Policy. It severs the
// checkout popup unless glomo.Headers rewrites it to same-origin-allow-popups.
const SiteCOOP = "same-origin"

// setSiteHeaders sets the headers every page of the shop sends, whatever
// router serves it; the glomo middleware fixes them when they are written.
func setSiteHeaders(h http.Header) {
	h.Set("Content-Security-Policy", SitePolicy)
	h.Set("Cross-Origin-Opener-Policy", SiteCOOP)
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}
