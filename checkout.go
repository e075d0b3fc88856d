package glomo

import (
	_ "embed" // CheckoutModule
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/url"
	"strings"
)

// SDKURL is the Glomo Checkout SDK module the integration guide imports.
const SDKURL = SDKOrigin + "/index.js"

// CheckoutModule is the JavaScript of step 2, glomo-checkout.js: an ES
// module exporting mountCheckout(GlomoCheckoutApi, options), for merchants
// who serve it themselves (with Content-Type text/javascript) rather than
// render it inline with [Checkout.Script]. Both run the same code; the
// file's header comment documents the options and the DOM events.
//
//go:embed checkout.js
var CheckoutModule string

// ErrInvalidCheckout is wrapped by every error of [Checkout.Validate] and
// [Checkout.Script].
var ErrInvalidCheckout = errors.New("glomo: invalid checkout")

// DefaultButtonID is the id of the guide's buy button,
// <button id="buy-button">Buy Now</button>.
const DefaultButtonID = "buy-button"

// Checkout is step 2 of the integration guide for html/template: the
// guide's <script type="module"> that creates the GlomoCheckoutApi, opens
// it when the buy button is clicked and posts the SDK's events to the
// merchant's [ResultHandler]. Fill one per page and render it with Script:
//
//	{{.Checkout.Script .Nonce}}
//
// where .Nonce is [Nonce](r.Context()). Every value reaches the script as
// JSON, never by string concatenation, so no order id or key can end the
// script or inject code. The zero value is invalid: OrderID, PublicKey and
// ResultURL or CallbackURL are required.
type Checkout struct {
	// OrderID is the id of the order the server created in step 1.
	// Required.
	OrderID string
	// PublicKey is the publishable key (test_… or live_…). Required.
	PublicKey string

	// ResultURL is where the page posts payment.success, payment.failure
	// and payment.bank_transfer_submitted as JSON, {"event": name, ...the
	// SDK's payload}: the merchant's ResultHandler. An absolute path such
	// as /payment/verify or an https URL. Required without CallbackURL;
	// with it, only the bank transfer event, which the SDK still fires, is
	// posted, and only if ResultURL is set.
	ResultURL string
	// NextURL is where the browser goes once ResultURL answered 2xx, such
	// as the order's status page: a path or an https URL. Default: the page
	// stays, and tells its own script through "glomo-checkout" DOM events
	// (see CheckoutModule).
	NextURL string
	// CallbackURL, if set, is passed to the SDK as callbackUrl: Glomo then
	// redirects the buyer there with the result in the query (a GET to the
	// ResultHandler) and fires no success or failure event. An https URL;
	// http only for a loopback host, for local development. Default none.
	CallbackURL string

	// CSRFHeader and CSRFToken, set together, add a header to the post for
	// the merchant framework's CSRF protection, for example
	// CSRFHeader "X-CSRF-Token" and CSRFToken csrf.Token(r) under
	// gorilla/csrf. Default none.
	CSRFHeader string
	// CSRFToken is the value of CSRFHeader for this request.
	CSRFToken string

	// SDKURL is the SDK module imported. Default [SDKURL]; another one
	// (glomotest's, say) must be https, or http on a loopback host, and
	// its origin must be in the page's CSP (see WithExtraSources).
	SDKURL string
	// ButtonID is the id of the element that opens the checkout.
	// Default [DefaultButtonID].
	ButtonID string
}

// checkoutOptions is the options object of mountCheckout, as JSON.
type checkoutOptions struct {
	OrderID     string `json:"orderId"`
	PublicKey   string `json:"publicKey"`
	CallbackURL string `json:"callbackUrl,omitempty"`
	ResultURL   string `json:"resultUrl,omitempty"`
	NextURL     string `json:"nextUrl,omitempty"`
	CSRFHeader  string `json:"csrfHeader,omitempty"`
	CSRFToken   string `json:"csrfToken,omitempty"`
	ButtonID    string `json:"buttonId"`
}

