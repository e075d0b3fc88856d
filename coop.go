package glomo

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/glomokit/glomo/internal/fixhook"
)

// Header names and the COOP value that keeps the checkout popup working.
const (
	headerCOOP           = "Cross-Origin-Opener-Policy"
	headerCOOPReportOnly = "Cross-Origin-Opener-Policy-Report-Only"
	headerCOEP           = "Cross-Origin-Embedder-Policy"

	// COOPAllowPopups is the Cross-Origin-Opener-Policy value COOP writes:
	// the page keeps its own browsing context group but popups it opens,
	// such as Glomo's checkout window, stay connected to it.
	COOPAllowPopups = "same-origin-allow-popups"
)

// COOP is middleware that keeps Glomo's checkout popup connected to the
// page. When the response's headers are committed (whoever set them, before
// or after this middleware), it
//
//   - sets Cross-Origin-Opener-Policy: same-origin-allow-popups when the
//     response has none;
//   - rewrites same-origin to same-origin-allow-popups, keeping parameters
//     such as report-to="coop", in Cross-Origin-Opener-Policy and
//     Cross-Origin-Opener-Policy-Report-Only, when browsers read the header
//     as same-origin (see RewriteCOOP);
//   - leaves every other value untouched: those that already allow popups,
//     and those browsers reject as malformed and treat as unsafe-none
//     (SAME-ORIGIN, a space before ';', several header fields), which keep
//     popups connected already; rewriting them would add isolation.
//
// A page that was cross-origin isolated (COOP same-origin with COEP
// require-corp or credentialless) loses that isolation; COOP logs a warning
// once per process. Exempt such routes with WithSkip or, per response,
// with ExemptCOOP.
//
// Options: WithSkip and WithLogger. It panics if opts are invalid, as
// regexp.MustCompile does; NewCOOP returns the error instead.
func COOP(opts ...Option) func(http.Handler) http.Handler {
	return mustMiddleware(fixhook.COOP, opts)
}

// NewCOOP is COOP returning a configuration error instead of panicking.
func NewCOOP(opts ...Option) (func(http.Handler) http.Handler, error) {
	return middleware(fixhook.COOP, opts)
}

// ExemptCOOP tells the COOP fix-up of this response (from COOP or
// Headers, or a framework adapter's middleware) to leave its
// Cross-Origin-Opener-Policy headers as the application writes them; the
// CSP fix-up still applies. Call it from a handler or an inner middleware
// before the response is written. It reports whether a fix-up was found
// behind w (through Unwrap chains): every writer there with a method
// ExemptCOOP(), as this module's writers have, is told.
func ExemptCOOP(w http.ResponseWriter) bool {
	found := false
	for w != nil {
		if e, ok := w.(interface{ ExemptCOOP() }); ok {
			e.ExemptCOOP()
			found = true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	return found
}

// isolationWarned makes the loss-of-isolation warning once per process.
var isolationWarned atomic.Bool

// fixCOOPHeaders applies COOP's rules to h. A changed header gets a new
// slice: the old one may be shared beyond this response.
func fixCOOPHeaders(h http.Header, logger *slog.Logger) {
	if vals := h[headerCOOP]; len(vals) == 0 {
		h[headerCOOP] = []string{COOPAllowPopups}
	} else if out, changed := rewriteCOOPField(vals); changed {
		h[headerCOOP] = out
		if isCrossOriginIsolating(h[headerCOEP]) && isolationWarned.CompareAndSwap(false, true) {
			if logger == nil {
				logger = slog.Default()
			}
			logIsolationLoss(logger, h.Get(headerCOEP))
		}
	}
	if out, changed := rewriteCOOPField(h[headerCOOPReportOnly]); changed {
		h[headerCOOPReportOnly] = out
	}
}

// logIsolationLoss warns that rewriting COOP cost the page its cross-origin
// isolation.
func logIsolationLoss(logger *slog.Logger, coep string) {
	logger.Warn("glomo: rewrote Cross-Origin-Opener-Policy same-origin to same-origin-allow-popups on a cross-origin isolated page; the page loses cross-origin isolation (SharedArrayBuffer, precise timers). Exempt routes that need it with WithSkip or glomo.ExemptCOOP",
		"coep", coep)
}

// rewriteCOOPField applies RewriteCOOP to a header's field lines and
// returns a new slice when it changed. Several lines are left alone:
// browsers join them with ", ", which is not a valid structured-field item,
// so they read the header as unsafe-none, and popups stay connected.
func rewriteCOOPField(vals []string) ([]string, bool) {
	if len(vals) != 1 {
		return nil, false
	}
	if v, changed := RewriteCOOP(vals[0]); changed {
		return []string{v}, true
	}
	return nil, false
}

// RewriteCOOP returns a Cross-Origin-Opener-Policy header value with a
// same-origin policy replaced by same-origin-allow-popups, keeping its
// parameters as written (same-origin; report-to="coop"), and reports
// whether it changed anything.
//
// The header is a structured-field item (RFC 8941): the token is
// case-sensitive, whitespace around the value is ignored, and parameters
// follow the token directly. So only "same-origin", alone or followed by
// ';', is rewritten. Everything else is returned unchanged: values that
// already allow popups, and values browsers reject and read as
// unsafe-none (SAME-ORIGIN, same-origin ;report-to="coop",
// "same-origin"), which keep popups connected already. A same-origin
// value whose parameters are malformed is rewritten too; browsers reject
// it before and after, since its parameters stay as they were.
func RewriteCOOP(value string) (string, bool) {
	rest, ok := strings.CutPrefix(trimOWS(value), "same-origin")
	if !ok || (rest != "" && rest[0] != ';') {
		return value, false
	}
	return COOPAllowPopups + rest, true
}

// isCrossOriginIsolating reports whether the COEP header fields, together
// with COOP same-origin, make the page cross-origin isolated. Like COOP,
// COEP is a structured-field item, read from exactly one field line; it
// only decides whether a warning is logged.
func isCrossOriginIsolating(coep []string) bool {
	if len(coep) != 1 {
		return false
	}
	token, _, _ := strings.Cut(trimOWS(coep[0]), ";")
	return token == "require-corp" || token == "credentialless"
}

// trimOWS removes the spaces and tabs HTTP strips around a field value.
func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}