// Validate reports what makes c unusable, wrapping ErrInvalidCheckout: an
// empty OrderID or PublicKey, neither ResultURL nor CallbackURL, a
// ResultURL or NextURL that is not an absolute path or an https URL, a
// CallbackURL or SDKURL that is not https (or http on loopback), a
// CSRFHeader that is not a header name or lacks its token (or a token
// without header), a ButtonID with spaces. Script calls it.
func (c Checkout) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidCheckout}, args...)...))
	}
	if c.OrderID == "" {
		bad("Checkout.OrderID is empty")
	}
	if c.PublicKey == "" {
		bad("Checkout.PublicKey is empty")
	}
	if c.ResultURL == "" && c.CallbackURL == "" {
		bad("Checkout.ResultURL is empty: the SDK's events must be posted to the server (or set CallbackURL)")
	}
	if c.ResultURL != "" && !pathOrHTTPS(c.ResultURL) {
		bad("Checkout.ResultURL must be an absolute path or an https URL")
	}
	if c.NextURL != "" && !pathOrHTTPS(c.NextURL) {
		bad("Checkout.NextURL must be an absolute path or an https URL")
	}
	if c.CallbackURL != "" && !secureOrLoopback(c.CallbackURL) {
		bad("Checkout.CallbackURL must be an https URL (http only on a loopback host)")
	}
	if c.SDKURL != "" && !secureOrLoopback(c.SDKURL) {
		bad("Checkout.SDKURL must be an https URL (http only on a loopback host)")
	}
	switch {
	case c.CSRFHeader == "" && c.CSRFToken != "":
		bad("Checkout.CSRFToken is set without CSRFHeader")
	case c.CSRFHeader != "" && !isToken(c.CSRFHeader):
		bad("Checkout.CSRFHeader is not a header name")
	case c.CSRFHeader != "" && c.CSRFToken == "":
		bad("Checkout.CSRFHeader is set without CSRFToken")
	case !validHeaderValue(c.CSRFToken):
		bad("Checkout.CSRFToken contains control characters")
	}
	if strings.ContainsAny(c.ButtonID, " \t\r\n\f") {
		bad("Checkout.ButtonID contains whitespace")
	}
	return errors.Join(errs...)
}

// Script returns the guide's <script type="module"> for c, with nonce as
// its nonce attribute: pass [Nonce](r.Context()) of the request the page
// answers ("" for a page without a nonce-based CSP). It returns an error
// wrapping ErrInvalidCheckout, rather than broken HTML, for an invalid c
// (see Validate) or a nonce that is not base64; in html/template the
// error aborts the page's execution.
func (c Checkout) Script(nonce string) (template.HTML, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	if !validNonce(nonce) {
		return "", fmt.Errorf("%w: the nonce is not a CSP nonce (base64)", ErrInvalidCheckout)
	}
	sdk := c.SDKURL
	if sdk == "" {
		sdk = SDKURL
	}
	button := c.ButtonID
	if button == "" {
		button = DefaultButtonID
	}
	// encoding/json escapes <, >, & and U+2028/U+2029, so no value can
	// close the script element, open an HTML comment or end a JavaScript
	// line; every JSON string is a JavaScript string literal.
	opts, err := json.Marshal(checkoutOptions{
		OrderID: c.OrderID, PublicKey: c.PublicKey, CallbackURL: c.CallbackURL,
		ResultURL: c.ResultURL, NextURL: c.NextURL,
		CSRFHeader: c.CSRFHeader, CSRFToken: c.CSRFToken, ButtonID: button,
	})
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidCheckout, err)
	}
	sdkLiteral, err := json.Marshal(sdk)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidCheckout, err)
	}
	var b strings.Builder
	b.Grow(len(checkoutBody) + len(opts) + len(sdkLiteral) + 160)
	b.WriteString(`<script type="module"`)
	if nonce != "" {
		b.WriteString(` nonce="`)
		b.WriteString(template.HTMLEscapeString(nonce))
		b.WriteString(`"`)
	}
	b.WriteString(">\nimport { GlomoCheckoutApi } from ")
	b.Write(sdkLiteral)
	b.WriteString(";\n")
	b.WriteString(checkoutBody)
	b.WriteString("mountCheckout(GlomoCheckoutApi, ")
	b.Write(opts)
	b.WriteString(");\n</script>")
	return template.HTML(b.String()), nil
}

// checkoutBody is CheckoutModule without its header comment and without
// "export": the function mountCheckout, as the inline script declares it.
var checkoutBody = func() string {
	const decl = "export function mountCheckout("
	s := CheckoutModule
	i := strings.Index(s, decl)
	if i < 0 {
		panic("glomo: checkout.js does not declare mountCheckout")
	}
	return strings.TrimPrefix(s[i:], "export ")
}()

// pathOrHTTPS reports whether s is an absolute path (not "//host", which
// is another origin) or an absolute https URL with a host.
func pathOrHTTPS(s string) bool {
	if strings.ContainsAny(s, "\\\x00\r\n\t") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	if u.Scheme == "" && u.Host == "" && u.Opaque == "" {
		return strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//")
	}
	return u.Scheme == "https" && u.Host != "" && u.User == nil
}

// secureOrLoopback reports whether s is an absolute https URL, or an http
// URL of a loopback host (localhost, 127.0.0.0/8, ::1).
func secureOrLoopback(s string) bool {
	if strings.ContainsAny(s, "\\\x00\r\n\t ") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// validNonce accepts "" and base64 or base64url text, as glomo's and
// unrolled/secure's nonces are.
func validNonce(n string) bool {
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !isAlpha(c) && (c < '0' || c > '9') && c != '+' && c != '/' && c != '=' && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// isToken reports whether s is an RFC 9110 token, as header names are.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlpha(c) || (c >= '0' && c <= '9') || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// validHeaderValue reports whether s has no control characters, which
// fetch would refuse.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
